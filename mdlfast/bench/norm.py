"""Benchmark cases for layer_norm and layer_norm_backward.

Shapes: a batch of 8192 rows of 1024 features, and the 256 × 128 tokens of a transformer of
width 768; a small 1024 × 768 in the quick suite. Work is the bytes a single pass must move:
x and y forward (8 bytes an element), dy, x and dx backward (12).
"""
from __future__ import annotations

from functools import partial

import numpy as np

from mdlfast import kernels, reference
from mdlfast.bench import gpu
from mdlfast.bench.registry import MDLFAST, REFERENCE, Case, KernelBench, Side

_SEED = 0


# params (rows, d); x, gamma and beta standard normal, dy too.

def _forward_operands(rows, d):
    rng = np.random.default_rng(_SEED)
    x = rng.standard_normal((rows, d), dtype=np.float32)
    gamma = rng.standard_normal(d, dtype=np.float32)
    beta = rng.standard_normal(d, dtype=np.float32)
    return x, gamma, beta


def _upstream_gradient(rows, d):
    return np.random.default_rng(_SEED + 1).standard_normal((rows, d), dtype=np.float32)


def _layer_norm_mdlfast(params):
    return partial(kernels.layer_norm, *_forward_operands(*params))


def _layer_norm_reference(params):
    return partial(reference.layer_norm, *_forward_operands(*params))


def _layer_norm_torch(params):
    import torch
    import torch.nn.functional as F

    x, gamma, beta = (torch.from_numpy(v) for v in _forward_operands(*params))
    return partial(F.layer_norm, x, (x.shape[-1],), gamma, beta)


def _layer_norm_backward_with(api, params):
    x, gamma, beta = _forward_operands(*params)
    _, mean, rstd = api.layer_norm(x, gamma, beta)
    return partial(api.layer_norm_backward, _upstream_gradient(*params), x, gamma, mean, rstd)


def _layer_norm_backward_mdlfast(params):
    return _layer_norm_backward_with(kernels, params)


def _layer_norm_backward_reference(params):
    return _layer_norm_backward_with(reference, params)


def _layer_norm_backward_torch(params):
    """PyTorch's autograd backward of layer_norm: the recorded graph is replayed each call, so the
    forward is not timed."""
    import torch
    import torch.nn.functional as F

    x, gamma, beta = (torch.from_numpy(v).requires_grad_() for v in _forward_operands(*params))
    y = F.layer_norm(x, (x.shape[-1],), gamma, beta)
    dy = torch.from_numpy(_upstream_gradient(*params))
    return partial(torch.autograd.grad, y, (x, gamma, beta), dy, retain_graph=True)


def _case(rows, d, backward=False):
    arrays = 3 if backward else 2  # dy, x, dx | x, y
    return Case(f"{rows}x{d}", (rows, d), 4.0 * arrays * rows * d)


_BATCH = (8192, 1024)
_TOKENS = (256 * 128, 768)
_QUICK = (1024, 768)

BENCHMARKS = (
    KernelBench(
        name="layer_norm",
        shape_legend="rows x features",
        unit="byte",
        sides={
            MDLFAST: Side(_layer_norm_mdlfast),
            REFERENCE: Side(_layer_norm_reference),
            "torch": Side(_layer_norm_torch, requires="torch"),
        },
        full=(_case(*_BATCH), _case(*_TOKENS)),
        quick=(_case(*_QUICK),),
    ),
    KernelBench(
        name="layer_norm_backward",
        shape_legend="rows x features",
        unit="byte",
        sides={
            MDLFAST: Side(_layer_norm_backward_mdlfast),
            REFERENCE: Side(_layer_norm_backward_reference),
            "torch": Side(_layer_norm_backward_torch, requires="torch"),
        },
        full=(_case(*_BATCH, backward=True), _case(*_TOKENS, backward=True)),
        quick=(_case(*_QUICK, backward=True),),
    ),
)


# GPU: the same shapes on CuPy arrays against PyTorch's CUDA layer_norm.

def _layer_norm_cuda_mdlfast(params):
    return partial(kernels.layer_norm, *gpu.to_cupy(*_forward_operands(*params)))


def _layer_norm_torch_cuda(params):
    import torch.nn.functional as F

    x, gamma, beta = gpu.to_torch_cuda(*_forward_operands(*params))
    return partial(F.layer_norm, x, (x.shape[-1],), gamma, beta)


def _layer_norm_backward_cuda_mdlfast(params):
    x, gamma, beta = gpu.to_cupy(*_forward_operands(*params))
    _, mean, rstd = kernels.layer_norm(x, gamma, beta)
    (dy,) = gpu.to_cupy(_upstream_gradient(*params))
    return partial(kernels.layer_norm_backward, dy, x, gamma, mean, rstd)


def _layer_norm_backward_torch_cuda(params):
    import torch
    import torch.nn.functional as F

    x, gamma, beta = gpu.to_torch_cuda(*_forward_operands(*params), requires_grad=True)
    y = F.layer_norm(x, (x.shape[-1],), gamma, beta)
    (dy,) = gpu.to_torch_cuda(_upstream_gradient(*params))
    return partial(torch.autograd.grad, y, (x, gamma, beta), dy, retain_graph=True)


CUDA_BENCHMARKS = (
    KernelBench(
        name="layer_norm",
        shape_legend="rows x features",
        unit="byte",
        sides={MDLFAST: gpu.cupy_side(_layer_norm_cuda_mdlfast), "torch": gpu.torch_side(_layer_norm_torch_cuda)},
        full=(_case(*_BATCH), _case(*_TOKENS)),
        quick=(_case(*_TOKENS),),
        device="cuda",
    ),
    KernelBench(
        name="layer_norm_backward",
        shape_legend="rows x features",
        unit="byte",
        sides={MDLFAST: gpu.cupy_side(_layer_norm_backward_cuda_mdlfast),
               "torch": gpu.torch_side(_layer_norm_backward_torch_cuda)},
        full=(_case(*_BATCH, backward=True), _case(*_TOKENS, backward=True)),
        quick=(_case(*_TOKENS, backward=True),),
        device="cuda",
    ),
)
