"""Step-size rules along a descent direction: exact (quadratics) and backtracking (Armijo)."""
from __future__ import annotations

import numpy as np

from mdlfast.playground.functions import Quadratic
from mdlfast.playground.trajectory import run


def exact_step(quadratic, x, direction):
    """The step t minimising f(x + t d) for a Quadratic: t = -g^T d / (d^T A d)."""
    g = quadratic.grad(x)
    curvature = direction @ quadratic.A @ direction
    if curvature <= 0:
        raise ValueError(f"exact line search needs positive curvature along the direction, "
                         f"got d^T A d = {curvature}")
    return float(-(g @ direction) / curvature)


def backtracking(fn, x, direction, *, t0=1.0, shrink=0.5, c=1e-4, max_halvings=60, g=None):
    """Armijo backtracking: the first t = t0 shrink^j with
    f(x + t d) <= f(x) + c t g^T d (sufficient decrease). d must be a descent direction."""
    if not 0 < shrink < 1 or not 0 < c < 1:
        raise ValueError(f"need 0 < shrink < 1 and 0 < c < 1, got shrink={shrink}, c={c}")
    slope = _descent_slope(fn, x, direction, g)
    fx = fn(x)
    t = float(t0)
    for _ in range(max_halvings):
        if fn(x + t * direction) <= fx + c * t * slope:
            return t
        t *= shrink
    return t


def weak_wolfe(fn, x, direction, *, c1=1e-4, c2=0.9, max_iter=60, g=None):
    """A step t satisfying the weak Wolfe conditions, sufficient decrease
    f(x + t d) <= f(x) + c1 t g^T d and curvature g(x + t d)^T d >= c2 g^T d, found by
    doubling and bisection. The curvature condition guarantees y^T s > 0, which quasi-Newton
    updates need (Armijo alone can accept steps too short to learn curvature from)."""
    if not 0 < c1 < c2 < 1:
        raise ValueError(f"need 0 < c1 < c2 < 1, got c1={c1}, c2={c2}")
    slope = _descent_slope(fn, x, direction, g)
    fx = fn(x)
    low, high, t = 0.0, np.inf, 1.0
    for _ in range(max_iter):
        if fn(x + t * direction) > fx + c1 * t * slope:
            high = t
        elif fn.grad(x + t * direction) @ direction < c2 * slope:
            low = t
        else:
            return t
        t = 2.0 * low if np.isinf(high) else 0.5 * (low + high)
    return t if low == 0.0 else low


def steepest_descent(fn, x0, steps=100, *, line_search="backtracking", tol=1e-10):
    """Gradient descent with the step chosen by `line_search`: "exact" (a Quadratic only; on a
    quadratic the successive directions are orthogonal) or "backtracking" (Armijo)."""
    if line_search == "exact":
        if not isinstance(fn, Quadratic):
            raise ValueError(f"line_search='exact' is closed-form for a Quadratic only, got "
                             f"{type(fn).__name__}")
        choose = lambda x, g: exact_step(fn, x, -g)  # noqa: E731
    elif line_search == "backtracking":
        choose = lambda x, g: backtracking(fn, x, -g, g=g)  # noqa: E731
    else:
        raise ValueError(f"line_search must be 'exact' or 'backtracking', got {line_search!r}")
    return run(f"steepest descent ({line_search})", fn, x0, steps,
               lambda x, g, k: x - choose(x, g) * g, tol=tol)


def descent_direction_or_gradient(direction, g):
    """direction when it points downhill, else -g (a safeguard for Newton and quasi-Newton
    steps where the curvature model is not positive definite)."""
    return direction if g @ direction < 0 else -np.asarray(g)


def _descent_slope(fn, x, direction, g):
    """g^T d at x (g computed when None); raises ValueError unless d is a descent direction."""
    g = fn.grad(x) if g is None else g
    slope = float(g @ direction)
    if slope >= 0:
        raise ValueError(f"direction is not a descent direction (g^T d = {slope})")
    return slope
