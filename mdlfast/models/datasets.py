"""The zoo's datasets: a fixed-seed stratified train/validation/test split, scaled for training.

Vector sets (digits, iris, wine, breast_cancer, moons, spirals) are standardised by the training
split's feature means and deviations; image sets (digits as [N, 1, 8, 8]) are scaled to [0, 1].
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from mdlfast import data

VECTOR_DATASETS = ("digits", "iris", "wine", "breast_cancer", "moons", "spirals")
IMAGE_DATASETS = ("digits",)
VAL_FRACTION, TEST_FRACTION = 0.15, 0.2


@dataclass
class Split:
    """Train/validation/test arrays (float32 inputs, int64 labels) of one dataset."""
    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    image_shape: Optional[Tuple[int, ...]] = None

    @property
    def num_features(self):
        """Input size of a vector set (C*H*W for an image set)."""
        return int(np.prod(self.X_train.shape[1:]))

    def loader(self, part, batch_size, *, shuffle=False, seed=None, targets=None):
        """A DataLoader over `part` ("train", "val" or "test"); targets="inputs" pairs each input
        with itself (autoencoders)."""
        X, y = getattr(self, f"X_{part}"), getattr(self, f"y_{part}")
        dataset = data.TensorDataset(X, X if targets == "inputs" else y)
        return data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, seed=seed)


def _raw(name, seed, images):
    if name == "digits":
        X, y = data.load_digits(images=images)
        return X / np.float32(16.0), y
    if images:
        raise ValueError(f"dataset: image models train on one of {IMAGE_DATASETS}, got {name!r}")
    if name in ("iris", "wine", "breast_cancer"):
        return getattr(data, f"load_{name}")()
    if name == "moons":
        return data.make_moons(600, noise=0.2, seed=seed)
    if name == "spirals":
        return data.make_spirals(200, 3, seed=seed)
    raise ValueError(f"dataset: expected one of {VECTOR_DATASETS}, got {name!r}")


def load_split(name="digits", *, seed=0, images=False, standardize=True):
    """The stratified train/val/test split (65/15/20 %) of dataset `name`, drawn with `seed`."""
    X, y = _raw(name, seed, images)
    parts = data.train_val_test_split(data.TensorDataset(X, y), VAL_FRACTION, TEST_FRACTION,
                                      stratify=y, seed=seed)
    arrays = []
    for part in parts:
        arrays += [X[part.indices], y[part.indices]]
    X_train = arrays[0]
    if standardize and not images:
        mean = X_train.mean(axis=0)
        scale = np.maximum(X_train.std(axis=0), 0.1 * max(float(X_train.std()), 1e-6))
        arrays[0::2] = [((a - mean) / scale).astype(np.float32) for a in arrays[0::2]]
    arrays = [np.ascontiguousarray(a) for a in arrays]
    return Split(name, *arrays, num_classes=int(y.max()) + 1,
                 image_shape=tuple(X.shape[1:]) if images else None)
