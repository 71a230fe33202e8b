"""Map-style datasets: the PyTorch protocol (`__getitem__` and `__len__`) over NumPy arrays."""
from __future__ import annotations

import numpy as np


class Dataset:
    """Base class of a map-style dataset: subclasses define `__getitem__(i)` and `__len__()`."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class TensorDataset(Dataset):
    """Items are the i-th rows of equally long arrays (NumPy arrays or mdlfast Tensors).

    `TensorDataset(X, y)[i] == (X[i], y[i])`. Indexing every array with one index array at
    once (`take_batch`) lets the DataLoader gather a whole batch without a per-item loop.
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset: expected at least one array, got none")
        lengths = [_length(a, k) for k, a in enumerate(arrays)]
        if any(n != lengths[0] for n in lengths):
            raise ValueError(
                f"TensorDataset: every array must have the same first dimension, got {lengths}")
        self.arrays = arrays

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)

    def __len__(self):
        return _length(self.arrays[0], 0)

    def take_batch(self, indices):
        """The items at `indices` already stacked: a tuple of arrays with a leading batch axis."""
        return tuple(_take(a, indices) for a in self.arrays)


class Subset(Dataset):
    """The items of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices):
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(dataset)
        if indices.size and (indices.min() < -n or indices.max() >= n):
            raise ValueError(f"Subset: indices must lie in [-{n}, {n}), got "
                             f"[{indices.min()}, {indices.max()}]")
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        return self.dataset[int(self.indices[index])]

    def __len__(self):
        return len(self.indices)


def batch_gatherer(dataset):
    """A function `indices -> stacked batch` when `dataset` can gather a batch in one step
    (a TensorDataset, possibly behind Subsets), else None."""
    index_maps = []
    while isinstance(dataset, Subset):
        index_maps.append(dataset.indices)
        dataset = dataset.dataset
    if not isinstance(dataset, TensorDataset):
        return None

    def gather(indices):
        indices = np.asarray(indices, dtype=np.int64)
        for mapping in index_maps:
            indices = mapping[indices]
        return dataset.take_batch(indices)

    return gather


def _length(array, position):
    shape = getattr(array, "shape", None)
    if shape is None or len(shape) == 0:
        raise ValueError(f"TensorDataset: array {position} must have at least one dimension, "
                         f"got {type(array).__name__} with shape {shape}")
    return int(shape[0])


def _take(array, indices):
    if isinstance(array, np.ndarray):
        return array[indices]
    from mdlfast.data.collate import tensor_type

    tensor = tensor_type()
    if tensor is not None and isinstance(array, tensor):
        import mdlfast

        return mdlfast.tensor(array.data[indices], device=getattr(array, "device", "cpu"))
    return array[indices]
