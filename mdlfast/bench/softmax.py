"""Benchmark cases for softmax and softmax_backward along the last axis.

Shapes: 4096 rows of 1000 classes (a classifier's batch), and softmax over the first axis of the
same array (a strided axis); 256 × 1000 in the quick suite. Work is the bytes a single pass must
move: x and y forward (8 bytes an element), dy, y and dx backward (12).
"""
from __future__ import annotations

from functools import partial

import numpy as np

from mdlfast import kernels, reference
from mdlfast.bench.registry import MDLFAST, REFERENCE, Case, KernelBench, Side

_SEED = 0


# params (rows, classes, axis); logits standard normal times 3, dy standard normal.

def _x(rows, classes):
    return np.random.default_rng(_SEED).standard_normal((rows, classes), dtype=np.float32) * np.float32(3)


def _dy(rows, classes):
    return np.random.default_rng(_SEED + 1).standard_normal((rows, classes), dtype=np.float32)


def _forward_with(api, params):
    rows, classes, axis = params
    return partial(api.softmax, _x(rows, classes), axis)


def _forward_torch(params):
    import torch

    rows, classes, axis = params
    return partial(torch.softmax, torch.from_numpy(_x(rows, classes)), axis)


def _backward_with(api, params):
    rows, classes, axis = params
    y = kernels.softmax(_x(rows, classes), axis)
    return partial(api.softmax_backward, _dy(rows, classes), y, axis)


def _backward_torch(params):
    """PyTorch's autograd backward of softmax: the graph is replayed each call, the forward untimed."""
    import torch

    rows, classes, axis = params
    x = torch.from_numpy(_x(rows, classes)).requires_grad_()
    y = torch.softmax(x, axis)
    return partial(torch.autograd.grad, y, x, torch.from_numpy(_dy(rows, classes)), retain_graph=True)


def _case(rows, classes, axis, bytes_per_element):
    return Case(f"{rows}x{classes} axis{axis}", (rows, classes, axis), float(bytes_per_element * rows * classes))


BENCHMARKS = (
    KernelBench(
        name="softmax",
        shape_legend="rows x classes, axis",
        unit="byte",
        sides={
            MDLFAST: Side(partial(_forward_with, kernels)),
            REFERENCE: Side(partial(_forward_with, reference)),
            "torch": Side(_forward_torch, requires="torch"),
        },
        full=(_case(4096, 1000, 1, 8), _case(4096, 1000, 0, 8)),
        quick=(_case(256, 1000, 1, 8),),
    ),
    KernelBench(
        name="softmax_backward",
        shape_legend="rows x classes, axis",
        unit="byte",
        sides={
            MDLFAST: Side(partial(_backward_with, kernels)),
            REFERENCE: Side(partial(_backward_with, reference)),
            "torch": Side(_backward_torch, requires="torch"),
        },
        full=(_case(4096, 1000, 1, 12),),
        quick=(_case(256, 1000, 1, 12),),
    ),
)
