"""The course's synthetic datasets: shapes, dtypes, seeding and their geometry."""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast.data import (make_flower, make_moons, make_polynomial_regression, make_spirals,
                          polynomial_features)

GENERATORS = [
    (make_moons, dict(n_samples=101, noise=0.1)),
    (make_spirals, dict(n_per_class=40, n_arms=4)),
    (make_flower, dict(n_samples=200)),
]


@pytest.mark.parametrize("make,kwargs", GENERATORS)
def test_seeded_and_typed(make, kwargs):
    X, y = make(**kwargs, seed=3)
    X2, y2 = make(**kwargs, seed=3)
    X3, _ = make(**kwargs, seed=4)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, X3)
    assert X.dtype == np.float32 and y.dtype == np.int64 and X.shape == (len(y), 2)


def test_moons_match_sklearn_without_noise():
    datasets = pytest.importorskip("sklearn.datasets")
    for n in (10, 11):
        X, y = make_moons(n, shuffle=False)
        Xs, ys = datasets.make_moons(n, shuffle=False)
        np.testing.assert_allclose(X, Xs, atol=1e-6)
        np.testing.assert_array_equal(y, ys)


def test_moons_lie_on_their_arcs():
    X, y = make_moons(200, seed=0)
    upper, lower = X[y == 0].astype(np.float64), X[y == 1].astype(np.float64)
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, atol=1e-6)
    assert np.all(upper[:, 1] >= -1e-6) and np.all(lower[:, 1] <= 0.5 + 1e-6)


def test_spirals_radius_and_arms():
    X, y = make_spirals(50, 3, noise=0.0, shuffle=False)
    assert np.bincount(y).tolist() == [50, 50, 50]
    radius = np.hypot(*X.T.astype(np.float64))
    np.testing.assert_allclose(radius[:50], np.linspace(0, 1, 50), atol=1e-6)
    # Without noise the arms are rotations of each other by 2 pi / 3.
    angle = 2 * np.pi / 3
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    np.testing.assert_allclose(X[:50] @ rotation, X[50:100], atol=1e-5)


def test_flower_petals_noise_free():
    X, y = make_flower(400, petals=4, radius=4.0, noise=0.0)
    assert np.bincount(y).tolist() == [200, 200]
    t = np.linspace(0, 3.12, 200)
    r = 4 * np.sin(4 * t)
    np.testing.assert_allclose(X[:200], np.stack([r * np.sin(t), r * np.cos(t)], 1), atol=1e-5)
    assert np.abs(X).max() <= 4.0 + 1e-5
    with pytest.raises(ValueError, match="even"):
        make_flower(401)


def test_polynomial_regression_recovers_coefficients():
    coefficients = (0.5, -1.0, 2.0)
    x, y = make_polynomial_regression(2000, coefficients, noise=0.05, seed=0)
    assert x.shape == (2000, 1) and y.shape == (2000,) and x.dtype == y.dtype == np.float32
    assert x.min() >= -1 and x.max() <= 1
    fit = np.linalg.lstsq(polynomial_features(x.astype(np.float64), 2), y, rcond=None)[0]
    np.testing.assert_allclose(fit, coefficients, atol=0.02)
    exact = make_polynomial_regression(5, coefficients, noise=0.0, seed=1)
    np.testing.assert_allclose(exact[1], 0.5 - exact[0][:, 0] + 2 * exact[0][:, 0] ** 2,
                               rtol=1e-5)


def test_polynomial_features():
    np.testing.assert_array_equal(polynomial_features(np.array([2.0, 3.0]), 3),
                                  [[1, 2, 4, 8], [1, 3, 9, 27]])
    assert polynomial_features(np.ones((4, 1), np.float32), 2).dtype == np.float32
    with pytest.raises(ValueError, match="shape"):
        polynomial_features(np.ones((2, 2)), 2)


@pytest.mark.parametrize("make,kwargs,message", [
    (make_moons, dict(n_samples=0), "n_samples"),
    (make_moons, dict(noise=-1), "noise"),
    (make_spirals, dict(n_arms=0), "n_arms"),
    (make_polynomial_regression, dict(x_range=(1, 1)), "x_range"),
    (make_polynomial_regression, dict(coefficients=()), "coefficients"),
])
def test_errors(make, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make(**kwargs)
