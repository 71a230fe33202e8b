"""batch_norm, layer_norm and embedding: one kernel call each way."""
from __future__ import annotations

import numpy as np

from mdlfast.autograd.backend import ops
from mdlfast.autograd.function import Function
from mdlfast.autograd.tensor import Tensor


def _data(t):
    """The array of a Tensor; arrays and None pass."""
    return t.data if isinstance(t, Tensor) else t


class BatchNorm(Function):
    @staticmethod
    def forward(ctx, x, gamma, beta, *, running_mean, running_var, training, momentum, eps):
        y, mean, invstd = ops(x).batch_norm(x, gamma, beta, running_mean, running_var,
                                            training=training, momentum=momentum, eps=eps)
        ctx.mean, ctx.invstd = mean, invstd
        ctx.batch_stats = training or running_mean is None
        return y

    @staticmethod
    def backward(ctx, g):
        x, gamma, beta = ctx.inputs
        dx, dgamma, dbeta = ops(g).batch_norm_backward(g, x.data, _data(gamma), ctx.mean, ctx.invstd,
                                                       training=ctx.batch_stats)
        if gamma is None and beta is not None:
            dbeta = g.sum(axis=tuple(i for i in range(g.ndim) if i != 1))
        return dx, dgamma, dbeta


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation over [N, C] or [N, C, H, W] (torch.nn.functional.batch_norm); in
    training the running statistics (arrays or Tensors) are updated in place."""
    return BatchNorm.apply(input, weight, bias, running_mean=_data(running_mean),
                           running_var=_data(running_var), training=training,
                           momentum=0.0 if momentum is None else momentum, eps=eps)


class LayerNorm(Function):
    @staticmethod
    def forward(ctx, x, gamma, beta, *, eps):
        y, mean, rstd = ops(x).layer_norm(x, gamma, beta, eps=eps)
        ctx.mean, ctx.rstd = mean, rstd
        return y

    @staticmethod
    def backward(ctx, g):
        x, gamma, beta = ctx.inputs
        dx, dgamma, dbeta = ops(g).layer_norm_backward(g, x.data, _data(gamma), ctx.mean, ctx.rstd)
        if gamma is None and beta is not None:
            dbeta = g.reshape(-1, g.shape[-1]).sum(axis=0)
        return dx, dgamma, dbeta


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation over the trailing normalized_shape dimensions."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[-len(normalized_shape):]) != normalized_shape:
        raise ValueError(f"layer_norm: input shape {tuple(input.shape)} does not end with "
                         f"normalized_shape {normalized_shape}")
    if len(normalized_shape) == 1:
        return LayerNorm.apply(input, weight, bias, eps=eps)
    d = int(np.prod(normalized_shape))
    flat = lambda t: None if t is None else t.reshape(d)
    y = LayerNorm.apply(input.reshape(input.shape[:-len(normalized_shape)] + (d,)), flat(weight),
                        flat(bias), eps=eps)
    return y.reshape(input.shape)


class Embedding(Function):
    @staticmethod
    def forward(ctx, weight, *, indices, padding_idx):
        ctx.indices, ctx.padding_idx, ctx.rows = indices, padding_idx, weight.shape[0]
        return ops(weight).embedding(indices, weight, padding_idx=padding_idx)

    @staticmethod
    def backward(ctx, g):
        return (ops(g).embedding_backward(g, ctx.indices, ctx.rows, padding_idx=ctx.padding_idx),)


def embedding(input, weight, padding_idx=None):
    """Rows of weight at integer indices (torch.nn.functional.embedding); the padding row gets
    no gradient."""
    indices = np.asarray(input.data if isinstance(input, Tensor) else input)
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    return Embedding.apply(weight, indices=indices, padding_idx=padding_idx)
