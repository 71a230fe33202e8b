"""Newton's method and the quasi-Newton methods BFGS and L-BFGS, returning Trajectories."""
from __future__ import annotations

from collections import deque

import numpy as np

from mdlfast.playground.line_search import (backtracking, descent_direction_or_gradient,
                                            weak_wolfe)
from mdlfast.playground.trajectory import run


def newton(fn, x0, steps=20, *, line_search=None, tol=1e-10):
    """x <- x - t H(x)^{-1} g(x). Pure Newton (t = 1) minimises a positive-definite quadratic in
    one step; line_search="backtracking" damps it (Armijo) and falls back to -g where the Newton
    direction does not descend."""
    if line_search not in (None, "backtracking"):
        raise ValueError(f"line_search must be None or 'backtracking', got {line_search!r}")

    def update(x, g, k):
        direction = -np.linalg.solve(fn.hess(x), g)
        if line_search is None:
            return x + direction
        direction = descent_direction_or_gradient(direction, g)
        return x + backtracking(fn, x, direction, g=g) * direction

    return run("newton", fn, x0, steps, update, tol=tol)


def bfgs(fn, x0, steps=100, *, tol=1e-8):
    """BFGS: the inverse Hessian estimate H is updated from each step s and gradient change y,
    H <- (I - rho s y^T) H (I - rho y s^T) + rho s s^T with rho = 1 / y^T s (skipped when
    y^T s <= 0, which keeps H positive definite); steps satisfy the weak Wolfe conditions."""
    H = None
    previous = None

    def update(x, g, k):
        nonlocal H, previous
        if previous is not None:
            s, y = x - previous[0], g - previous[1]
            sy = s @ y
            if sy > 1e-12 * np.linalg.norm(s) * np.linalg.norm(y):
                if H is None:  # scale the first estimate to the observed curvature
                    H = np.eye(len(x)) * sy / (y @ y)
                rho = 1.0 / sy
                V = np.eye(len(x)) - rho * np.outer(s, y)
                H = V @ H @ V.T + rho * np.outer(s, s)
        direction = -(g if H is None else H @ g)
        direction = descent_direction_or_gradient(direction, g)
        previous = (x, g)
        return x + weak_wolfe(fn, x, direction, g=g) * direction

    return run("bfgs", fn, x0, steps, update, tol=tol)


def lbfgs(fn, x0, steps=100, *, history=10, tol=1e-8):
    """L-BFGS: the BFGS direction from the last `history` (s, y) pairs by the two-loop
    recursion, never forming a matrix; weak Wolfe steps."""
    if int(history) < 1:
        raise ValueError(f"history must be >= 1, got {history!r}")
    pairs = deque(maxlen=int(history))
    previous = None

    def update(x, g, k):
        nonlocal previous
        if previous is not None:
            s, y = x - previous[0], g - previous[1]
            if s @ y > 1e-12 * np.linalg.norm(s) * np.linalg.norm(y):
                pairs.append((s, y, 1.0 / (s @ y)))
        direction = -_two_loop(g, pairs)
        direction = descent_direction_or_gradient(direction, g)
        previous = (x, g)
        return x + weak_wolfe(fn, x, direction, g=g) * direction

    return run("l-bfgs", fn, x0, steps, update, tol=tol)


def _two_loop(g, pairs):
    """H g for the L-BFGS inverse-Hessian estimate built from `pairs` (oldest first)."""
    q = np.array(g, dtype=np.float64)
    alphas = []
    for s, y, rho in reversed(pairs):
        alpha = rho * (s @ q)
        q -= alpha * y
        alphas.append(alpha)
    if pairs:
        s, y, _ = pairs[-1]
        q *= (s @ y) / (y @ y)
    for (s, y, rho), alpha in zip(pairs, reversed(alphas)):
        q += (alpha - rho * (y @ q)) * s
    return q
