"""Validation of attention and attention_backward arguments (API.md: attention).

q is [B, heads, Tq, d], k is [B, heads, Tk, d] and v is [B, heads, Tk, dv] (dv may differ from d,
as in PyTorch's scaled_dot_product_attention). The optional boolean mask (True = the position takes
part) broadcasts to [B, heads, Tq, Tk] under NumPy's rules. causal=True keeps key j for query i
when j <= i (the top-left aligned lower triangle, as PyTorch's is_causal); it cannot be combined
with a mask, as in PyTorch.
"""
from __future__ import annotations

import math
from typing import NamedTuple, Optional

import numpy as np

from mdlfast._validate.common import check_array, check_real, check_same_device

MASK_DTYPE = np.dtype(np.bool_)


class AttentionArgs(NamedTuple):
    q: object  # [B, heads, Tq, d]
    k: object  # [B, heads, Tk, d]
    v: object  # [B, heads, Tk, dv]
    causal: bool
    scale: float
    mask: Optional[object]  # bool, 4-D, each axis 1 or the full size (a broadcastable view)
    device: str


def _check_causal(causal):
    if not isinstance(causal, (bool, np.bool_)):
        raise TypeError(f"causal must be a bool, got {type(causal).__name__}")
    return bool(causal)


def _check_scale(scale, d):
    if scale is None:
        return 1.0 / math.sqrt(d)
    scale = check_real(scale, "scale")
    if not math.isfinite(scale):
        raise ValueError(f"scale must be a finite number, got {scale}")
    return scale


def _check_qkv(q, k, v, dtypes):
    check_array(q, "q", dtypes, (4,))
    for value, name in ((k, "k"), (v, "v")):
        check_array(value, name, dtypes, (4,))
        if value.dtype != q.dtype:
            raise TypeError(f"{name} must have the dtype of q ({q.dtype}), got {value.dtype}")
    batch, heads, _, d = q.shape
    if d < 1:
        raise ValueError(f"q's last dimension (d) must be >= 1, got shape {tuple(q.shape)}")
    if tuple(k.shape[:2]) != (batch, heads) or k.shape[3] != d:
        raise ValueError(
            f"k must have shape ({batch}, {heads}, Tk, {d}) (q's batch, heads and d), "
            f"got {tuple(k.shape)}"
        )
    if tuple(v.shape[:3]) != tuple(k.shape[:3]):
        raise ValueError(
            f"v must have shape {tuple(k.shape[:3])} + (dv,) (k's batch, heads and Tk), "
            f"got {tuple(v.shape)}"
        )


def _check_mask(mask, q, k, causal):
    if mask is None:
        return None
    if causal:
        raise ValueError("mask and causal=True cannot be combined (as in PyTorch); "
                         "fold the causal triangle into the mask instead")
    check_array(mask, "mask", (MASK_DTYPE,))
    full = (q.shape[0], q.shape[1], q.shape[2], k.shape[2])
    if mask.ndim > 4:
        raise ValueError(f"mask must have at most 4 dimensions (broadcastable to {full}), "
                         f"got shape {tuple(mask.shape)}")
    shape = (1,) * (4 - mask.ndim) + tuple(mask.shape)
    if any(m not in (1, f) for m, f in zip(shape, full)):
        raise ValueError(f"mask must be broadcastable to {full} (B, heads, Tq, Tk), "
                         f"got shape {tuple(mask.shape)}")
    return mask.reshape(shape)


def attention_args(q, k, v, causal, scale, mask, dtypes) -> AttentionArgs:
    _check_qkv(q, k, v, dtypes)
    causal = _check_causal(causal)
    scale = _check_scale(scale, q.shape[3])
    mask = _check_mask(mask, q, k, causal)
    device = check_same_device(q=q, k=k, v=v, mask=mask)
    return AttentionArgs(q, k, v, causal, scale, mask, device)


class AttentionBackwardArgs(NamedTuple):
    dout: object  # [B, heads, Tq, dv]
    q: object
    k: object
    v: object
    out: object  # [B, heads, Tq, dv]
    lse: object  # [B, heads, Tq]
    causal: bool
    scale: float
    mask: Optional[object]
    device: str


def attention_backward_args(dout, q, k, v, out, lse, causal, scale, mask,
                            dtypes) -> AttentionBackwardArgs:
    args = attention_args(q, k, v, causal, scale, mask, dtypes)
    out_shape = tuple(q.shape[:3]) + (v.shape[3],)
    for value, name, shape, what in ((dout, "dout", out_shape, "(B, heads, Tq, dv)"),
                                     (out, "out", out_shape, "(B, heads, Tq, dv)"),
                                     (lse, "lse", out_shape[:3], "(B, heads, Tq)")):
        check_array(value, name, dtypes)
        if value.dtype != q.dtype:
            raise TypeError(f"{name} must have the dtype of q ({q.dtype}), got {value.dtype}")
        if tuple(value.shape) != shape:
            raise ValueError(f"{name} must have shape {shape} {what}, got {tuple(value.shape)}")
    device = check_same_device(dout=dout, q=q, k=k, v=v, out=out, lse=lse, mask=mask)
    return AttentionBackwardArgs(dout, args.q, args.k, args.v, out, lse, args.causal, args.scale,
                                 args.mask, device)
