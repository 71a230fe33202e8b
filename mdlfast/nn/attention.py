"""MultiheadAttention, with PyTorch's parameters (in_proj_weight, in_proj_bias, out_proj)."""
from __future__ import annotations

import math

import numpy as np

from mdlfast.autograd.tensor import Tensor
from mdlfast.nn import init
from mdlfast.nn.functional.attention import Attention, attention_weights
from mdlfast.nn.functional.dropout import dropout
from mdlfast.nn.functional.linear import linear
from mdlfast.nn.linear import Linear
from mdlfast.nn.module import Module
from mdlfast.nn.parameter import Parameter


def _array(mask):
    return None if mask is None else np.asarray(mask.data if isinstance(mask, Tensor) else mask)


class MultiheadAttention(Module):
    """Multi-head attention as torch.nn.MultiheadAttention: boolean masks mark the positions to
    ignore (True = masked out), float masks are added to the scores."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError("MultiheadAttention: add_bias_kv and add_zero_attn are not supported")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.head_dim, self.batch_first = embed_dim // num_heads, batch_first
        self.kdim, self.vdim = kdim or embed_dim, vdim or embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        dtype = np.dtype(dtype or np.float32)
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dtype))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(np.empty((embed_dim, embed_dim), dtype))
            self.k_proj_weight = Parameter(np.empty((embed_dim, self.kdim), dtype))
            self.v_proj_weight = Parameter(np.empty((embed_dim, self.vdim), dtype))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.empty(3 * embed_dim, dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)

    def _project(self, query, key, value):
        e = self.embed_dim
        b = self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:e], b[e:2 * e], b[2 * e:])
        if self._qkv_same_embed_dim:
            if query is key and key is value:  # self-attention: one GEMM for q, k and v
                return linear(query, self.in_proj_weight, b).chunk(3, dim=-1)
            w = self.in_proj_weight
            return (linear(query, w[:e], bq), linear(key, w[e:2 * e], bk), linear(value, w[2 * e:], bv))
        return (linear(query, self.q_proj_weight, bq), linear(key, self.k_proj_weight, bk),
                linear(value, self.v_proj_weight, bv))

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        batched = query.ndim == 3
        if query.ndim not in (2, 3) or query.shape[-1] != self.embed_dim:
            raise ValueError(f"MultiheadAttention: query must be [L, N, {self.embed_dim}] "
                             f"([N, L, {self.embed_dim}] with batch_first, or [L, {self.embed_dim}]), "
                             f"got {tuple(query.shape)}")
        if not batched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = _array(key_padding_mask)[None]
        elif self.batch_first:
            same_kv = key is value
            same_qk = query is key
            query = query.transpose(0, 1)
            key = query if same_qk else key.transpose(0, 1)
            value = key if same_kv else value.transpose(0, 1)
        tq, n, _ = query.shape
        tk = key.shape[0]
        if key.shape[1] != n or value.shape[:2] != key.shape[:2]:
            raise ValueError(f"MultiheadAttention: key {tuple(key.shape)} and value {tuple(value.shape)} "
                             f"must match the query's batch and each other's length")
        q, k, v = self._project(query, key, value)
        h, hd = self.num_heads, self.head_dim
        heads = lambda t, length: t.reshape(length, n, h, hd).permute(1, 2, 0, 3)  # [N, h, T, hd]
        q, k, v = heads(q, tq), heads(k, tk), heads(v, tk)
        keep, additive = self._masks(_array(attn_mask), _array(key_padding_mask), n, tq, tk, q.dtype)
        causal = bool(is_causal and attn_mask is None)
        scale = 1.0 / math.sqrt(hd)
        dropout_p = self.dropout if self.training else 0.0
        weights = None
        if need_weights or additive is not None or dropout_p:
            p = attention_weights(q, k, scale=scale, keep=keep, additive=additive, causal=causal)
            weights = p
            if dropout_p:
                p = dropout(p, dropout_p, True)
            out = p @ v
        else:
            out = Attention.apply(q, k, v, causal=causal, scale=scale, mask=keep)
        out = out.permute(2, 0, 1, 3).reshape(tq, n, self.embed_dim)
        out = self.out_proj(out)
        if self.batch_first and batched:
            out = out.transpose(0, 1)
        if not batched:
            out = out.squeeze(1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(axis=1)
        if not batched:
            weights = weights.squeeze(0)
        return out, weights

    def _masks(self, attn_mask, key_padding_mask, n, tq, tk, dtype):
        """(keep, additive): a boolean mask of the positions that take part, [N or 1, h or 1,
        Tq, Tk], and a float mask to add to the scores (or None)."""
        keep, additive = None, None
        if attn_mask is not None:
            if attn_mask.ndim == 2:
                attn_mask = attn_mask[None, None]
            elif attn_mask.ndim == 3:
                attn_mask = attn_mask.reshape(n, self.num_heads, tq, tk)
            else:
                raise ValueError(f"attn_mask must be 2-D or 3-D, got shape {attn_mask.shape}")
            if attn_mask.dtype == bool:
                keep = ~attn_mask
            else:
                additive = attn_mask.astype(dtype)
        if key_padding_mask is not None:
            if key_padding_mask.shape != (n, tk):
                raise ValueError(f"key_padding_mask must be [N, S] = {(n, tk)}, got {key_padding_mask.shape}")
            kpm = key_padding_mask[:, None, None, :]
            if kpm.dtype == bool:
                keep = ~kpm if keep is None else keep & ~kpm
            else:
                additive = kpm.astype(dtype) if additive is None else additive + kpm.astype(dtype)
        if additive is not None:
            additive = Tensor(additive)
        return keep, additive
