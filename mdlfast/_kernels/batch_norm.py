"""The batch-normalisation family: batch_norm, batch_norm_backward."""
from __future__ import annotations

from mdlfast._kernels.common import contiguous as _contiguous
from mdlfast._kernels.common import cpu_backend as _cpu_backend
from mdlfast._validate.batch_norm import batch_norm_args, batch_norm_backward_args
from mdlfast._validate.common import KERNEL_DTYPES


def batch_norm(x, gamma, beta, running_mean, running_var, *, training, momentum=0.1, eps=1e-5):
    """(y, save_mean, save_invstd) for x [N, C, *] with PyTorch's semantics.

    Batch statistics (per channel over every axis but 1; biased variance) are used in training
    and whenever running_mean/running_var are None (track_running_stats=False); in training the
    running statistics are then updated in place with momentum and the unbiased variance. In eval
    with running statistics those normalise x. save_mean and save_invstd [C] are the mean and
    1/√(var + eps) used. gamma and beta are [C] or None. Backward: batch_norm_backward(...,
    training=training or running_mean is None)."""
    args = batch_norm_args(x, gamma, beta, running_mean, running_var, training, momentum, eps,
                           KERNEL_DTYPES)
    backend, xp = _cpu_backend(args.device, "batch_norm")
    n, c, s = args.x.shape
    y = xp.empty((n, c, s), dtype=xp.float32)
    save_mean = xp.empty((c,), dtype=xp.float32)
    save_invstd = xp.empty((c,), dtype=xp.float32)
    backend.batch_norm(y, save_mean, save_invstd, _contiguous(args.x, xp), _contiguous(args.gamma, xp),
                       _contiguous(args.beta, xp), _contiguous(args.running_mean, xp),
                       _contiguous(args.running_var, xp),
                       args.use_batch_stats, args.momentum, args.eps)
    return y.reshape(args.x_shape), save_mean, save_invstd


def batch_norm_backward(dy, x, gamma, save_mean, save_invstd, *, training=True):
    """(dx, dgamma, dbeta) of batch_norm; dgamma and dbeta are None when gamma is None.

    training=True (batch statistics were used) differentiates through the mean and variance;
    training=False (eval with running statistics) treats them as constants: dx = dy·gamma·invstd."""
    args = batch_norm_backward_args(dy, x, gamma, save_mean, save_invstd, training, KERNEL_DTYPES)
    backend, xp = _cpu_backend(args.device, "batch_norm_backward")
    n, c, s = args.x.shape
    dx = xp.empty((n, c, s), dtype=xp.float32)
    affine = args.gamma is not None
    dgamma = xp.empty((c,), dtype=xp.float32) if affine else None
    dbeta = xp.empty((c,), dtype=xp.float32) if affine else None
    backend.batch_norm_backward(dx, dgamma, dbeta, _contiguous(args.dy, xp), _contiguous(args.x, xp),
                                _contiguous(args.gamma, xp), _contiguous(args.save_mean, xp),
                                _contiguous(args.save_invstd, xp), args.training)
    return dx.reshape(args.x_shape), dgamma, dbeta
