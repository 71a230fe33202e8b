"""Reference pooling (PyTorch's semantics with ceil_mode=False, dilation 1).

Max pooling scans each window row by row and takes an element when it is greater than the
maximum so far or NaN, as PyTorch's CPU kernel does: ties go to the first maximum, a NaN wins (the
last NaN of the window), and padding never wins (a window of -inf reports its first real element).
"""
from __future__ import annotations

import numpy as np

from mdlfast._validate.common import REFERENCE_DTYPES
from mdlfast._validate.pool import (
    INDEX_DTYPES,
    adaptive_avg_pool_args,
    adaptive_avg_pool_backward_args,
    adaptive_bins,
    avg_pool_backward_args,
    check_bool,
    check_indices_range,
    global_avg_pool_args,
    global_avg_pool_backward_args,
    gradient_1d_as_2d,
    max_pool_backward_args,
    pool1d_args,
    pool_args,
    shape_1d_as_2d,
)


def _window_slices(geo, dh, dw):
    """The slices of the padded input that offset (dh, dw) of every window covers."""
    (sh, sw), (oh, ow) = geo.stride, geo.out_hw
    return (slice(None), slice(dh, dh + sh * (oh - 1) + 1, sh), slice(dw, dw + sw * (ow - 1) + 1, sw))


def _pad(planes, geo, value):
    (ph, pw) = geo.padding
    return np.pad(planes, ((0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _max_pool(args):
    geo = args.geometry
    (kh, kw), (sh, sw), (ph, pw) = geo.kernel, geo.stride, geo.padding
    w, (oh, ow) = geo.in_hw[1], geo.out_hw
    padded = _pad(args.x, geo, -np.inf)
    best = np.full((args.x.shape[0], oh, ow), -np.inf, dtype=args.x.dtype)
    # A window's first real element: where PyTorch starts its scan.
    first_row = np.maximum(np.arange(oh) * sh - ph, 0)
    first_col = np.maximum(np.arange(ow) * sw - pw, 0)
    index = np.broadcast_to(first_row[:, None] * w + first_col[None, :], best.shape).copy()
    for dh in range(kh):
        for dw in range(kw):
            value = padded[_window_slices(geo, dh, dw)]
            position = (np.arange(oh)[:, None] * sh + dh - ph) * w + (np.arange(ow)[None, :] * sw + dw - pw)
            take = (value > best) | np.isnan(value)
            best = np.where(take, value, best)
            index = np.where(take, position, index)
    return best.reshape(args.out_shape), index.astype(np.int64).reshape(args.out_shape)


def _max_pool_backward(args):
    planes = args.dy.shape[0]
    h, w = args.input_shape[-2:]
    check_indices_range(args.indices, h * w)
    dx = np.zeros((planes, h * w), dtype=args.dy.dtype)
    rows = np.broadcast_to(np.arange(planes)[:, None, None], args.indices.shape)
    np.add.at(dx, (rows, args.indices), args.dy)
    return dx.reshape(args.input_shape)


def _divisors(geo, count_include_pad, dtype):
    """[OH, OW]: kh·kw, or the number of real (unpadded) elements under each window."""
    if count_include_pad:
        return np.full(geo.out_hw, geo.kernel[0] * geo.kernel[1], dtype=dtype)
    ones = _pad(np.ones((1,) + geo.in_hw, dtype=dtype), geo, 0)
    counts = sum(ones[_window_slices(geo, dh, dw)] for dh in range(geo.kernel[0]) for dw in range(geo.kernel[1]))
    return counts[0]


def _avg_pool(args, count_include_pad):
    geo = args.geometry
    padded = _pad(args.x, geo, 0)
    total = sum(padded[_window_slices(geo, dh, dw)] for dh in range(geo.kernel[0]) for dw in range(geo.kernel[1]))
    return (total / _divisors(geo, count_include_pad, args.x.dtype)).reshape(args.out_shape)


def _avg_pool_backward(args, count_include_pad):
    geo = args.geometry
    (ph, pw), (h, w) = geo.padding, geo.in_hw
    share = args.dy / _divisors(geo, count_include_pad, args.dy.dtype)
    padded = np.zeros((args.dy.shape[0], h + 2 * ph, w + 2 * pw), dtype=args.dy.dtype)
    for dh in range(geo.kernel[0]):
        for dw in range(geo.kernel[1]):
            padded[_window_slices(geo, dh, dw)] += share
    return padded[:, ph:ph + h, pw:pw + w].reshape(args.input_shape)


def max_pool2d(x, kernel_size, *, stride=None, padding=0):
    """(y, indices): the window maxima and their int64 positions within each H·W plane."""
    return _max_pool(pool_args(x, kernel_size, stride, padding, REFERENCE_DTYPES))


def max_pool2d_backward(dy, indices, input_shape):
    return _max_pool_backward(max_pool_backward_args(dy, indices, input_shape, REFERENCE_DTYPES))


def avg_pool2d(x, kernel_size, *, stride=None, padding=0, count_include_pad=True):
    count_include_pad = check_bool(count_include_pad, "count_include_pad")
    return _avg_pool(pool_args(x, kernel_size, stride, padding, REFERENCE_DTYPES), count_include_pad)


def avg_pool2d_backward(dy, input_shape, kernel_size, *, stride=None, padding=0, count_include_pad=True):
    count_include_pad = check_bool(count_include_pad, "count_include_pad")
    args = avg_pool_backward_args(dy, input_shape, kernel_size, stride, padding, REFERENCE_DTYPES)
    return _avg_pool_backward(args, count_include_pad)


def max_pool1d(x, kernel_size, *, stride=None, padding=0):
    """(y, indices) over the last axis of x [N, C, L] or [C, L]; indices are positions in L."""
    y, indices = _max_pool(pool1d_args(x, kernel_size, stride, padding, REFERENCE_DTYPES))
    return y[..., 0, :], indices[..., 0, :]


def max_pool1d_backward(dy, indices, input_shape):
    shape = shape_1d_as_2d(input_shape)
    dy = gradient_1d_as_2d(dy, "dy", REFERENCE_DTYPES)
    indices = gradient_1d_as_2d(indices, "indices", INDEX_DTYPES)
    return max_pool2d_backward(dy, indices, shape)[..., 0, :]


def avg_pool1d(x, kernel_size, *, stride=None, padding=0, count_include_pad=True):
    count_include_pad = check_bool(count_include_pad, "count_include_pad")
    args = pool1d_args(x, kernel_size, stride, padding, REFERENCE_DTYPES)
    return _avg_pool(args, count_include_pad)[..., 0, :]


def avg_pool1d_backward(dy, input_shape, kernel_size, *, stride=None, padding=0, count_include_pad=True):
    count_include_pad = check_bool(count_include_pad, "count_include_pad")
    shape = shape_1d_as_2d(input_shape)
    dy = gradient_1d_as_2d(dy, "dy", REFERENCE_DTYPES)
    args = avg_pool_backward_args(dy, shape, kernel_size, stride, padding, REFERENCE_DTYPES, dims=1)
    return _avg_pool_backward(args, count_include_pad)[..., 0, :]


def adaptive_avg_pool2d(x, output_size):
    """Averages over PyTorch's adaptive bins (see mdlfast._validate.pool.adaptive_bins)."""
    args = adaptive_avg_pool_args(x, output_size, REFERENCE_DTYPES)
    (h, w), (oh, ow) = args.in_hw, args.out_hw
    y = np.empty((args.x.shape[0], oh, ow), dtype=args.x.dtype)
    for i, (h0, h1) in enumerate(adaptive_bins(h, oh)):
        for j, (w0, w1) in enumerate(adaptive_bins(w, ow)):
            y[:, i, j] = args.x[:, h0:h1, w0:w1].mean(axis=(1, 2))
    return y.reshape(args.out_shape)


def adaptive_avg_pool2d_backward(dy, input_shape):
    """dx for adaptive_avg_pool2d; the output size is dy's spatial size."""
    args = adaptive_avg_pool_backward_args(dy, input_shape, REFERENCE_DTYPES)
    return _adaptive_backward(args)


def _adaptive_backward(args):
    (h, w), (oh, ow) = args.in_hw, args.out_hw
    dx = np.zeros((args.x.shape[0], h, w), dtype=args.x.dtype)
    for i, (h0, h1) in enumerate(adaptive_bins(h, oh)):
        for j, (w0, w1) in enumerate(adaptive_bins(w, ow)):
            dx[:, h0:h1, w0:w1] += args.x[:, i, j, None, None] / ((h1 - h0) * (w1 - w0))
    return dx.reshape(args.out_shape)


def global_avg_pool2d(x):
    """The mean of each H·W plane, shaped [N, C, 1, 1] (what AdaptiveAvgPool2d(1) returns)."""
    args = global_avg_pool_args(x, REFERENCE_DTYPES)
    return args.x.mean(axis=(1, 2)).reshape(args.out_shape)


def global_avg_pool2d_backward(dy, input_shape):
    """dx [N, C, H, W] from dy [N, C, 1, 1]: each plane gets dy / (H·W)."""
    return _adaptive_backward(global_avg_pool_backward_args(dy, input_shape, REFERENCE_DTYPES))
