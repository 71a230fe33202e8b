"""Losses: fused softmax-cross-entropy, MSE and BCE-with-logits (one kernel call each way), and
nll_loss. Each is differentiable twice (create_graph=True) through tensor operations."""
from __future__ import annotations

import numpy as np

from mdlfast.autograd.backend import ops
from mdlfast.autograd.function import Function
from mdlfast.autograd.tensor import Tensor, as_tensor

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _constant(array):
    return Tensor._wrap(array, False, None, 0)


class CrossEntropy(Function):
    @staticmethod
    def forward(ctx, logits, labels, *, reduction, ignore_index, label_smoothing):
        loss, probs = ops(logits).cross_entropy(logits, labels, reduction=reduction,
                                                ignore_index=ignore_index, label_smoothing=label_smoothing)
        ctx.probs, ctx.labels = probs, labels
        ctx.options = dict(reduction=reduction, ignore_index=ignore_index, label_smoothing=label_smoothing)
        return loss

    @staticmethod
    def backward(ctx, g):
        return (ops(ctx.probs).cross_entropy_backward(ctx.probs, ctx.labels, dloss=g, **ctx.options), None)

    @staticmethod
    def backward_graph(ctx, g):
        logits = ctx.inputs[0]
        opts, labels = ctx.options, ctx.labels
        n, c = logits.shape
        valid = labels != opts["ignore_index"]
        eps = opts["label_smoothing"]
        target = np.full((n, c), eps / c, dtype=logits.dtype)
        target[np.arange(n)[valid], labels[valid]] += 1 - eps
        target[~valid] = 0
        probs = (logits - logits.logsumexp(axis=1, keepdims=True)).exp()
        scale = g.reshape(-1, 1) if opts["reduction"] == "none" else g.reshape(1, 1)
        if opts["reduction"] == "mean":
            scale = scale * (1.0 / max(int(valid.sum()), 1))
        row_mask = _constant(valid.astype(logits.dtype)[:, None])
        return ((probs * row_mask - _constant(target)) * scale, None)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy of logits [N, C] (or [N, C, d...]) against int64 class ids,
    as torch.nn.functional.cross_entropy (class weights and probability targets unsupported)."""
    if weight is not None:
        raise NotImplementedError("cross_entropy: class weights are not supported")
    _check_reduction(reduction)
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if labels.dtype.kind == "f":
        raise NotImplementedError("cross_entropy: probability (float) targets are not supported; "
                                  "pass int64 class ids")
    if input.ndim > 2:  # [N, C, d...] -> rows of C
        c = input.shape[1]
        spatial = labels.shape
        rows = input.permute(0, *range(2, input.ndim), 1).reshape(-1, c)
        loss = CrossEntropy.apply(rows, labels.reshape(-1).astype(np.int64), reduction=reduction,
                                  ignore_index=ignore_index, label_smoothing=label_smoothing)
        return loss.reshape(spatial) if reduction == "none" else loss
    if input.ndim == 1:
        loss = CrossEntropy.apply(input.reshape(1, -1), labels.reshape(1).astype(np.int64),
                                  reduction=reduction, ignore_index=ignore_index,
                                  label_smoothing=label_smoothing)
        return loss.reshape(()) if reduction == "none" else loss
    return CrossEntropy.apply(input, labels.astype(np.int64, copy=False), reduction=reduction,
                              ignore_index=ignore_index, label_smoothing=label_smoothing)


class MSE(Function):
    @staticmethod
    def forward(ctx, pred, target, *, reduction):
        ctx.reduction = reduction
        return ops(pred).mse(pred, target, reduction=reduction)

    @staticmethod
    def backward(ctx, g):
        pred, target = ctx.inputs
        p, t = pred.data, getattr(target, "data", target)
        dpred = ops(p).mse_backward(g, p, t, reduction=ctx.reduction)
        return (dpred if pred.requires_grad else None,
                -dpred if getattr(target, "requires_grad", False) else None)

    @staticmethod
    def backward_graph(ctx, g):
        pred, target = ctx.inputs
        diff = pred - target
        scale = 2.0 / diff.data.size if ctx.reduction == "mean" else 2.0
        d = diff * g * scale
        return (d if pred.requires_grad else None,
                -d if getattr(target, "requires_grad", False) else None)


def mse_loss(input, target, reduction="mean"):
    """Mean squared error, as torch.nn.functional.mse_loss (same shapes)."""
    _check_reduction(reduction)
    target = as_tensor(target)
    if target.shape != input.shape:
        raise ValueError(f"mse_loss: target shape {tuple(target.shape)} must match input shape "
                         f"{tuple(input.shape)}")
    return MSE.apply(input, target, reduction=reduction)


class BCEWithLogits(Function):
    @staticmethod
    def forward(ctx, logits, target, pos_weight, *, reduction):
        ctx.reduction = reduction
        return ops(logits).bce_with_logits(logits, target, reduction=reduction, pos_weight=pos_weight)

    @staticmethod
    def backward(ctx, g):
        logits, target, pos_weight = ctx.inputs
        pw = None if pos_weight is None else getattr(pos_weight, "data", pos_weight)
        d = ops(logits.data).bce_with_logits_backward(g, logits.data, getattr(target, "data", target),
                                                      reduction=ctx.reduction, pos_weight=pw)
        if getattr(target, "requires_grad", False) or getattr(pos_weight, "requires_grad", False):
            raise RuntimeError("binary_cross_entropy_with_logits: gradients with respect to target "
                               "or pos_weight are not supported")
        return d, None, None


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """Sigmoid + binary cross-entropy in one stable step, as PyTorch's function of that name."""
    if weight is not None:
        raise NotImplementedError("binary_cross_entropy_with_logits: weight is not supported")
    _check_reduction(reduction)
    target = as_tensor(target)
    if target.shape != input.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: target shape {tuple(target.shape)} must "
                         f"match input shape {tuple(input.shape)}")
    return BCEWithLogits.apply(input, target, pos_weight, reduction=reduction)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities [N, C] at int64 class ids (tensor ops)."""
    if weight is not None:
        raise NotImplementedError("nll_loss: class weights are not supported")
    _check_reduction(reduction)
    labels = np.asarray(target.data if isinstance(target, Tensor) else target).astype(np.int64)
    valid = labels != ignore_index
    picked = input[np.arange(len(labels)), np.where(valid, labels, 0)]
    per_row = -picked * _constant(valid.astype(input.dtype))
    if reduction == "none":
        return per_row
    total = per_row.sum()
    return total * (1.0 / max(int(valid.sum()), 1)) if reduction == "mean" else total
