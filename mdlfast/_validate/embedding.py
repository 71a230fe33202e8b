"""Validation of embedding and embedding_backward arguments (API.md: embedding).

Indices may be int64 or int32, as PyTorch accepts; they are range-checked here, before anything
is copied, since PyTorch (unlike NumPy indexing) gives negative indices no meaning.
"""
from __future__ import annotations

import numbers
from typing import NamedTuple, Optional

import numpy as np

from mdlfast._validate.common import check_array, check_same_device

INDEX_DTYPES = (np.dtype(np.int64), np.dtype(np.int32))


def check_count(value, name):
    """A non-negative int (not bool); returns it as int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return int(value)


def padding_row(padding_idx, num_embeddings):
    """The row that padding_idx names, negative values counting from the end as in PyTorch;
    None for no padding row."""
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, numbers.Integral):
        raise TypeError(f"padding_idx must be an int or None, got {type(padding_idx).__name__}")
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(
            f"padding_idx must lie in [-{num_embeddings}, {num_embeddings}) (num_embeddings = "
            f"{num_embeddings}), got {padding_idx}"
        )
    return int(padding_idx) % num_embeddings


def _check_indices(indices, num_embeddings):
    check_array(indices, "indices", INDEX_DTYPES)
    if indices.size:
        low, high = int(indices.min()), int(indices.max())
        if low < 0 or high >= num_embeddings:
            bad = low if low < 0 else high
            raise ValueError(
                f"indices must lie in [0, {num_embeddings}) (num_embeddings), got {bad}"
            )
    return indices.reshape(-1)


class EmbeddingArgs(NamedTuple):
    indices: object  # [n], int32 or int64
    weight: object  # [num_embeddings, dim]
    padding_idx: Optional[int]  # in [0, num_embeddings) or None
    out_shape: tuple  # indices.shape + (dim,)
    device: str


def embedding_args(indices, weight, padding_idx, dtypes) -> EmbeddingArgs:
    check_array(weight, "weight", dtypes, (2,))
    num_embeddings, dim = weight.shape
    padding_idx = padding_row(padding_idx, num_embeddings)
    check_array(indices, "indices", INDEX_DTYPES)
    device = check_same_device(indices=indices, weight=weight)
    flat = _check_indices(indices, num_embeddings)
    return EmbeddingArgs(flat, weight, padding_idx, tuple(indices.shape) + (dim,), device)


class EmbeddingBackwardArgs(NamedTuple):
    dy: object  # [n, dim]
    indices: object  # [n]
    num_embeddings: int
    padding_idx: Optional[int]
    device: str


def embedding_backward_args(dy, indices, num_embeddings, padding_idx, dtypes) -> EmbeddingBackwardArgs:
    num_embeddings = check_count(num_embeddings, "num_embeddings")
    padding_idx = padding_row(padding_idx, num_embeddings)
    check_array(indices, "indices", INDEX_DTYPES)
    check_array(dy, "dy", dtypes)
    if dy.ndim != indices.ndim + 1 or tuple(dy.shape[:-1]) != tuple(indices.shape):
        raise ValueError(
            f"dy must have shape indices.shape + (dim,) = {tuple(indices.shape)} + (dim,), "
            f"got {tuple(dy.shape)}"
        )
    device = check_same_device(dy=dy, indices=indices)
    flat = _check_indices(indices, num_embeddings)
    return EmbeddingBackwardArgs(dy.reshape(flat.shape[0], dy.shape[-1]), flat, num_embeddings,
                                 padding_idx, device)
