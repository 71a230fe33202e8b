"""Inputs for the attention tests: q, k, v and the masks, shared by the reference and kernel tests."""
from __future__ import annotations

import numpy as np

from _checks import randn


def qkv(rng, batch, heads, tq, tk, d, dv=None, dtype=np.float32):
    dv = d if dv is None else dv
    return (randn(rng, (batch, heads, tq, d), dtype), randn(rng, (batch, heads, tk, d), dtype),
            randn(rng, (batch, heads, tk, dv), dtype))


def random_mask(rng, shape, empty_rows=0):
    """A boolean mask of this (broadcastable) shape, about 70% True, with `empty_rows` query rows
    (the second-to-last axis) entirely False."""
    mask = rng.random(shape) < 0.7
    if empty_rows and len(shape) >= 2:
        rows = rng.choice(shape[-2], size=min(empty_rows, shape[-2]), replace=False)
        mask[..., rows, :] = False
    return mask
