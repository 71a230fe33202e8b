"""Benchmark cases for gemm, linear and linear_backward.

GEMM shapes are the foundation issue's targets: 1024³, 2048³ and 256×1024×4096, where throughput
matters; 64×256×784 and 32×512×128, where call overhead matters; and 1024³ on one thread. The linear
shapes are an MLP layer (64×784 → 256 with relu) and a wide layer (256×4096 → 4096).

Inputs are standard normal (weights scaled by 1/√in), so no denormals slow any side down.
"""
from __future__ import annotations

import operator
from functools import partial

import numpy as np

from mdlfast import kernels, reference
from mdlfast.bench import gpu
from mdlfast.bench.registry import MDLFAST, REFERENCE, Case, KernelBench, Side

_SEED = 0


# gemm: params (m, n, k); a is m×k, b is k×n.

def _gemm_operands(m, n, k):
    rng = np.random.default_rng(_SEED)
    return rng.standard_normal((m, k), dtype=np.float32), rng.standard_normal((k, n), dtype=np.float32)


def _gemm_with(function, params):
    return partial(function, *_gemm_operands(*params))


def _gemm_mdlfast(params):
    return _gemm_with(kernels.gemm, params)


def _gemm_reference(params):
    return _gemm_with(reference.gemm, params)


def _gemm_numpy(params):
    return _gemm_with(operator.matmul, params)  # a @ b


def _gemm_torch(params):
    import torch

    a, b = (torch.from_numpy(x) for x in _gemm_operands(*params))
    return partial(torch.mm, a, b)


def _gemm_case(m, n, k, threads=None):
    return Case(f"{m}x{n}x{k}", (m, n, k), 2.0 * m * n * k, threads)


# linear and linear_backward: params (rows, in_features, out_features, activation).

def _linear_operands(rows, in_features, out_features):
    rng = np.random.default_rng(_SEED)
    x = rng.standard_normal((rows, in_features), dtype=np.float32)
    w = rng.standard_normal((out_features, in_features), dtype=np.float32) / np.float32(np.sqrt(in_features))
    b = rng.standard_normal(out_features, dtype=np.float32)
    return x, w, b


def _linear_mdlfast(params):
    *sizes, activation = params
    return partial(kernels.linear, *_linear_operands(*sizes), activation=activation)


def _linear_reference(params):
    *sizes, activation = params
    return partial(reference.linear, *_linear_operands(*sizes), activation=activation)


def _linear_torch(params):
    import torch
    import torch.nn.functional as F

    *sizes, activation = params
    x, w, b = (torch.from_numpy(v) for v in _linear_operands(*sizes))
    if activation is None:
        return partial(F.linear, x, w, b)
    act = getattr(F, activation)
    return lambda: act(F.linear(x, w, b))


def _linear_case(rows, in_features, out_features, activation=None, backward=False):
    label = f"{rows}x{in_features}->{out_features}" + (f" {activation}" if activation else "")
    products = 2 if backward else 1  # backward computes dx and dw, each as large as the forward
    return Case(label, (rows, in_features, out_features, activation),
                2.0 * products * rows * in_features * out_features)


def _upstream_gradient(shape):
    return np.random.default_rng(_SEED + 1).standard_normal(shape, dtype=np.float32)


def _backward_inputs(params):
    """dy, x, w and what the activation's derivative is computed from: nothing, y, or z for gelu."""
    *sizes, activation = params
    x, w, b = _linear_operands(*sizes)
    y, z = reference.linear(x, w, b, activation, return_preactivation=True)
    if activation is None:
        saved = {}
    else:
        saved = {"z": z} if activation == "gelu" else {"y": y}
    return _upstream_gradient(y.shape), x, w, saved, activation


def _linear_backward_with(function, params):
    dy, x, w, saved, activation = _backward_inputs(params)
    return partial(function, dy, x, w, activation=activation, **saved)


def _linear_backward_mdlfast(params):
    return _linear_backward_with(kernels.linear_backward, params)


def _linear_backward_reference(params):
    return _linear_backward_with(reference.linear_backward, params)


def _linear_backward_torch(params):
    """PyTorch's own backward of linear + activation: the recorded graph is replayed each call,
    so the forward is not timed."""
    import torch
    import torch.nn.functional as F

    *sizes, activation = params
    x, w, b = (torch.from_numpy(v).requires_grad_() for v in _linear_operands(*sizes))
    y = F.linear(x, w, b)
    if activation is not None:
        y = getattr(F, activation)(y)
    dy = torch.from_numpy(_upstream_gradient(tuple(y.shape)))
    return partial(torch.autograd.grad, y, (x, w, b), dy, retain_graph=True)


_MLP_LAYER = (64, 784, 256, "relu")
_WIDE_LAYER = (256, 4096, 4096)

BENCHMARKS = (
    KernelBench(
        name="gemm",
        shape_legend="M x N x K",
        unit="flop",
        sides={
            MDLFAST: Side(_gemm_mdlfast),
            REFERENCE: Side(_gemm_reference),
            "numpy": Side(_gemm_numpy),
            "torch": Side(_gemm_torch, requires="torch"),
        },
        full=(
            _gemm_case(1024, 1024, 1024),
            _gemm_case(2048, 2048, 2048),
            _gemm_case(256, 1024, 4096),
            _gemm_case(64, 256, 784),
            _gemm_case(32, 512, 128),
            _gemm_case(1024, 1024, 1024, threads=1),
        ),
        quick=(
            _gemm_case(256, 256, 256),
            _gemm_case(64, 256, 784),
            _gemm_case(32, 512, 128),
        ),
    ),
    KernelBench(
        name="linear",
        shape_legend="batch x in -> out [activation]",
        unit="flop",
        sides={
            MDLFAST: Side(_linear_mdlfast),
            REFERENCE: Side(_linear_reference),
            "torch": Side(_linear_torch, requires="torch"),
        },
        full=(_linear_case(*_MLP_LAYER), _linear_case(*_WIDE_LAYER)),
        quick=(_linear_case(*_MLP_LAYER),),
    ),
    KernelBench(
        name="linear_backward",
        shape_legend="batch x in -> out [activation]",
        unit="flop",
        sides={
            MDLFAST: Side(_linear_backward_mdlfast),
            REFERENCE: Side(_linear_backward_reference),
            "torch": Side(_linear_backward_torch, requires="torch"),
        },
        full=(_linear_case(*_MLP_LAYER, backward=True), _linear_case(*_WIDE_LAYER, backward=True)),
        quick=(_linear_case(*_MLP_LAYER, backward=True),),
    ),
)


# GPU: the fp32 target is 4096³ against cuBLAS SGEMM (CuPy matmul, TF32 off).

def _gemm_cuda_mdlfast(params):
    return partial(kernels.gemm, *gpu.to_cupy(*_gemm_operands(*params)))


def _gemm_cupy(params):
    import cupy as cp

    return partial(cp.matmul, *gpu.to_cupy(*_gemm_operands(*params)))


def _gemm_torch_cuda(params):
    import torch

    return partial(torch.mm, *gpu.to_torch_cuda(*_gemm_operands(*params)))


def _linear_cuda_mdlfast(params):
    *sizes, activation = params
    return partial(kernels.linear, *gpu.to_cupy(*_linear_operands(*sizes)), activation=activation)


def _linear_torch_cuda(params):
    import torch.nn.functional as F

    *sizes, activation = params
    x, w, b = gpu.to_torch_cuda(*_linear_operands(*sizes))
    if activation is None:
        return partial(F.linear, x, w, b)
    act = getattr(F, activation)
    return lambda: act(F.linear(x, w, b))


def _linear_backward_cuda_mdlfast(params):
    dy, x, w, saved, activation = _backward_inputs(params)
    dy, x, w = gpu.to_cupy(dy, x, w)
    saved = {name: gpu.to_cupy(value)[0] for name, value in saved.items()}
    return partial(kernels.linear_backward, dy, x, w, activation=activation, **saved)


def _linear_backward_torch_cuda(params):
    import torch
    import torch.nn.functional as F

    *sizes, activation = params
    x, w, b = gpu.to_torch_cuda(*_linear_operands(*sizes), requires_grad=True)
    y = F.linear(x, w, b)
    if activation is not None:
        y = getattr(F, activation)(y)
    (dy,) = gpu.to_torch_cuda(_upstream_gradient(tuple(y.shape)))
    return partial(torch.autograd.grad, y, (x, w, b), dy, retain_graph=True)


CUDA_BENCHMARKS = (
    KernelBench(
        name="gemm",
        shape_legend="M x N x K (float32, TF32 off)",
        unit="flop",
        sides={
            MDLFAST: gpu.cupy_side(_gemm_cuda_mdlfast),
            "cupy": gpu.cupy_side(_gemm_cupy),
            "torch": gpu.torch_side(_gemm_torch_cuda),
        },
        full=(_gemm_case(4096, 4096, 4096), _gemm_case(2048, 2048, 2048), _gemm_case(1024, 1024, 1024),
              _gemm_case(256, 1024, 4096), _gemm_case(64, 256, 784)),
        quick=(_gemm_case(1024, 1024, 1024), _gemm_case(4096, 4096, 4096)),
        device="cuda",
    ),
    KernelBench(
        name="linear",
        shape_legend="batch x in -> out [activation]",
        unit="flop",
        sides={MDLFAST: gpu.cupy_side(_linear_cuda_mdlfast), "torch": gpu.torch_side(_linear_torch_cuda)},
        full=(_linear_case(*_MLP_LAYER), _linear_case(4096, 4096, 4096, "gelu")),
        quick=(_linear_case(4096, 4096, 4096, "gelu"),),
        device="cuda",
    ),
    KernelBench(
        name="linear_backward",
        shape_legend="batch x in -> out [activation]",
        unit="flop",
        sides={MDLFAST: gpu.cupy_side(_linear_backward_cuda_mdlfast),
               "torch": gpu.torch_side(_linear_backward_torch_cuda)},
        full=(_linear_case(*_MLP_LAYER, backward=True), _linear_case(4096, 4096, 4096, "gelu", backward=True)),
        quick=(_linear_case(4096, 4096, 4096, "gelu", backward=True),),
        device="cuda",
    ),
)
