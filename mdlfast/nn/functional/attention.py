"""Scaled dot-product attention: the fused kernel (one call each way) for boolean or no masks;
tensor operations where the T×T weights are wanted (additive masks, dropout on the weights)."""
from __future__ import annotations

import math

import numpy as np

from mdlfast.autograd.backend import ops
from mdlfast.autograd.function import Function
from mdlfast.autograd.tensor import Tensor
from mdlfast.nn.functional.activation import softmax
from mdlfast.nn.functional.dropout import dropout


class Attention(Function):
    """out = softmax(scale·q·kᵀ over the kept positions)·v, [B, heads, T, d]."""

    @staticmethod
    def forward(ctx, q, k, v, *, causal, scale, mask):
        out, lse = ops(q).attention(q, k, v, causal=causal, scale=scale, mask=mask)
        ctx.out, ctx.lse = out, lse
        ctx.options = dict(causal=causal, scale=scale, mask=mask)
        return out

    @staticmethod
    def backward(ctx, g):
        q, k, v = (t.data for t in ctx.inputs)
        return ops(g).attention_backward(g, q, k, v, ctx.out, ctx.lse, **ctx.options)


def attention_weights(q, k, *, scale, keep=None, additive=None, causal=False):
    """softmax(scale·q·kᵀ + additive) with positions outside `keep` (bool) excluded: [..., Tq, Tk]."""
    scores = (q @ k.transpose(-2, -1)) * scale
    if additive is not None:
        scores = scores + additive
    if causal:
        tq, tk = q.shape[-2], k.shape[-2]
        tri = np.tril(np.ones((tq, tk), bool))
        keep = tri if keep is None else keep & tri
    if keep is not None:
        scores = scores.where(np.broadcast_to(keep, scores.shape), -np.inf)
    return softmax(scores, dim=-1)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False,
                                 scale=None, training=True):
    """torch.nn.functional.scaled_dot_product_attention on [..., T, d] tensors: a boolean
    attn_mask marks the positions that take part, a float one is added to the scores."""
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    mask = attn_mask.data if isinstance(attn_mask, Tensor) else attn_mask
    bool_mask = mask is None or np.asarray(mask).dtype == bool
    if bool_mask and dropout_p == 0.0 and query.ndim == 4:
        return Attention.apply(query, key, value, causal=bool(is_causal), scale=float(scale),
                               mask=None if mask is None else np.asarray(mask))
    keep = np.asarray(mask) if mask is not None and bool_mask else None
    additive = None if mask is None or bool_mask else attn_mask
    p = attention_weights(query, key, scale=scale, keep=keep, additive=additive, causal=is_causal)
    if dropout_p:
        p = dropout(p, dropout_p, training)
    return p @ value
