"""Bayesian optimisation: a Gaussian process over the evaluated points, and the next point
chosen by maximising expected improvement."""
from __future__ import annotations

import numpy as np

from mdlfast.tune.gp import GaussianProcess, expected_improvement
from mdlfast.tune.result import Trial, best_of, evaluate
from mdlfast.tune.search import check_trials
from mdlfast.tune.space import Space


def bayesian_optimization(objective, space, n_trials, *, n_initial=5, seed=None, maximize=False,
                          kernel="matern52", xi=0.01, n_candidates=1000, n_refine=5):
    """Minimise (or maximise) objective(**params) over `space` in n_trials evaluations.

    The first n_initial points are random; then each point maximises the expected improvement
    of a GP fitted to all evaluations so far (targets standardised; xi in those units). The
    EI is maximised over n_candidates random points, the best n_refine of which are refined by
    a shrinking random local search; points already evaluated are skipped.
    """
    space = space if isinstance(space, Space) else Space(space)
    n_trials = check_trials(n_trials)
    n_initial = check_trials(n_initial, "n_initial")
    rng = np.random.default_rng(seed)
    gp = GaussianProcess(kernel)
    sign = -1.0 if maximize else 1.0
    history, seen = [], set()
    while len(history) < n_trials:
        params = None
        if len(history) >= n_initial:
            X = np.array([space.encode(t.params) for t in history])
            y = sign * np.array([t.score for t in history])
            params = _next_point(space, gp.fit(X, y), y.min(), rng, xi, n_candidates, n_refine,
                                 seen)
        if params is None:
            params = _unseen_sample(space, rng, seen)
        seen.add(_key(params))
        history.append(Trial(params, evaluate(objective, params)))
    return best_of(history, maximize)


def _next_point(space, gp, best, rng, xi, n_candidates, n_refine, seen):
    """The not-yet-evaluated point of highest expected improvement, or None if none is found."""
    def acquisition(U):
        mean, std = gp.predict(U)
        return expected_improvement(mean, std, best, xi * gp.y_scale)

    U = space.random_unit(rng, n_candidates)
    scores = acquisition(U)
    starts = np.argsort(-scores)[:n_refine]
    refined = [_refine(U[i], scores[i], acquisition, space.snap, rng) for i in starts]
    pool = np.concatenate([np.array([u for u, _ in refined]), U])
    pool_scores = np.concatenate([[s for _, s in refined], scores])
    for i in np.argsort(-pool_scores):
        params = space.decode(pool[i])
        if _key(params) not in seen:
            return params
    return None


def _refine(u, score, acquisition, snap, rng, rounds=12, scale=0.1, shrink=0.7, proposals=8):
    """Random local search: Gaussian steps around u, kept when they raise the acquisition."""
    for _ in range(rounds):
        trial = snap(u + rng.normal(0.0, scale, (proposals, len(u))))
        trial_scores = acquisition(trial)
        k = int(np.argmax(trial_scores))
        if trial_scores[k] > score:
            u, score = trial[k], trial_scores[k]
        else:
            scale *= shrink
    return u, score


def _unseen_sample(space, rng, seen, attempts=100):
    for _ in range(attempts):
        params = space.sample(rng)
        if _key(params) not in seen:
            return params
    return params  # a small discrete space may be exhausted: repeat a point


def _key(params):
    return tuple(sorted((k, repr(v)) for k, v in params.items()))
