"""Scores of generated samples: a digits classifier trained by the library rates generated
digits (class confidence and class spread), and the maximum mean discrepancy with an RBF kernel
measures how far 2-D samples are from held-out data."""
from __future__ import annotations

import numpy as np

from mdlfast import optim
from mdlfast.autograd import no_grad, tensor
from mdlfast.models.datasets import load_split
from mdlfast.models.mlp import MLP
from mdlfast.nn import functional as F
from mdlfast.random import manual_seed

_SCORERS = {}


def digits_in_unit_range(seed=0):
    """(train, test) pairs (X [N, 64] in [0, 1], y) of the zoo's stratified digits split."""
    split = load_split("digits", seed=seed, standardize=False)
    return (split.X_train, split.y_train), (split.X_test, split.y_test)


class DigitScorer:
    """An MLP 64-256-128-10 trained (Adam, 60 epochs) on the training digits in [0, 1]; its
    `probabilities(X)` rate images flattened to [N, 64] in [0, 1]."""

    def __init__(self, seed=0, epochs=60):
        (X, y), (X_test, y_test) = digits_in_unit_range(seed)
        manual_seed(seed)
        self.model = MLP(64, hidden=(256, 128), out_features=10)
        opt = optim.Adam(self.model.parameters(), lr=1e-3)
        rng = np.random.default_rng(seed)
        for _ in range(epochs):
            order = rng.permutation(len(X))
            for start in range(0, len(X), 64):
                rows = order[start:start + 64]
                loss = F.cross_entropy(self.model(tensor(X[rows])), y[rows])
                opt.zero_grad()
                loss.backward()
                opt.step()
        probs = self.probabilities(X_test)
        self.test_accuracy = float(np.mean(probs.argmax(1) == y_test))
        self.test_confidence = float(probs.max(1).mean())

    def probabilities(self, X):
        """Softmax class probabilities [N, 10] of images X (any shape [N, ...] of 64 pixels)."""
        X = np.asarray(X, np.float32).reshape(len(X), -1)
        self.model.eval()
        with no_grad():
            return self.model(tensor(X)).softmax(1).numpy()

    def score(self, X):
        """mean_confidence (mean top-class probability), classes_covered (distinct predicted
        classes), min_class_fraction and class_entropy (of the predicted-class histogram, in
        nats; log 10 = 2.303 is a perfectly even spread) of the samples X in [0, 1]."""
        probs = self.probabilities(np.clip(X, 0.0, 1.0))
        counts = np.bincount(probs.argmax(1), minlength=10)
        share = counts / counts.sum()
        nonzero = share[share > 0]
        return {"mean_confidence": float(probs.max(1).mean()),
                "classes_covered": int((counts > 0).sum()),
                "min_class_fraction": float(share.min()),
                "class_entropy": float(-(nonzero * np.log(nonzero)).sum())}


def digit_scorer(seed=0):
    """The DigitScorer of `seed`, trained once per process."""
    if seed not in _SCORERS:
        _SCORERS[seed] = DigitScorer(seed)
    return _SCORERS[seed]


def _squared_distances(a, b):
    return np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T, 0.0)


def mmd_rbf(X, Y, bandwidth=None):
    """The (biased, V-statistic) squared maximum mean discrepancy between samples X and Y under
    the kernel exp(-|x - y|^2 / (2 bandwidth^2)); bandwidth defaults to the median pairwise
    distance of the pooled samples."""
    X, Y = np.asarray(X, np.float64), np.asarray(Y, np.float64)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        raise ValueError(f"mmd_rbf: X and Y must be [n, d] with the same d, got {X.shape} and "
                         f"{Y.shape}")
    if bandwidth is None:
        pooled = np.concatenate([X, Y])
        bandwidth = float(np.sqrt(np.median(_squared_distances(pooled, pooled))))
    gamma = 1.0 / (2.0 * bandwidth ** 2)
    kxx = np.exp(-gamma * _squared_distances(X, X)).mean()
    kyy = np.exp(-gamma * _squared_distances(Y, Y)).mean()
    kxy = np.exp(-gamma * _squared_distances(X, Y)).mean()
    return float(kxx + kyy - 2.0 * kxy)


def gaussian_baseline(X, n, seed=0):
    """n samples of the Gaussian with X's mean and covariance: the trivial generative model."""
    rng = np.random.default_rng(seed)
    X = np.asarray(X, np.float64)
    return rng.multivariate_normal(X.mean(0), np.cov(X.T), size=n)


def image_grid(images, rows, cols, pad=1):
    """Tile images [N, H, W] (N >= rows*cols) into one [rows*(H+pad), cols*(W+pad)] array."""
    images = np.asarray(images)
    h, w = images.shape[-2:]
    images = images.reshape(-1, h, w)
    grid = np.zeros((rows * (h + pad), cols * (w + pad)), images.dtype)
    for k in range(rows * cols):
        r, c = divmod(k, cols)
        grid[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = images[k]
    return grid


def save_sample_grid(images, path, rows=8, cols=8, title=None):
    """Save a grid of images in [0, 1] as a picture (needs matplotlib)."""
    from mdlfast.train.plot import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.imshow(image_grid(np.clip(images, 0, 1), rows, cols), cmap="gray_r", vmin=0, vmax=1)
    ax.axis("off")
    if title:
        ax.set_title(title)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
