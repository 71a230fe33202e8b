"""Validation of dropout and dropout_backward arguments (API.md: dropout)."""
from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np

from mdlfast._validate.common import check_array, check_real, check_same_device

BOOL = np.dtype(np.bool_)
_U64_LIMIT = 1 << 64


def check_p(p):
    p = check_real(p, "p")
    if not 0.0 <= p <= 1.0:  # also rejects NaN
        raise ValueError(f"p (the drop probability) must be in [0, 1], got {p}")
    return p


def _check_u64(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    value = int(value)
    if not 0 <= value < _U64_LIMIT:
        raise ValueError(f"{name} must be in [0, 2**64), got {value}")
    return value


def keep_threshold(p):
    """The integer t with (word >> 8) >= t  <=>  (word >> 8)/2²⁴ >= p (exact: p·2²⁴ is exact)."""
    return math.ceil(p * (1 << 24))


def dropout_scale(p, dtype):
    """1/(1-p) rounded to dtype (a NumPy dtype); 0 for p = 1 (everything dropped)."""
    return dtype.type(0) if p >= 1.0 else dtype.type(1.0 / (1.0 - p))


class DropoutArgs(NamedTuple):
    x: object  # x (forward) or dy (backward)
    mask: object  # backward only
    p: float
    seed: int
    offset: int
    device: str


def dropout_args(x, p, seed, offset, dtypes) -> DropoutArgs:
    check_array(x, "x", dtypes)
    p = check_p(p)
    seed = _check_u64(seed, "seed")
    offset = _check_u64(offset, "offset")
    return DropoutArgs(x, None, p, seed, offset, check_same_device(x=x))


def dropout_backward_args(dy, mask, p, dtypes) -> DropoutArgs:
    check_array(dy, "dy", dtypes)
    check_array(mask, "mask", (BOOL,))
    if tuple(mask.shape) != tuple(dy.shape):
        raise ValueError(f"mask must have dy's shape {tuple(dy.shape)}, got {tuple(mask.shape)}")
    p = check_p(p)
    return DropoutArgs(dy, mask, p, 0, 0, check_same_device(dy=dy, mask=mask))
