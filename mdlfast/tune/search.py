"""Exhaustive grid search and seeded random search."""
from __future__ import annotations

import itertools
import numbers

import numpy as np

from mdlfast.tune.result import Trial, best_of, evaluate
from mdlfast.tune.space import Categorical, Float, Int, Space


def grid_search(objective, grid, *, maximize=False):
    """Evaluate objective(**params) at every combination of the grid's values.

    grid: {name: list of values, or an Int / Categorical (all of its values)}; a Float has no
    finite grid, so give its values as a list. Combinations run in the order of
    itertools.product over the names in the grid's order.
    """
    if not isinstance(grid, dict) or not grid:
        raise ValueError(f"grid must be a non-empty dict of name -> values, got {grid!r}")
    axes = {}
    for name, values in grid.items():
        if isinstance(values, (Int, Categorical)):
            values = values.values()
        elif isinstance(values, Float):
            raise ValueError(f"grid[{name!r}] is a continuous Float; list the values to try "
                             "(e.g. numpy.geomspace) or use random_search/bayesian_optimization")
        elif isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise ValueError(f"grid[{name!r}] must be a list of values, got {values!r}")
        values = list(values)
        if not values:
            raise ValueError(f"grid[{name!r}] is empty")
        axes[name] = values
    history = [Trial(params, evaluate(objective, params))
               for params in (dict(zip(axes, combo)) for combo in itertools.product(*axes.values()))]
    return best_of(history, maximize)


def random_search(objective, space, n_trials, *, seed=None, maximize=False):
    """Evaluate objective(**params) at n_trials points drawn independently from the space
    (uniform on each dimension's linear or log scale)."""
    space = space if isinstance(space, Space) else Space(space)
    n_trials = check_trials(n_trials)
    rng = np.random.default_rng(seed)
    history = []
    for _ in range(n_trials):
        params = space.sample(rng)
        history.append(Trial(params, evaluate(objective, params)))
    return best_of(history, maximize)


def check_trials(n_trials, name="n_trials"):
    """n_trials as a positive int."""
    if isinstance(n_trials, bool) or not isinstance(n_trials, numbers.Integral) or n_trials < 1:
        raise ValueError(f"{name} must be a positive integer, got {n_trials!r}")
    return int(n_trials)
