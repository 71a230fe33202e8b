"""Benchmark case for the softmax cross-entropy, forward and backward together (what a training
step runs): mdlfast's fused cross_entropy + cross_entropy_backward (the gradient written over the
probabilities, out=probs, as a training step can), the reference's, and PyTorch's F.cross_entropy
with its autograd backward (torch.autograd.grad, so no gradient accumulates).

Shape: 4096 rows of 1000 classes (256 × 1000 in the quick suite), mean reduction. Work is the
least a fused forward and backward must move: the logits read and their gradient written (8 bytes
an element).
"""
from __future__ import annotations

from functools import partial

import numpy as np

from mdlfast import kernels, reference
from mdlfast.bench.registry import MDLFAST, REFERENCE, Case, KernelBench, Side

_SEED = 0


# params (rows, classes); logits standard normal times 3, labels uniform.

def _operands(rows, classes):
    rng = np.random.default_rng(_SEED)
    logits = rng.standard_normal((rows, classes), dtype=np.float32) * np.float32(3)
    return logits, rng.integers(0, classes, size=rows)


def _forward_backward(api, logits, labels):
    loss, probs = api.cross_entropy(logits, labels)
    return loss, api.cross_entropy_backward(probs, labels, out=probs)


def _with(api, params):
    return partial(_forward_backward, api, *_operands(*params))


def _torch(params):
    import torch
    import torch.nn.functional as F

    logits, labels = _operands(*params)
    x = torch.from_numpy(logits).requires_grad_()
    t = torch.from_numpy(labels)

    def step():
        loss = F.cross_entropy(x, t)
        return loss, torch.autograd.grad(loss, x)

    return step


def _case(rows, classes):
    return Case(f"{rows}x{classes}", (rows, classes), 8.0 * rows * classes)


BENCHMARKS = (
    KernelBench(
        name="cross_entropy_forward_backward",
        shape_legend="rows x classes",
        unit="byte",
        sides={
            MDLFAST: Side(partial(_with, kernels)),
            REFERENCE: Side(partial(_with, reference)),
            "torch": Side(_torch, requires="torch"),
        },
        full=(_case(4096, 1000),),
        quick=(_case(256, 1000),),
    ),
)
