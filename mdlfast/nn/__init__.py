"""Neural-network modules, losses and initialisation, with PyTorch's names, defaults and
state_dict keys."""
from mdlfast.nn import functional, init
from mdlfast.nn import utils
from mdlfast.nn.container import ModuleDict, ModuleList, Sequential
from mdlfast.nn.linear import Flatten, Identity, Linear, Unflatten
from mdlfast.nn.module import Module
from mdlfast.nn.parameter import Parameter
from mdlfast.nn.activation import (
    ELU, GELU, SELU, Hardtanh, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Softplus, Tanh)
