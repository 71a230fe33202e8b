"""Validation of softmax, log_softmax and their backwards (API.md: softmax)."""
from __future__ import annotations

import numbers
from typing import NamedTuple

from mdlfast._validate.common import check_array, check_same_device


class SoftmaxArgs(NamedTuple):
    x: object  # the input (forward) or dy (backward)
    y: object  # None in the forward
    axis: int  # in [0, ndim)
    device: str


def check_axis(axis, ndim):
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be an int, got {type(axis).__name__}")
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis must be in [{-ndim}, {ndim}) for an array of {ndim} dimensions, got {axis}")
    return axis % ndim


def _check_input(x, name, dtypes):
    check_array(x, name, dtypes)
    if x.ndim < 1:
        raise ValueError(f"{name} must have at least 1 dimension, got a 0-d array")


def softmax_args(x, axis, dtypes) -> SoftmaxArgs:
    _check_input(x, "x", dtypes)
    return SoftmaxArgs(x, None, check_axis(axis, x.ndim), check_same_device(x=x))


def softmax_backward_args(dy, y, axis, dtypes) -> SoftmaxArgs:
    _check_input(y, "y", dtypes)
    check_array(dy, "dy", dtypes)
    if dy.dtype != y.dtype:
        raise TypeError(f"dy must have the dtype of y ({y.dtype}), got {dy.dtype}")
    if tuple(dy.shape) != tuple(y.shape):
        raise ValueError(f"dy must have y's shape {tuple(y.shape)}, got {tuple(dy.shape)}")
    return SoftmaxArgs(dy, y, check_axis(axis, y.ndim), check_same_device(dy=dy, y=y))
