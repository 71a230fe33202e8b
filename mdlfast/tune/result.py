"""What a search returns."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Trial:
    """One evaluation: the parameters tried and the objective's value."""

    params: dict
    score: float


@dataclass
class TuneResult:
    """best_params and best_score (the minimum, or the maximum when maximize), and every trial
    in the order it ran."""

    best_params: dict
    best_score: float
    history: list = field(default_factory=list)

    @property
    def scores(self):
        """The objective values in evaluation order."""
        return np.array([t.score for t in self.history])


def evaluate(objective, params):
    """objective(**params) as a finite float; anything else is the objective's error."""
    score = objective(**params)
    try:
        score = float(score)
    except (TypeError, ValueError) as error:
        raise ValueError(f"objective must return a number, got {score!r} for {params}") from error
    if not np.isfinite(score):
        raise ValueError(f"objective returned {score} for {params}; it must be finite")
    return score


def best_of(history, maximize):
    """The TuneResult for a list of trials."""
    if not history:
        raise ValueError("no trials were run")
    pick = max if maximize else min
    best = pick(history, key=lambda t: t.score)
    return TuneResult(dict(best.params), best.score, history)
