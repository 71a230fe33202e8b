"""Validation of batch_norm and batch_norm_backward arguments (API.md: normalisation).

x is [N, C, *] ([N, C], [N, C, L], [N, C, H, W], ...); statistics are per channel (axis 1) over
every other axis. Both x layouts reach the kernels as [N, C, S] with S the product of the
spatial sizes.
"""
from __future__ import annotations

import math
from typing import NamedTuple, Optional

import numpy as np

from mdlfast._validate.common import check_array, check_real, check_same_device
from mdlfast._validate.pool import check_bool


class BatchNormArgs(NamedTuple):
    x: object  # [N, C, S]
    gamma: Optional[object]  # [C]
    beta: Optional[object]  # [C]
    running_mean: Optional[object]  # [C], updated in place when use_batch_stats and given
    running_var: Optional[object]
    use_batch_stats: bool  # training, or no running statistics (PyTorch's bn_training)
    momentum: float
    eps: float
    x_shape: tuple
    device: str


def _check_x(x, dtypes):
    check_array(x, "x", dtypes)
    if x.ndim < 2:
        raise ValueError(f"x must have at least 2 dimensions (N, C, ...), got shape {tuple(x.shape)}")
    n, c = x.shape[0], x.shape[1]
    return x.reshape(n, c, math.prod(x.shape[2:]))


def _check_channel_vector(value, name, x, dtypes):
    if value is None:
        return None
    check_array(value, name, dtypes)
    if value.dtype != x.dtype:
        raise TypeError(f"{name} must have the dtype of x ({x.dtype}), got {value.dtype}")
    if tuple(value.shape) != (x.shape[1],):
        raise ValueError(f"{name} must have shape ({x.shape[1]},) (x's channels), got {tuple(value.shape)}")
    return value


def _check_updatable(value, name, others):
    if not isinstance(value, np.ndarray):
        return  # a CuPy array: the dispatch answers it (no CUDA kernel yet)
    if not value.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous: it is updated in place")
    if not value.flags.writeable:
        raise ValueError(f"{name} must be writeable: it is updated in place")
    for other_name, other in others.items():
        if other is not None and other is not value and np.may_share_memory(value, other):
            raise ValueError(f"{name} shares memory with {other_name}; it is updated in place")


def batch_norm_args(x, gamma, beta, running_mean, running_var, training, momentum, eps,
                    dtypes) -> BatchNormArgs:
    x3 = _check_x(x, dtypes)
    gamma = _check_channel_vector(gamma, "gamma", x, dtypes)
    beta = _check_channel_vector(beta, "beta", x, dtypes)
    running_mean = _check_channel_vector(running_mean, "running_mean", x, dtypes)
    running_var = _check_channel_vector(running_var, "running_var", x, dtypes)
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must both be given or both be None")
    training = check_bool(training, "training")
    momentum = check_real(momentum, "momentum")
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f"momentum must lie in [0, 1], got {momentum}")
    eps = check_real(eps, "eps")
    if not eps > 0.0:  # also rejects NaN
        raise ValueError(f"eps must be > 0, got {eps}")
    use_batch_stats = training or running_mean is None
    n, _, s = x3.shape
    if use_batch_stats and n * s <= 1:
        raise ValueError(
            f"batch statistics need more than 1 value per channel, got x of shape {tuple(x.shape)}"
        )
    device = check_same_device(x=x, gamma=gamma, beta=beta, running_mean=running_mean,
                               running_var=running_var)
    if use_batch_stats and running_mean is not None:
        others = {"x": x, "gamma": gamma, "beta": beta, "running_mean": running_mean,
                  "running_var": running_var}
        _check_updatable(running_mean, "running_mean", others)
        _check_updatable(running_var, "running_var", others)
    return BatchNormArgs(x3, gamma, beta, running_mean, running_var, use_batch_stats, momentum, eps,
                         tuple(x.shape), device)


class BatchNormBackwardArgs(NamedTuple):
    dy: object  # [N, C, S]
    x: object  # [N, C, S]
    gamma: Optional[object]
    save_mean: object  # [C]
    save_invstd: object  # [C]
    training: bool
    x_shape: tuple
    device: str


def batch_norm_backward_args(dy, x, gamma, save_mean, save_invstd, training,
                             dtypes) -> BatchNormBackwardArgs:
    x3 = _check_x(x, dtypes)
    check_array(dy, "dy", dtypes)
    if dy.dtype != x.dtype:
        raise TypeError(f"dy must have the dtype of x ({x.dtype}), got {dy.dtype}")
    if tuple(dy.shape) != tuple(x.shape):
        raise ValueError(f"dy must have x's shape {tuple(x.shape)}, got {tuple(dy.shape)}")
    gamma = _check_channel_vector(gamma, "gamma", x, dtypes)
    for value, name in ((save_mean, "save_mean"), (save_invstd, "save_invstd")):
        check_array(value, name, dtypes)
        _check_channel_vector(value, name, x, dtypes)
    training = check_bool(training, "training")
    device = check_same_device(dy=dy, x=x, gamma=gamma, save_mean=save_mean, save_invstd=save_invstd)
    return BatchNormBackwardArgs(dy.reshape(x3.shape), x3, gamma, save_mean, save_invstd, training,
                                 tuple(x.shape), device)
