"""The pooling family: max/avg pooling (2-d and 1-d), adaptive and global average pooling."""
from __future__ import annotations

import math

from mdlfast._kernels.common import cpu_backend as _cpu_backend
from mdlfast._validate.common import KERNEL_DTYPES
from mdlfast._validate.pool import (
    INDEX_DTYPES,
    adaptive_avg_pool_args,
    adaptive_avg_pool_backward_args,
    avg_pool_backward_args,
    check_bool,
    global_avg_pool_args,
    global_avg_pool_backward_args,
    gradient_1d_as_2d,
    max_pool_backward_args,
    pool1d_args,
    pool_args,
    shape_1d_as_2d,
)


def _window(geo):
    (kh, kw), (sh, sw), (ph, pw) = geo.kernel, geo.stride, geo.padding
    return kh, kw, sh, sw, ph, pw


def _max_pool(args, name):
    backend, xp = _cpu_backend(args.device, name)
    planes = args.x.shape[0]
    y = xp.empty((planes,) + args.geometry.out_hw, dtype=xp.float32)
    indices = xp.empty((planes,) + args.geometry.out_hw, dtype=xp.int64)
    backend.max_pool2d(y, indices, xp.ascontiguousarray(args.x), *_window(args.geometry))
    return y.reshape(args.out_shape), indices.reshape(args.out_shape)


def _max_pool_backward(args, name):
    backend, xp = _cpu_backend(args.device, name)
    h, w = args.input_shape[-2:]
    dx = xp.empty((math.prod(args.input_shape[:-2]), h, w), dtype=xp.float32)
    backend.max_pool2d_backward(dx, xp.ascontiguousarray(args.dy), xp.ascontiguousarray(args.indices))
    return dx.reshape(args.input_shape)


def _avg_pool(args, count_include_pad, name):
    backend, xp = _cpu_backend(args.device, name)
    y = xp.empty((args.x.shape[0],) + args.geometry.out_hw, dtype=xp.float32)
    backend.avg_pool2d(y, xp.ascontiguousarray(args.x), *_window(args.geometry), count_include_pad)
    return y.reshape(args.out_shape)


def _avg_pool_backward(args, count_include_pad, name):
    backend, xp = _cpu_backend(args.device, name)
    dx = xp.empty((args.dy.shape[0],) + args.geometry.in_hw, dtype=xp.float32)
    backend.avg_pool2d_backward(dx, xp.ascontiguousarray(args.dy), *_window(args.geometry),
                                count_include_pad)
    return dx.reshape(args.input_shape)


def _adaptive(args, name):
    backend, xp = _cpu_backend(args.device, name)
    y = xp.empty((args.x.shape[0],) + args.out_hw, dtype=xp.float32)
    backend.adaptive_avg_pool2d(y, xp.ascontiguousarray(args.x))
    return y.reshape(args.out_shape)


def _adaptive_backward(args, name):
    backend, xp = _cpu_backend(args.device, name)
    dx = xp.empty((args.x.shape[0],) + args.in_hw, dtype=xp.float32)
    backend.adaptive_avg_pool2d_backward(dx, xp.ascontiguousarray(args.x))
    return dx.reshape(args.out_shape)


def max_pool2d(x, kernel_size, *, stride=None, padding=0):
    """(y, indices) of x [N, C, H, W] or [C, H, W]: each window's maximum and its int64 position
    h·W + w within its plane, as PyTorch's return_indices=True (ceil_mode=False): ties go to the
    first maximum in row-major window order, NaN propagates. stride defaults to kernel_size;
    padding (implicit -inf) is at most half the kernel."""
    return _max_pool(pool_args(x, kernel_size, stride, padding, KERNEL_DTYPES), "max_pool2d")


def max_pool2d_backward(dy, indices, input_shape):
    """dx of input_shape: dy summed into the positions that indices name (overlapping windows
    add up). An index outside [0, H·W) raises ValueError."""
    return _max_pool_backward(max_pool_backward_args(dy, indices, input_shape, KERNEL_DTYPES),
                              "max_pool2d_backward")


def avg_pool2d(x, kernel_size, *, stride=None, padding=0, count_include_pad=True):
    """Window means of x [N, C, H, W] or [C, H, W] (PyTorch's semantics, ceil_mode=False): the
    divisor is the kernel's area with count_include_pad, else the real elements under it."""
    count_include_pad = check_bool(count_include_pad, "count_include_pad")
    return _avg_pool(pool_args(x, kernel_size, stride, padding, KERNEL_DTYPES), count_include_pad,
                     "avg_pool2d")


def avg_pool2d_backward(dy, input_shape, kernel_size, *, stride=None, padding=0, count_include_pad=True):
    """dx of input_shape: each dy shared out evenly over its window (by the forward's divisor)."""
    count_include_pad = check_bool(count_include_pad, "count_include_pad")
    args = avg_pool_backward_args(dy, input_shape, kernel_size, stride, padding, KERNEL_DTYPES)
    return _avg_pool_backward(args, count_include_pad, "avg_pool2d_backward")


def max_pool1d(x, kernel_size, *, stride=None, padding=0):
    """(y, indices) over the last axis of x [N, C, L] or [C, L]; indices are positions in L."""
    y, indices = _max_pool(pool1d_args(x, kernel_size, stride, padding, KERNEL_DTYPES), "max_pool1d")
    return y[..., 0, :], indices[..., 0, :]


def max_pool1d_backward(dy, indices, input_shape):
    shape = shape_1d_as_2d(input_shape)
    dy = gradient_1d_as_2d(dy, "dy", KERNEL_DTYPES)
    indices = gradient_1d_as_2d(indices, "indices", INDEX_DTYPES)
    args = max_pool_backward_args(dy, indices, shape, KERNEL_DTYPES)
    return _max_pool_backward(args, "max_pool1d_backward")[..., 0, :]


def avg_pool1d(x, kernel_size, *, stride=None, padding=0, count_include_pad=True):
    count_include_pad = check_bool(count_include_pad, "count_include_pad")
    args = pool1d_args(x, kernel_size, stride, padding, KERNEL_DTYPES)
    return _avg_pool(args, count_include_pad, "avg_pool1d")[..., 0, :]


def avg_pool1d_backward(dy, input_shape, kernel_size, *, stride=None, padding=0, count_include_pad=True):
    count_include_pad = check_bool(count_include_pad, "count_include_pad")
    shape = shape_1d_as_2d(input_shape)
    dy = gradient_1d_as_2d(dy, "dy", KERNEL_DTYPES)
    args = avg_pool_backward_args(dy, shape, kernel_size, stride, padding, KERNEL_DTYPES, dims=1)
    return _avg_pool_backward(args, count_include_pad, "avg_pool1d_backward")[..., 0, :]


def adaptive_avg_pool2d(x, output_size):
    """Means over PyTorch's adaptive bins: output_size is an int or a pair (None keeps that axis)."""
    return _adaptive(adaptive_avg_pool_args(x, output_size, KERNEL_DTYPES), "adaptive_avg_pool2d")


def adaptive_avg_pool2d_backward(dy, input_shape):
    """dx of input_shape for adaptive_avg_pool2d; the output size is dy's spatial size."""
    return _adaptive_backward(adaptive_avg_pool_backward_args(dy, input_shape, KERNEL_DTYPES),
                              "adaptive_avg_pool2d_backward")


def global_avg_pool2d(x):
    """The mean of each H·W plane of x [N, C, H, W] (or [C, H, W]), shaped [N, C, 1, 1]: what
    AdaptiveAvgPool2d(1) returns (Flatten then gives [N, C])."""
    return _adaptive(global_avg_pool_args(x, KERNEL_DTYPES), "global_avg_pool2d")


def global_avg_pool2d_backward(dy, input_shape):
    """dx of input_shape from dy [N, C, 1, 1]: each plane gets its dy / (H·W)."""
    return _adaptive_backward(global_avg_pool_backward_args(dy, input_shape, KERNEL_DTYPES),
                              "global_avg_pool2d_backward")
