"""Contour plots of a 2-D test function with optimiser trajectories over it (matplotlib)."""
from __future__ import annotations

import numpy as np


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError("plot_trajectories needs matplotlib, which is not installed: "
                          "pip install 'mdlfast[plot]' (or matplotlib)") from error
    return plt


def plot_trajectories(fn, trajectories, *, ax=None, bounds=None, levels=30, resolution=200):
    """Draw log-spaced contours of the 2-D function `fn` and each Trajectory's path on `ax`
    (a new figure's axes by default); the known minima are starred. Returns the axes."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5))
    (x_lo, x_hi), (y_lo, y_hi) = fn.bounds if bounds is None else bounds
    xs = np.linspace(x_lo, x_hi, resolution)
    ys = np.linspace(y_lo, y_hi, resolution)
    grid = np.array([[fn(np.array([x, y])) for x in xs] for y in ys])
    shifted = grid - grid.min() + 1e-3
    contour_levels = np.geomspace(shifted.min(), shifted.max(), levels)
    ax.contour(xs, ys, shifted, levels=contour_levels, cmap="viridis", linewidths=0.6)
    for trajectory in trajectories:
        ax.plot(trajectory.points[:, 0], trajectory.points[:, 1], ".-", markersize=3,
                linewidth=1, label=f"{trajectory.name} ({trajectory.steps} steps)")
    if len(fn.minima):
        ax.plot(fn.minima[:, 0], fn.minima[:, 1], "k*", markersize=10, label="minimum")
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_title(fn.name)
    ax.legend(fontsize=8)
    return ax
