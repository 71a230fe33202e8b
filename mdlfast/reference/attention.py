"""Reference scaled dot-product attention (PyTorch's scaled_dot_product_attention semantics).

It materialises the [Tq, Tk] score matrix, which the compiled kernels never do. A query row whose
keys are all masked out attends to nothing: its output is 0, its lse is -inf, and it passes no
gradient to q, k or v (where a plain softmax would give NaN).
"""
from __future__ import annotations

import numpy as np

from mdlfast._validate.attention import attention_args, attention_backward_args
from mdlfast._validate.common import REFERENCE_DTYPES


def _keep(causal, mask, tq, tk):
    """The boolean [.., Tq, Tk] pattern of the positions that take part (None: all of them)."""
    if causal:
        return np.tril(np.ones((tq, tk), dtype=bool))
    return mask


def _probabilities(q, k, scale, keep, lse=None):
    """(P, lse): the softmax of the scaled, masked scores, 0 where masked and on empty rows.
    Given lse, P is rebuilt from it (as a backward pass does) rather than from the row sums."""
    s = np.matmul(q, np.swapaxes(k, -1, -2)) * q.dtype.type(scale)
    if keep is not None:
        s = np.where(keep, s, -np.inf)
    if lse is None:
        row_max = s.max(axis=-1, keepdims=True, initial=-np.inf)
        safe_max = np.where(np.isfinite(row_max), row_max, 0)
        with np.errstate(divide="ignore"):
            lse = (np.log(np.exp(s - safe_max).sum(axis=-1, keepdims=True)) + safe_max)[..., 0]
    # Empty rows (lse = -inf) are all masked: exp(-inf - 0) = 0. NaN propagates, as in PyTorch.
    safe_lse = np.where(lse == -np.inf, 0, lse)[..., None]
    p = np.exp(s - safe_lse)
    return p, lse


def attention(q, k, v, *, causal=False, scale=None, mask=None):
    """(out, lse): out = softmax(scale·q·kᵀ, masked)·v of shape [B, heads, Tq, dv] and lse, the
    row log-sum-exp of the scaled, masked scores, [B, heads, Tq]."""
    args = attention_args(q, k, v, causal, scale, mask, REFERENCE_DTYPES)
    keep = _keep(args.causal, args.mask, q.shape[2], k.shape[2])
    p, lse = _probabilities(args.q, args.k, args.scale, keep)
    out = np.matmul(p, args.v)
    return out.astype(q.dtype, copy=False), lse.astype(q.dtype, copy=False)


def attention_backward(dout, q, k, v, out, lse, *, causal=False, scale=None, mask=None):
    """(dq, dk, dv) of attention given dout, from the forward's out and lse."""
    args = attention_backward_args(dout, q, k, v, out, lse, causal, scale, mask, REFERENCE_DTYPES)
    keep = _keep(args.causal, args.mask, q.shape[2], k.shape[2])
    p, _ = _probabilities(args.q, args.k, args.scale, keep, args.lse)
    dv = np.matmul(np.swapaxes(p, -1, -2), args.dout)
    dp = np.matmul(args.dout, np.swapaxes(args.v, -1, -2))
    row_dot = (args.dout * args.out).sum(axis=-1, keepdims=True)
    ds = p * (dp - row_dot) * q.dtype.type(args.scale)
    dq = np.matmul(ds, args.k)
    dk = np.matmul(np.swapaxes(ds, -1, -2), args.q)
    return dq, dk, dv.astype(q.dtype, copy=False)
