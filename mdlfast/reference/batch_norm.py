"""Reference batch normalisation (PyTorch's semantics).

Batch statistics are used in training and whenever there are no running statistics (PyTorch's
track_running_stats=False, in eval too); they are the mean and biased variance per channel over
every axis but 1. In training the running statistics are updated in place:
running = (1 − momentum)·running + momentum·batch, with the unbiased variance n/(n−1)·var.
"""
from __future__ import annotations

import numpy as np

from mdlfast._validate.batch_norm import batch_norm_args, batch_norm_backward_args
from mdlfast._validate.common import REFERENCE_DTYPES


def batch_norm(x, gamma, beta, running_mean, running_var, *, training, momentum=0.1, eps=1e-5):
    """(y, save_mean, save_invstd): the mean and 1/√(var + eps) per channel that normalised x
    (the batch's, or in eval the running statistics'). Pass training=(training or
    running_mean is None) to batch_norm_backward."""
    args = batch_norm_args(x, gamma, beta, running_mean, running_var, training, momentum, eps,
                           REFERENCE_DTYPES)
    x3 = args.x
    dtype = x3.dtype.type
    if args.use_batch_stats:
        mean = x3.mean(axis=(0, 2))
        var = ((x3 - mean[None, :, None]) ** 2).mean(axis=(0, 2))
        if args.running_mean is not None:
            n = x3.shape[0] * x3.shape[2]
            m = dtype(args.momentum)
            args.running_mean[...] = (1 - m) * args.running_mean + m * mean
            args.running_var[...] = (1 - m) * args.running_var + m * var * dtype(n / (n - 1))
    else:
        mean = args.running_mean.copy()
        var = args.running_var
    invstd = 1 / np.sqrt(var + dtype(args.eps))
    y = (x3 - mean[None, :, None]) * invstd[None, :, None]
    if args.gamma is not None:
        y = y * args.gamma[None, :, None]
    if args.beta is not None:
        y = y + args.beta[None, :, None]
    return y.reshape(args.x_shape), mean, invstd


def batch_norm_backward(dy, x, gamma, save_mean, save_invstd, *, training=True):
    """(dx, dgamma, dbeta); dgamma and dbeta are both None when gamma is None (as layer_norm).
    training=True differentiates through the batch statistics; training=False treats save_mean
    and save_invstd as constants (eval with running statistics): dx = dy·gamma·invstd."""
    args = batch_norm_backward_args(dy, x, gamma, save_mean, save_invstd, training, REFERENCE_DTYPES)
    dy3 = args.dy
    mean, invstd = args.save_mean[None, :, None], args.save_invstd[None, :, None]
    xhat = (args.x - mean) * invstd
    g = dy3 if args.gamma is None else dy3 * args.gamma[None, :, None]
    if args.training:
        dx = invstd * (g - g.mean(axis=(0, 2), keepdims=True)
                       - xhat * (g * xhat).mean(axis=(0, 2), keepdims=True))
    else:
        dx = g * invstd
    dx = dx.reshape(args.x_shape)
    if args.gamma is None:
        return dx, None, None
    return dx, (dy3 * xhat).sum(axis=(0, 2)), dy3.sum(axis=(0, 2))
