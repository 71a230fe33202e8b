"""Activations and their derivatives, in NumPy, for the reference kernels (the linear epilogue and
mdlfast.reference.activation / activation_backward). PyTorch's definitions: NaN passes through (step,
as torch.heaviside, gives 0)."""
from __future__ import annotations

import math

import numpy as np

_erfc = np.frompyfunc(math.erfc, 1, 1)  # NumPy has no erfc; math.erfc is exact to double precision

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
SOFTPLUS_THRESHOLD = 20.0  # PyTorch's default: above it softplus(x) is x (beta = 1)


def normal_cdf(x):
    """Φ(x) = erfc(-x/√2)/2, which unlike (1 + erf(x/√2))/2 does not cancel for negative x."""
    return (0.5 * _erfc(-x / np.sqrt(2))).astype(x.dtype)


def _sigmoid(z):
    # Split by sign so exp never overflows.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype)


def _elu(z, alpha, scale=1.0):
    t = z.dtype.type
    negative = t(alpha) * np.expm1(np.minimum(z, t(0)))  # the minimum keeps expm1 from overflowing
    return t(scale) * np.where(z > 0, z, negative)


def forward(z, kind, alpha=None):
    """activation(z); alpha is leaky_relu's slope (0.01) or elu's alpha (1.0) where None."""
    with np.errstate(invalid="ignore", over="ignore"):  # ±inf inputs: inf·0 is NaN, as in PyTorch
        return _forward(z, kind, alpha)


def _forward(z, kind, alpha):
    t = z.dtype.type
    if kind is None:
        return z
    if kind == "relu":
        return np.where(z < 0, t(0), z)  # NaN passes through, as in PyTorch
    if kind == "leaky_relu":
        return np.where(z > 0, z, z * t(0.01 if alpha is None else alpha))
    if kind == "elu":
        return _elu(z, 1.0 if alpha is None else alpha)
    if kind == "selu":
        return _elu(z, SELU_ALPHA, SELU_SCALE)
    if kind == "gelu":
        return z * normal_cdf(z)
    if kind == "sigmoid":
        return _sigmoid(z)
    if kind == "tanh":
        return np.tanh(z)
    if kind == "softplus":
        soft = np.log1p(np.exp(np.minimum(z, t(SOFTPLUS_THRESHOLD))))
        return np.where(z > SOFTPLUS_THRESHOLD, z, soft)
    if kind == "silu":
        return z * _sigmoid(z)
    if kind == "step":
        return (z > 0).astype(z.dtype)  # torch.heaviside(z, 0), which gives 0 for NaN too
    if kind == "hardtanh":
        return np.clip(z, t(-1), t(1))
    raise ValueError(f"unknown activation {kind!r}")


def backward(dy, kind, y=None, z=None, alpha=None):
    """dz = dy · activation'(z). The kinds whose derivative is piecewise select rather than
    multiply, as PyTorch's backward kernels do, so a NaN or inf in dy where the derivative is 0
    gives 0, not NaN."""
    t = dy.dtype.type
    if kind is None:
        return dy
    if kind == "relu":
        v = y if y is not None else z
        return np.where(v <= 0, t(0), dy)
    if kind == "leaky_relu":
        return np.where(z > 0, dy, dy * t(0.01 if alpha is None else alpha))
    if kind in ("elu", "selu"):
        a, scale = (1.0 if alpha is None else alpha, 1.0) if kind == "elu" else (SELU_ALPHA, SELU_SCALE)
        negative = dy * (t(a * scale) * np.exp(np.minimum(z, t(0))))
        return np.where(z <= 0, negative, dy * t(scale))
    if kind == "hardtanh":
        return np.where((z <= -1) | (z >= 1), t(0), dy)
    if kind == "softplus":
        return np.where(z > SOFTPLUS_THRESHOLD, dy, dy * _sigmoid(z))
    return dy * _derivative(kind, y=y, z=z)


def _derivative(kind, y=None, z=None):
    """activation'(z) for sigmoid, tanh (from the output y where given), gelu and silu (from z)."""
    if kind == "sigmoid":
        s = y if y is not None else _sigmoid(z)
        return s * (1 - s)
    if kind == "tanh":
        t = y if y is not None else np.tanh(z)
        return 1 - t * t
    if kind == "gelu":
        pdf = np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)
        with np.errstate(invalid="ignore"):  # ±inf: inf·0
            return normal_cdf(z) + z * pdf
    if kind == "silu":
        s = _sigmoid(z)
        with np.errstate(invalid="ignore"):  # ±inf: inf·0
            return s * (1 + z * (1 - s))
    raise ValueError(f"unknown activation {kind!r}")
