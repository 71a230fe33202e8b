"""Label handling shared by the classification metrics."""
from __future__ import annotations

import numpy as np


def check_pair(y_true, y_pred, owner):
    """1-D label arrays of equal length."""
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.ndim != 1 or y_pred.ndim != 1:
        raise ValueError(f"{owner}: y_true and y_pred must be 1-D label arrays, got shapes "
                         f"{y_true.shape} and {y_pred.shape}")
    if len(y_true) != len(y_pred):
        raise ValueError(f"{owner}: y_true and y_pred must have the same length, got "
                         f"{len(y_true)} and {len(y_pred)}")
    return y_true, y_pred


def present_labels(*arrays):
    """The sorted union of the labels that occur."""
    return np.unique(np.concatenate([np.asarray(a).reshape(-1) for a in arrays]))
