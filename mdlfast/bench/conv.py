"""Benchmark cases for conv2d: the forward pass, and a whole training step of a convolution
layer (conv2d then conv2d_backward: y, then dx, dw, db).

Layers: LeNet's two convolutions (batch 64: 1→6 5×5 on 28×28, 6→16 5×5 on 14×14) and two ResNet
3×3 convolutions with padding 1 (batch 32: 64→64 on 32×32, 128→128 on 16×16). Work is counted
as 2·N·O·OH·OW·C·kh·kw flops for the forward and three times that for forward + backward (dx and
dw each cost one forward). The torch side is torch.nn.functional.conv2d, with autograd's backward
for the training step.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from mdlfast import kernels, reference
from mdlfast.bench.registry import MDLFAST, REFERENCE, Case, KernelBench, Side

_SEED = 0


# params: (n, c, h, w, o, k, padding): x is n×c×h×w, w is o×c×k×k, stride 1.

def _operands(n, c, h, w, o, k, padding):
    rng = np.random.default_rng(_SEED)
    x = rng.standard_normal((n, c, h, w), dtype=np.float32)
    wt = rng.standard_normal((o, c, k, k), dtype=np.float32) / np.float32(np.sqrt(c * k * k))
    b = rng.standard_normal(o, dtype=np.float32)
    out = h + 2 * padding - k + 1, w + 2 * padding - k + 1
    dy = np.random.default_rng(_SEED + 1).standard_normal((n, o) + out, dtype=np.float32)
    return x, wt, b, dy


def _forward_with(api, params):
    x, w, b, _ = _operands(*params)
    return partial(api.conv2d, x, w, b, padding=params[-1])


def _training_step_with(api, params):
    x, w, b, dy = _operands(*params)
    padding = params[-1]

    def step():
        y = api.conv2d(x, w, b, padding=padding)
        return y, api.conv2d_backward(dy, x, w, padding=padding)

    return step


def _forward_torch(params):
    import torch
    import torch.nn.functional as F

    x, w, b, _ = (torch.from_numpy(v) for v in _operands(*params))
    return partial(F.conv2d, x, w, b, padding=params[-1])


def _training_step_torch(params):
    import torch
    import torch.nn.functional as F

    x, w, b, dy = (torch.from_numpy(v) for v in _operands(*params))
    for t in (x, w, b):
        t.requires_grad_()
    padding = params[-1]

    def step():
        y = F.conv2d(x, w, b, padding=padding)
        return y, torch.autograd.grad(y, (x, w, b), dy)

    return step


def _case(n, c, h, w, o, k, padding, backward=False):
    out = (h + 2 * padding - k + 1) * (w + 2 * padding - k + 1)
    flops = 2.0 * n * o * out * c * k * k * (3 if backward else 1)
    label = f"{n}x{c}x{h}x{w} {c}->{o} {k}x{k}" + (f" pad{padding}" if padding else "")
    return Case(label, (n, c, h, w, o, k, padding), flops)


_LENET_1 = (64, 1, 28, 28, 6, 5, 0)
_LENET_2 = (64, 6, 14, 14, 16, 5, 0)
_RESNET_64 = (32, 64, 32, 32, 64, 3, 1)
_RESNET_128 = (32, 128, 16, 16, 128, 3, 1)
_LAYERS = (_LENET_1, _LENET_2, _RESNET_64, _RESNET_128)
_QUICK = (_LENET_2, (8, 32, 16, 16, 32, 3, 1))

BENCHMARKS = (
    KernelBench(
        name="conv2d",
        shape_legend="N x C x H x W  C -> O  kh x kw [padding], stride 1",
        unit="flop",
        sides={
            MDLFAST: Side(partial(_forward_with, kernels)),
            REFERENCE: Side(partial(_forward_with, reference)),
            "torch": Side(_forward_torch, requires="torch"),
        },
        full=tuple(_case(*layer) for layer in _LAYERS),
        quick=tuple(_case(*layer) for layer in _QUICK),
    ),
    KernelBench(
        name="conv2d_backward",
        shape_legend="forward + backward (y, dx, dw, db): N x C x H x W  C -> O  kh x kw [padding]",
        unit="flop",
        sides={
            MDLFAST: Side(partial(_training_step_with, kernels)),
            REFERENCE: Side(partial(_training_step_with, reference)),
            "torch": Side(_training_step_torch, requires="torch"),
        },
        full=tuple(_case(*layer, backward=True) for layer in _LAYERS),
        quick=tuple(_case(*layer, backward=True) for layer in _QUICK),
    ),
)
