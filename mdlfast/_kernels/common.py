"""What every kernel family's dispatch shares: the backend module for a device, and contiguity."""
from __future__ import annotations

import numpy as np

from mdlfast import _cpu


def backend(device):
    """(backend module, array module) for 'numpy' (the C++ kernels) or 'cupy' (the CUDA kernels)."""
    if device == "numpy":
        return _cpu, np
    from mdlfast import _cuda_dispatch

    return _cuda_dispatch, _cuda_dispatch.cupy()


def cpu_backend(device, kernel):
    """As backend(), for a family that has C++ kernels only: CuPy arrays raise NotImplementedError."""
    if device != "numpy":
        raise NotImplementedError(f"{kernel} has no CUDA kernel yet; pass NumPy arrays")
    return _cpu, np


def contiguous(x, xp):
    return None if x is None else xp.ascontiguousarray(x)
