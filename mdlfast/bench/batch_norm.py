"""Benchmark cases for batch_norm in training (batch statistics, running statistics updated),
its backward, and the two together, at 256 × 64 × 16 × 16 (the quick suite: 32 × 64 × 16 × 16).

The PyTorch peer calls the ATen operators (native_batch_norm and its backward), so no autograd
bookkeeping is timed. Work is the bytes a single pass must move: x read and y written forward,
dy and x read and dx written backward.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from mdlfast import kernels, reference
from mdlfast.bench.registry import MDLFAST, REFERENCE, Case, KernelBench, Side

_SEED = 0
_MOMENTUM, _EPS = 0.1, 1e-5


# params (n, c, h, w).

def _operands(n, c, h, w):
    rng = np.random.default_rng(_SEED)
    x = rng.standard_normal((n, c, h, w), dtype=np.float32)
    gamma = rng.standard_normal(c, dtype=np.float32)
    beta = rng.standard_normal(c, dtype=np.float32)
    dy = rng.standard_normal((n, c, h, w), dtype=np.float32)
    return x, gamma, beta, dy, np.zeros(c, np.float32), np.ones(c, np.float32)


def _with(api, kind, params):
    x, gamma, beta, dy, running_mean, running_var = _operands(*params)

    def forward():
        return api.batch_norm(x, gamma, beta, running_mean, running_var, training=True,
                              momentum=_MOMENTUM, eps=_EPS)

    def backward(save_mean, save_invstd):
        return api.batch_norm_backward(dy, x, gamma, save_mean, save_invstd)

    if kind == "forward":
        return forward
    _, save_mean, save_invstd = forward()
    if kind == "backward":
        return partial(backward, save_mean, save_invstd)
    return lambda: backward(*forward()[1:])


def _torch(kind, params):
    import torch

    x, gamma, beta, dy, running_mean, running_var = (torch.from_numpy(v) for v in _operands(*params))
    aten = torch.ops.aten

    def forward():
        return aten.native_batch_norm(x, gamma, beta, running_mean, running_var, True, _MOMENTUM, _EPS)

    def backward(save_mean, save_invstd):
        return aten.native_batch_norm_backward(dy, x, gamma, running_mean, running_var, save_mean,
                                               save_invstd, True, _EPS, [True, True, True])

    if kind == "forward":
        return forward
    _, save_mean, save_invstd = forward()
    if kind == "backward":
        return partial(backward, save_mean, save_invstd)
    return lambda: backward(*forward()[1:])


def _case(params, kind):
    elements = int(np.prod(params))
    per_element = {"forward": 8, "backward": 12, "step": 20}[kind]
    return Case("x".join(map(str, params)), params, float(per_element * elements))


_FULL = (256, 64, 16, 16)
_QUICK = (32, 64, 16, 16)


def _bench(name, kind):
    return KernelBench(
        name=name,
        shape_legend="N x C x H x W, training",
        unit="byte",
        sides={
            MDLFAST: Side(partial(_with, kernels, kind)),
            REFERENCE: Side(partial(_with, reference, kind)),
            "torch": Side(partial(_torch, kind), requires="torch"),
        },
        full=(_case(_FULL, kind),),
        quick=(_case(_QUICK, kind),),
    )


BENCHMARKS = (
    _bench("batch_norm", "forward"),
    _bench("batch_norm_backward", "backward"),
    _bench("batch_norm+backward", "step"),
)
