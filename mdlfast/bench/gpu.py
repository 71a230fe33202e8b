"""What the GPU benchmarks (CUDA_BENCHMARKS, `mdlfast bench --device cuda`) share: the operands of
the CPU cases moved to the GPU, as CuPy arrays for mdlfast and CuPy, as PyTorch CUDA tensors for
PyTorch. float32 stays float32: TF32 is off in CuPy (its default, CUPY_TF32 unset), in PyTorch's
matrix products and in cuDNN, so every side does the arithmetic mdlfast's float32 kernels do.
"""
from __future__ import annotations

from mdlfast.bench.registry import Side


def to_cupy(*arrays):
    """CuPy copies of NumPy arrays (None stays None)."""
    import cupy as cp

    return tuple(None if a is None else cp.asarray(a) for a in arrays)


def to_torch_cuda(*arrays, requires_grad=False):
    """PyTorch CUDA copies of NumPy arrays (None stays None), with TF32 switched off."""
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    return tuple(None if a is None else torch.from_numpy(a).cuda().requires_grad_(requires_grad) for a in arrays)


def cupy_side(setup):
    """A side that needs CuPy (mdlfast on CuPy arrays, or CuPy itself)."""
    return Side(setup, requires="cupy")


def torch_side(setup):
    return Side(setup, requires="torch")
