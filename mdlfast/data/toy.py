"""scikit-learn's bundled datasets (digits, iris, breast cancer, wine) as float32/int64 arrays.

They ship inside scikit-learn, so loading them needs no network: `pip install mdlfast[data]`.
"""
from __future__ import annotations

import numpy as np


def _sklearn_datasets():
    try:
        from sklearn import datasets
    except ImportError as error:
        raise ImportError("this dataset ships with scikit-learn, which is not installed: "
                          "pip install 'mdlfast[data]' (or scikit-learn)") from error
    return datasets


def _arrays(bunch):
    return np.ascontiguousarray(bunch.data, dtype=np.float32), np.asarray(bunch.target, np.int64)


def load_digits(*, images=False):
    """The 1797 8x8 handwritten digits: X float32 [1797, 64] (grey levels 0..16), y int64 in 0..9.

    images=True gives X as [1797, 1, 8, 8] (NCHW), ready for a convolutional network.
    """
    X, y = _arrays(_sklearn_datasets().load_digits())
    return (X.reshape(-1, 1, 8, 8), y) if images else (X, y)


def load_iris():
    """Fisher's iris: X float32 [150, 4], y int64 in 0..2."""
    return _arrays(_sklearn_datasets().load_iris())


def load_breast_cancer():
    """Wisconsin diagnostic breast cancer: X float32 [569, 30], y int64 in {0, 1}."""
    return _arrays(_sklearn_datasets().load_breast_cancer())


def load_wine():
    """UCI wine recognition: X float32 [178, 13], y int64 in 0..2."""
    return _arrays(_sklearn_datasets().load_wine())
