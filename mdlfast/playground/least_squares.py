"""Least squares, the problem on which the course compares SGD with full-batch GD."""
from __future__ import annotations

import numpy as np

from mdlfast.playground.first_order import _schedule
from mdlfast.playground.functions import TestFunction
from mdlfast.playground.trajectory import run


class LeastSquares(TestFunction):
    """f(x) = 1/(2n) ||A x - y||^2 over n rows; `minibatch_grad` estimates the gradient from a
    random subset of rows."""

    name = "least squares"

    def __init__(self, A, y):
        A = np.array(A, dtype=np.float64)
        y = np.array(y, dtype=np.float64).reshape(-1)
        if A.ndim != 2 or len(A) != len(y):
            raise ValueError(f"A must be [n, d] and y [n], got shapes {A.shape} and {y.shape}")
        self.A, self.y = A, y
        self.minima = np.linalg.lstsq(A, y, rcond=None)[0][None]

    def value(self, x):
        r = self.A @ x - self.y
        return 0.5 * (r @ r) / len(self.y)

    def grad(self, x):
        return self.A.T @ (self.A @ x - self.y) / len(self.y)

    def hess(self, x):
        return self.A.T @ self.A / len(self.y)

    def minibatch_grad(self, x, rows):
        """The gradient of the loss over the given rows only (an unbiased estimate when the rows
        are drawn uniformly)."""
        A = self.A[rows]
        return A.T @ (A @ x - self.y[rows]) / len(rows)


def make_least_squares(n_samples=200, n_features=2, *, noise=0.1, seed=None):
    """A random well-conditioned least-squares problem y = A x* + noise."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n_samples, n_features))
    x_true = rng.normal(size=n_features)
    return LeastSquares(A, A @ x_true + noise * rng.normal(size=n_samples))


def sgd(problem, x0, lr=0.05, steps=100, *, batch_size=1, seed=None, tol=0.0):
    """Stochastic gradient descent on a LeastSquares problem: each step uses the gradient of a
    fresh uniformly drawn mini-batch of rows (without replacement within a batch)."""
    if not isinstance(problem, LeastSquares):
        raise TypeError(f"sgd needs a LeastSquares problem, got {type(problem).__name__}")
    n = len(problem.y)
    if not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must lie in [1, {n}], got {batch_size!r}")
    step = _schedule(lr)
    rng = np.random.default_rng(seed)

    def estimate(x):
        return problem.minibatch_grad(x, rng.choice(n, batch_size, replace=False))

    return run("sgd", problem, x0, steps, lambda x, g, k: x - step(k) * g, grad=estimate, tol=tol)
