"""The dropout family: dropout, dropout_backward (Philox-4x32-10 masks; see
mdlfast/reference/dropout.py for the element-to-counter map every backend follows)."""
from __future__ import annotations

import numpy as np

from mdlfast._kernels.common import cpu_backend as _cpu_backend
from mdlfast._validate.common import KERNEL_DTYPES
from mdlfast._validate.dropout import dropout_args, dropout_backward_args, dropout_scale, keep_threshold


def dropout(x, p, *, seed, offset=0):
    """(y, mask): each element kept with probability 1 - p and scaled by 1/(1-p); mask is bool of
    x's shape (True = kept). p = 1 drops everything (y = x·0, as PyTorch). The mask is a function of
    (seed, offset, element index) only: the same on every thread count, ISA and device. A call
    uses ceil(x.size / 4) Philox blocks from offset: pass offset += that to continue the stream."""
    args = dropout_args(x, p, seed, offset, KERNEL_DTYPES)
    backend, xp = _cpu_backend(args.device, "dropout")
    y = xp.empty(args.x.shape, dtype=xp.float32)
    mask = xp.empty(args.x.shape, dtype=xp.bool_)
    backend.dropout(y.reshape(-1), mask.reshape(-1), xp.ascontiguousarray(args.x).reshape(-1), args.seed,
                    args.offset, keep_threshold(args.p), float(dropout_scale(args.p, np.dtype(np.float32))))
    return y, mask


def dropout_backward(dy, mask, p):
    """dx = dy · (mask ? 1/(1-p) : 0)."""
    args = dropout_backward_args(dy, mask, p, KERNEL_DTYPES)
    backend, xp = _cpu_backend(args.device, "dropout_backward")
    dx = xp.empty(args.x.shape, dtype=xp.float32)
    backend.dropout_backward(dx.reshape(-1), xp.ascontiguousarray(args.x).reshape(-1),
                             xp.ascontiguousarray(args.mask).reshape(-1),
                             float(dropout_scale(args.p, np.dtype(np.float32))))
    return dx
