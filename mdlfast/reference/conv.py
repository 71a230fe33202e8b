"""Reference 2-D convolution (PyTorch's conv2d: NCHW input, OIHW weight, cross-correlation) by
im2col and a matrix product per group, its backward by the transposed products and col2im, and the
two views of convolution as a matrix: im2col's column matrix and the doubly block-Toeplitz matrix.
"""
from __future__ import annotations

import numpy as np

from mdlfast._validate.common import REFERENCE_DTYPES
from mdlfast._validate.conv import (
    conv2d_args,
    conv2d_backward_args,
    conv2d_matrix_args,
    im2col_args,
)


def _tap_window(tap, dilation, stride, out_size):
    """The slice of the padded input that kernel tap `tap` reads for every output position."""
    start = tap * dilation
    return slice(start, start + stride * (out_size - 1) + 1, stride)


def _columns(x, kernel_hw, stride, padding, dilation, out_hw):
    """cols[n, c, i, j, oh, ow] = x_padded[n, c, oh·sh + i·dh, ow·sw + j·dw]."""
    (kh, kw), (oh, ow) = kernel_hw, out_hw
    n, c = x.shape[:2]
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        rows = _tap_window(i, dilation[0], stride[0], oh)
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, rows, _tap_window(j, dilation[1], stride[1], ow)]
    return cols


def _col2im(cols, x_shape, stride, padding, dilation):
    """The adjoint of _columns: sums every column entry back onto the input position it came from."""
    n, c, h, w = x_shape
    _, _, kh, kw, oh, ow = cols.shape
    dxp = np.zeros((n, c, h + 2 * padding[0], w + 2 * padding[1]), dtype=cols.dtype)
    for i in range(kh):
        rows = _tap_window(i, dilation[0], stride[0], oh)
        for j in range(kw):
            dxp[:, :, rows, _tap_window(j, dilation[1], stride[1], ow)] += cols[:, :, i, j]
    return dxp[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w]


def _grouped_columns(x, g):
    """[N, groups, C/groups·kh·kw, OH·OW]: each group's column matrix."""
    cols = _columns(x, (g.kh, g.kw), g.stride, g.padding, g.dilation, (g.oh, g.ow))
    return cols.reshape(g.n, g.groups, (g.c // g.groups) * g.kh * g.kw, g.oh * g.ow)


def conv2d(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1):
    """y[n, o] = b[o] + Σ_{c in o's group, i, j} w[o, c, i, j] · x[n, c, oh·sh − ph + i·dh, ow·sw − pw + j·dw]
    (zero outside x): PyTorch's conv2d. x [N, C, H, W], w [O, C/groups, kh, kw], b [O] or None."""
    args = conv2d_args(x, w, b, stride, padding, dilation, groups, REFERENCE_DTYPES)
    g = args.geometry
    cols = _grouped_columns(args.x, g)
    wg = args.w.reshape(g.groups, g.o // g.groups, -1)
    y = np.matmul(wg[None], cols).reshape(g.out_shape)
    if args.b is not None:
        y = y + args.b[:, None, None]
    return y


def conv2d_backward(dy, x, w, *, stride=1, padding=0, dilation=1, groups=1):
    """(dx, dw, db): the gradients of Σ dy·conv2d(x, w, b) with respect to x, w and b."""
    args = conv2d_backward_args(dy, x, w, stride, padding, dilation, groups, REFERENCE_DTYPES)
    g = args.geometry
    og = g.o // g.groups
    cols = _grouped_columns(args.x, g)
    dyg = args.dy.reshape(g.n, g.groups, og, g.oh * g.ow)
    wg = args.w.reshape(g.groups, og, -1)
    dw = np.matmul(dyg, cols.swapaxes(-1, -2)).sum(axis=0).reshape(args.w.shape)
    dcols = np.matmul(wg.swapaxes(-1, -2)[None], dyg)
    dcols = dcols.reshape(g.n, g.c, g.kh, g.kw, g.oh, g.ow)
    dx = _col2im(dcols, args.x.shape, g.stride, g.padding, g.dilation)
    db = args.dy.sum(axis=(0, 2, 3))
    return dx, dw, db


def im2col(x, kernel_size, *, stride=1, padding=0, dilation=1):
    """The column matrix of x, [N, C·kh·kw, OH·OW] (torch.nn.functional.unfold's layout): row
    (c·kh + i)·kw + j, column oh·OW + ow holds x[n, c, oh·sh − ph + i·dh, ow·sw − pw + j·dw]
    (zero in the padding)."""
    args = im2col_args(x, kernel_size, stride, padding, dilation, REFERENCE_DTYPES)
    n, c = args.x.shape[:2]
    kh, kw = args.kernel_size
    cols = _columns(args.x, args.kernel_size, args.stride, args.padding, args.dilation, args.out_hw)
    return cols.reshape(n, c * kh * kw, args.out_hw[0] * args.out_hw[1])


def conv2d_matrix(w, input_hw, *, stride=1, padding=0):
    """The doubly block-Toeplitz matrix T of the convolution by w [O, C, kh, kw] (groups 1, no
    dilation) on H x W inputs: T has shape [O·OH·OW, C·H·W] and, for every x of shape [N, C, H, W],
        conv2d(x, w, stride=stride, padding=padding).reshape(N, -1) == x.reshape(N, -1) @ T.T
    i.e. vec is the row-major (C order) flattening of one image: input index (c·H + h)·W + w,
    output index (o·OH + oh)·OW + ow. Padding shows only as missing entries (padded inputs are 0)."""
    return toeplitz_matrix(conv2d_matrix_args(w, input_hw, stride, padding, REFERENCE_DTYPES))


def toeplitz_matrix(args):
    """conv2d_matrix on validated arguments (shared with the kernel API)."""
    o, c, kh, kw = args.w.shape
    (h, wd), (oh, ow) = args.input_hw, args.out_hw
    t = np.zeros((o, oh, ow, c, h, wd), dtype=args.w.dtype)
    out_rows, out_cols = np.arange(oh), np.arange(ow)
    for i in range(kh):
        in_rows = out_rows * args.stride[0] - args.padding[0] + i
        rows_ok = (in_rows >= 0) & (in_rows < h)
        for j in range(kw):
            in_cols = out_cols * args.stride[1] - args.padding[1] + j
            cols_ok = (in_cols >= 0) & (in_cols < wd)
            t[
                np.arange(o)[:, None, None, None],
                out_rows[rows_ok][None, :, None, None],
                out_cols[cols_ok][None, None, :, None],
                np.arange(c)[None, None, None, :],
                in_rows[rows_ok][None, :, None, None],
                in_cols[cols_ok][None, None, :, None],
            ] = args.w[:, :, i, j][:, None, None, :]
    return t.reshape(o * oh * ow, c * h * wd)
