"""Reference layer normalisation over the last axis (PyTorch's semantics: biased variance)."""
from __future__ import annotations

import numpy as np

from mdlfast._validate.common import REFERENCE_DTYPES
from mdlfast._validate.norm import layer_norm_args, layer_norm_backward_args


def layer_norm(x, gamma, beta, *, eps=1e-5):
    args = layer_norm_args(x, gamma, beta, eps, REFERENCE_DTYPES)
    x = args.x
    mean = x.mean(axis=-1)
    var = ((x - mean[:, None]) ** 2).mean(axis=-1)
    rstd = 1.0 / np.sqrt(var + x.dtype.type(args.eps))
    y = (x - mean[:, None]) * rstd[:, None]
    if args.gamma is not None:
        y = y * args.gamma
    if args.beta is not None:
        y = y + args.beta
    stats_shape = args.x_shape[:-1]
    return y.reshape(args.x_shape), mean.reshape(stats_shape), rstd.reshape(stats_shape)


def layer_norm_backward(dy, x, gamma, mean, rstd):
    """(dx, dgamma, dbeta); dgamma and dbeta are both None when gamma is None (as kernels)."""
    args = layer_norm_backward_args(dy, x, gamma, mean, rstd, REFERENCE_DTYPES)
    dy, rstd = args.dy, args.rstd[:, None]
    xhat = (args.x - args.mean[:, None]) * rstd
    g = dy if args.gamma is None else dy * args.gamma
    dx = rstd * (g - g.mean(axis=-1, keepdims=True) - xhat * (g * xhat).mean(axis=-1, keepdims=True))
    if args.gamma is None:
        return dx.reshape(args.x_shape), None, None
    return dx.reshape(args.x_shape), (dy * xhat).sum(axis=0), dy.sum(axis=0)
