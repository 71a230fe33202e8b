"""Reference losses with PyTorch's semantics and their backwards: cross_entropy (fused with
softmax), mse, bce_with_logits.

Reductions: "mean" and "sum" give a 0-d array, "none" the per-element (per-row for cross_entropy)
losses. A backward takes dloss, the gradient of whatever the loss fed: a scalar for "mean" and
"sum", an array of the loss's shape for "none"; it returns the input's gradient only (mse's target
gradient is its negative).
"""
from __future__ import annotations

import numpy as np

from mdlfast._validate.common import REFERENCE_DTYPES
from mdlfast._validate.loss import cross_entropy_args, cross_entropy_backward_args, pair_loss_args


def _reduce(per_element, reduction, count=None):
    if reduction == "none":
        return per_element
    total = per_element.sum(dtype=per_element.dtype)
    if reduction == "sum":
        return np.asarray(total)
    with np.errstate(invalid="ignore", divide="ignore"):  # nothing to average: NaN, as PyTorch
        return np.asarray(total / per_element.dtype.type(per_element.size if count is None else count))


def _gradient_scale(dloss, reduction, count, dtype):
    """What each element's local gradient is multiplied by: dloss, over count for "mean"."""
    if reduction == "none":
        return dloss
    if reduction == "sum":
        return dtype.type(dloss)
    return dtype.type(dloss / count) if count else dtype.type(np.nan)


def cross_entropy(logits, labels, *, reduction="mean", ignore_index=-100, label_smoothing=0.0):
    """(loss, probs) for logits [N, C] and int64 labels [N], as torch.nn.functional.cross_entropy:
    rows labelled ignore_index count neither in the loss nor in the mean's denominator;
    label_smoothing ε mixes the target with the uniform distribution, (1-ε)·onehot + ε/C.
    probs = softmax(logits) is what cross_entropy_backward takes."""
    args = cross_entropy_args(logits, labels, reduction, ignore_index, label_smoothing, REFERENCE_DTYPES)
    x = args.logits
    t, x_dtype = x.dtype.type, x.dtype
    n, c = x.shape
    with np.errstate(invalid="ignore", divide="ignore"):
        shifted = x - x.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    probs = np.exp(log_probs)
    valid = args.labels != args.ignore_index
    safe_labels = np.where(valid, args.labels, 0)
    nll = -log_probs[np.arange(n), safe_labels]
    eps = args.label_smoothing
    per_row = nll if eps == 0.0 else (t(1 - eps) * nll - t(eps / c) * log_probs.sum(axis=1))
    per_row = np.where(valid, per_row, t(0)).astype(x_dtype)
    return _reduce(per_row, args.reduction, args.count), probs


def cross_entropy_backward(probs, labels, *, reduction="mean", ignore_index=-100, label_smoothing=0.0,
                           dloss=None, out=None):
    """dlogits = dloss · (probs - target) per row (over the valid-row count for "mean"); 0 for rows
    labelled ignore_index. dloss defaults to 1 (the loss is the final output). out, a C-contiguous
    array of probs's shape and dtype, receives dlogits and is returned; it may be probs itself."""
    args = cross_entropy_backward_args(probs, labels, reduction, ignore_index, label_smoothing, dloss, out,
                                       REFERENCE_DTYPES)
    p = args.logits  # the probabilities, in the backward
    n, c = p.shape
    t = p.dtype.type
    eps = args.label_smoothing
    target = np.full_like(p, t(eps / c))
    valid = args.labels != args.ignore_index
    rows = np.arange(n)[valid]
    target[rows, args.labels[valid]] += t(1 - eps)
    scale = _gradient_scale(args.dloss, args.reduction, args.count, p.dtype)
    scale = np.where(valid, scale, t(0)).astype(p.dtype)
    dlogits = (p - target) * scale[:, None]
    if args.out is None:
        return dlogits
    args.out[...] = dlogits
    return args.out


def mse(pred, target, *, reduction="mean"):
    """(pred - target)², reduced."""
    args = pair_loss_args(pred, "pred", target, reduction, None, None, False, REFERENCE_DTYPES)
    diff = args.input - args.target
    return _reduce(diff * diff, args.reduction)


def mse_backward(dloss, pred, target, *, reduction="mean"):
    """dpred = 2·(pred - target)·dloss (over pred.size for "mean"); dtarget is -dpred."""
    args = pair_loss_args(pred, "pred", target, reduction, None, dloss, True, REFERENCE_DTYPES)
    scale = _gradient_scale(args.dloss, args.reduction, args.input.size, args.input.dtype)
    return args.input.dtype.type(2) * (args.input - args.target) * scale


def _bce_weight(target, pos_weight):
    """1 + (pos_weight - 1)·target: the weight of the positive term, PyTorch's log_weight."""
    return None if pos_weight is None else 1 + (pos_weight - 1) * target


def bce_with_logits(logits, target, *, reduction="mean", pos_weight=None):
    """Binary cross-entropy on logits x with PyTorch's stable formula
    (1 - t)·x + w·(log(1 + exp(-|x|)) + max(-x, 0)), w = 1 + (pos_weight - 1)·t (1 without
    pos_weight, which has shape [C] and weighs the positives of each class on the last axis)."""
    args = pair_loss_args(logits, "logits", target, reduction, pos_weight, None, False, REFERENCE_DTYPES)
    x, t = args.input, args.target
    softplus_neg = np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0)  # log(1 + exp(-x))
    w = _bce_weight(t, args.pos_weight)
    loss = (1 - t) * x + (softplus_neg if w is None else w * softplus_neg)
    return _reduce(loss, args.reduction)


def bce_with_logits_backward(dloss, logits, target, *, reduction="mean", pos_weight=None):
    """dlogits = ((1 - t) - w·sigmoid(-x))·dloss (σ(x) - t without pos_weight), over logits.size
    for "mean"."""
    args = pair_loss_args(logits, "logits", target, reduction, pos_weight, dloss, True, REFERENCE_DTYPES)
    x, t = args.input, args.target
    e = np.exp(-np.abs(x))
    w = _bce_weight(t, args.pos_weight)
    if w is None:
        local = np.where(x >= 0, 1 / (1 + e), e / (1 + e)) - t  # σ(x) - t, overflow-free
    else:
        local = (1 - t) - w * np.where(x >= 0, e / (1 + e), 1 / (1 + e))  # σ(-x)
    scale = _gradient_scale(args.dloss, args.reduction, x.size, x.dtype)
    return (local * scale).astype(x.dtype)
