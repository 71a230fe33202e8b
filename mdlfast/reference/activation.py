"""Activations and their derivatives, in NumPy, for the reference kernels."""
from __future__ import annotations

import math

import numpy as np

_erfc = np.frompyfunc(math.erfc, 1, 1)  # NumPy has no erfc; math.erfc is exact to double precision


def normal_cdf(x):
    """Φ(x) = erfc(-x/√2)/2, which unlike (1 + erf(x/√2))/2 does not cancel for negative x."""
    return (0.5 * _erfc(-x / np.sqrt(2))).astype(x.dtype)


def forward(z, kind):
    """activation(z) for kind in None, relu, sigmoid, tanh, gelu (exact erf form)."""
    if kind is None:
        return z
    if kind == "relu":
        return np.where(z < 0, z.dtype.type(0), z)  # NaN passes through, as in PyTorch
    if kind == "sigmoid":
        # Split by sign so exp never overflows.
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype)
    if kind == "tanh":
        return np.tanh(z)
    if kind == "gelu":
        return z * normal_cdf(z)
    raise ValueError(f"unknown activation {kind!r}")


def backward(dy, kind, y=None, z=None):
    """dz = dy · activation'(z). relu selects rather than multiplies, as PyTorch's
    threshold_backward does, so a NaN or inf in dy where relu is off gives 0, not NaN."""
    if kind is None:
        return dy
    if kind == "relu":
        v = y if y is not None else z
        return np.where(v <= 0, dy.dtype.type(0), dy)
    return dy * _derivative(kind, y=y, z=z)


def _derivative(kind, y=None, z=None):
    """activation'(z) for sigmoid, tanh (from the output y where given) and gelu (from z)."""
    if kind == "sigmoid":
        s = y if y is not None else forward(z, "sigmoid")
        return s * (1 - s)
    if kind == "tanh":
        t = y if y is not None else np.tanh(z)
        return 1 - t * t
    if kind == "gelu":
        pdf = np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)
        return normal_cdf(z) + z * pdf
    raise ValueError(f"unknown activation {kind!r}")
