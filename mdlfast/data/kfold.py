"""K-fold cross-validation splitters yielding index arrays, as scikit-learn's KFold and
StratifiedKFold."""
from __future__ import annotations

import numbers
import warnings

import numpy as np


class KFold:
    """Split n samples into `n_splits` consecutive folds (shuffled first if `shuffle`).

    `split(X)` yields `(train_indices, test_indices)` once per fold; each sample is in exactly one
    test fold; the first `n % n_splits` folds hold one sample more than the others.
    """

    def __init__(self, n_splits=5, *, shuffle=False, seed=None):
        if isinstance(n_splits, bool) or not isinstance(n_splits, numbers.Integral) or n_splits < 2:
            raise ValueError(f"n_splits must be an integer >= 2, got {n_splits!r}")
        if seed is not None and not shuffle:
            raise ValueError("seed has no effect without shuffle=True; drop it or shuffle")
        self.n_splits = int(n_splits)
        self.shuffle = bool(shuffle)
        self.seed = seed

    def get_n_splits(self, X=None, y=None):
        """The number of folds."""
        return self.n_splits

    def split(self, X, y=None):
        """Yield (train, test) int64 index arrays, one pair per fold."""
        n = _num_samples(X)
        if self.n_splits > n:
            raise ValueError(f"n_splits={self.n_splits} is larger than the number of samples {n}")
        order = np.random.default_rng(self.seed).permutation(n) if self.shuffle else np.arange(n)
        fold_of = np.empty(n, dtype=np.int64)
        sizes = np.full(self.n_splits, n // self.n_splits)
        sizes[: n % self.n_splits] += 1
        fold_of[order] = np.repeat(np.arange(self.n_splits), sizes)
        yield from _folds(fold_of, self.n_splits)


class StratifiedKFold(KFold):
    """K folds that keep each class's proportion: per class, the folds' counts differ by at most
    one, and the folds' sizes differ by at most one.

    Samples are ordered by class (shuffled within each class if `shuffle`) and dealt to the folds
    in turn.
    """

    def split(self, X, y):
        """Yield (train, test) int64 index arrays, one pair per fold, stratified on labels y."""
        n = _num_samples(X)
        y = np.asarray(y).reshape(-1) if y is not None else None
        if y is None or len(y) != n:
            raise ValueError(f"y: StratifiedKFold needs one label per sample ({n}), "
                             f"got {None if y is None else len(y)}")
        if self.n_splits > n:
            raise ValueError(f"n_splits={self.n_splits} is larger than the number of samples {n}")
        classes, encoded, counts = np.unique(y, return_inverse=True, return_counts=True)
        if counts.min() < self.n_splits:
            warnings.warn(f"the least populated class has only {counts.min()} members, fewer "
                          f"than n_splits={self.n_splits}", UserWarning, stacklevel=2)
        rng = np.random.default_rng(self.seed)
        tiebreak = rng.random(n) if self.shuffle else np.arange(n)
        order = np.lexsort((tiebreak, encoded))
        fold_of = np.empty(n, dtype=np.int64)
        fold_of[order] = np.arange(n) % self.n_splits
        yield from _folds(fold_of, self.n_splits)


def _folds(fold_of, n_splits):
    for k in range(n_splits):
        yield np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)


def _num_samples(X):
    if isinstance(X, numbers.Integral):
        return int(X)
    if hasattr(X, "shape") and len(X.shape) > 0:
        return int(X.shape[0])
    return len(X)
