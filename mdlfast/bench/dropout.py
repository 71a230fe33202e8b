"""Benchmark cases for dropout (p = 0.5) and dropout_backward on 10M elements (2¹⁸ in the quick
suite), against the reference (Philox in NumPy) and PyTorch's F.dropout (its own generator).

Work is the bytes a single pass must move: x read, y written and the 1-byte mask written forward
(9 bytes an element); dy and the mask read and dx written backward (9).
"""
from __future__ import annotations

from functools import partial

import numpy as np

from mdlfast import kernels, reference
from mdlfast.bench.registry import MDLFAST, REFERENCE, Case, KernelBench, Side

_SEED = 0
_P = 0.5


def _x(n):
    return np.random.default_rng(_SEED).standard_normal(n, dtype=np.float32)


def _forward_with(api, params):
    (n,) = params
    return partial(api.dropout, _x(n), _P, seed=1234)


def _forward_torch(params):
    import torch
    import torch.nn.functional as F

    (n,) = params
    return partial(F.dropout, torch.from_numpy(_x(n)), _P, True)


def _backward_with(api, params):
    (n,) = params
    _, mask = kernels.dropout(_x(n), _P, seed=1234)
    return partial(api.dropout_backward, _x(n), mask, _P)


def _case(n):
    label = f"{n / 1e6:g}M" if n >= 10**6 else f"{n >> 10}K"
    return Case(label, (n,), 9.0 * n)


BENCHMARKS = (
    KernelBench(
        name="dropout",
        shape_legend="elements",
        unit="byte",
        sides={
            MDLFAST: Side(partial(_forward_with, kernels)),
            REFERENCE: Side(partial(_forward_with, reference)),
            "torch": Side(_forward_torch, requires="torch"),
        },
        full=(_case(10_000_000),),
        quick=(_case(1 << 18),),
    ),
    KernelBench(
        name="dropout_backward",
        shape_legend="elements",
        unit="byte",
        sides={
            MDLFAST: Side(partial(_backward_with, kernels)),
            REFERENCE: Side(partial(_backward_with, reference)),
        },
        full=(_case(10_000_000),),
        quick=(_case(1 << 18),),
    ),
)
