"""The attention family: attention, attention_backward (fused, tiled; C++ kernels only)."""
from __future__ import annotations

from mdlfast._kernels.common import contiguous as _contiguous
from mdlfast._kernels.common import cpu_backend as _cpu_backend
from mdlfast._validate.attention import attention_args, attention_backward_args
from mdlfast._validate.common import KERNEL_DTYPES


def attention(q, k, v, *, causal=False, scale=None, mask=None):
    """Scaled dot-product attention on q [B, heads, Tq, d], k [B, heads, Tk, d], v [B, heads, Tk, dv]:
    (out, lse) with out = softmax(scale·q·kᵀ)·v [B, heads, Tq, dv] and lse [B, heads, Tq], the row
    log-sum-exp of the scaled, masked scores. scale defaults to 1/√d. mask is boolean (True = takes
    part) and broadcasts to [B, heads, Tq, Tk]; causal=True keeps keys j <= i (PyTorch's is_causal,
    top-left aligned) and cannot be combined with a mask. A query row with no visible key gets
    out = 0 and lse = -inf. The [Tq, Tk] score matrix is never materialised."""
    args = attention_args(q, k, v, causal, scale, mask, KERNEL_DTYPES)
    backend, xp = _cpu_backend(args.device, "attention")
    batch, heads, tq, _ = args.q.shape
    out = xp.empty((batch, heads, tq, args.v.shape[3]), dtype=xp.float32)
    lse = xp.empty((batch, heads, tq), dtype=xp.float32)
    backend.attention(out, lse, _contiguous(args.q, xp), _contiguous(args.k, xp),
                      _contiguous(args.v, xp), args.scale, args.causal, _contiguous(args.mask, xp))
    return out, lse


def attention_backward(dout, q, k, v, out, lse, *, causal=False, scale=None, mask=None):
    """Gradients (dq, dk, dv) of attention given dout, from the forward's out and lse (the same
    causal, scale and mask). Fully masked query rows pass no gradient. The result is the same for
    any thread count (each (batch, head) is summed by one thread)."""
    args = attention_backward_args(dout, q, k, v, out, lse, causal, scale, mask, KERNEL_DTYPES)
    backend, xp = _cpu_backend(args.device, "attention_backward")
    dq = xp.empty(args.q.shape, dtype=xp.float32)
    dk = xp.empty(args.k.shape, dtype=xp.float32)
    dv = xp.empty(args.v.shape, dtype=xp.float32)
    backend.attention_backward(dq, dk, dv, _contiguous(args.dout, xp), _contiguous(args.q, xp),
                               _contiguous(args.k, xp), _contiguous(args.v, xp),
                               _contiguous(args.out, xp), _contiguous(args.lse, xp), args.scale,
                               args.causal, _contiguous(args.mask, xp))
    return dq, dk, dv
