"""dropout: the counter-based kernel; seeds come from the global generator (mdlfast.manual_seed)."""
from __future__ import annotations

from mdlfast.autograd.backend import ops
from mdlfast.autograd.function import Function
from mdlfast.random import seed_for_kernel


class Dropout(Function):
    @staticmethod
    def forward(ctx, x, *, p, seed):
        y, mask = ops(x).dropout(x, p, seed=seed)
        ctx.mask, ctx.p = mask, p
        return y

    @staticmethod
    def backward(ctx, g):
        return (ops(g).dropout_backward(g, ctx.mask, ctx.p),)

    @staticmethod
    def backward_graph(ctx, g):
        from mdlfast.autograd.tensor import Tensor

        keep = Tensor._wrap(ctx.mask.astype(g.dtype) * (1.0 / (1.0 - ctx.p) if ctx.p < 1 else 0.0),
                            False, None, 0)
        return (g * keep,)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p) when training; the
    identity otherwise (torch.nn.functional.dropout)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    return Dropout.apply(input, p=p, seed=seed_for_kernel())
