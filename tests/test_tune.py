"""Grid search, random search and GP Bayesian optimisation."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from mdlfast import tune as T


def branin(x, y):
    """Three global minima of value 5/(4 pi) on [-5, 10] x [0, 15]."""
    return ((y - 5.1 / (4 * math.pi ** 2) * x ** 2 + 5 / math.pi * x - 6) ** 2
            + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10)


BRANIN_MIN = 5 / (4 * math.pi)


def bumpy(x):
    """A 1-D function with a narrow global minimum near x = 0.7 and a wider local one."""
    return -math.exp(-((x - 0.7) / 0.05) ** 2) - 0.5 * math.exp(-((x - 0.2) / 0.2) ** 2)


def test_grid_search_covers_the_grid_exactly_once():
    calls = []

    def objective(a, b, c):
        calls.append((a, b, c))
        return (a - 2) ** 2 + (0 if c == "x" else 1) + b

    grid = {"a": [1, 2, 3], "b": T.Int(0, 2), "c": T.Categorical(["x", "y"])}
    result = T.grid_search(objective, grid)
    expected = list(itertools.product([1, 2, 3], [0, 1, 2], ["x", "y"]))
    assert calls == expected
    assert [tuple(t.params.values()) for t in result.history] == expected
    assert result.best_params == {"a": 2, "b": 0, "c": "x"} and result.best_score == 0
    assert T.grid_search(objective, grid, maximize=True).best_score == 4
    np.testing.assert_array_equal(result.scores, [objective(*p) for p in expected])


def test_grid_search_errors():
    with pytest.raises(ValueError, match="continuous Float"):
        T.grid_search(lambda lr: lr, {"lr": T.Float(0.1, 1.0)})
    with pytest.raises(ValueError, match="empty"):
        T.grid_search(lambda lr: lr, {"lr": []})
    with pytest.raises(ValueError, match="list of values"):
        T.grid_search(lambda lr: lr, {"lr": 0.1})
    with pytest.raises(ValueError, match="finite"):
        T.grid_search(lambda lr: float("nan"), {"lr": [1]})
    with pytest.raises(ValueError, match="number"):
        T.grid_search(lambda lr: "bad", {"lr": [1]})


@pytest.mark.parametrize("make,message", [
    (lambda: T.Float(1.0, 1.0), "low < high"),
    (lambda: T.Float(0.0, 1.0, log=True), "low > 0"),
    (lambda: T.Float(0.0, math.inf), "finite"),
    (lambda: T.Int(0.5, 3), "integer"),
    (lambda: T.Categorical([]), "empty"),
    (lambda: T.Categorical(["a", "a"]), "distinct"),
    (lambda: T.Space({"x": (0, 1)}), "Float, Int or Categorical"),
    (lambda: T.Space({}), "non-empty"),
    (lambda: T.random_search(lambda x: x, {"x": T.Float(0, 1)}, 0), "n_trials"),
])
def test_bad_spaces_and_budgets(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_space_sampling_and_encoding():
    rng = np.random.default_rng(0)
    space = T.Space({"lr": T.Float(1e-4, 1e-1, log=True), "units": T.Int(1, 4),
                     "width": T.Int(8, 512, log=True), "act": T.Categorical(["relu", "tanh"])})
    samples = [space.sample(rng) for _ in range(4000)]
    lrs = np.array([s["lr"] for s in samples])
    assert lrs.min() >= 1e-4 and lrs.max() <= 1e-1
    # Log-uniform: each decade equally likely.
    counts = np.histogram(np.log10(lrs), bins=[-4, -3, -2, -1])[0]
    assert np.all(np.abs(counts / 4000 - 1 / 3) < 0.04)
    units = np.bincount([s["units"] for s in samples])[1:]
    assert np.all(np.abs(units / 4000 - 0.25) < 0.04)
    assert {s["act"] for s in samples} == {"relu", "tanh"}
    for s in samples[:50]:
        u = space.encode(s)
        assert u.shape == (space.width,) and np.all((u >= 0) & (u <= 1))
        decoded = space.decode(u)
        assert decoded["units"] == s["units"] and decoded["width"] == s["width"]
        assert decoded["act"] == s["act"] and decoded["lr"] == pytest.approx(s["lr"])


def test_random_search_is_seeded():
    space = {"x": T.Float(-5, 10), "y": T.Float(0, 15)}
    a = T.random_search(branin, space, 10, seed=3)
    b = T.random_search(branin, space, 10, seed=3)
    assert [t.params for t in a.history] == [t.params for t in b.history]
    assert a.best_score == min(a.scores)


def test_gp_interpolates_and_is_uncertain_away_from_data():
    X = np.linspace(0, 1, 8)[:, None]
    y = np.sin(6 * X[:, 0])
    for kernel in ("rbf", "matern52"):
        gp = T.GaussianProcess(kernel).fit(X, y)
        mean, std = gp.predict(X)
        np.testing.assert_allclose(mean, y, atol=1e-3)
        assert std.max() < 1e-2
        _, far = gp.predict(np.array([[3.0]]))
        assert far[0] > 0.5 * np.std(y)
        mid, _ = gp.predict(np.array([[0.5]]))
        assert mid[0] == pytest.approx(np.sin(3.0), abs=0.05)
    with pytest.raises(ValueError, match="kernel"):
        T.GaussianProcess("periodic")


def test_expected_improvement_matches_monte_carlo():
    rng = np.random.default_rng(0)
    mean, std, best = np.array([0.3, -0.2, 1.0]), np.array([0.5, 0.1, 2.0]), 0.1
    samples = rng.normal(mean, std, (400_000, 3))
    monte_carlo = np.maximum(best - samples, 0).mean(0)
    np.testing.assert_allclose(T.expected_improvement(mean, std, best), monte_carlo, rtol=0.02)
    np.testing.assert_array_equal(T.expected_improvement([0.0, 2.0], [0.0, 0.0], 1.0), [1.0, 0.0])


def _mean_regret(search, objective, space, optimum, budget, seeds, **kwargs):
    return np.mean([search(objective, space, budget, seed=s, **kwargs).best_score - optimum
                    for s in seeds])


def test_bayesian_optimization_beats_random_search_on_branin():
    space = {"x": T.Float(-5, 10), "y": T.Float(0, 15)}
    seeds = range(4)
    bo = _mean_regret(T.bayesian_optimization, branin, space, BRANIN_MIN, 20, seeds)
    rs = _mean_regret(T.random_search, branin, space, BRANIN_MIN, 20, seeds)
    assert bo < 0.5 * rs


def test_bayesian_optimization_beats_random_search_in_1d_and_maximises():
    space = {"x": T.Float(0.0, 1.0)}
    optimum = min(bumpy(x) for x in np.linspace(0, 1, 100001))
    seeds = range(4)
    bo = _mean_regret(T.bayesian_optimization, bumpy, space, optimum, 15, seeds)
    rs = _mean_regret(T.random_search, bumpy, space, optimum, 15, seeds)
    assert bo < 0.5 * rs
    result = T.bayesian_optimization(lambda x: -bumpy(x), space, 15, seed=0, maximize=True)
    assert result.best_score == max(result.scores)
    assert result.best_params["x"] == pytest.approx(0.7, abs=0.03)


def test_bayesian_optimization_mixed_space_is_seeded_and_never_repeats_discrete_points():
    def objective(units, act, lr):
        return (units - 3) ** 2 + (0.0 if act == "tanh" else 1.0) + (math.log10(lr) + 2) ** 2

    space = {"units": T.Int(1, 6), "act": T.Categorical(["relu", "tanh", "gelu"]),
             "lr": T.Float(1e-4, 1.0, log=True)}
    runs = [T.bayesian_optimization(objective, space, 20, seed=s, n_initial=4) for s in range(3)]
    again = T.bayesian_optimization(objective, space, 20, seed=0, n_initial=4)
    assert [t.params for t in runs[0].history] == [t.params for t in again.history]
    for result in runs:
        assert len(result.history) == 20
        keys = {(t.params["units"], t.params["act"], t.params["lr"]) for t in result.history}
        assert len(keys) == 20
        assert result.best_params["units"] == 3 and result.best_params["act"] == "tanh"
    random = [T.random_search(objective, space, 20, seed=s).best_score for s in range(3)]
    assert np.mean([r.best_score for r in runs]) < 0.5 * np.mean(random)
