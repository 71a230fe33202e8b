"""Unit 6: ResNet with basic blocks (He et al., 2016), sized for small images."""
from __future__ import annotations

from mdlfast import nn


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN plus the shortcut (the identity, or a strided 1x1 conv + BN when
    the shape changes), then ReLU."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels))

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    """A 3x3 stem, then stages of `blocks` BasicBlocks (widths double and the resolution halves
    from the second stage on), global average pooling and a linear classifier."""

    def __init__(self, in_channels=1, num_classes=10, *, blocks=(2, 2), widths=(16, 32)):
        super().__init__()
        if len(blocks) != len(widths):
            raise ValueError(f"ResNet: blocks and widths must have the same length, got "
                             f"{len(blocks)} and {len(widths)}")
        self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU())
        layers, channels = [], widths[0]
        for stage, (count, width) in enumerate(zip(blocks, widths)):
            for k in range(count):
                stride = 2 if stage > 0 and k == 0 else 1
                layers.append(BasicBlock(channels, width, stride))
                channels = width
        self.layers = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(channels, num_classes))

    def forward(self, x):
        return self.head(self.layers(self.stem(x)))
