"""The record an optimiser run returns: every iterate and its loss, ready to plot."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Trajectory:
    """points[k] is the k-th iterate ([steps + 1, d], the start first), losses[k] its loss."""

    name: str
    points: np.ndarray
    losses: np.ndarray

    @property
    def x(self):
        """The last iterate."""
        return self.points[-1]

    @property
    def loss(self):
        """The loss at the last iterate."""
        return float(self.losses[-1])

    @property
    def steps(self):
        """The number of steps taken (iterates minus one)."""
        return len(self.points) - 1


def start_point(x0):
    """x0 as a fresh 1-D float64 array."""
    x = np.array(x0, dtype=np.float64).reshape(-1)
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError(f"x0 must be a non-empty finite vector, got {x0!r}")
    return x


def check_steps(steps):
    """steps as a non-negative int."""
    if isinstance(steps, bool) or int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    return int(steps)


def run(name, fn, x0, steps, update, *, grad=None, tol=0.0):
    """Iterate `x <- update(x, g, k)` with g the gradient at x (from `grad`, default fn.grad),
    stopping after `steps` steps or once ||g|| <= tol."""
    x = start_point(x0)
    steps = check_steps(steps)
    gradient = fn.grad if grad is None else grad
    points, losses = [x.copy()], [fn(x)]
    for k in range(steps):
        g = gradient(x)
        if np.linalg.norm(g) <= tol:
            break
        x = update(x, g, k)
        points.append(x.copy())
        losses.append(fn(x))
    return Trajectory(name, np.array(points), np.array(losses, dtype=np.float64))
