"""Hyper-parameter search (NumPy only): grid search, random search and Gaussian-process
Bayesian optimisation with expected improvement.

    Float, Int, Categorical, Space          search spaces (linear or log scales)
    grid_search, random_search, bayesian_optimization -> TuneResult(best_params, best_score,
                                                                    history)
    GaussianProcess, expected_improvement
"""
from mdlfast.tune.bayes import bayesian_optimization
from mdlfast.tune.gp import GaussianProcess, expected_improvement
from mdlfast.tune.result import Trial, TuneResult
from mdlfast.tune.search import grid_search, random_search
from mdlfast.tune.space import Categorical, Float, Int, Space

__all__ = [
    "Categorical", "Float", "GaussianProcess", "Int", "Space", "Trial", "TuneResult",
    "bayesian_optimization", "expected_improvement", "grid_search", "random_search",
]
