"""The GEMM family: gemm, linear, linear_backward."""
from __future__ import annotations

from mdlfast._kernels.common import backend as _backend
from mdlfast._kernels.common import contiguous as _contiguous
from mdlfast._validate.common import KERNEL_DTYPES
from mdlfast._validate.gemm import gemm_args, linear_args, linear_backward_args


def _as_batch(x, batch, xp):
    """A [batch, rows, cols] view of a 2-D or 3-D operand; broadcasting costs no copy."""
    if x.ndim == 2:
        x = x[None]
    if x.shape[0] != batch:
        x = xp.broadcast_to(x, (batch,) + x.shape[1:])
    return x


def gemm(a, b, *, trans_a=False, trans_b=False, alpha=1.0, beta=0.0, c=None):
    """alpha · op(a) · op(b) + beta · c, with op(x) = xᵀ when trans_x.

    a and b are 2-D, or 3-D with a leading batch dimension (a 2-D operand, or a batch of 1,
    broadcasts). c broadcasts to the output shape and is ignored when beta == 0.
    """
    args = gemm_args(a, b, trans_a, trans_b, alpha, beta, c, KERNEL_DTYPES)
    backend, xp = _backend(args.device)
    out = xp.empty(args.out_shape, dtype=xp.float32)
    c = None if args.c is None else xp.broadcast_to(args.c, out.shape)
    if args.batched:
        backend.gemm(out, _as_batch(args.a, args.batch, xp), _as_batch(args.b, args.batch, xp), args.alpha,
                     args.beta, c)
    else:
        backend.gemm(out, args.a, args.b, args.alpha, args.beta, c)
    return out


def linear(x, w, b=None, activation=None, *, return_preactivation=False):
    """y = activation(x · wᵀ + b) with w of shape [out, in] and x of shape [..., in].

    The bias and activation (None, "relu", "sigmoid", "tanh" or "gelu") are fused into the GEMM.
    With return_preactivation=True, returns (y, z) where z = x · wᵀ + b.
    """
    args = linear_args(x, w, b, activation, KERNEL_DTYPES)
    backend, xp = _backend(args.device)
    rows, out_features = args.x.shape[0], args.w.shape[0]
    y = xp.empty((rows, out_features), dtype=xp.float32)
    z = xp.empty_like(y) if return_preactivation else None
    backend.linear(y, z, args.x, args.w, _contiguous(args.b, xp),
                   args.activation or "none")
    y = y.reshape(args.out_shape)
    return (y, z.reshape(args.out_shape)) if return_preactivation else y


def linear_backward(dy, x, w, y=None, activation=None, *, z=None):
    """Gradients (dx, dw, db) of linear(x, w, b, activation) given dy = ∂L/∂y.

    relu, sigmoid and tanh need y (the output) or z (the pre-activation); gelu needs z.
    """
    args = linear_backward_args(dy, x, w, y, activation, z, KERNEL_DTYPES)
    backend, xp = _backend(args.device)
    rows, in_features = args.x.shape
    out_features = args.w.shape[0]
    dx = xp.empty((rows, in_features), dtype=xp.float32)
    dw = xp.empty((out_features, in_features), dtype=xp.float32)
    db = xp.empty((out_features,), dtype=xp.float32)
    backend.linear_backward(dx, dw, db, _contiguous(args.dy, xp), args.x, args.w,
                            _contiguous(args.y, xp), _contiguous(args.z, xp),
                            args.activation or "none")
    return dx.reshape(args.x_shape), dw, db
