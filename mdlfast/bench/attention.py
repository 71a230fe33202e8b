"""Benchmark cases for attention: the forward, the backward alone, and forward + backward (a
training step's share), against the reference and PyTorch's scaled_dot_product_attention.

Shape: B = 8 sequences, 8 heads, T = 256 positions, d = 64 features a head, causal and not; a
2 x 4 x 128 x 64 case in the quick suite. Work is the multiply-adds of the score and value products
that a fused kernel cannot skip: 2 products of T·T·d forward, 5 backward (the scores recomputed,
then dv, dP, dq, dk), halved (T(T+1)/2 pairs) under the causal mask.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from mdlfast import kernels, reference
from mdlfast.bench.registry import MDLFAST, REFERENCE, Case, KernelBench, Side

_SEED = 0


# params (batch, heads, T, d, causal); q, k, v and dout standard normal.

def _operands(batch, heads, t, d, causal):
    rng = np.random.default_rng(_SEED)
    return tuple(rng.standard_normal((batch, heads, t, d), dtype=np.float32) for _ in range(4))


def _forward_with(api, params):
    q, k, v, _ = _operands(*params)
    return partial(api.attention, q, k, v, causal=params[-1])


def _backward_with(api, params):
    q, k, v, dout = _operands(*params)
    causal = params[-1]
    out, lse = api.attention(q, k, v, causal=causal)
    return partial(api.attention_backward, dout, q, k, v, out, lse, causal=causal)


def _forward_backward_with(api, params):
    q, k, v, dout = _operands(*params)
    causal = params[-1]

    def step():
        out, lse = api.attention(q, k, v, causal=causal)
        return api.attention_backward(dout, q, k, v, out, lse, causal=causal)

    return step


def _torch_tensors(params, requires_grad):
    import torch

    return [torch.from_numpy(x).requires_grad_(requires_grad) for x in _operands(*params)]


def _forward_torch(params):
    import torch.nn.functional as F

    q, k, v, _ = _torch_tensors(params, False)
    return partial(F.scaled_dot_product_attention, q, k, v, is_causal=params[-1])


def _backward_torch(params):
    """PyTorch's autograd backward of SDPA: the recorded graph is replayed each call, so the forward
    is not timed."""
    import torch
    import torch.nn.functional as F

    q, k, v, dout = _torch_tensors(params, True)
    out = F.scaled_dot_product_attention(q, k, v, is_causal=params[-1])
    return partial(torch.autograd.grad, out, (q, k, v), dout.detach(), retain_graph=True)


def _forward_backward_torch(params):
    import torch
    import torch.nn.functional as F

    q, k, v, dout = _torch_tensors(params, True)
    dout = dout.detach()

    def step():
        out = F.scaled_dot_product_attention(q, k, v, is_causal=params[-1])
        return torch.autograd.grad(out, (q, k, v), dout)

    return step


def _case(batch, heads, t, d, causal, products):
    pairs = t * (t + 1) / 2 if causal else t * t
    label = f"{batch}x{heads}x{t}x{d}" + (" causal" if causal else "")
    return Case(label, (batch, heads, t, d, causal), 2.0 * products * batch * heads * pairs * d)


_FULL = ((8, 8, 256, 64, True), (8, 8, 256, 64, False))
_QUICK = ((2, 4, 128, 64, True),)


def _bench(name, products, mdlfast_setup, reference_setup, torch_setup):
    return KernelBench(
        name=name,
        shape_legend="B x heads x T x d",
        unit="flop",
        sides={
            MDLFAST: Side(mdlfast_setup),
            REFERENCE: Side(reference_setup),
            "torch": Side(torch_setup, requires="torch"),
        },
        full=tuple(_case(*p, products) for p in _FULL),
        quick=tuple(_case(*p, products) for p in _QUICK),
    )


BENCHMARKS = (
    _bench("attention", 2, partial(_forward_with, kernels), partial(_forward_with, reference),
           _forward_torch),
    _bench("attention_backward", 5, partial(_backward_with, kernels),
           partial(_backward_with, reference), _backward_torch),
    _bench("attention_forward_backward", 7, partial(_forward_backward_with, kernels),
           partial(_forward_backward_with, reference), _forward_backward_torch),
)
