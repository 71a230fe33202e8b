"""Reference softmax and log_softmax along any axis, and their backwards (API.md: softmax).

Stable for logits of any size: the row maximum is subtracted before exp. A row of only -inf gives
NaN and a +inf entry gives NaN, as in PyTorch.
"""
from __future__ import annotations

import numpy as np

from mdlfast._validate.common import REFERENCE_DTYPES
from mdlfast._validate.softmax import softmax_args, softmax_backward_args


def _shifted(x, axis):
    """x minus its maximum along axis, and log Σ exp of that."""
    with np.errstate(invalid="ignore"):  # -inf - -inf: an all -inf row is NaN
        shifted = x - x.max(axis=axis, keepdims=True)
    with np.errstate(divide="ignore"):
        return shifted, np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(x, axis=-1):
    """exp(x) / Σ exp(x) along axis."""
    args = softmax_args(x, axis, REFERENCE_DTYPES)
    if args.x.size == 0:
        return args.x.copy()
    shifted, _ = _shifted(args.x, args.axis)
    e = np.exp(shifted)
    return e / e.sum(axis=args.axis, keepdims=True)


def log_softmax(x, axis=-1):
    """x - log Σ exp(x) along axis."""
    args = softmax_args(x, axis, REFERENCE_DTYPES)
    if args.x.size == 0:
        return args.x.copy()
    shifted, log_sum = _shifted(args.x, args.axis)
    return shifted - log_sum


def softmax_backward(dy, y, axis=-1):
    """dx = y · (dy - Σ dy·y) along axis, from the forward's output y."""
    args = softmax_backward_args(dy, y, axis, REFERENCE_DTYPES)
    dy, y = args.x, args.y
    return y * (dy - (dy * y).sum(axis=args.axis, keepdims=True))


def log_softmax_backward(dy, y, axis=-1):
    """dx = dy - exp(y) · Σ dy along axis, from the forward's output y = log_softmax(x)."""
    args = softmax_backward_args(dy, y, axis, REFERENCE_DTYPES)
    dy, y = args.x, args.y
    return dy - np.exp(y) * dy.sum(axis=args.axis, keepdims=True)
