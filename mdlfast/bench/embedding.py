"""Benchmark cases for embedding and embedding_backward.

A 50k × 512 vocabulary looked up by a batch of 32 sequences of 128 tokens (the quick suite uses
a 5k vocabulary). Work is the bytes moved: forward, the looked-up rows read and written and the
indices read; backward, dy and the indices read and the whole dense dweight written (as PyTorch's
dense gradient does too).
"""
from __future__ import annotations

from functools import partial

import numpy as np

from mdlfast import kernels, reference
from mdlfast.bench import gpu
from mdlfast.bench.registry import MDLFAST, REFERENCE, Case, KernelBench, Side

_SEED = 0


# params (num_embeddings, dim, batch, length): indices [batch, length], uniform over the vocabulary.

def _indices(num_embeddings, batch, length):
    return np.random.default_rng(_SEED).integers(0, num_embeddings, size=(batch, length), dtype=np.int64)


def _weight(num_embeddings, dim):
    return np.random.default_rng(_SEED + 1).standard_normal((num_embeddings, dim), dtype=np.float32)


def _upstream_gradient(batch, length, dim):
    return np.random.default_rng(_SEED + 2).standard_normal((batch, length, dim), dtype=np.float32)


def _forward_operands(num_embeddings, dim, batch, length):
    return _indices(num_embeddings, batch, length), _weight(num_embeddings, dim)


def _embedding_mdlfast(params):
    return partial(kernels.embedding, *_forward_operands(*params))


def _embedding_reference(params):
    return partial(reference.embedding, *_forward_operands(*params))


def _embedding_torch(params):
    import torch
    import torch.nn.functional as F

    indices, weight = (torch.from_numpy(v) for v in _forward_operands(*params))
    return partial(F.embedding, indices, weight)


def _backward_operands(num_embeddings, dim, batch, length):
    return _upstream_gradient(batch, length, dim), _indices(num_embeddings, batch, length), num_embeddings


def _embedding_backward_mdlfast(params):
    return partial(kernels.embedding_backward, *_backward_operands(*params))


def _embedding_backward_reference(params):
    return partial(reference.embedding_backward, *_backward_operands(*params))


def _embedding_backward_torch(params):
    """PyTorch's autograd backward of embedding (the dense gradient); the forward is not timed."""
    import torch
    import torch.nn.functional as F

    indices, weight = (torch.from_numpy(v) for v in _forward_operands(*params))
    weight.requires_grad_()
    y = F.embedding(indices, weight)
    dy = torch.from_numpy(_upstream_gradient(*params[2:], params[1]))
    return partial(torch.autograd.grad, y, (weight,), dy, retain_graph=True)


def _case(num_embeddings, dim, batch, length, backward=False):
    tokens = batch * length
    if backward:
        work = 4.0 * num_embeddings * dim + 4.0 * tokens * dim + 8.0 * tokens
    else:
        work = 8.0 * tokens * dim + 8.0 * tokens
    return Case(f"{num_embeddings}x{dim}[{batch}x{length}]", (num_embeddings, dim, batch, length), work)


_VOCABULARY = (50_000, 512, 32, 128)
_QUICK = (5_000, 512, 32, 128)

BENCHMARKS = (
    KernelBench(
        name="embedding",
        shape_legend="num_embeddings x dim [batch x length]",
        unit="byte",
        sides={
            MDLFAST: Side(_embedding_mdlfast),
            REFERENCE: Side(_embedding_reference),
            "torch": Side(_embedding_torch, requires="torch"),
        },
        full=(_case(*_VOCABULARY),),
        quick=(_case(*_QUICK),),
    ),
    KernelBench(
        name="embedding_backward",
        shape_legend="num_embeddings x dim [batch x length]",
        unit="byte",
        sides={
            MDLFAST: Side(_embedding_backward_mdlfast),
            REFERENCE: Side(_embedding_backward_reference),
            "torch": Side(_embedding_backward_torch, requires="torch"),
        },
        full=(_case(*_VOCABULARY, backward=True),),
        quick=(_case(*_QUICK, backward=True),),
    ),
)


# GPU: the same shapes on CuPy arrays against PyTorch's CUDA embedding.

def _embedding_cuda_mdlfast(params):
    return partial(kernels.embedding, *gpu.to_cupy(*_forward_operands(*params)))


def _embedding_torch_cuda(params):
    import torch.nn.functional as F

    return partial(F.embedding, *gpu.to_torch_cuda(*_forward_operands(*params)))


def _embedding_backward_cuda_mdlfast(params):
    dy, indices, num_embeddings = _backward_operands(*params)
    return partial(kernels.embedding_backward, *gpu.to_cupy(dy, indices), num_embeddings)


def _embedding_backward_torch_cuda(params):
    import torch
    import torch.nn.functional as F

    indices, weight = _forward_operands(*params)
    (indices,) = gpu.to_torch_cuda(indices)
    (weight,) = gpu.to_torch_cuda(weight, requires_grad=True)
    y = F.embedding(indices, weight)
    (dy,) = gpu.to_torch_cuda(_upstream_gradient(*params[2:], params[1]))
    return partial(torch.autograd.grad, y, (weight,), dy, retain_graph=True)


CUDA_BENCHMARKS = (
    KernelBench(
        name="embedding",
        shape_legend="num_embeddings x dim [batch x length]",
        unit="byte",
        sides={MDLFAST: gpu.cupy_side(_embedding_cuda_mdlfast), "torch": gpu.torch_side(_embedding_torch_cuda)},
        full=(_case(*_VOCABULARY),),
        quick=(_case(*_VOCABULARY),),
        device="cuda",
    ),
    KernelBench(
        name="embedding_backward",
        shape_legend="num_embeddings x dim [batch x length]",
        unit="byte",
        sides={MDLFAST: gpu.cupy_side(_embedding_backward_cuda_mdlfast),
               "torch": gpu.torch_side(_embedding_backward_torch_cuda)},
        full=(_case(*_VOCABULARY, backward=True),),
        quick=(_case(*_VOCABULARY, backward=True),),
        device="cuda",
    ),
)
