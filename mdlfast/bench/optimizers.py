"""Benchmark of a whole optimizer step over a model's parameters: mdlfast.optim.Adam (one fused
adam_step_multi call per step, plus its per-step Python work), the bare kernel call over the same
arrays (so the difference is the optimizer's overhead), the NumPy reference, and
torch.optim.Adam(fused=True). The models are MLPs' weight and bias shapes: 784-128-64-10 (the MLP
training target, where per-step overhead dominates) and 784-1024-1024-10.

Work is the bytes a step must move, as for adam_step: 7 float32 accesses per parameter.
"""
from __future__ import annotations

import numpy as np

from mdlfast import kernels, reference
from mdlfast.bench.registry import MDLFAST, REFERENCE, Case, KernelBench, Side

_SEED = 0
_LR = 1e-3


def _mlp_shapes(widths):
    shapes = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        shapes += [(fan_out, fan_in), (fan_out,)]
    return shapes


def _arrays(widths):
    rng = np.random.default_rng(_SEED)
    shapes = _mlp_shapes(widths)
    params = [rng.standard_normal(s, dtype=np.float32) * np.float32(0.05) for s in shapes]
    grads = [rng.standard_normal(s, dtype=np.float32) * np.float32(1e-2) for s in shapes]
    return params, grads


def _mdlfast_optimizer(params):
    import mdlfast
    from mdlfast import optim
    from mdlfast.nn import Parameter

    arrays, grads = _arrays(*params)
    model = [Parameter(mdlfast.tensor(p)) for p in arrays]
    for p, g in zip(model, grads):
        p.grad = mdlfast.tensor(g)
    optimizer = optim.Adam(model, lr=_LR)
    optimizer.step()  # the state exists, as from the second step on
    return optimizer.step


def _bare_kernel(step_function, widths):
    params, grads = _arrays(widths)
    ms, vs = [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params]

    def step():
        step_function(params, grads, ms, vs, step=10, lr=_LR)
    return step


def _torch_optimizer(params):
    import torch

    arrays, grads = _arrays(*params)
    model = [torch.nn.Parameter(torch.from_numpy(p)) for p in arrays]
    for p, g in zip(model, grads):
        p.grad = torch.from_numpy(g)
    optimizer = torch.optim.Adam(model, lr=_LR, fused=True)
    optimizer.step()
    return optimizer.step


def _case(widths):
    size = sum(int(np.prod(s)) for s in _mlp_shapes(widths))
    return Case("-".join(map(str, widths)), (widths,), 4.0 * 7 * size)


_SMALL, _LARGE = (784, 128, 64, 10), (784, 1024, 1024, 10)

BENCHMARKS = (
    KernelBench(
        name="adam_optimizer",
        shape_legend="MLP layer widths (weights and biases)",
        unit="byte",
        sides={
            MDLFAST: Side(_mdlfast_optimizer),
            "kernel": Side(lambda params: _bare_kernel(kernels.adam_step_multi, *params)),
            REFERENCE: Side(lambda params: _bare_kernel(reference.adam_step_multi, *params)),
            "torch": Side(_torch_optimizer, requires="torch"),
        },
        full=(_case(_SMALL), _case(_LARGE)),
        quick=(_case(_SMALL),),
    ),
)
