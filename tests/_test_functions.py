"""Optimisation test functions in NumPy, shared by the line-search and optimizer tests."""
from __future__ import annotations

import numpy as np


def rosenbrock(x):
    """The extended Rosenbrock function of a vector and its gradient: (f, g). Minimum 0 at ones."""
    f = np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
    g = np.zeros_like(x)
    g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return f, g
