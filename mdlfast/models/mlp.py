"""Unit 4: multilayer perceptrons with any activation, Glorot/He initialisation, dropout and
batch norm (L2 comes from the optimizer's weight_decay, early stopping from
mdlfast.train.EarlyStopping), and a residual MLP for the vanishing-gradient study."""
from __future__ import annotations

from mdlfast import nn

ACTIVATIONS = {
    "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "selu": nn.SELU,
    "gelu": nn.GELU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "softplus": nn.Softplus,
    "silu": nn.SiLU, "hardtanh": nn.Hardtanh,
}
# The gain names of nn.init.calculate_gain for each activation.
_GAIN_NAMES = {"relu": "relu", "leaky_relu": "leaky_relu", "selu": "selu", "sigmoid": "sigmoid",
               "tanh": "tanh"}
INITS = ("he", "glorot", "default")


def activation_module(name):
    """A fresh activation module by name (one of ACTIVATIONS)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]()


def init_linear(layer, init, activation):
    """Initialise a Linear (or Conv) layer's weight by `init` ("he": Kaiming normal, fan-in;
    "glorot": Xavier uniform with the activation's gain; "default": PyTorch's), bias zero."""
    if init not in INITS:
        raise ValueError(f"init: expected one of {INITS}, got {init!r}")
    if init == "default":
        return
    gain_name = _GAIN_NAMES.get(activation, "relu" if init == "he" else "linear")
    if init == "he":
        nonlinearity = "leaky_relu" if gain_name == "leaky_relu" else "relu"
        nn.init.kaiming_normal_(layer.weight, nonlinearity=nonlinearity)
    else:
        nn.init.xavier_uniform_(layer.weight, gain=nn.init.calculate_gain(gain_name))
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)


class MLP(nn.Sequential):
    """in_features -> hidden[0] -> ... -> out_features: each hidden layer is Linear, optional
    BatchNorm1d, activation, optional Dropout(dropout)."""

    def __init__(self, in_features, hidden=(128, 64), out_features=10, *, activation="relu",
                 init="he", dropout=0.0, batch_norm=False):
        layers, width = [], in_features
        for size in hidden:
            linear = nn.Linear(width, size, bias=not batch_norm)
            init_linear(linear, init, activation)
            layers.append(linear)
            if batch_norm:
                layers.append(nn.BatchNorm1d(size))
            layers.append(activation_module(activation))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = size
        head = nn.Linear(width, out_features)
        init_linear(head, "glorot" if init != "default" else "default", "linear")
        layers.append(head)
        super().__init__(*layers)


class ResidualBlock(nn.Module):
    """x + act(Linear(x)): the identity path carries the gradient past the layer."""

    def __init__(self, width, activation, init):
        super().__init__()
        self.linear = nn.Linear(width, width)
        init_linear(self.linear, init, activation)
        self.act = activation_module(activation)

    def forward(self, x):
        return x + self.act(self.linear(x))


class DeepMLP(nn.Module):
    """A deep, narrow MLP for the vanishing-gradient study: an input layer, `depth` hidden
    layers of `width` units (plain, or residual blocks), and a linear head. `hidden_layers()`
    lists the hidden Linear layers from input to output."""

    def __init__(self, in_features, out_features, *, depth=10, width=32, activation="sigmoid",
                 residual=False, init="glorot"):
        super().__init__()
        self.stem = nn.Linear(in_features, width)
        init_linear(self.stem, init, activation)
        self.stem_act = activation_module(activation)
        blocks = []
        for _ in range(depth):
            if residual:
                blocks.append(ResidualBlock(width, activation, init))
            else:
                linear = nn.Linear(width, width)
                init_linear(linear, init, activation)
                blocks.append(nn.Sequential(linear, activation_module(activation)))
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Linear(width, out_features)

    def hidden_layers(self):
        """The Linear layers from the input up, the head excluded."""
        layers = [self.stem]
        for block in self.blocks:
            layers.append(block.linear if isinstance(block, ResidualBlock) else block[0])
        return layers

    def forward(self, x):
        x = self.stem_act(self.stem(x))
        for block in self.blocks:
            x = block(x)
        return self.head(x)
