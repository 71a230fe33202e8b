"""Benchmarks of a whole optimizer step over a model's parameters: mdlfast.optim.Adam (one fused
adam_step_multi call per step, plus its per-step Python work) against the validated
mdlfast.kernels.adam_step_multi call over the same arrays ("kernel": what the optimizer would cost
if it validated every step), the NumPy reference and torch.optim.Adam(fused=True); and
mdlfast.optim.SGD with momentum against torch.optim.SGD (foreach, its fastest CPU path). The models
are MLPs' weight and bias shapes: 784-128-64-10 (the MLP training target, where per-step overhead
dominates) and 784-1024-1024-10.

Work is the bytes a step must move: 7 float32 accesses per parameter for Adam, 5 for SGD with
momentum.
"""
from __future__ import annotations

import numpy as np

from functools import partial

from mdlfast import kernels, reference
from mdlfast.bench.registry import MDLFAST, REFERENCE, Case, KernelBench, Side

_SEED = 0
_LR = 1e-3
_SGD = {"momentum": 0.9}
_ADAM_ACCESSES, _SGD_ACCESSES = 7, 5


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


def _mdlfast_optimizer(name, options, params):
    import mdlfast
    from mdlfast import optim
    from mdlfast.nn import Parameter

    arrays, grads = _arrays(*params)
    model = [Parameter(mdlfast.tensor(p)) for p in arrays]
    for p, g in zip(model, grads):
        p.grad = mdlfast.tensor(g)
    optimizer = getattr(optim, name)(model, lr=_LR, **options)
    optimizer.step()  # the state exists, as from the second step on
    return optimizer.step


def _bare_kernel(step_function, widths):
    params, grads = _arrays(widths)
    ms, vs = [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params]

    def step():
        step_function(params, grads, ms, vs, step=10, lr=_LR)
    return step


def _torch_optimizer(name, options, params):
    import torch

    arrays, grads = _arrays(*params)
    model = [torch.nn.Parameter(torch.from_numpy(p)) for p in arrays]
    for p, g in zip(model, grads):
        p.grad = torch.from_numpy(g)
    optimizer = getattr(torch.optim, name)(model, lr=_LR, **options)
    optimizer.step()
    return optimizer.step


def _sgd_reference(params):
    arrays, grads = _arrays(*params)
    bufs = [np.zeros_like(p) for p in arrays]
    return partial(reference.sgd_step_multi, arrays, grads, bufs=bufs, lr=_LR, **_SGD)


def _case(widths, accesses_per_element):
    size = sum(int(np.prod(s)) for s in _mlp_shapes(widths))
    return Case("-".join(map(str, widths)), (widths,), 4.0 * accesses_per_element * size)


_SMALL, _LARGE = (784, 128, 64, 10), (784, 1024, 1024, 10)

BENCHMARKS = (
    KernelBench(
        name="adam_optimizer",
        shape_legend="MLP layer widths (weights and biases)",
        unit="byte",
        sides={
            MDLFAST: Side(partial(_mdlfast_optimizer, "Adam", {})),
            "kernel": Side(lambda params: _bare_kernel(kernels.adam_step_multi, *params)),
            REFERENCE: Side(lambda params: _bare_kernel(reference.adam_step_multi, *params)),
            "torch": Side(partial(_torch_optimizer, "Adam", {"fused": True}), requires="torch"),
        },
        full=(_case(_SMALL, _ADAM_ACCESSES), _case(_LARGE, _ADAM_ACCESSES)),
        quick=(_case(_SMALL, _ADAM_ACCESSES),),
    ),
    KernelBench(
        name="sgd_optimizer",
        shape_legend="MLP layer widths (weights and biases), momentum 0.9",
        unit="byte",
        sides={
            MDLFAST: Side(partial(_mdlfast_optimizer, "SGD", _SGD)),
            REFERENCE: Side(_sgd_reference),
            "torch": Side(partial(_torch_optimizer, "SGD", dict(_SGD, foreach=True)), requires="torch"),
        },
        full=(_case(_SMALL, _SGD_ACCESSES), _case(_LARGE, _SGD_ACCESSES)),
        quick=(_case(_SMALL, _SGD_ACCESSES),),
    ),
)
