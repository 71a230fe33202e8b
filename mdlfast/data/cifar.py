"""CIFAR-10 from the official "python version" batches on the user's disk.

The batches are pickles; a pickle can run arbitrary code, so they are read with an unpickler
that rebuilds only dicts, lists, strings, bytes, numbers and NumPy arrays.
"""
from __future__ import annotations

import io
import os
import pickle

import numpy as np

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck")

# The only globals a pickled NumPy array needs (numpy.core became numpy._core in NumPy 2;
# protocol 5 rebuilds arrays with _frombuffer). Protocol 2 written by Python 3 spells bytes as
# _codecs.encode(text, "latin1"), which only converts text to bytes.
_ALLOWED_GLOBALS = {
    ("_codecs", "encode"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"refusing to load {module}.{name}: a CIFAR batch holds only dicts, lists, bytes and "
            "NumPy arrays")


def load_pickle_batch(path):
    """Unpickle one CIFAR batch file safely (bytes keys, as written by Python 2)."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        obj = _RestrictedUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except pickle.UnpicklingError as error:
        raise pickle.UnpicklingError(f"{path}: {error}") from error
    except (EOFError, ValueError, TypeError, IndexError, KeyError) as error:
        raise ValueError(f"{path}: corrupt or truncated pickle ({type(error).__name__}: {error})") from error
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: expected a dict, got {type(obj).__name__}")
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in obj.items()}


def load_cifar10(root, *, train=True, scale=True):
    """CIFAR-10 from `root` (the `cifar-10-batches-py` folder or its parent).

    train: data_batch_1..5, else test_batch. Returns X float32 [N, 3, 32, 32] (divided by 255 when
    scale) and y int64 [N]; class names are in CIFAR10_CLASSES.
    """
    folder = os.path.join(root, "cifar-10-batches-py")
    folder = folder if os.path.isdir(folder) else root
    names = [f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]
    images, labels = [], []
    for name in names:
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            raise FileNotFoundError(f"{folder}: CIFAR-10 batch {name} not found")
        batch = load_pickle_batch(path)
        if "data" not in batch or "labels" not in batch:
            raise ValueError(f"{path}: expected keys 'data' and 'labels', got {sorted(batch)}")
        data = np.asarray(batch["data"])
        y = np.asarray(batch["labels"])
        if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
            raise ValueError(f"{path}: data must be uint8 [N, 3072], got {data.dtype} {data.shape}")
        if y.shape != (len(data),) or not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"{path}: expected {len(data)} integer labels, got {y.dtype} {y.shape}")
        if y.size and (y.min() < 0 or y.max() >= len(CIFAR10_CLASSES)):
            raise ValueError(f"{path}: labels must lie in 0..9, got [{y.min()}, {y.max()}]")
        images.append(data)
        labels.append(y)
    X = np.concatenate(images).reshape(-1, 3, 32, 32).astype(np.float32)
    if scale:
        X /= 255.0
    return X, np.concatenate(labels).astype(np.int64)
