"""Functional forms of the layers, as torch.nn.functional; each runs one kernel call forward
and one backward (mdlfast.kernels, or mdlfast.reference under use_backend('reference'))."""
from mdlfast.nn.functional.activation import (
    elu, gelu, hardtanh, leaky_relu, log_softmax, relu, selu, sigmoid, silu, softmax, softplus, tanh)
from mdlfast.nn.functional.linear import linear
