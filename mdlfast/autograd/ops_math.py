"""Elementwise functions: exp, log, sqrt, abs, clip, tanh, sigmoid, relu (the last two on the
activation kernel), where, casts."""
from __future__ import annotations

import numpy as np

from mdlfast.autograd.function import Function
from mdlfast.autograd.backend import ops


def _constant(array):
    from mdlfast.autograd.tensor import Tensor

    return Tensor._wrap(array, False, None, 0)


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = np.exp(x)
        ctx.y = y
        return y

    @staticmethod
    def backward(ctx, g):
        return (g * ctx.y,)

    @staticmethod
    def backward_graph(ctx, g):
        return (g * ctx.inputs[0].exp(),)


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        return np.log(x)

    @staticmethod
    def backward_graph(ctx, g):
        return (g / ctx.inputs[0],)


class LogPositive(Function):
    """log x where x > 0, else 0."""

    @staticmethod
    def forward(ctx, x):
        positive = x > 0
        ctx.positive = positive
        return np.where(positive, np.log(np.where(positive, x, 1)), 0).astype(x.dtype)

    @staticmethod
    def backward_graph(ctx, g):
        x = ctx.inputs[0]
        mask = _constant(ctx.positive.astype(x.dtype))
        return (g * mask / (x * mask + (1 - mask)),)


def log_positive(t):
    return LogPositive.apply(t)


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        y = np.sqrt(x)
        ctx.y = y
        return y

    @staticmethod
    def backward(ctx, g):
        return (g / (2 * ctx.y),)

    @staticmethod
    def backward_graph(ctx, g):
        return (g / (ctx.inputs[0].sqrt() * 2.0),)


class Abs(Function):
    @staticmethod
    def forward(ctx, x):
        return np.abs(x)

    @staticmethod
    def backward_graph(ctx, g):
        x = ctx.inputs[0]
        return (g * _constant(np.sign(x.data)),)


class Clip(Function):
    """clip(x, lo, hi); the gradient passes where lo <= x <= hi, as torch.clamp."""

    @staticmethod
    def forward(ctx, x, *, lo, hi):
        ctx.lo, ctx.hi = lo, hi
        return np.clip(x, lo, hi)

    @staticmethod
    def backward_graph(ctx, g):
        x = ctx.inputs[0].data
        inside = np.ones(x.shape, dtype=bool)
        if ctx.lo is not None:
            inside &= x >= ctx.lo
        if ctx.hi is not None:
            inside &= x <= ctx.hi
        return (g * _constant(inside.astype(x.dtype)),)


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.y = y
        return y

    @staticmethod
    def backward(ctx, g):
        return (g * (1 - ctx.y * ctx.y),)

    @staticmethod
    def backward_graph(ctx, g):
        t = ctx.inputs[0].tanh()
        return (g * (1.0 - t * t),)


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        y = ops(x).activation(x, "sigmoid")
        ctx.y = y
        return y

    @staticmethod
    def backward(ctx, g):
        return (g * ctx.y * (1 - ctx.y),)

    @staticmethod
    def backward_graph(ctx, g):
        s = ctx.inputs[0].sigmoid()
        return (g * s * (1.0 - s),)


class Relu(Function):
    @staticmethod
    def forward(ctx, x):
        y = ops(x).activation(x, "relu")
        ctx.y = y
        return y

    @staticmethod
    def backward(ctx, g):
        return (ops(g).activation_backward(g, ctx.inputs[0].data, ctx.y, "relu"),)

    @staticmethod
    def backward_graph(ctx, g):
        x = ctx.inputs[0].data
        return (g * _constant((x > 0).astype(x.dtype)),)


class Where(Function):
    """where(condition, a, b) with a constant boolean condition."""

    @staticmethod
    def forward(ctx, condition, a, b):
        return np.where(condition, a, b)

    @staticmethod
    def backward_graph(ctx, g):
        from mdlfast.autograd.ops_arith import sum_to, shape_of

        condition, a, b = ctx.inputs
        cond = np.asarray(getattr(condition, "data", condition))
        zero = g * 0.0
        ga = sum_to(Where.apply(cond, g, zero), shape_of(a)) if getattr(a, "requires_grad", False) else None
        gb = sum_to(Where.apply(cond, zero, g), shape_of(b)) if getattr(b, "requires_grad", False) else None
        return None, ga, gb


class Cast(Function):
    @staticmethod
    def forward(ctx, x, *, dtype):
        ctx.in_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward_graph(ctx, g):
        return (g.to(ctx.in_dtype),)
