"""The strong-Wolfe line search on NumPy test functions: accepted steps satisfy both Wolfe
conditions, the cubic interpolation is exact on cubics, and a search from a huge or tiny trial step
still finds an acceptable one."""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast.optim.line_search import cubic_minimizer, strong_wolfe


def rosenbrock(x):
    f = np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
    g = np.zeros_like(x)
    g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return f, g


def quadratic(A, b):
    return lambda x: (0.5 * x @ A @ x - b @ x, A @ x - b)


def _search(fun, x, d, t, **kwargs):
    f, g = fun(x)
    slope = float(g @ d)
    assert slope < 0

    def along(step):
        return fun(x + step * d)

    result = strong_wolfe(along, d, t, f, g, slope, **kwargs)
    return f, slope, result


def _assert_strong_wolfe(fun, x, d, f, slope, result, c1=1e-4, c2=0.9):
    f_new, g_new = fun(x + result.t * d)
    assert result.f == pytest.approx(f_new) and np.allclose(result.g, g_new)
    assert f_new <= f + c1 * result.t * slope
    assert abs(g_new @ d) <= c2 * abs(slope)


@pytest.mark.parametrize("t0", [1e-4, 1.0, 1e3])
@pytest.mark.parametrize("seed", range(4))
def test_rosenbrock_steps_satisfy_strong_wolfe(seed, t0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, size=5)
    d = -rosenbrock(x)[1]
    d /= np.linalg.norm(d)
    f, slope, result = _search(rosenbrock, x, d, t0, max_evaluations=50)
    _assert_strong_wolfe(rosenbrock, x, d, f, slope, result)


def test_quadratic_with_tight_curvature_condition_finds_the_exact_minimiser():
    rng = np.random.default_rng(3)
    M = rng.standard_normal((6, 6))
    A, b = M @ M.T + 6 * np.eye(6), rng.standard_normal(6)
    fun = quadratic(A, b)
    x = rng.standard_normal(6)
    d = -fun(x)[1]
    f, slope, result = _search(fun, x, d, 1e-3, c2=1e-6, max_evaluations=40)
    exact = float(d @ d) / float(d @ A @ d)  # the exact minimiser along d
    assert result.t == pytest.approx(exact, rel=1e-5)
    _assert_strong_wolfe(fun, x, d, f, slope, result, c2=1e-6)


def test_an_acceptable_first_trial_costs_one_evaluation():
    fun = quadratic(np.eye(3), np.zeros(3))
    x = np.array([1.0, -2.0, 0.5])
    _, _, result = _search(fun, x, -x, 1.0)
    assert result.t == 1.0 and result.evaluations == 1


def test_cubic_minimizer_is_exact_on_a_cubic():
    def c(t):
        return (t - 0.3) ** 2 * (t + 2.0) + 1.0, 2 * (t - 0.3) * (t + 2.0) + (t - 0.3) ** 2

    (f1, g1), (f2, g2) = c(-0.5), c(1.5)
    assert cubic_minimizer(-0.5, f1, g1, 1.5, f2, g2) == pytest.approx(0.3)
    assert cubic_minimizer(1.5, f2, g2, -0.5, f1, g1) == pytest.approx(0.3)
    assert cubic_minimizer(-0.5, f1, g1, 1.5, f2, g2, bounds=(0.5, 1.0)) == 0.5


def test_cubic_minimizer_without_a_minimum_takes_the_midpoint():
    assert cubic_minimizer(0.0, 0.0, -1.0, 1.0, -10.0, -30.0, bounds=(2.0, 4.0)) == 3.0
