"""Benchmark cases for the fused optimizer steps: Adam and SGD with momentum over one large tensor,
against the NumPy reference and torch.optim (Adam with fused=True). Every side runs the step over
and over on the same arrays with the gradient fixed, so only the step is timed.

Work is the bytes a step must move: each of the parameters, the gradient and the state read once
and everything but the gradient written once (Adam: 7 float32 accesses per element; SGD with
momentum: 5). Gradients are standard normal scaled by 1e-2, so no denormals slow any side down.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from mdlfast import kernels, reference
from mdlfast.bench import gpu
from mdlfast.bench.registry import MDLFAST, REFERENCE, Case, KernelBench, Side

_SEED = 0
_ADAM = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0}
_ADAM_STEP = 10  # any step past the first: the bias corrections are then ordinary scalars
_SGD = {"lr": 1e-3, "momentum": 0.9}


def _param_and_grad(size):
    rng = np.random.default_rng(_SEED)
    p = rng.standard_normal(size, dtype=np.float32)
    g = rng.standard_normal(size, dtype=np.float32) * np.float32(1e-2)
    return p, g


def _torch_step(optimizer_class, params, **options):
    """A torch.optim step over one tensor whose .grad is set once; its state exists already, as it
    does from the second step on."""
    import torch

    p, g = (torch.from_numpy(x) for x in _param_and_grad(*params))
    p = torch.nn.Parameter(p)
    p.grad = g
    optimizer = optimizer_class([p], **options)
    optimizer.step()
    return optimizer.step


# adam_step: params (size,).

def _adam_with(step_function, params):
    p, g = _param_and_grad(*params)
    return partial(step_function, p, g, np.zeros_like(p), np.zeros_like(p), step=_ADAM_STEP, **_ADAM)


def _adam_torch(params):
    import torch

    return _torch_step(torch.optim.Adam, params, lr=_ADAM["lr"], betas=(_ADAM["beta1"], _ADAM["beta2"]),
                       eps=_ADAM["eps"], fused=True)


# sgd_step (with momentum): params (size,).

def _sgd_with(step_function, params):
    p, g = _param_and_grad(*params)
    return partial(step_function, p, g, buf=np.zeros_like(p), **_SGD)


def _sgd_torch(params):
    import torch

    return _torch_step(torch.optim.SGD, params, foreach=False, **_SGD)


def _case(size, accesses_per_element, threads=None):
    label = f"{size // 1_000_000}M" if size % 1_000_000 == 0 else str(size)
    if threads is not None:
        label += f" {threads}t"
    return Case(label, (size,), 4.0 * accesses_per_element * size, threads)


_ADAM_ACCESSES, _SGD_ACCESSES = 7, 5

BENCHMARKS = (
    KernelBench(
        name="adam_step",
        shape_legend="parameters",
        unit="byte",
        sides={
            MDLFAST: Side(partial(_adam_with, kernels.adam_step)),
            REFERENCE: Side(partial(_adam_with, reference.adam_step)),
            "torch": Side(_adam_torch, requires="torch"),
        },
        full=(_case(10_000_000, _ADAM_ACCESSES), _case(1_000_000, _ADAM_ACCESSES),
              _case(10_000_000, _ADAM_ACCESSES, threads=1)),
        quick=(_case(1_000_000, _ADAM_ACCESSES),),
    ),
    KernelBench(
        name="sgd_step",
        shape_legend="parameters (momentum 0.9)",
        unit="byte",
        sides={
            MDLFAST: Side(partial(_sgd_with, kernels.sgd_step)),
            REFERENCE: Side(partial(_sgd_with, reference.sgd_step)),
            "torch": Side(_sgd_torch, requires="torch"),
        },
        full=(_case(10_000_000, _SGD_ACCESSES), _case(1_000_000, _SGD_ACCESSES)),
        quick=(_case(1_000_000, _SGD_ACCESSES),),
    ),
)


# GPU: the target is >= 85% of the device-to-device copy bandwidth (the "% peak" column)
# and >= 1.0x PyTorch's fused Adam.

def _adam_cuda_mdlfast(params):
    import cupy as cp

    p, g = gpu.to_cupy(*_param_and_grad(*params))
    return partial(kernels.adam_step, p, g, cp.zeros_like(p), cp.zeros_like(p), step=_ADAM_STEP, **_ADAM)


def _torch_cuda_step(optimizer_class, params, **options):
    """As _torch_step, with the tensor and its gradient on the GPU."""
    import torch

    p, g = gpu.to_torch_cuda(*_param_and_grad(*params))
    p = torch.nn.Parameter(p)
    p.grad = g
    optimizer = optimizer_class([p], **options)
    optimizer.step()
    return optimizer.step


def _adam_torch_cuda(params):
    import torch

    return _torch_cuda_step(torch.optim.Adam, params, lr=_ADAM["lr"], betas=(_ADAM["beta1"], _ADAM["beta2"]),
                            eps=_ADAM["eps"], fused=True)


def _sgd_cuda_mdlfast(params):
    import cupy as cp

    p, g = gpu.to_cupy(*_param_and_grad(*params))
    return partial(kernels.sgd_step, p, g, buf=cp.zeros_like(p), **_SGD)


def _sgd_torch_cuda(params):
    import torch

    return _torch_cuda_step(torch.optim.SGD, params, **_SGD)  # PyTorch's default on CUDA: foreach


CUDA_BENCHMARKS = (
    KernelBench(
        name="adam_step",
        shape_legend="parameters (% peak: of the device-to-device copy bandwidth)",
        unit="byte",
        sides={MDLFAST: gpu.cupy_side(_adam_cuda_mdlfast), "torch": gpu.torch_side(_adam_torch_cuda)},
        full=(_case(100_000_000, _ADAM_ACCESSES), _case(10_000_000, _ADAM_ACCESSES),
              _case(1_000_000, _ADAM_ACCESSES)),
        quick=(_case(10_000_000, _ADAM_ACCESSES),),
        device="cuda",
    ),
    KernelBench(
        name="sgd_step",
        shape_legend="parameters (momentum 0.9)",
        unit="byte",
        sides={MDLFAST: gpu.cupy_side(_sgd_cuda_mdlfast), "torch": gpu.torch_side(_sgd_torch_cuda)},
        full=(_case(100_000_000, _SGD_ACCESSES), _case(10_000_000, _SGD_ACCESSES)),
        quick=(_case(10_000_000, _SGD_ACCESSES),),
        device="cuda",
    ),
)
