"""A strong-Wolfe line search (Nocedal & Wright, Numerical Optimization, algorithms 3.5 and 3.6)
on NumPy vectors, with safeguarded cubic interpolation. It makes the same decisions as
torch.optim.LBFGS's line search, so LBFGS(line_search_fn="strong_wolfe") follows PyTorch's
iterates; BFGS and Newton use it too.
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple, Tuple

import numpy as np

__all__ = ["LineSearchResult", "cubic_minimizer", "strong_wolfe"]


def cubic_minimizer(t1, f1, g1, t2, f2, g2, bounds=None):
    """The minimiser of the cubic through (t1, f1) and (t2, f2) with slopes g1 and g2, clipped to
    `bounds` (default: the interval between t1 and t2); the bounds' midpoint when the cubic has no
    minimiser."""
    low, high = bounds if bounds is not None else (min(t1, t2), max(t1, t2))
    d1 = g1 + g2 - 3.0 * (f1 - f2) / (t1 - t2)
    discriminant = d1 * d1 - g1 * g2
    if discriminant < 0:
        return (low + high) / 2.0
    d2 = math.sqrt(discriminant)
    if t1 <= t2:
        t = t2 - (t2 - t1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2))
    else:
        t = t1 - (t1 - t2) * ((g1 + d2 - d1) / (g1 - g2 + 2.0 * d2))
    return min(max(t, low), high)


class LineSearchResult(NamedTuple):
    f: float  # the objective at the accepted step
    g: np.ndarray  # its gradient
    t: float  # the accepted step length
    evaluations: int


class _Point(NamedTuple):
    t: float
    f: float
    g: np.ndarray
    slope: float  # g . d


def strong_wolfe(evaluate: Callable[[float], Tuple[float, np.ndarray]], d, t, f, g, slope, *,
                 c1=1e-4, c2=0.9, tolerance_change=1e-9, max_evaluations=25) -> LineSearchResult:
    """Search along d from x (where the objective is f, its gradient g, and slope = g.d < 0) for a
    step t satisfying the strong Wolfe conditions f(x+td) <= f + c1 t slope and
    |g(x+td).d| <= c2 |slope|, starting from the trial step t. `evaluate(t)` returns the objective
    and gradient at x + t d. Stops after max_evaluations evaluations with the best point found."""
    d_scale = float(np.abs(d).max())
    start = _Point(0.0, f, g.copy(), slope)

    def at(step):
        f_new, g_new = evaluate(step)
        return _Point(step, float(f_new), g_new, float(np.dot(g_new, d)))

    def sufficient_decrease(p):
        return p.f <= f + c1 * p.t * slope

    def curvature(p):
        return abs(p.slope) <= -c2 * slope

    # Bracketing phase: grow the step until an interval is known to hold an acceptable one.
    previous, current = start, at(t)
    evaluations, iteration = 1, 0
    bracket = None
    while iteration < max_evaluations:
        if not sufficient_decrease(current) or (iteration > 1 and current.f >= previous.f):
            bracket = [previous, current]
            break
        if curvature(current):
            return LineSearchResult(current.f, current.g, current.t, evaluations)
        if current.slope >= 0:
            bracket = [previous, current]
            break
        t_next = cubic_minimizer(previous.t, previous.f, previous.slope, current.t, current.f,
                                 current.slope,
                                 bounds=(current.t + 0.01 * (current.t - previous.t), current.t * 10))
        previous, current = current, at(t_next)
        evaluations += 1
        iteration += 1
    if bracket is None:
        bracket = [start, current]

    # Zoom phase: shrink the bracket, keeping at `low` the point with the lower objective.
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    stuck = False
    while iteration < max_evaluations:
        a, b = bracket
        if abs(b.t - a.t) * d_scale < tolerance_change:
            break
        t_next = cubic_minimizer(a.t, a.f, a.slope, b.t, b.f, b.slope)
        left, right = min(a.t, b.t), max(a.t, b.t)
        margin = 0.1 * (right - left)
        # A trial step too close to the bracket's ends makes little progress: after it happens
        # twice in a row (or the step falls outside), move it a margin inside instead.
        if min(right - t_next, t_next - left) < margin:
            if stuck or t_next >= right or t_next <= left:
                t_next = right - margin if abs(t_next - right) < abs(t_next - left) else left + margin
                stuck = False
            else:
                stuck = True
        else:
            stuck = False
        trial = at(t_next)
        evaluations += 1
        iteration += 1
        if not sufficient_decrease(trial) or trial.f >= bracket[low].f:
            bracket[high] = trial
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
        else:
            if curvature(trial):
                bracket[low] = trial
                break
            if trial.slope * (bracket[high].t - bracket[low].t) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = trial
    best = bracket[low]
    return LineSearchResult(best.f, best.g, best.t, evaluations)
