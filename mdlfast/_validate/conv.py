"""Validation of conv2d, conv2d_backward, im2col and conv2d_matrix arguments (API.md: convolution).

Layouts are PyTorch's: x is [N, C, H, W], w is [O, C/groups, kh, kw], y is [N, O, OH, OW] with
OH = (H + 2·ph − dh·(kh − 1) − 1) // sh + 1 (and the same for OW).
"""
from __future__ import annotations

import numbers
from typing import NamedTuple, Optional

from mdlfast._validate.common import check_array, check_same_device


def check_pair(value, name, minimum):
    """An int or a pair of ints, each >= minimum; returns (int, int)."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in pair):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    pair = (int(pair[0]), int(pair[1]))
    if min(pair) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return pair


def check_groups(groups):
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral):
        raise TypeError(f"groups must be an int, got {type(groups).__name__}")
    if groups < 1:
        raise ValueError(f"groups must be >= 1, got {groups}")
    return int(groups)


def output_size(in_size, kernel, stride, padding, dilation, axis):
    """The output length along one spatial axis; ValueError when the dilated kernel does not fit
    in the padded input."""
    span = dilation * (kernel - 1) + 1
    if in_size + 2 * padding < span:
        raise ValueError(
            f"the kernel ({kernel} taps, dilation {dilation}: span {span}) is larger than the padded "
            f"input along {axis} ({in_size} + 2·{padding} = {in_size + 2 * padding})"
        )
    return (in_size + 2 * padding - span) // stride + 1


class Geometry(NamedTuple):
    """Everything about a convolution's shapes: the input [n, c, h, w], the weight [o, c/groups,
    kh, kw], the output [n, o, oh, ow] and the hyper-parameters as pairs."""
    n: int
    c: int
    h: int
    w: int
    o: int
    kh: int
    kw: int
    oh: int
    ow: int
    stride: tuple
    padding: tuple
    dilation: tuple
    groups: int

    @property
    def out_shape(self):
        return (self.n, self.o, self.oh, self.ow)


def _check_x(x, dtypes, name="x"):
    check_array(x, name, dtypes, (4,))
    if min(x.shape[1:]) < 1:
        raise ValueError(f"{name} must be [N, C, H, W] with C, H, W >= 1, got shape {tuple(x.shape)}")
    return x


def _check_w(w, x, dtypes):
    check_array(w, "w", dtypes, (4,))
    if w.dtype != x.dtype:
        raise TypeError(f"w must have the dtype of x ({x.dtype}), got {w.dtype}")
    if min(w.shape) < 1:
        raise ValueError(f"w must be [O, C/groups, kh, kw] with every size >= 1, got shape {tuple(w.shape)}")
    return w


def geometry(x, w, stride, padding, dilation, groups) -> Geometry:
    """Checks that x [N, C, H, W] and w [O, C/groups, kh, kw] fit together and with the
    hyper-parameters; returns the geometry."""
    stride = check_pair(stride, "stride", 1)
    padding = check_pair(padding, "padding", 0)
    dilation = check_pair(dilation, "dilation", 1)
    groups = check_groups(groups)
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    if c % groups:
        raise ValueError(f"x's channels ({c}) must be divisible by groups ({groups})")
    if o % groups:
        raise ValueError(f"w's output channels ({o}) must be divisible by groups ({groups})")
    if cg * groups != c:
        raise ValueError(
            f"w must have C/groups = {c // groups} input channels (x has {c} channels, groups={groups}), "
            f"got w of shape {tuple(w.shape)}"
        )
    oh = output_size(h, kh, stride[0], padding[0], dilation[0], "H")
    ow = output_size(wd, kw, stride[1], padding[1], dilation[1], "W")
    return Geometry(n, c, h, wd, o, kh, kw, oh, ow, stride, padding, dilation, groups)


class Conv2dArgs(NamedTuple):
    x: object
    w: object
    b: Optional[object]
    geometry: Geometry
    device: str


def conv2d_args(x, w, b, stride, padding, dilation, groups, dtypes) -> Conv2dArgs:
    _check_x(x, dtypes)
    _check_w(w, x, dtypes)
    g = geometry(x, w, stride, padding, dilation, groups)
    if b is not None:
        check_array(b, "b", dtypes)
        if b.dtype != x.dtype:
            raise TypeError(f"b must have the dtype of x ({x.dtype}), got {b.dtype}")
        if tuple(b.shape) != (g.o,):
            raise ValueError(f"b must have shape ({g.o},) (w's output channels), got {tuple(b.shape)}")
    device = check_same_device(x=x, w=w, b=b)
    return Conv2dArgs(x, w, b, g, device)


class Conv2dBackwardArgs(NamedTuple):
    dy: object
    x: object
    w: object
    geometry: Geometry
    device: str


def conv2d_backward_args(dy, x, w, stride, padding, dilation, groups, dtypes) -> Conv2dBackwardArgs:
    _check_x(x, dtypes)
    _check_w(w, x, dtypes)
    g = geometry(x, w, stride, padding, dilation, groups)
    check_array(dy, "dy", dtypes, (4,))
    if dy.dtype != x.dtype:
        raise TypeError(f"dy must have the dtype of x ({x.dtype}), got {dy.dtype}")
    if tuple(dy.shape) != g.out_shape:
        raise ValueError(f"dy must have the output's shape {g.out_shape}, got {tuple(dy.shape)}")
    device = check_same_device(dy=dy, x=x, w=w)
    return Conv2dBackwardArgs(dy, x, w, g, device)


class Im2colArgs(NamedTuple):
    x: object
    kernel_size: tuple
    stride: tuple
    padding: tuple
    dilation: tuple
    out_hw: tuple
    device: str


def im2col_args(x, kernel_size, stride, padding, dilation, dtypes) -> Im2colArgs:
    _check_x(x, dtypes)
    kernel_size = check_pair(kernel_size, "kernel_size", 1)
    stride = check_pair(stride, "stride", 1)
    padding = check_pair(padding, "padding", 0)
    dilation = check_pair(dilation, "dilation", 1)
    out_hw = tuple(
        output_size(x.shape[2 + a], kernel_size[a], stride[a], padding[a], dilation[a], "HW"[a])
        for a in range(2)
    )
    device = check_same_device(x=x)
    return Im2colArgs(x, kernel_size, stride, padding, dilation, out_hw, device)


class Conv2dMatrixArgs(NamedTuple):
    w: object  # [O, C, kh, kw]
    input_hw: tuple
    stride: tuple
    padding: tuple
    out_hw: tuple
    device: str


def conv2d_matrix_args(w, input_hw, stride, padding, dtypes) -> Conv2dMatrixArgs:
    check_array(w, "w", dtypes, (4,))
    if min(w.shape) < 1:
        raise ValueError(f"w must be [O, C, kh, kw] with every size >= 1, got shape {tuple(w.shape)}")
    input_hw = check_pair(input_hw, "input_hw", 1)
    stride = check_pair(stride, "stride", 1)
    padding = check_pair(padding, "padding", 0)
    out_hw = tuple(
        output_size(input_hw[a], w.shape[2 + a], stride[a], padding[a], 1, "HW"[a]) for a in range(2)
    )
    device = check_same_device(w=w)
    return Conv2dMatrixArgs(w, input_hw, stride, padding, out_hw, device)
