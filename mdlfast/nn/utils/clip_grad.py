"""Gradient clipping with torch.nn.utils' semantics: clip_grad_norm_ scales all gradients together
so their total norm is at most max_norm and returns the total norm before clipping;
clip_grad_value_ clamps each gradient entry to [-clip_value, clip_value]."""
from __future__ import annotations

import math

import numpy as np

from mdlfast.autograd import Tensor, tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _with_grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def _norm(array, norm_type):
    if norm_type == 2:
        # einsum's own float64 loop: no float64 copies, and no call into the threaded BLAS, whose
        # threads stall small calls on a busy machine.
        x = array.reshape(-1)
        return float(np.sqrt(np.einsum("i,i->", x, x, dtype=np.float64)))
    x = np.abs(array.reshape(-1))
    if norm_type == math.inf:
        return float(x.max()) if x.size else 0.0
    if norm_type == -math.inf:
        return float(x.min()) if x.size else math.inf
    if norm_type == 0:
        return float(np.count_nonzero(x))
    return float(np.sum(x.astype(np.float64) ** norm_type) ** (1.0 / norm_type))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale the gradients of `parameters` (a Tensor or an iterable of them) in place by
    max_norm / (total_norm + 1e-6) when that is below 1, where total_norm is the norm_type-norm
    (inf for the largest magnitude) of all gradients together. Returns total_norm as a 0-d Tensor,
    as PyTorch does. error_if_nonfinite=True raises RuntimeError for a NaN or infinite norm."""
    max_norm, norm_type = float(max_norm), float(norm_type)
    params = _with_grads(parameters)
    if not params:
        return tensor(np.float32(0.0))
    grads = [p.grad.data for p in params]
    dtype = np.result_type(*[g.dtype for g in grads])
    norms = [_norm(g, norm_type) for g in grads]
    if norm_type == math.inf:
        total = max(norms)
    elif norm_type == -math.inf:
        total = min(norms)
    else:
        total = _norm(np.asarray(norms, np.float64), norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is "
                           "non-finite, so it cannot be clipped. To disable this error and scale the "
                           "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    # Like PyTorch, compute the coefficient in the gradients' dtype and multiply unconditionally
    # by min(coefficient, 1), so a NaN norm spreads to the gradients instead of hiding.
    coefficient = dtype.type(max_norm) / (dtype.type(total) + dtype.type(1e-6))
    coefficient = np.minimum(coefficient, dtype.type(1.0))
    for g in grads:
        g *= coefficient.astype(g.dtype)
    return tensor(np.asarray(total, dtype=dtype))


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient entry of `parameters` to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for p in _with_grads(parameters):
        np.clip(p.grad.data, -clip_value, clip_value, out=p.grad.data)
