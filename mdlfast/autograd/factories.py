"""Tensor factories: zeros, ones, full, arange, rand, randn (the last two from the global generator
that mdlfast.manual_seed seeds). Floating results are float32 unless dtype says otherwise."""
from __future__ import annotations

import numpy as np

from mdlfast.autograd.tensor import Tensor
from mdlfast.random import generator


def _shape(shape):
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape


def _make(array, requires_grad):
    return Tensor(array, requires_grad=requires_grad)


def zeros(*shape, dtype=np.float32, requires_grad=False):
    return _make(np.zeros(_shape(shape), dtype), requires_grad)


def ones(*shape, dtype=np.float32, requires_grad=False):
    return _make(np.ones(_shape(shape), dtype), requires_grad)


def full(shape, fill_value, dtype=np.float32, requires_grad=False):
    return _make(np.full(shape, fill_value, dtype), requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return _make(np.zeros(t.shape, dtype or t.dtype), requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return _make(np.ones(t.shape, dtype or t.dtype), requires_grad)


def arange(start, stop=None, step=1, dtype=None, requires_grad=False):
    return _make(np.arange(start, stop, step, dtype=dtype), requires_grad)


def rand(*shape, dtype=np.float32, requires_grad=False):
    """Uniform on [0, 1)."""
    return _make(generator().random(_shape(shape)).astype(dtype), requires_grad)


def randn(*shape, dtype=np.float32, requires_grad=False):
    """Standard normal."""
    return _make(generator().standard_normal(_shape(shape)).astype(dtype), requires_grad)
