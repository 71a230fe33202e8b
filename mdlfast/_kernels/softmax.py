"""The softmax family: softmax, log_softmax and their backwards, along any axis."""
from __future__ import annotations

import math

from mdlfast._kernels.common import cpu_backend as _cpu_backend
from mdlfast._validate.common import KERNEL_DTYPES
from mdlfast._validate.softmax import softmax_args, softmax_backward_args


def _slab(shape, axis):
    """[outer, n, inner] around axis: the kernels walk the axis with stride inner."""
    return math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1:])


def _as_slab(x, shape3, xp):
    return xp.ascontiguousarray(x).reshape(shape3)


def _forward(x, axis, log, name):
    args = softmax_args(x, axis, KERNEL_DTYPES)
    backend, xp = _cpu_backend(args.device, name)
    y = xp.empty(args.x.shape, dtype=xp.float32)
    if y.size:
        shape3 = _slab(args.x.shape, args.axis)
        backend.softmax(y.reshape(shape3), _as_slab(args.x, shape3, xp), log)
    return y


def _backward(dy, y, axis, log, name):
    args = softmax_backward_args(dy, y, axis, KERNEL_DTYPES)
    backend, xp = _cpu_backend(args.device, name)
    dx = xp.empty(args.y.shape, dtype=xp.float32)
    if dx.size:
        shape3 = _slab(args.y.shape, args.axis)
        backend.softmax_backward(dx.reshape(shape3), _as_slab(args.x, shape3, xp),
                                 _as_slab(args.y, shape3, xp), log)
    return dx


def softmax(x, axis=-1):
    """exp(x) / Σ exp(x) along axis; stable for logits of any size (an all -inf slice is NaN)."""
    return _forward(x, axis, False, "softmax")


def log_softmax(x, axis=-1):
    """x - log Σ exp(x) along axis."""
    return _forward(x, axis, True, "log_softmax")


def softmax_backward(dy, y, axis=-1):
    """dx = y · (dy - Σ dy·y) along axis, from the forward's output y."""
    return _backward(dy, y, axis, False, "softmax_backward")


def log_softmax_backward(dy, y, axis=-1):
    """dx = dy - exp(y) · Σ dy along axis, from the forward's output y = log_softmax(x)."""
    return _backward(dy, y, axis, True, "log_softmax_backward")
