"""The course's synthetic datasets, all seeded: two moons, k-arm spirals, the planar "flower"
and polynomial regression data."""
from __future__ import annotations

import numbers

import numpy as np


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _non_negative(name, value):
    if not value >= 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return float(value)


def make_moons(n_samples=100, *, noise=0.0, shuffle=True, seed=None):
    """Two interleaving half circles (scikit-learn's make_moons).

    Class 0 is the upper arc (cos t, sin t), class 1 the lower arc (1 - cos t, 1/2 - sin t),
    t evenly spaced in [0, pi]; class 0 gets n_samples // 2 points. Gaussian noise of standard
    deviation `noise` is added. Returns X float32 [n, 2], y int64 [n].
    """
    n = _positive_int("n_samples", n_samples)
    noise = _non_negative("noise", noise)
    rng = np.random.default_rng(seed)
    n_upper, n_lower = n // 2, n - n // 2
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n_lower)
    X = np.concatenate([np.stack([np.cos(t_upper), np.sin(t_upper)], 1),
                        np.stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)], 1)])
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n_upper, n_lower])
    return _finish(X, y, noise, shuffle, rng)


def make_spirals(n_per_class=100, n_arms=3, *, noise=0.2, turns=None, shuffle=True, seed=None):
    """k interleaved spiral arms, one class per arm (the CS231n spiral set).

    Arm j has radius r from 0 to 1 and angle running over 4 radians (or `turns` full turns),
    starting at 2*pi*j/k, with Gaussian noise `noise` on the angle. Returns X float32
    [n_per_class * n_arms, 2], y int64.
    """
    n = _positive_int("n_per_class", n_per_class)
    k = _positive_int("n_arms", n_arms)
    noise = _non_negative("noise", noise)
    sweep = 4.0 if turns is None else 2.0 * np.pi * float(turns)
    rng = np.random.default_rng(seed)
    radius = np.linspace(0.0, 1.0, n)
    points, labels = [], []
    for arm in range(k):
        angle = 2.0 * np.pi * arm / k + np.linspace(0.0, sweep, n) + rng.normal(0.0, noise, n)
        points.append(np.stack([radius * np.sin(angle), radius * np.cos(angle)], 1))
        labels.append(np.full(n, arm, dtype=np.int64))
    return _finish(np.concatenate(points), np.concatenate(labels), 0.0, shuffle, rng)


def make_flower(n_samples=400, *, petals=4, radius=4.0, noise=0.2, shuffle=False, seed=None):
    """The planar "flower" of Andrew Ng's course: petals of two alternating classes.

    Class j takes angles t in [3.12 j, 3.12 (j+1)] (plus noise) and radius
    `radius * sin(petals * t)` (plus noise): the point (r sin t, r cos t). The two classes split
    n_samples evenly (n_samples must be even). Returns X float32 [n, 2], y int64 in {0, 1}.
    """
    n = _positive_int("n_samples", n_samples)
    if n % 2:
        raise ValueError(f"n_samples must be even (two equal classes), got {n}")
    _positive_int("petals", petals)
    noise = _non_negative("noise", noise)
    rng = np.random.default_rng(seed)
    half = n // 2
    points, labels = [], []
    for cls in range(2):
        t = np.linspace(3.12 * cls, 3.12 * (cls + 1), half) + rng.normal(0.0, noise, half)
        r = radius * np.sin(petals * t) + rng.normal(0.0, noise, half)
        points.append(np.stack([r * np.sin(t), r * np.cos(t)], 1))
        labels.append(np.full(half, cls, dtype=np.int64))
    return _finish(np.concatenate(points), np.concatenate(labels), 0.0, shuffle, rng)


def polynomial_features(x, degree):
    """The Vandermonde design matrix [1, x, x^2, ..., x^degree] of a 1-D input (shape [n] or
    [n, 1]), in x's floating dtype."""
    degree = int(degree)
    if degree < 0:
        raise ValueError(f"degree must be >= 0, got {degree}")
    x = np.asarray(x)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1:
        raise ValueError(f"x must have shape [n] or [n, 1], got {x.shape}")
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64
    return np.power.outer(x.astype(dtype), np.arange(degree + 1)).astype(dtype)


def make_polynomial_regression(n_samples=100, coefficients=(0.0, 1.0, -2.0, 1.0), *,
                               x_range=(-1.0, 1.0), noise=0.1, seed=None):
    """Noisy samples of a polynomial: y = sum_k coefficients[k] x^k + noise * N(0, 1).

    x is uniform on x_range. Returns x float32 [n, 1] and y float32 [n]; the true curve is
    `polynomial_features(x, len(coefficients) - 1) @ coefficients`.
    """
    n = _positive_int("n_samples", n_samples)
    noise = _non_negative("noise", noise)
    coefficients = np.asarray(coefficients, dtype=np.float64).reshape(-1)
    if coefficients.size == 0:
        raise ValueError("coefficients must hold at least one value, got none")
    low, high = (float(v) for v in x_range)
    if not low < high:
        raise ValueError(f"x_range must be (low, high) with low < high, got {x_range}")
    rng = np.random.default_rng(seed)
    x = rng.uniform(low, high, n)
    y = polynomial_features(x, coefficients.size - 1) @ coefficients + rng.normal(0.0, noise, n)
    return x[:, None].astype(np.float32), y.astype(np.float32)


def _finish(X, y, noise, shuffle, rng):
    if noise > 0:
        X = X + rng.normal(0.0, noise, X.shape)
    if shuffle:
        order = rng.permutation(len(y))
        X, y = X[order], y[order]
    return X.astype(np.float32), y
