"""Arithmetic with NumPy broadcasting: add, sub, mul, div, neg, pow, matmul, and the pair
sum_to / broadcast_to that carries gradients back to an input's shape."""
from __future__ import annotations

import numpy as np

from mdlfast.autograd.function import Function


def shape_of(x):
    return np.shape(x)


def sum_to_array(g, shape):
    """Sum a broadcast gradient back to `shape` (the inverse of NumPy broadcasting)."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


class SumTo(Function):
    @staticmethod
    def forward(ctx, x, *, shape):
        ctx.in_shape = x.shape
        return sum_to_array(x, shape)

    @staticmethod
    def backward_graph(ctx, g):
        return (broadcast_to(g, ctx.in_shape),)


class BroadcastTo(Function):
    @staticmethod
    def forward(ctx, x, *, shape):
        ctx.in_shape = x.shape
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward_graph(ctx, g):
        return (sum_to(g, ctx.in_shape),)


def sum_to(t, shape):
    """t summed to `shape`; t itself when the shapes already agree."""
    shape = tuple(shape)
    return t if t.shape == shape else SumTo.apply(t, shape=shape)


def broadcast_to(t, shape):
    """t broadcast to `shape` (a read-only view, as torch.expand)."""
    shape = tuple(shape)
    return t if t.shape == shape else BroadcastTo.apply(t, shape=shape)


def _needs(x):
    return getattr(x, "requires_grad", False)


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        return (sum_to_array(g, shape_of(a)) if _needs(a) else None,
                sum_to_array(g, shape_of(b)) if _needs(b) else None)

    @staticmethod
    def backward_graph(ctx, g):
        a, b = ctx.inputs
        return (sum_to(g, shape_of(a)) if _needs(a) else None,
                sum_to(g, shape_of(b)) if _needs(b) else None)


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        return (sum_to_array(g, shape_of(a)) if _needs(a) else None,
                -sum_to_array(g, shape_of(b)) if _needs(b) else None)

    @staticmethod
    def backward_graph(ctx, g):
        a, b = ctx.inputs
        return (sum_to(g, shape_of(a)) if _needs(a) else None,
                -sum_to(g, shape_of(b)) if _needs(b) else None)


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        a_data, b_data = getattr(a, "data", a), getattr(b, "data", b)
        return (sum_to_array(g * b_data, shape_of(a)) if _needs(a) else None,
                sum_to_array(g * a_data, shape_of(b)) if _needs(b) else None)

    @staticmethod
    def backward_graph(ctx, g):
        a, b = ctx.inputs
        return (sum_to(g * b, shape_of(a)) if _needs(a) else None,
                sum_to(g * a, shape_of(b)) if _needs(b) else None)


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a / b

    @staticmethod
    def backward_graph(ctx, g):
        a, b = ctx.inputs
        return (sum_to(g / b, shape_of(a)) if _needs(a) else None,
                sum_to(-g * a / (b * b), shape_of(b)) if _needs(b) else None)


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return (-g,)

    @staticmethod
    def backward_graph(ctx, g):
        return (-g,)


class PowScalar(Function):
    """x ** p for a constant exponent p."""

    @staticmethod
    def forward(ctx, x, *, exponent):
        ctx.exponent = exponent
        return x ** np.asarray(exponent, dtype=x.dtype)

    @staticmethod
    def backward_graph(ctx, g):
        (x,), p = ctx.inputs, ctx.exponent
        if p == 0:
            return (g * 0.0,)
        if p == 1:
            return (g,)
        if p == 2:
            return (g * x * 2.0,)
        return (g * p * (x ** (p - 1)),)


class Pow(Function):
    """a ** b for two tensors (or a constant base)."""

    @staticmethod
    def forward(ctx, a, b):
        return a ** b

    @staticmethod
    def backward_graph(ctx, g):
        a, b = ctx.inputs
        ga = gb = None
        if _needs(a):
            ga = sum_to(g * b * a ** (b - 1.0), shape_of(a))
        if _needs(b):
            from mdlfast.autograd.ops_math import log_positive
            from mdlfast.autograd.tensor import as_tensor

            base = as_tensor(a, like=b)
            # d(a ** b)/db = a ** b · log a, taken as 0 where a <= 0, as PyTorch does at a == 0
            gb = sum_to(g * (base ** b) * log_positive(base), shape_of(b))
        return ga, gb


class MatMul(Function):
    """a @ b with NumPy's matmul rules: 1-D operands, batches broadcast."""

    @staticmethod
    def forward(ctx, a, b):
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        a_data, b_data = getattr(a, "data", a), getattr(b, "data", b)
        if a_data.ndim == 2 and b_data.ndim == 2:
            return (g @ b_data.T if _needs(a) else None, a_data.T @ g if _needs(b) else None)
        a2 = a_data if a_data.ndim > 1 else a_data[None, :]
        b2 = b_data if b_data.ndim > 1 else b_data[:, None]
        g2 = g.reshape(np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2]) + (a2.shape[-2], b2.shape[-1]))
        ga = gb = None
        if _needs(a):
            ga = sum_to_array(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a_data.shape)
        if _needs(b):
            gb = sum_to_array(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b_data.shape)
        return ga, gb

    @staticmethod
    def backward_graph(ctx, g):
        a, b = ctx.inputs
        a2 = a if a.ndim > 1 else a.reshape(1, -1)
        b2 = b if b.ndim > 1 else b.reshape(-1, 1)
        out_shape = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2]) + (a2.shape[-2], b2.shape[-1])
        g2 = g.reshape(out_shape)
        ga = gb = None
        if _needs(a):
            ga = sum_to(g2 @ b2.transpose(-1, -2), a2.shape).reshape(a.shape)
        if _needs(b):
            gb = sum_to(a2.transpose(-1, -2) @ g2, b2.shape).reshape(b.shape)
        return ga, gb
