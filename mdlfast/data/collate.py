"""Stacking a list of items into a batch, as torch.utils.data.default_collate does, in NumPy."""
from __future__ import annotations

import numbers
import sys
from collections.abc import Mapping, Sequence

import numpy as np


def tensor_type():
    """`mdlfast.Tensor` if the autodiff layer exists (and is importable), else None."""
    module = sys.modules.get("mdlfast")
    tensor = getattr(module, "Tensor", None) if module is not None else None
    if tensor is None:
        try:
            from mdlfast import Tensor as tensor
        except ImportError:
            return None
    return tensor


def default_collate(batch):
    """Stack a list of items into one batch.

    NumPy arrays are stacked along a new leading axis; NumPy scalars become a 1-D array of their
    dtype, Python scalars one of bool, int64 or float64 (as PyTorch's default collate); mdlfast
    Tensors are stacked into a Tensor; strings stay a list; tuples, lists and dicts are collated
    field by field.
    """
    if len(batch) == 0:
        raise ValueError("default_collate: expected a non-empty batch, got an empty list")
    first = batch[0]
    tensor = tensor_type()
    if tensor is not None and isinstance(first, tensor):
        import mdlfast

        stacked = _stack([t.data for t in batch], "Tensor")
        return mdlfast.tensor(stacked, device=getattr(first, "device", "cpu"))
    if isinstance(first, np.ndarray):
        return _stack(batch, "array")
    if isinstance(first, np.generic):
        # NumPy scalars (rows of a 1-D array) keep their dtype, as 0-d tensors do in PyTorch.
        return np.asarray(batch)
    if isinstance(first, bool):
        return np.asarray(batch, dtype=np.bool_)
    if isinstance(first, numbers.Integral):
        return np.asarray(batch, dtype=np.int64)
    if isinstance(first, numbers.Real):
        return np.asarray(batch, dtype=np.float64)
    if isinstance(first, (str, bytes)):
        return list(batch)
    if isinstance(first, Mapping):
        return {key: default_collate([item[key] for item in batch]) for key in first}
    if isinstance(first, Sequence):
        lengths = {len(item) for item in batch}
        if len(lengths) != 1:
            raise ValueError(
                f"default_collate: every item must have the same length, got lengths {sorted(lengths)}")
        fields = [default_collate(list(column)) for column in zip(*batch)]
        return tuple(fields) if isinstance(first, tuple) else fields
    raise TypeError(
        "default_collate: items must be NumPy arrays, scalars, strings, mdlfast Tensors, or "
        f"tuples/lists/dicts of these, got {type(first).__name__}")


def _stack(arrays, what):
    shapes = {tuple(a.shape) for a in arrays}
    if len(shapes) != 1:
        raise ValueError(
            f"default_collate: every {what} in a batch must have the same shape, got {sorted(shapes)}")
    xp = sys.modules.get("cupy") if type(arrays[0]).__module__.startswith("cupy") else np
    return xp.stack(arrays)
