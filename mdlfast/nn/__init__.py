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
from mdlfast.nn.conv import Conv1d, Conv2d
from mdlfast.nn.dropout import Dropout
from mdlfast.nn.embedding import Embedding
from mdlfast.nn.loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from mdlfast.nn.norm import BatchNorm1d, BatchNorm2d, LayerNorm
from mdlfast.nn.pool import AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d
from mdlfast.nn.rnn import GRU, LSTM, RNN
from mdlfast.nn.attention import MultiheadAttention
from mdlfast.nn.transformer import TransformerDecoderLayer, TransformerEncoderLayer
