"""Pooling: max and average (1-d, 2-d) and adaptive average: one kernel call each way."""
from __future__ import annotations

from mdlfast.autograd.backend import ops
from mdlfast.autograd.function import Function


class MaxPool(Function):
    @staticmethod
    def forward(ctx, x, *, kernel_size, stride, padding, dims):
        k = ops(x)
        pool = k.max_pool2d if dims == 2 else k.max_pool1d
        y, indices = pool(x, kernel_size, stride=stride, padding=padding)
        ctx.indices, ctx.in_shape, ctx.dims = indices, x.shape, dims
        return y

    @staticmethod
    def backward(ctx, g):
        k = ops(g)
        back = k.max_pool2d_backward if ctx.dims == 2 else k.max_pool1d_backward
        return (back(g, ctx.indices, ctx.in_shape),)


class AvgPool(Function):
    @staticmethod
    def forward(ctx, x, *, kernel_size, stride, padding, count_include_pad, dims):
        k = ops(x)
        pool = k.avg_pool2d if dims == 2 else k.avg_pool1d
        ctx.options = dict(stride=stride, padding=padding, count_include_pad=count_include_pad)
        ctx.kernel_size, ctx.in_shape, ctx.dims = kernel_size, x.shape, dims
        return pool(x, kernel_size, **ctx.options)

    @staticmethod
    def backward(ctx, g):
        k = ops(g)
        back = k.avg_pool2d_backward if ctx.dims == 2 else k.avg_pool1d_backward
        return (back(g, ctx.in_shape, ctx.kernel_size, **ctx.options),)


class AdaptiveAvgPool2d(Function):
    @staticmethod
    def forward(ctx, x, *, output_size):
        ctx.in_shape = x.shape
        return ops(x).adaptive_avg_pool2d(x, output_size)

    @staticmethod
    def backward(ctx, g):
        return (ops(g).adaptive_avg_pool2d_backward(g, ctx.in_shape),)


def _check_options(ceil_mode, dilation, return_indices):
    if ceil_mode:
        raise NotImplementedError("pooling: ceil_mode=True is not supported")
    if dilation not in (1, (1, 1), [1, 1]):
        raise NotImplementedError("pooling: dilation other than 1 is not supported")
    if return_indices:
        raise NotImplementedError("pooling: return_indices=True is not supported")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    _check_options(ceil_mode, dilation, return_indices)
    return MaxPool.apply(input, kernel_size=kernel_size, stride=stride or None, padding=padding, dims=2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    _check_options(ceil_mode, dilation, return_indices)
    return MaxPool.apply(input, kernel_size=kernel_size, stride=stride or None, padding=padding, dims=1)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    _check_options(ceil_mode, 1, False)
    if divisor_override is not None:
        raise NotImplementedError("avg_pool2d: divisor_override is not supported")
    return AvgPool.apply(input, kernel_size=kernel_size, stride=stride or None, padding=padding,
                         count_include_pad=count_include_pad, dims=2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    _check_options(ceil_mode, 1, False)
    return AvgPool.apply(input, kernel_size=kernel_size, stride=stride or None, padding=padding,
                         count_include_pad=count_include_pad, dims=1)


def adaptive_avg_pool2d(input, output_size):
    if isinstance(output_size, (tuple, list)):
        h, w = output_size
        output_size = (input.shape[-2] if h is None else h, input.shape[-1] if w is None else w)
    return AdaptiveAvgPool2d.apply(input, output_size=output_size)
