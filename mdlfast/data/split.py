"""Random (optionally stratified) splits of a dataset into Subsets."""
from __future__ import annotations

import math
import numbers

import numpy as np

from mdlfast.data.dataset import Subset
from mdlfast.data.loader import make_generator


def random_split(dataset, lengths, *, generator=None, seed=None):
    """Split `dataset` into non-overlapping random Subsets, as torch.utils.data.random_split.

    lengths: integer sizes summing to len(dataset), or fractions summing to 1 (the floor of each
    fraction's share, the remainder handed out one item at a time from the first split on).
    """
    n = len(dataset)
    sizes = _split_sizes(n, lengths)
    rng = make_generator(generator, seed, owner="random_split")
    order = rng.permutation(n)
    bounds = np.cumsum([0] + sizes)
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def train_val_test_split(dataset, val_fraction=0.1, test_fraction=0.1, *, stratify=None,
                         generator=None, seed=None):
    """Split `dataset` into (train, val, test) Subsets.

    stratify: optional labels (one per item); each class is then split in the same proportions,
    so every split keeps the class balance (per class, each split's count is within one item of
    its fraction's share). Without it the split is a plain random split.
    """
    for name, value in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0.0 <= value < 1.0:
            raise ValueError(f"train_val_test_split: {name} must lie in [0, 1), got {value}")
    if val_fraction + test_fraction >= 1.0:
        raise ValueError("train_val_test_split: val_fraction + test_fraction must be < 1, got "
                         f"{val_fraction} + {test_fraction}")
    fractions = [1.0 - val_fraction - test_fraction, val_fraction, test_fraction]
    if stratify is None:
        return random_split(dataset, fractions, generator=generator, seed=seed)
    labels = np.asarray(stratify).reshape(-1)
    if len(labels) != len(dataset):
        raise ValueError(f"train_val_test_split: stratify must hold one label per item "
                         f"({len(dataset)}), got {len(labels)}")
    rng = make_generator(generator, seed, owner="train_val_test_split")
    parts = [[], [], []]
    for cls in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == cls))
        bounds = np.cumsum([0] + _split_sizes(len(members), fractions))
        for part, a, b in zip(parts, bounds[:-1], bounds[1:]):
            part.append(members[a:b])
    return [Subset(dataset, rng.permutation(np.concatenate(p))) for p in parts]


def _split_sizes(n, lengths):
    lengths = list(lengths)
    if not lengths:
        raise ValueError("lengths: expected at least one length, got none")
    if all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in lengths):
        if any(v < 0 for v in lengths) or sum(lengths) != n:
            raise ValueError(f"lengths: integer lengths must be non-negative and sum to the "
                             f"dataset's length {n}, got {lengths}")
        return [int(v) for v in lengths]
    if any(not 0.0 <= v <= 1.0 for v in lengths) or not math.isclose(sum(lengths), 1.0,
                                                                       abs_tol=1e-6):
        raise ValueError(f"lengths: fractions must lie in [0, 1] and sum to 1, got {lengths}")
    sizes = [int(math.floor(n * f)) for f in lengths]
    for i in range(n - sum(sizes)):
        sizes[i % len(sizes)] += 1
    return sizes
