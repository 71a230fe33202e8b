"""Zoo entry of unit 3: the optimizer playground on the Rosenbrock function."""
from __future__ import annotations

import re

import numpy as np

from mdlfast import playground as pg
from mdlfast.models.registry import Run, ZooEntry, register

START = (-1.5, 2.0)


def trajectories(steps):
    """Every playground method from START on Rosenbrock with `steps` iterations."""
    fn, x0 = pg.Rosenbrock(), np.array(START)
    return fn, [
        pg.gradient_descent(fn, x0, lr=1e-3, steps=steps),
        pg.momentum(fn, x0, lr=1e-3, steps=steps, beta=0.9),
        pg.nesterov(fn, x0, lr=1e-3, steps=steps, beta=0.9),
        pg.adagrad(fn, x0, lr=0.5, steps=steps),
        pg.rmsprop(fn, x0, lr=0.01, steps=steps),
        pg.adam(fn, x0, lr=0.05, steps=steps),
        pg.steepest_descent(fn, x0, steps=steps),
        pg.newton(fn, x0, steps=min(steps, 50), line_search="backtracking"),
        pg.bfgs(fn, x0, steps=steps),
        pg.lbfgs(fn, x0, steps=steps),
    ]


def _key(name):
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") + "_loss"


def _train(entry, config, *, dataset, seed, progress):
    fn, runs = trajectories(config["epochs"])
    result = {_key(t.name): t.loss for t in runs}
    best = min(runs, key=lambda t: t.loss)
    result["best_loss"] = best.loss
    result["best_method"] = best.name
    if progress:
        for t in runs:
            print(f"  {t.name:<20} {t.steps:>5} steps  f = {t.loss:.3e}")

    def plot(path):
        from mdlfast.train.plot import plot_trajectories, save_figure

        save_figure(plot_trajectories(fn, runs), path)

    return Run(result, plot=plot)


register(ZooEntry(
    name="optimizer_playground", unit=3,
    summary="GD, momentum, Nesterov, Adagrad, RMSprop, Adam, line search, Newton, (L-)BFGS on "
            "Rosenbrock",
    dataset="rosenbrock", datasets=("rosenbrock",), build=None, train=_train,
    quick={"epochs": 200}, full={"epochs": 2000}, headline="best_loss"))
