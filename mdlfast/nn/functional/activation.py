"""Activations and softmax: one kernel call each way (mdlfast.kernels.activation, softmax).

relu, sigmoid and tanh are Tensor operations, differentiable twice (create_graph=True)."""
from __future__ import annotations

from mdlfast.autograd.backend import ops
from mdlfast.autograd.function import Function


class Activation(Function):
    @staticmethod
    def forward(ctx, x, *, kind, alpha):
        y = ops(x).activation(x, kind, alpha=alpha)
        ctx.kind, ctx.alpha, ctx.y = kind, alpha, y
        return y

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0].data
        return (ops(g).activation_backward(g, x, ctx.y, ctx.kind, alpha=ctx.alpha),)


def _activation(x, kind, alpha=None):
    return Activation.apply(x, kind=kind, alpha=alpha)


def relu(input, inplace=False):
    return input.relu()


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _activation(input, "leaky_relu", negative_slope)


def elu(input, alpha=1.0, inplace=False):
    return _activation(input, "elu", alpha)


def selu(input, inplace=False):
    return _activation(input, "selu")


def gelu(input, approximate="none"):
    if approximate != "none":
        raise ValueError(f"gelu: only approximate='none' (the exact erf form) is supported, got {approximate!r}")
    return _activation(input, "gelu")


def softplus(input, beta=1.0, threshold=20.0):
    if beta != 1.0 or threshold != 20.0:
        raise ValueError("softplus: only beta=1 and threshold=20 (PyTorch's defaults) are supported")
    return _activation(input, "softplus")


def silu(input, inplace=False):
    return _activation(input, "silu")


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if (min_val, max_val) != (-1.0, 1.0):
        return input.clip(min_val, max_val)
    return _activation(input, "hardtanh")


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, *, axis, log):
        k = ops(x)
        y = k.log_softmax(x, axis=axis) if log else k.softmax(x, axis=axis)
        ctx.axis, ctx.log, ctx.y = axis, log, y
        return y

    @staticmethod
    def backward(ctx, g):
        k = ops(g)
        if ctx.log:
            return (k.log_softmax_backward(g, ctx.y, axis=ctx.axis),)
        return (k.softmax_backward(g, ctx.y, axis=ctx.axis),)

    @staticmethod
    def backward_graph(ctx, g):
        x = ctx.inputs[0]
        log_p = x - x.logsumexp(axis=ctx.axis, keepdims=True)
        if ctx.log:
            return (g - log_p.exp() * g.sum(axis=ctx.axis, keepdims=True),)
        p = log_p.exp()
        return (p * (g - (g * p).sum(axis=ctx.axis, keepdims=True)),)


def _softmax_dim(dim, ndim):
    if dim is None:  # PyTorch's legacy implicit choice
        return 0 if ndim in (0, 1, 3) else 1
    return dim


def softmax(input, dim=None, *, axis=None):
    d = axis if axis is not None else _softmax_dim(dim, input.ndim)
    return Softmax.apply(input, axis=d, log=False)


def log_softmax(input, dim=None, *, axis=None):
    d = axis if axis is not None else _softmax_dim(dim, input.ndim)
    return Softmax.apply(input, axis=d, log=True)


__all__ = ["Activation", "Softmax", "elu", "gelu", "hardtanh", "leaky_relu", "log_softmax", "relu",
           "selu", "sigmoid", "silu", "softmax", "softplus", "tanh"]
