"""Benchmark cases for activation and activation_backward on one large tensor.

Kinds: relu (a pure stream), gelu (exact erf: the most arithmetic), sigmoid and silu. 2²³
elements (32 MiB a tensor: past the caches); 2¹⁸ in the quick suite. Work is the bytes a single
pass must move: x and y forward (8 bytes an element), dy, x and dx backward (12). The backward
takes x (the forward's input), as every kind can.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from mdlfast import kernels, reference
from mdlfast.bench.registry import MDLFAST, REFERENCE, Case, KernelBench, Side

_SEED = 0
_KINDS = ("relu", "gelu", "sigmoid", "silu")
_FULL = 1 << 23
_QUICK = 1 << 18


# params (kind, n); x and dy standard normal.

def _x(n):
    return np.random.default_rng(_SEED).standard_normal(n, dtype=np.float32)


def _dy(n):
    return np.random.default_rng(_SEED + 1).standard_normal(n, dtype=np.float32)


def _torch_function(kind):
    import torch
    import torch.nn.functional as F

    return {"relu": F.relu, "gelu": F.gelu, "sigmoid": torch.sigmoid, "silu": F.silu}[kind]


def _forward_with(api, params):
    kind, n = params
    return partial(api.activation, _x(n), kind)


def _forward_torch(params):
    import torch

    kind, n = params
    return partial(_torch_function(kind), torch.from_numpy(_x(n)))


def _backward_with(api, params):
    kind, n = params
    return partial(api.activation_backward, _dy(n), _x(n), None, kind)


def _backward_torch(params):
    """PyTorch's autograd backward: the recorded graph is replayed each call, the forward untimed."""
    import torch

    kind, n = params
    x = torch.from_numpy(_x(n)).requires_grad_()
    y = _torch_function(kind)(x)
    return partial(torch.autograd.grad, y, x, torch.from_numpy(_dy(n)), retain_graph=True)


def _cases(n, bytes_per_element):
    label = f"{n >> 20}M" if n >= 1 << 20 else f"{n >> 10}K"
    return tuple(Case(f"{kind} {label}", (kind, n), float(bytes_per_element * n)) for kind in _KINDS)


BENCHMARKS = (
    KernelBench(
        name="activation",
        shape_legend="kind elements",
        unit="byte",
        sides={
            MDLFAST: Side(partial(_forward_with, kernels)),
            REFERENCE: Side(partial(_forward_with, reference)),
            "torch": Side(_forward_torch, requires="torch"),
        },
        full=_cases(_FULL, 8),
        quick=_cases(_QUICK, 8),
    ),
    KernelBench(
        name="activation_backward",
        shape_legend="kind elements",
        unit="byte",
        sides={
            MDLFAST: Side(partial(_backward_with, kernels)),
            REFERENCE: Side(partial(_backward_with, reference)),
            "torch": Side(_backward_torch, requires="torch"),
        },
        full=_cases(_FULL, 12),
        quick=_cases(_QUICK, 12),
    ),
)
