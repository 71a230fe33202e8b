"""Reductions with axis/keepdims: sum, mean, max, min (var, std and logsumexp are built on them)."""
from __future__ import annotations

import numpy as np

from mdlfast.autograd.function import Function


def normalize_axis(axis, ndim):
    """A tuple of non-negative axes, or None for all."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor of {ndim} dimensions")
        out.append(int(a) % max(ndim, 1))
    return tuple(out)


def kept_shape(shape, axes):
    """The shape of a keepdims reduction over `axes`."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    @staticmethod
    def forward(ctx, x, *, axis, keepdims):
        ctx.in_shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        return np.asarray(x.sum(axis=axis, keepdims=keepdims))

    @staticmethod
    def backward(ctx, g):
        g = g.reshape(kept_shape(ctx.in_shape, ctx.axis))
        return (np.broadcast_to(g, ctx.in_shape),)

    @staticmethod
    def backward_graph(ctx, g):
        g = g.reshape(kept_shape(ctx.in_shape, ctx.axis))
        return (g.broadcast_to(ctx.in_shape),)


class Extreme(Function):
    """max or min. Over all elements the gradient is shared evenly between ties (as PyTorch's
    max()); along an axis it goes to the first extreme element (PyTorch's max(dim) index)."""

    @staticmethod
    def forward(ctx, x, *, axis, keepdims, largest):
        reduce = np.max if largest else np.min
        pick = np.argmax if largest else np.argmin
        y = np.asarray(reduce(x, axis=axis, keepdims=True))
        if axis is None:
            mask = (x == y).astype(x.dtype)
            mask /= mask.sum()
        elif len(axis) == 1:
            mask = np.zeros(x.shape, dtype=x.dtype)
            np.put_along_axis(mask, pick(x, axis=axis[0], keepdims=True), 1, axis=axis[0])
        else:
            mask = (x == y).astype(x.dtype)
            mask /= mask.sum(axis=axis, keepdims=True)
        ctx.mask, ctx.kept = mask, y.shape
        if keepdims:
            return y
        return y.reshape(()) if axis is None else np.squeeze(y, axis=axis)

    @staticmethod
    def backward_graph(ctx, g):
        from mdlfast.autograd.tensor import Tensor

        return (g.reshape(ctx.kept) * Tensor._wrap(ctx.mask, False, None, 0),)
