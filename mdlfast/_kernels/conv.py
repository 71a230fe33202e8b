"""The convolution family: conv2d, conv2d_backward, im2col (C++ kernels) and conv2d_matrix."""
from __future__ import annotations

from mdlfast._kernels.common import contiguous as _contiguous
from mdlfast._kernels.common import cpu_backend as _cpu_backend
from mdlfast._validate.common import KERNEL_DTYPES
from mdlfast._validate.conv import (
    conv2d_args,
    conv2d_backward_args,
    conv2d_matrix_args,
    im2col_args,
)
from mdlfast.reference.conv import toeplitz_matrix as _toeplitz_matrix


def _hyper(g):
    return g.stride, g.padding, g.dilation, g.groups


def conv2d(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1):
    """PyTorch's conv2d: x [N, C, H, W], w [O, C/groups, kh, kw], b [O] or None -> y [N, O, OH, OW].
    An implicit GEMM: the column matrix is packed panel by panel from x, never formed whole."""
    args = conv2d_args(x, w, b, stride, padding, dilation, groups, KERNEL_DTYPES)
    backend, xp = _cpu_backend(args.device, "conv2d")
    y = xp.empty(args.geometry.out_shape, dtype=xp.float32)
    backend.conv2d(y, _contiguous(args.x, xp), _contiguous(args.w, xp), _contiguous(args.b, xp),
                   *_hyper(args.geometry))
    return y


def conv2d_backward(dy, x, w, *, stride=1, padding=0, dilation=1, groups=1):
    """(dx, dw, db): the gradients of Σ dy·conv2d(x, w, b). dw and db are summed over the batch in
    an order fixed by the shapes, so they are the same for any thread count."""
    args = conv2d_backward_args(dy, x, w, stride, padding, dilation, groups, KERNEL_DTYPES)
    backend, xp = _cpu_backend(args.device, "conv2d_backward")
    dx = xp.empty(args.x.shape, dtype=xp.float32)
    dw = xp.empty(args.w.shape, dtype=xp.float32)
    db = xp.empty((args.w.shape[0],), dtype=xp.float32)
    backend.conv2d_backward(dx, dw, db, _contiguous(args.dy, xp), _contiguous(args.x, xp),
                            _contiguous(args.w, xp), *_hyper(args.geometry))
    return dx, dw, db


def im2col(x, kernel_size, *, stride=1, padding=0, dilation=1):
    """The column matrix [N, C·kh·kw, OH·OW] of x (torch.nn.functional.unfold's layout)."""
    args = im2col_args(x, kernel_size, stride, padding, dilation, KERNEL_DTYPES)
    backend, xp = _cpu_backend(args.device, "im2col")
    n, c = args.x.shape[:2]
    kh, kw = args.kernel_size
    cols = xp.empty((n, c * kh * kw, args.out_hw[0] * args.out_hw[1]), dtype=xp.float32)
    backend.im2col(cols, _contiguous(args.x, xp), args.kernel_size, args.stride, args.padding,
                   args.dilation)
    return cols


def conv2d_matrix(w, input_hw, *, stride=1, padding=0):
    """The doubly block-Toeplitz matrix T [O·OH·OW, C·H·W] of the convolution by w [O, C, kh, kw]
    (see mdlfast.reference.conv2d_matrix for the exact ordering). A teaching view, built in NumPy:
    a C++ version would only copy weights into a mostly-zero matrix."""
    args = conv2d_matrix_args(w, input_hw, stride, padding, KERNEL_DTYPES)
    _cpu_backend(args.device, "conv2d_matrix")
    return _toeplitz_matrix(args)
