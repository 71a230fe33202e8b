"""Unit 5: landmark convolutional networks, sized for small images (8x8 digits up to 32x32):
LeNet-5, a VGG-style stack of 3x3 convolutions, and a GoogLeNet-style Inception network."""
from __future__ import annotations

from mdlfast import nn
from mdlfast.autograd import cat


def _conv_out(size, kernel, padding, stride=1):
    return (size + 2 * padding - kernel) // stride + 1


class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al., 1998): conv 5x5 (6) -> pool -> conv 5x5 (16) -> pool -> 120 -> 84
    -> classes. On images smaller than 28x28 both convolutions are zero-padded to keep the size
    (the original pads 28x28 MNIST to 32x32 and lets the second shrink 14x14 to 10x10).
    activation "tanh" with average pooling is the 1998 network; "relu" with max pooling the
    modern one."""

    def __init__(self, in_channels=1, num_classes=10, image_size=8, *, activation="relu",
                 pooling="max"):
        super().__init__()
        act = {"relu": nn.ReLU, "tanh": nn.Tanh}[activation]
        pool = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}[pooling]
        small = image_size < 28
        pad1, pad2 = 2, (2 if small else 0)
        size = _conv_out(image_size, 5, pad1) // 2
        size = _conv_out(size, 5, pad2) // 2
        if size < 1:
            raise ValueError(f"LeNet5: image_size {image_size} is too small")
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=pad1), act(), pool(2),
            nn.Conv2d(6, 16, 5, padding=pad2), act(), pool(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * size * size, 120), act(), nn.Linear(120, 84), act(),
            nn.Linear(84, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


class VGGNet(nn.Module):
    """VGG-style: blocks of `convs_per_block` 3x3 convolutions (same padding, batch norm, ReLU)
    each followed by 2x2 max pooling, the width doubling per block; then global average
    pooling, dropout and a linear classifier."""

    def __init__(self, in_channels=1, num_classes=10, *, widths=(32, 64), convs_per_block=2,
                 dropout=0.3):
        super().__init__()
        layers, channels = [], in_channels
        for width in widths:
            for _ in range(convs_per_block):
                layers += [nn.Conv2d(channels, width, 3, padding=1, bias=False),
                           nn.BatchNorm2d(width), nn.ReLU()]
                channels = width
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                        nn.Dropout(dropout), nn.Linear(channels, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def _conv_bn_relu(cin, cout, kernel):
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, padding=kernel // 2, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU())


class Inception(nn.Module):
    """GoogLeNet's Inception module: 1x1, 1x1->3x3, 1x1->5x5 and 3x3-max-pool->1x1 branches
    side by side, their outputs concatenated along the channels (c1 + c3 + c5 + cp)."""

    def __init__(self, in_channels, c1, c3_reduce, c3, c5_reduce, c5, cp):
        super().__init__()
        self.branch1 = _conv_bn_relu(in_channels, c1, 1)
        self.branch3 = nn.Sequential(_conv_bn_relu(in_channels, c3_reduce, 1),
                                     _conv_bn_relu(c3_reduce, c3, 3))
        self.branch5 = nn.Sequential(_conv_bn_relu(in_channels, c5_reduce, 1),
                                     _conv_bn_relu(c5_reduce, c5, 5))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1),
                                         _conv_bn_relu(in_channels, cp, 1))
        self.out_channels = c1 + c3 + c5 + cp

    def forward(self, x):
        return cat([self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)],
                   axis=1)


class InceptionNet(nn.Module):
    """A small GoogLeNet: a 3x3 stem, two Inception modules, max pooling, a third module, global
    average pooling and a linear classifier."""

    def __init__(self, in_channels=1, num_classes=10, *, width=16):
        super().__init__()
        w = width
        self.stem = _conv_bn_relu(in_channels, 2 * w, 3)
        self.block1 = Inception(2 * w, w, w, 2 * w, w // 4, w // 2, w // 2)
        self.block2 = Inception(self.block1.out_channels, 2 * w, w, 2 * w, w // 4, w, w)
        self.pool = nn.MaxPool2d(2)
        self.block3 = Inception(self.block2.out_channels, 2 * w, 2 * w, 3 * w, w // 4, w, w)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(self.block3.out_channels, num_classes))

    def forward(self, x):
        x = self.block2(self.block1(self.stem(x)))
        return self.head(self.block3(self.pool(x)))
