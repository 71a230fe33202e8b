"""Test functions for the optimiser playground, each with its gradient, Hessian and known
minima. `f(x)` evaluates; `f.grad(x)` and `f.hess(x)` differentiate."""
from __future__ import annotations

import numpy as np


class TestFunction:
    """A smooth function R^d -> R with analytic derivatives.

    minima: the known minimisers (rows); bounds: a ((x_lo, x_hi), (y_lo, y_hi)) box that shows
    them, for plotting.
    """

    __test__ = False  # not a pytest test class, despite the name
    name = "function"
    minima = np.empty((0, 2))
    bounds = ((-2.0, 2.0), (-2.0, 2.0))

    def __call__(self, x):
        return float(self.value(np.asarray(x, dtype=np.float64)))

    def value(self, x):
        """f(x) for a float64 vector x (calling the function itself returns a Python float)."""
        raise NotImplementedError

    def grad(self, x):
        """The gradient of f at x, a vector like x."""
        raise NotImplementedError

    def hess(self, x):
        """The Hessian of f at x, a symmetric [d, d] matrix."""
        raise NotImplementedError


class Quadratic(TestFunction):
    """f(x) = 1/2 x^T A x - b^T x + c with A symmetric; for A positive definite the unique
    minimiser is A^{-1} b."""

    name = "quadratic"

    def __init__(self, A, b=None, c=0.0):
        A = np.array(A, dtype=np.float64)
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise ValueError(f"A must be a square matrix, got shape {A.shape}")
        if not np.allclose(A, A.T):
            raise ValueError("A must be symmetric")
        b = np.zeros(len(A)) if b is None else np.array(b, dtype=np.float64).reshape(-1)
        if b.shape != (len(A),):
            raise ValueError(f"b must have length {len(A)}, got shape {b.shape}")
        self.A, self.b, self.c = A, b, float(c)
        eigenvalues = np.linalg.eigvalsh(A)
        self.minima = (np.linalg.solve(A, b)[None] if eigenvalues.min() > 0
                       else np.empty((0, len(A))))
        reach = 1.5 * (np.abs(self.minima).max() if self.minima.size else 1.0) + 1.0
        self.bounds = ((-reach, reach), (-reach, reach))

    def value(self, x):
        return 0.5 * x @ self.A @ x - self.b @ x + self.c

    def grad(self, x):
        return self.A @ np.asarray(x, dtype=np.float64) - self.b

    def hess(self, x):
        return self.A.copy()


class Rosenbrock(TestFunction):
    """f(x, y) = (a - x)^2 + b (y - x^2)^2: a curved narrow valley, minimum at (a, a^2)."""

    name = "rosenbrock"
    bounds = ((-2.0, 2.0), (-1.0, 3.0))

    def __init__(self, a=1.0, b=100.0):
        self.a, self.b = float(a), float(b)
        self.minima = np.array([[self.a, self.a ** 2]])

    def value(self, p):
        x, y = _xy(p)
        return (self.a - x) ** 2 + self.b * (y - x * x) ** 2

    def grad(self, p):
        x, y = _xy(p)
        return np.array([-2 * (self.a - x) - 4 * self.b * x * (y - x * x),
                         2 * self.b * (y - x * x)])

    def hess(self, p):
        x, y = _xy(p)
        off = -4 * self.b * x
        return np.array([[2 - 4 * self.b * (y - x * x) + 8 * self.b * x * x, off],
                         [off, 2 * self.b]])


class Beale(TestFunction):
    """f(x, y) = sum_{i=1..3} (c_i - x + x y^i)^2 with c = (1.5, 2.25, 2.625); minimum at (3, 1/2)."""

    name = "beale"
    minima = np.array([[3.0, 0.5]])
    bounds = ((-4.5, 4.5), (-4.5, 4.5))
    _c = (1.5, 2.25, 2.625)

    def _terms(self, p):
        x, y = _xy(p)
        for i, c in enumerate(self._c, start=1):
            residual = c - x + x * y ** i
            gradient = np.array([y ** i - 1, i * x * y ** (i - 1)])
            curvature = np.array([[0.0, i * y ** (i - 1)],
                                  [i * y ** (i - 1), i * (i - 1) * x * y ** max(i - 2, 0)]])
            yield residual, gradient, curvature

    def value(self, p):
        return sum(r * r for r, _, _ in self._terms(p))

    def grad(self, p):
        return sum(2 * r * g for r, g, _ in self._terms(p))

    def hess(self, p):
        return sum(2 * (np.outer(g, g) + r * h) for r, g, h in self._terms(p))


class Himmelblau(TestFunction):
    """f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2: four minima, all with value 0."""

    name = "himmelblau"
    minima = np.array([[3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186],
                       [3.584428, -1.848126]])
    bounds = ((-5.0, 5.0), (-5.0, 5.0))

    def value(self, p):
        x, y = _xy(p)
        return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2

    def grad(self, p):
        x, y = _xy(p)
        u, v = x * x + y - 11, x + y * y - 7
        return np.array([4 * x * u + 2 * v, 2 * u + 4 * y * v])

    def hess(self, p):
        x, y = _xy(p)
        off = 4 * x + 4 * y
        return np.array([[12 * x * x + 4 * y - 42, off], [off, 4 * x + 12 * y * y - 26]])


def _xy(p):
    p = np.asarray(p, dtype=np.float64).reshape(-1)
    if p.shape != (2,):
        raise ValueError(f"this function takes a 2-vector, got shape {p.shape}")
    return p[0], p[1]
