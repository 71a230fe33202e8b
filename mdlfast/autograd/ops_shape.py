"""Shape and indexing: reshape, permute, indexing with its scatter-add gradient, cat."""
from __future__ import annotations

import numpy as np

from mdlfast.autograd.function import Function


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, *, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return (g.reshape(ctx.in_shape),)

    @staticmethod
    def backward_graph(ctx, g):
        return (g.reshape(ctx.in_shape),)


class Permute(Function):
    @staticmethod
    def forward(ctx, x, *, axes):
        ctx.axes = axes
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx, g):
        return (np.transpose(g, np.argsort(ctx.axes)),)

    @staticmethod
    def backward_graph(ctx, g):
        return (g.permute(*np.argsort(ctx.axes).tolist()),)


def _is_basic(index):
    """True for an index of ints, slices, None and Ellipsis only (no arrays, no lists)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in items)


class GetItem(Function):
    @staticmethod
    def forward(ctx, x, *, index):
        ctx.in_shape, ctx.in_dtype, ctx.index = x.shape, x.dtype, index
        return np.asarray(x[index])

    @staticmethod
    def backward(ctx, g):
        return (scatter_add_array(g, ctx.in_shape, ctx.in_dtype, ctx.index),)

    @staticmethod
    def backward_graph(ctx, g):
        return (IndexAdd.apply(g, shape=ctx.in_shape, dtype=ctx.in_dtype, index=ctx.index),)


def scatter_add_array(g, shape, dtype, index):
    """zeros(shape) with g added at index; repeated indices add up."""
    out = np.zeros(shape, dtype=dtype)
    if _is_basic(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


class IndexAdd(Function):
    """The gradient of indexing: g scattered (added) into zeros."""

    @staticmethod
    def forward(ctx, g, *, shape, dtype, index):
        ctx.index = index
        return scatter_add_array(g, shape, dtype, index)

    @staticmethod
    def backward_graph(ctx, g):
        return (g[ctx.index],)


class Cat(Function):
    @staticmethod
    def forward(ctx, *xs, axis):
        ctx.axis = axis
        ctx.bounds = np.cumsum([0] + [x.shape[axis] for x in xs])
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        return tuple(_slice_along(g, ctx.axis, a, b) for a, b in zip(ctx.bounds[:-1], ctx.bounds[1:]))

    @staticmethod
    def backward_graph(ctx, g):
        return tuple(_slice_along(g, ctx.axis, a, b) for a, b in zip(ctx.bounds[:-1], ctx.bounds[1:]))


def _slice_along(x, axis, start, stop):
    index = [slice(None)] * x.ndim
    index[axis] = slice(int(start), int(stop))
    return x[tuple(index)]
