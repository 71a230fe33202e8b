"""linear: x·wᵀ + b with an optional fused activation, one kernel call each way."""
from __future__ import annotations

from mdlfast.autograd.backend import ops
from mdlfast.autograd.function import Function
from mdlfast.autograd.tensor import Tensor


class Linear(Function):
    @staticmethod
    def forward(ctx, x, w, b, *, activation):
        k = ops(x)
        ctx.activation = activation
        if activation == "gelu":
            y, z = k.linear(x, w, b, activation, return_preactivation=True)
            ctx.z = z
        else:
            y = k.linear(x, w, b, activation)
        ctx.y = y
        return y

    @staticmethod
    def backward(ctx, g):
        x, w, b = ctx.inputs
        k = ops(g)
        if not x.requires_grad:  # an input layer: skip the dx GEMM, as PyTorch does
            dw, db = _weight_grads(k, g, x.data, ctx)
            return None, dw, (db if b is not None else None)
        dx, dw, db = k.linear_backward(g, x.data, w.data, ctx.y, ctx.activation, z=getattr(ctx, "z", None))
        return dx, dw, (db if b is not None else None)

    @staticmethod
    def backward_graph(ctx, g):
        x, w, b = ctx.inputs
        dz = _activation_grad(g, x, w, b, ctx.activation)
        flat_x = x.reshape(-1, x.shape[-1])
        flat_dz = dz.reshape(-1, dz.shape[-1])
        dx = dz @ w if x.requires_grad else None
        dw = flat_dz.T @ flat_x if w.requires_grad else None
        db = flat_dz.sum(axis=0) if isinstance(b, Tensor) and b.requires_grad else None
        return dx, dw, db


def _weight_grads(k, g, x, ctx):
    """(dw, db) alone: the activation's backward, then dzᵀ·x and the column sums of dz."""
    if ctx.activation == "gelu":
        g = k.activation_backward(g, ctx.z, None, "gelu")
    elif ctx.activation is not None:
        g = k.activation_backward(g, None, ctx.y, ctx.activation)
    dz = g.reshape(-1, g.shape[-1])
    return k.gemm(dz, x.reshape(-1, x.shape[-1]), trans_a=True), dz.sum(axis=0)


def _activation_grad(g, x, w, b, activation):
    """g · activation'(z) as differentiable tensor operations (z recomputed from x, w, b)."""
    if activation is None:
        return g
    z = x @ w.T
    if b is not None:
        z = z + b
    if activation == "relu":
        return g * Tensor._wrap((z.data > 0).astype(z.dtype), False, None, 0)
    if activation == "tanh":
        t = z.tanh()
        return g * (1.0 - t * t)
    if activation == "sigmoid":
        s = z.sigmoid()
        return g * s * (1.0 - s)
    raise RuntimeError(f"linear with activation {activation!r} has no differentiable backward: "
                       "create_graph=True is not supported through it")


def linear(input, weight, bias=None, activation=None):
    """y = activation(input · weightᵀ + bias); weight is [out, in] (torch.nn.functional.linear,
    plus an optional fused activation: 'relu', 'sigmoid', 'tanh' or 'gelu')."""
    return Linear.apply(input, weight, bias, activation=activation)
