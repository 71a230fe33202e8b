"""Validation of layer_norm and layer_norm_backward arguments (API.md: normalisation)."""
from __future__ import annotations

import math
from typing import NamedTuple, Optional

from mdlfast._validate.common import (
    check_array,
    check_optional_vector,
    check_real,
    check_same_device,
    check_same_dtype,
)


class LayerNormArgs(NamedTuple):
    x: object  # [rows, d]
    gamma: Optional[object]  # [d]
    beta: Optional[object]  # [d]
    eps: float
    x_shape: tuple
    device: str


def _check_x(x, dtypes):
    check_array(x, "x", dtypes)
    if x.ndim < 1:
        raise ValueError("x must have at least 1 dimension, got a 0-d array")
    if x.shape[-1] < 1:
        raise ValueError(f"x's last dimension (the normalised one) must be >= 1, got shape {tuple(x.shape)}")
    d = x.shape[-1]
    rows = math.prod(x.shape[:-1])
    return x.reshape(rows, d)


def _check_parameter(value, name, x, dtypes):
    return check_optional_vector(value, name, x, x.shape[-1], "x's last dimension", dtypes)


def layer_norm_args(x, gamma, beta, eps, dtypes) -> LayerNormArgs:
    x2 = _check_x(x, dtypes)
    gamma = _check_parameter(gamma, "gamma", x, dtypes)
    beta = _check_parameter(beta, "beta", x, dtypes)
    eps = check_real(eps, "eps")
    if not eps > 0.0:  # also rejects NaN
        raise ValueError(f"eps must be > 0, got {eps}")
    device = check_same_device(x=x, gamma=gamma, beta=beta)
    return LayerNormArgs(x2, gamma, beta, eps, tuple(x.shape), device)


class LayerNormBackwardArgs(NamedTuple):
    dy: object  # [rows, d]
    x: object  # [rows, d]
    gamma: Optional[object]
    mean: object  # [rows]
    rstd: object  # [rows]
    x_shape: tuple
    device: str


def layer_norm_backward_args(dy, x, gamma, mean, rstd, dtypes) -> LayerNormBackwardArgs:
    x2 = _check_x(x, dtypes)
    check_array(dy, "dy", dtypes)
    check_same_dtype(dy, "dy", x, "x")
    if tuple(dy.shape) != tuple(x.shape):
        raise ValueError(f"dy must have x's shape {tuple(x.shape)}, got {tuple(dy.shape)}")
    gamma = _check_parameter(gamma, "gamma", x, dtypes)
    stats_shape = tuple(x.shape[:-1])
    for value, name in ((mean, "mean"), (rstd, "rstd")):
        check_array(value, name, dtypes)
        check_same_dtype(value, name, x, "x")
        if tuple(value.shape) != stats_shape:
            raise ValueError(f"{name} must have shape {stats_shape} (x.shape[:-1]), got {tuple(value.shape)}")
    device = check_same_device(dy=dy, x=x, gamma=gamma, mean=mean, rstd=rstd)
    rows = x2.shape[0]
    return LayerNormBackwardArgs(dy.reshape(x2.shape), x2, gamma, mean.reshape(rows),
                                 rstd.reshape(rows), tuple(x.shape), device)
