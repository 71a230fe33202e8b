"""The normalisation family: layer_norm, layer_norm_backward."""
from __future__ import annotations

from mdlfast._kernels.common import backend as _backend
from mdlfast._kernels.common import contiguous as _contiguous
from mdlfast._validate.common import KERNEL_DTYPES
from mdlfast._validate.norm import layer_norm_args, layer_norm_backward_args


def layer_norm(x, gamma, beta, *, eps=1e-5):
    """Layer normalisation over the last axis: (y, mean, rstd), with mean and rstd = 1/√(var + eps)
    of shape x.shape[:-1] (the biased variance, as PyTorch). gamma and beta are [d] or None."""
    args = layer_norm_args(x, gamma, beta, eps, KERNEL_DTYPES)
    backend, xp = _backend(args.device)
    rows, d = args.x.shape
    y = xp.empty((rows, d), dtype=xp.float32)
    mean = xp.empty((rows,), dtype=xp.float32)
    rstd = xp.empty((rows,), dtype=xp.float32)
    backend.layer_norm(y, mean, rstd, _contiguous(args.x, xp), _contiguous(args.gamma, xp),
                       _contiguous(args.beta, xp), args.eps)
    stats_shape = args.x_shape[:-1]
    return y.reshape(args.x_shape), mean.reshape(stats_shape), rstd.reshape(stats_shape)


def layer_norm_backward(dy, x, gamma, mean, rstd):
    """Gradients (dx, dgamma, dbeta) of layer_norm given dy. dgamma and dbeta come together: both
    None when gamma is None (the signature has no beta, so a beta without gamma gets no gradient
    here; it is dy summed over the leading axes). They are the same for any thread count."""
    args = layer_norm_backward_args(dy, x, gamma, mean, rstd, KERNEL_DTYPES)
    backend, xp = _backend(args.device)
    rows, d = args.x.shape
    dx = xp.empty((rows, d), dtype=xp.float32)
    affine = args.gamma is not None
    dgamma = xp.empty((d,), dtype=xp.float32) if affine else None
    dbeta = xp.empty((d,), dtype=xp.float32) if affine else None
    backend.layer_norm_backward(dx, dgamma, dbeta, _contiguous(args.dy, xp), _contiguous(args.x, xp),
                                _contiguous(args.gamma, xp), _contiguous(args.mean, xp),
                                _contiguous(args.rstd, xp))
    return dx.reshape(args.x_shape), dgamma, dbeta
