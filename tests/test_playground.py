"""The unit-3 optimiser playground: derivatives of the test functions, convergence of every
method to the known minima, and the closed forms (Newton, exact line search)."""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast import playground as pg

FUNCTIONS = [pg.Rosenbrock(), pg.Rosenbrock(a=0.5, b=10), pg.Beale(), pg.Himmelblau(),
             pg.Quadratic([[3.0, 1.0], [1.0, 2.0]], [1.0, -1.0], 0.5)]


def _central_gradient(f, x, h=1e-6):
    return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(len(x))])


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.name)
def test_gradient_and_hessian_match_finite_differences(fn):
    rng = np.random.default_rng(0)
    for x in rng.uniform(-2, 2, (5, 2)):
        np.testing.assert_allclose(fn.grad(x), _central_gradient(fn, x), rtol=1e-5, atol=1e-5)
        numeric_hessian = np.array([_central_gradient(lambda p: fn.grad(p)[i], x)
                                    for i in range(2)])
        np.testing.assert_allclose(fn.hess(x), numeric_hessian, rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(fn.hess(x), fn.hess(x).T)


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.name)
def test_known_minima_are_stationary(fn):
    for m in fn.minima:
        assert np.linalg.norm(fn.grad(m)) < 1e-4 * max(1.0, np.abs(fn.hess(m)).max())
        assert np.all(np.linalg.eigvalsh(fn.hess(m)) > 0)


def test_newton_solves_a_quadratic_in_one_step():
    rng = np.random.default_rng(1)
    M = rng.normal(size=(5, 5))
    q = pg.Quadratic(M @ M.T + 5 * np.eye(5), rng.normal(size=5))
    trajectory = pg.newton(q, rng.normal(size=5), steps=5)
    np.testing.assert_allclose(trajectory.points[1], np.linalg.solve(q.A, q.b), rtol=1e-10)
    assert trajectory.steps == 1  # then the gradient is 0 and it stops


def test_exact_line_search_matches_closed_form():
    A = np.array([[10.0, 0.0], [0.0, 1.0]])
    q = pg.Quadratic(A)
    x0 = np.array([1.0, 10.0])
    trajectory = pg.steepest_descent(q, x0, steps=3, line_search="exact")
    g = A @ x0
    t = (g @ g) / (g @ A @ g)
    np.testing.assert_allclose(trajectory.points[1], x0 - t * g)
    # Exact steps make successive gradients orthogonal; the loss falls by the Kantorovich rate.
    g1 = q.grad(trajectory.points[1])
    assert abs(g @ g1) < 1e-10 * np.linalg.norm(g) * np.linalg.norm(g1)
    kappa = 10.0
    for a, b in zip(trajectory.losses[:-1], trajectory.losses[1:]):
        assert b <= ((kappa - 1) / (kappa + 1)) ** 2 * a + 1e-12


def test_exact_step_minimises_along_the_line():
    q = pg.Quadratic([[2.0, 0.5], [0.5, 1.0]], [1.0, 0.0])
    x, d = np.array([3.0, -1.0]), np.array([-1.0, 0.2])
    t = pg.exact_step(q, x, d)
    for dt in (-1e-3, 1e-3):
        assert q(x + t * d) < q(x + (t + dt) * d)
    with pytest.raises(ValueError, match="Quadratic"):
        pg.steepest_descent(pg.Rosenbrock(), [0, 0], line_search="exact")


def test_backtracking_and_wolfe_conditions():
    fn = pg.Rosenbrock()
    x = np.array([-1.2, 1.0])
    g = fn.grad(x)
    t = pg.backtracking(fn, x, -g, c=1e-4)
    assert fn(x - t * g) <= fn(x) - 1e-4 * t * (g @ g)
    assert fn(x - 2 * t * g) > fn(x) - 1e-4 * 2 * t * (g @ g)  # the previous trial failed
    t = pg.weak_wolfe(fn, x, -g)
    assert fn(x - t * g) <= fn(x) - 1e-4 * t * (g @ g)
    assert fn.grad(x - t * g) @ -g >= 0.9 * (g @ -g)
    with pytest.raises(ValueError, match="descent"):
        pg.backtracking(fn, x, g)


@pytest.mark.parametrize("method", [pg.bfgs, pg.lbfgs,
                                    lambda f, x, steps: pg.newton(f, x, steps,
                                                                  line_search="backtracking")],
                         ids=["bfgs", "lbfgs", "damped newton"])
@pytest.mark.parametrize("fn,x0,minimum", [
    (pg.Rosenbrock(), [-1.2, 1.0], [1.0, 1.0]),
    (pg.Beale(), [1.0, 1.0], [3.0, 0.5]),
    (pg.Himmelblau(), [1.0, 1.0], [3.0, 2.0]),
])
def test_second_order_methods_converge(method, fn, x0, minimum):
    trajectory = method(fn, x0, steps=200)
    np.testing.assert_allclose(trajectory.x, minimum, atol=1e-5)
    assert trajectory.steps < 200
    assert np.all(np.diff(trajectory.losses) <= 1e-12)  # line searches only accept decrease


@pytest.mark.parametrize("method,kwargs,steps", [
    (pg.gradient_descent, dict(lr=2e-3), 20000),
    (pg.momentum, dict(lr=1e-3, beta=0.9), 5000),
    (pg.nesterov, dict(lr=1e-3, beta=0.9), 5000),
    (pg.adam, dict(lr=0.02), 5000),
    (pg.rmsprop, dict(lr=pg.exponential_decay(1e-2, 0.999)), 5000),
    (pg.adagrad, dict(lr=0.5), 20000),
])
def test_first_order_methods_reach_the_rosenbrock_minimum(method, kwargs, steps):
    trajectory = method(pg.Rosenbrock(), [-1.2, 1.0], steps=steps, **kwargs)
    np.testing.assert_allclose(trajectory.x, [1.0, 1.0], atol=2e-2)
    assert trajectory.points.shape == (trajectory.steps + 1, 2)
    assert trajectory.losses.shape == (trajectory.steps + 1,)
    assert trajectory.losses[0] == pytest.approx(24.2)


def test_gradient_descent_step_size_stability_on_a_quadratic():
    q = pg.Quadratic(np.diag([4.0, 1.0]))
    x0 = [1.0, 1.0]
    # On a diagonal quadratic, x_k = (1 - lr * lambda)^k x0 coordinate-wise: stable iff lr < 2 / L.
    for lr in (0.49, 0.51):
        trajectory = pg.gradient_descent(q, x0, lr=lr, steps=200)
        k = np.arange(201)[:, None]
        np.testing.assert_allclose(trajectory.points, (1 - lr * np.array([4.0, 1.0])) ** k,
                                   rtol=1e-9, atol=1e-300)
    assert pg.gradient_descent(q, x0, lr=0.51, steps=200).loss > 1e3
    with pytest.raises(ValueError, match="lr"):
        pg.gradient_descent(q, x0, lr=0.0)
    with pytest.raises(ValueError, match="beta"):
        pg.momentum(q, x0, beta=1.0)


def test_sgd_with_decaying_steps_beats_fixed_step_noise_floor():
    problem = pg.make_least_squares(400, 3, noise=0.5, seed=0)
    x_star = problem.minima[0]
    x0 = np.zeros(3)
    fixed = pg.sgd(problem, x0, lr=0.2, steps=4000, batch_size=1, seed=1)
    decaying = pg.sgd(problem, x0, lr=pg.inverse_time_decay(0.2, 0.01), steps=4000,
                      batch_size=1, seed=1)
    full = pg.gradient_descent(problem, x0, lr=0.2, steps=4000)
    np.testing.assert_allclose(full.x, x_star, atol=1e-8)
    last = slice(-500, None)
    fixed_error = np.linalg.norm(fixed.points[last] - x_star, axis=1).mean()
    decaying_error = np.linalg.norm(decaying.points[last] - x_star, axis=1).mean()
    assert decaying_error < 0.5 * fixed_error
    assert decaying_error < 0.05
    again = pg.sgd(problem, x0, lr=0.2, steps=50, batch_size=4, seed=1)
    np.testing.assert_array_equal(again.points,
                                  pg.sgd(problem, x0, lr=0.2, steps=50, batch_size=4,
                                         seed=1).points)


def test_noisy_gradient_descent_hovers_near_the_minimum():
    q = pg.Quadratic(np.eye(2))
    noisy = pg.gradient_descent(q, [3.0, 3.0], lr=0.1, steps=2000,
                                grad=pg.noisy_gradient(q, 0.5, seed=0))
    tail = noisy.points[-1000:]
    # Stationary variance of x <- 0.9 x - 0.1 noise is 0.01 * 0.25 / (1 - 0.81) per coordinate.
    np.testing.assert_allclose(tail.var(0), 0.0025 / 0.19, rtol=0.25)
    assert np.abs(tail.mean(0)).max() < 0.1


def test_tolerance_stops_early_and_input_checks():
    q = pg.Quadratic(np.eye(2))
    trajectory = pg.gradient_descent(q, [1.0, 1.0], lr=0.5, steps=1000, tol=1e-6)
    assert trajectory.steps < 30 and np.linalg.norm(trajectory.x) <= 2e-6
    with pytest.raises(ValueError, match="x0"):
        pg.gradient_descent(q, [np.nan, 0.0])
    with pytest.raises(ValueError, match="steps"):
        pg.gradient_descent(q, [0.0, 0.0], steps=-1)
    with pytest.raises(ValueError, match="symmetric"):
        pg.Quadratic([[1.0, 2.0], [0.0, 1.0]])


def test_plot_trajectories_draws_or_explains_missing_matplotlib():
    fn = pg.Himmelblau()
    trajectories = [pg.bfgs(fn, [0.0, 0.0]), pg.adam(fn, [0.0, 0.0], lr=0.1, steps=200)]
    try:
        import matplotlib
    except ImportError:
        with pytest.raises(ImportError, match="mdlfast\\[plot\\]"):
            pg.plot_trajectories(fn, trajectories)
        return
    matplotlib.use("Agg")
    ax = pg.plot_trajectories(fn, trajectories, resolution=40)
    assert len(ax.get_lines()) == 3
    assert "bfgs" in ax.get_legend().get_texts()[0].get_text()
