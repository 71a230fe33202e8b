"""Unit 6's hyper-parameter tuning problem, for grid search, random search and GP Bayesian
optimisation (mdlfast.tune).

The stated problem: choose the learning rate (1e-4 to 100, log scale), the momentum (0 to 0.99)
and the L2 weight decay (1e-6 to 1, log scale) of softmax regression trained by `steps` steps
of full-batch gradient descent with momentum on the digits training split, minimising the
log10 of the validation cross-entropy (diverging runs score log10(10) = 1). Good settings lie
in a narrow band of large learning rates and momenta, which a model of the surface (the GP)
finds faster than random draws.
"""
from __future__ import annotations

import numpy as np

from mdlfast import nn, optim, tune
from mdlfast.autograd import no_grad, tensor
from mdlfast.random import manual_seed

SPACE = {"lr": tune.Float(1e-4, 100.0, log=True),
         "momentum": tune.Float(0.0, 0.99),
         "weight_decay": tune.Float(1e-6, 1.0, log=True)}
GRID = {"lr": [1e-3, 1e-2, 1e-1, 1.0, 10.0], "momentum": [0.0, 0.5, 0.9],
        "weight_decay": [1e-6, 1e-3, 1.0]}
DIVERGED_LOSS = 10.0


def softmax_regression_objective(split, *, steps=10, seed=0):
    """objective(lr, momentum, weight_decay) -> log10 of the validation cross-entropy after `steps` full-batch GD steps."""
    X, y = tensor(split.X_train), tensor(split.y_train)
    X_val, y_val = tensor(split.X_val), tensor(split.y_val)

    def objective(lr, momentum, weight_decay):
        manual_seed(seed)
        model = nn.Linear(split.num_features, split.num_classes)
        opt = optim.SGD(model.parameters(), lr=lr, momentum=momentum,
                        weight_decay=weight_decay)
        for _ in range(steps):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(X), y)
            if not np.isfinite(loss.item()):
                return float(np.log10(DIVERGED_LOSS))
            loss.backward()
            opt.step()
        with no_grad():
            value = nn.functional.cross_entropy(model(X_val), y_val).item()
        value = min(value, DIVERGED_LOSS) if np.isfinite(value) else DIVERGED_LOSS
        return float(np.log10(value))

    return objective


def compare_searches(objective, *, budget=15, seeds=(0, 1, 2), n_initial=5):
    """Best score of random search and of GP-BO (EI) with `budget` evaluations per seed, and of
    the grid search. Returns a dict: {"random": [...], "bayes": [...], "grid": float}."""
    scores = {"random": [], "bayes": []}
    for seed in seeds:
        scores["random"].append(tune.random_search(objective, SPACE, budget, seed=seed).best_score)
        scores["bayes"].append(tune.bayesian_optimization(objective, SPACE, budget, seed=seed,
                                                          n_initial=n_initial).best_score)
    scores["grid"] = tune.grid_search(objective, GRID).best_score
    return scores
