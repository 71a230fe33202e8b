"""Benchmark cases for 2×2 max pooling: forward, backward, and the two together (a training
step's share), at N=64, C=64, 32×32 (the quick suite: N=8).

Peers: PyTorch in its fastest layout for pooling, channels_last ("torch"), and in plain NCHW
("torch_nchw"), both through the ATen operators (max_pool2d_with_indices and its backward), so
no autograd bookkeeping is timed. Work is the bytes moved: forward, x read and y and the int64
indices written; backward, dy and the indices read and dx written.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from mdlfast import kernels, reference
from mdlfast.bench.registry import MDLFAST, REFERENCE, Case, KernelBench, Side

_SEED = 0
_KERNEL = 2


# params (n, c, h, w).

def _x(n, c, h, w):
    return np.random.default_rng(_SEED).standard_normal((n, c, h, w), dtype=np.float32)


def _dy(n, c, h, w):
    return np.random.default_rng(_SEED + 1).standard_normal((n, c, h // _KERNEL, w // _KERNEL),
                                                            dtype=np.float32)


def _forward_with(api, params):
    return partial(api.max_pool2d, _x(*params), _KERNEL)


def _backward_with(api, params):
    x = _x(*params)
    _, indices = api.max_pool2d(x, _KERNEL)
    return partial(api.max_pool2d_backward, _dy(*params), indices, x.shape)


def _step_with(api, params):
    x, dy = _x(*params), _dy(*params)

    def step():
        _, indices = api.max_pool2d(x, _KERNEL)
        return api.max_pool2d_backward(dy, indices, x.shape)

    return step


def _torch_operands(params, channels_last):
    import torch

    layout = torch.channels_last if channels_last else torch.contiguous_format
    x = torch.from_numpy(_x(*params)).contiguous(memory_format=layout)
    dy = torch.from_numpy(_dy(*params)).contiguous(memory_format=layout)
    return torch, x, dy


def _torch_side(kind, channels_last):
    def setup(params):
        torch, x, dy = _torch_operands(params, channels_last)
        aten = torch.ops.aten
        k = [_KERNEL, _KERNEL]

        def forward():
            return aten.max_pool2d_with_indices(x, k, k)

        def backward(indices):
            return aten.max_pool2d_with_indices_backward(dy, x, k, k, [0, 0], [1, 1], False, indices)

        if kind == "forward":
            return forward
        _, indices = forward()
        if kind == "backward":
            return partial(backward, indices)
        return lambda: backward(forward()[1])

    return setup


def _sides(kind, with_api):
    return {
        MDLFAST: Side(partial(with_api, kernels)),
        REFERENCE: Side(partial(with_api, reference)),
        "torch": Side(_torch_side(kind, channels_last=True), requires="torch"),
        "torch_nchw": Side(_torch_side(kind, channels_last=False), requires="torch"),
    }


def _bytes(n, c, h, w, kind):
    inputs, outputs = 4 * n * c * h * w, n * c * (h // _KERNEL) * (w // _KERNEL)
    forward = inputs + 12 * outputs
    backward = 12 * outputs + inputs
    return {"forward": forward, "backward": backward, "step": forward + backward}[kind]


def _case(params, kind):
    return Case("x".join(map(str, params)), params, float(_bytes(*params, kind)))


_FULL = (64, 64, 32, 32)
_QUICK = (8, 64, 32, 32)


def _bench(name, kind, with_api):
    return KernelBench(
        name=name,
        shape_legend="N x C x H x W, 2x2 windows, stride 2",
        unit="byte",
        sides=_sides(kind, with_api),
        full=(_case(_FULL, kind),),
        quick=(_case(_QUICK, kind),),
    )


BENCHMARKS = (
    _bench("max_pool2d", "forward", _forward_with),
    _bench("max_pool2d_backward", "backward", _backward_with),
    _bench("max_pool2d+backward", "step", _step_with),
)
