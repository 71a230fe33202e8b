"""Matplotlib figures of training runs: learning curves, confusion matrices, reconstructions,
and (re-exported from the playground) optimizer trajectories. matplotlib is imported only when
a plot is drawn: pip install 'mdlfast[plot]'."""
from __future__ import annotations

import numpy as np

from mdlfast.playground.plot import plot_trajectories


def pyplot():
    """matplotlib.pyplot (matplotlib picks the backend: a file-only one without a display); a
    clear ImportError when matplotlib is missing."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError("plotting needs matplotlib, which is not installed: "
                          "pip install 'mdlfast[plot]' (or matplotlib)") from error
    return plt


def _axes(ax, figsize):
    if ax is not None:
        return ax
    _, ax = pyplot().subplots(figsize=figsize)
    return ax


def plot_history(history, keys=None, *, ax=None):
    """Learning curves: each recorded value (loss, val_loss, accuracy, ...; default all but lr and
    seconds) against the epoch. Losses and accuracies go on twin axes. Returns the axes."""
    ax = _axes(ax, (6, 4))
    keys = [k for k in (keys or history.keys()) if k not in ("lr", "seconds")]
    epochs = np.arange(1, history.epochs + 1)
    losses = [k for k in keys if "acc" not in k]
    scores = [k for k in keys if "acc" in k]
    for key in losses:
        ax.plot(epochs, history[key], label=key)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    handles, labels = ax.get_legend_handles_labels()
    if scores:
        twin = ax.twinx()
        for key in scores:
            twin.plot(epochs, history[key], "--", label=key)
        twin.set_ylabel("accuracy")
        more_handles, more_labels = twin.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    ax.legend(handles, labels, fontsize=8)
    return ax


def plot_confusion_matrix(matrix, class_names=None, *, ax=None, normalize=False):
    """The confusion matrix (rows: true class, columns: predicted), counts written in the cells.
    normalize=True shows each row's fractions. Returns the axes."""
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"plot_confusion_matrix: matrix must be square, got shape {matrix.shape}")
    if normalize:
        matrix = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    ax = _axes(ax, (5, 5))
    ax.imshow(matrix, cmap="Blues")
    n = matrix.shape[0]
    names = list(class_names) if class_names is not None else [str(i) for i in range(n)]
    ax.set_xticks(range(n), names)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = matrix.max() / 2
    for i in range(n):
        for j in range(n):
            text = f"{matrix[i, j]:.2f}" if normalize else f"{int(matrix[i, j])}"
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="white" if matrix[i, j] > threshold else "black")
    return ax


def plot_reconstructions(originals, reconstructions, *, image_shape=None, n=8, fig=None,
                         labels=("original", "reconstruction")):
    """Originals (top row) over their reconstructions (bottom row) as grey images; image_shape
    reshapes flat rows (e.g. (8, 8)); labels name the two rows. Returns the figure."""
    originals, reconstructions = np.asarray(originals), np.asarray(reconstructions)
    if originals.shape != reconstructions.shape:
        raise ValueError(f"plot_reconstructions: originals {originals.shape} and "
                         f"reconstructions {reconstructions.shape} must have the same shape")
    n = min(n, len(originals))
    plt = pyplot()
    fig = fig or plt.figure(figsize=(1.2 * n, 2.6))
    axes = fig.subplots(2, n, squeeze=False)
    for row, images in enumerate((originals, reconstructions)):
        for j in range(n):
            image = images[j].reshape(image_shape) if image_shape else np.squeeze(images[j])
            axes[row, j].imshow(image, cmap="gray")
            axes[row, j].axis("off")
    for row, label in enumerate(labels):
        axes[row, 0].set_title(label, fontsize=8, loc="left")
    return fig


def save_figure(ax_or_fig, path):
    """Write the figure holding `ax_or_fig` to `path` and close it."""
    fig = getattr(ax_or_fig, "figure", None) or ax_or_fig
    fig.tight_layout()
    fig.savefig(path)
    pyplot().close(fig)


__all__ = ["plot_confusion_matrix", "plot_history", "plot_reconstructions", "plot_trajectories",
           "pyplot", "save_figure"]
