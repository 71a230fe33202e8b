"""Validation of the pooling kernels' arguments (API.md: convolution and pooling).

Inputs are NCHW ([N, C, H, W], or [C, H, W] as PyTorch also takes); every function here flattens
the leading axes into planes, so the kernels see [planes, H, W]. Geometry follows PyTorch with
ceil_mode=False: out = floor((in + 2·padding − kernel) / stride) + 1, padding at most half the
kernel, and an output of at least one element per axis.
"""
from __future__ import annotations

import numbers
from typing import NamedTuple, Optional

import numpy as np

from mdlfast._validate.common import check_array, check_same_device

INDEX_DTYPES = (np.dtype(np.int64),)


class Geometry(NamedTuple):
    kernel: tuple  # (kh, kw)
    stride: tuple  # (sh, sw)
    padding: tuple  # (ph, pw)
    in_hw: tuple  # (H, W)
    out_hw: tuple  # (OH, OW)


class PoolArgs(NamedTuple):
    x: object  # [planes, H, W]
    geometry: Geometry
    out_shape: tuple  # x's leading axes + (OH, OW)
    device: str


class PoolBackwardArgs(NamedTuple):
    dy: object  # [planes, OH, OW]
    indices: Optional[object]  # [planes, OH, OW] int64 (max pooling), None otherwise
    geometry: Optional[Geometry]  # None for max pooling, whose windows the indices give
    input_shape: tuple
    device: str


def _int(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return int(value)


def _pair(value, name, dims=2):
    """An int or a sequence of `dims` ints, as a tuple of `dims` ints."""
    if isinstance(value, (tuple, list)):
        if len(value) != dims:
            raise ValueError(f"{name} must be an int or {dims} ints, got {tuple(value)}")
        return tuple(_int(v, name) for v in value)
    return (_int(value, name),) * dims


def _shape(value, name):
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{name} must be a tuple of ints, got {type(value).__name__}")
    shape = tuple(_int(v, name) for v in value)
    if len(shape) not in (3, 4) or any(v < 0 for v in shape):
        raise ValueError(f"{name} must be (N, C, H, W) or (C, H, W) with sizes >= 0, got {shape}")
    return shape


def _check_input(x, dtypes):
    check_array(x, "x", dtypes, (3, 4))
    if x.shape[-2] < 1 or x.shape[-1] < 1:
        raise ValueError(f"x's spatial size must be at least 1x1, got shape {tuple(x.shape)}")


def geometry(in_hw, kernel_size, stride, padding, dims=2):
    """Checks kernel_size, stride (None or () = kernel_size) and padding against the input's
    spatial size (H, W); returns the Geometry (pairs even for dims=1, whose H is 1)."""
    kernel = _pair(kernel_size, "kernel_size", dims)
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) \
        else _pair(stride, "stride", dims)
    padding = _pair(padding, "padding", dims)
    if any(k < 1 for k in kernel):
        raise ValueError(f"kernel_size must be >= 1, got {kernel}")
    if any(s < 1 for s in stride):
        raise ValueError(f"stride must be >= 1, got {stride}")
    if any(p < 0 for p in padding):
        raise ValueError(f"padding must be >= 0, got {padding}")
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        raise ValueError(f"padding must be at most half the kernel size {kernel}, got {padding}")
    if dims == 1:
        kernel, stride, padding = (1,) + kernel, (1,) + stride, (0,) + padding
    out = tuple((n + 2 * p - k) // s + 1 for n, k, s, p in zip(in_hw, kernel, stride, padding))
    if any(n + 2 * p < k for n, k, p in zip(in_hw, kernel, padding)):
        raise ValueError(
            f"kernel_size {kernel} is larger than the padded input ({in_hw[0] + 2 * padding[0]}, "
            f"{in_hw[1] + 2 * padding[1]})"
        )
    return Geometry(kernel, stride, padding, tuple(in_hw), out)


def _planes(x):
    return x.reshape((-1,) + tuple(x.shape[-2:]))


def pool_args(x, kernel_size, stride, padding, dtypes, dims=2) -> PoolArgs:
    """max_pool2d / avg_pool2d (dims=2), or the 1-d pools on x[..., None, :] (dims=1)."""
    _check_input(x, dtypes)
    geo = geometry(tuple(x.shape[-2:]), kernel_size, stride, padding, dims)
    device = check_same_device(x=x)
    return PoolArgs(_planes(x), geo, tuple(x.shape[:-2]) + geo.out_hw, device)


def _check_gradient(dy, out_shape, input_shape, dtypes):
    check_array(dy, "dy", dtypes)
    if tuple(dy.shape) != tuple(out_shape):
        raise ValueError(
            f"dy must have shape {tuple(out_shape)} (the output for input_shape {input_shape}), "
            f"got {tuple(dy.shape)}"
        )


def max_pool_backward_args(dy, indices, input_shape, dtypes) -> PoolBackwardArgs:
    """max_pool2d_backward: dy and indices share a shape input_shape[:-2] + (OH, OW). The indices'
    range is checked by check_indices_range (the reference) or by the kernel itself, which fails
    before returning rather than costing a separate pass here."""
    input_shape = _shape(input_shape, "input_shape")
    check_array(dy, "dy", dtypes)
    check_array(indices, "indices", INDEX_DTYPES)
    if dy.ndim != len(input_shape) or tuple(dy.shape[:-2]) != input_shape[:-2]:
        raise ValueError(
            f"dy must have shape {input_shape[:-2]} + (OH, OW) (input_shape {input_shape}), "
            f"got {tuple(dy.shape)}"
        )
    if tuple(indices.shape) != tuple(dy.shape):
        raise ValueError(f"indices must have dy's shape {tuple(dy.shape)}, got {tuple(indices.shape)}")
    device = check_same_device(dy=dy, indices=indices)
    return PoolBackwardArgs(_planes(dy), _planes(indices), None, input_shape, device)


def check_indices_range(indices, plane_size):
    """Max-pooling indices lie in [0, H·W) (a position within one plane)."""
    if indices.size:
        low, high = int(indices.min()), int(indices.max())
        if low < 0 or high >= plane_size:
            bad = low if low < 0 else high
            raise ValueError(f"indices must lie in [0, {plane_size}) (H·W of input_shape), got {bad}")


def avg_pool_backward_args(dy, input_shape, kernel_size, stride, padding, dtypes,
                           dims=2) -> PoolBackwardArgs:
    input_shape = _shape(input_shape, "input_shape")
    if input_shape[-2] < 1 or input_shape[-1] < 1:
        raise ValueError(f"input_shape's spatial size must be at least 1x1, got {input_shape}")
    geo = geometry(input_shape[-2:], kernel_size, stride, padding, dims)
    _check_gradient(dy, input_shape[:-2] + geo.out_hw, input_shape, dtypes)
    device = check_same_device(dy=dy)
    return PoolBackwardArgs(_planes(dy), None, geo, input_shape, device)


def check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return bool(value)


# ------------------------------------------------------------------------------ adaptive pooling


class AdaptiveArgs(NamedTuple):
    x: object  # [planes, H, W] (forward) or dy [planes, OH, OW] (backward)
    in_hw: tuple
    out_hw: tuple
    out_shape: tuple  # the forward's output shape (forward) or input_shape (backward)
    device: str


def adaptive_output_size(output_size, in_hw):
    """output_size as (OH, OW): an int, or a pair whose None entries keep the input's size."""
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 2:
            raise ValueError(f"output_size must be an int or 2 ints, got {tuple(output_size)}")
        out = tuple(n if v is None else _int(v, "output_size") for v, n in zip(output_size, in_hw))
    else:
        out = (_int(output_size, "output_size"),) * 2
    if any(v < 1 for v in out):
        raise ValueError(f"output_size must be >= 1, got {out}")
    return out


def adaptive_avg_pool_args(x, output_size, dtypes) -> AdaptiveArgs:
    _check_input(x, dtypes)
    in_hw = tuple(x.shape[-2:])
    out_hw = adaptive_output_size(output_size, in_hw)
    device = check_same_device(x=x)
    return AdaptiveArgs(_planes(x), in_hw, out_hw, tuple(x.shape[:-2]) + out_hw, device)


def adaptive_avg_pool_backward_args(dy, input_shape, dtypes) -> AdaptiveArgs:
    """The output size is dy's spatial size."""
    input_shape = _shape(input_shape, "input_shape")
    if input_shape[-2] < 1 or input_shape[-1] < 1:
        raise ValueError(f"input_shape's spatial size must be at least 1x1, got {input_shape}")
    check_array(dy, "dy", dtypes)
    if dy.ndim != len(input_shape) or tuple(dy.shape[:-2]) != input_shape[:-2] \
            or dy.shape[-2] < 1 or dy.shape[-1] < 1:
        raise ValueError(
            f"dy must have shape {input_shape[:-2]} + (OH, OW) with OH, OW >= 1 (input_shape "
            f"{input_shape}), got {tuple(dy.shape)}"
        )
    device = check_same_device(dy=dy)
    return AdaptiveArgs(_planes(dy), input_shape[-2:], tuple(dy.shape[-2:]), input_shape, device)


def global_avg_pool_args(x, dtypes) -> AdaptiveArgs:
    return adaptive_avg_pool_args(x, 1, dtypes)


def global_avg_pool_backward_args(dy, input_shape, dtypes) -> AdaptiveArgs:
    """dy has the forward's output shape: input_shape[:-2] + (1, 1)."""
    input_shape = _shape(input_shape, "input_shape")
    if input_shape[-2] < 1 or input_shape[-1] < 1:
        raise ValueError(f"input_shape's spatial size must be at least 1x1, got {input_shape}")
    _check_gradient(dy, input_shape[:-2] + (1, 1), input_shape, dtypes)
    device = check_same_device(dy=dy)
    return AdaptiveArgs(_planes(dy), input_shape[-2:], (1, 1), input_shape, device)


def adaptive_bins(n_in, n_out):
    """PyTorch's adaptive bins: bin o covers [floor(o·in/out), ceil((o+1)·in/out))."""
    return [((o * n_in) // n_out, -((-(o + 1) * n_in) // n_out)) for o in range(n_out)]


# ------------------------------------------------------------------------------- 1-d pools


def _check_input_1d(x, dtypes):
    check_array(x, "x", dtypes, (2, 3))
    if x.shape[-1] < 1:
        raise ValueError(f"x's length must be at least 1, got shape {tuple(x.shape)}")


def pool1d_args(x, kernel_size, stride, padding, dtypes) -> PoolArgs:
    """max_pool1d / avg_pool1d: x [N, C, L] or [C, L], pooled as x[..., None, :]."""
    _check_input_1d(x, dtypes)
    return pool_args(x[..., None, :], kernel_size, stride, padding, dtypes, dims=1)


def shape_1d_as_2d(input_shape):
    """input_shape (N, C, L) or (C, L) as the 2-d pools' (N, C, 1, L) or (C, 1, L)."""
    if not isinstance(input_shape, (tuple, list)):
        raise TypeError(f"input_shape must be a tuple of ints, got {type(input_shape).__name__}")
    shape = tuple(_int(v, "input_shape") for v in input_shape)
    if len(shape) not in (2, 3) or any(v < 0 for v in shape):
        raise ValueError(f"input_shape must be (N, C, L) or (C, L) with sizes >= 0, got {shape}")
    return shape[:-1] + (1, shape[-1])


def gradient_1d_as_2d(dy, name, dtypes):
    """A [N, C, L_out] or [C, L_out] gradient (or indices) as its 2-d pools' [..., 1, L_out] view."""
    check_array(dy, name, dtypes, (2, 3))
    return dy[..., None, :]
