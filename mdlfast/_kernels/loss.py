"""The loss family: cross_entropy (fused with softmax), mse, bce_with_logits, and their backwards.

"mean" and "sum" give a 0-d float32 array, "none" the per-element (per-row for cross_entropy)
losses. The kernels sum in double, in blocks fixed by the size alone (the same on any thread
count). A backward takes dloss (a scalar for "mean"/"sum", an array of the loss's shape for
"none") and returns the input's gradient only (mse's target gradient is its negative).
"""
from __future__ import annotations

import numpy as np

from mdlfast._kernels.common import cpu_backend as _cpu_backend
from mdlfast._validate.common import KERNEL_DTYPES
from mdlfast._validate.loss import cross_entropy_args, cross_entropy_backward_args, pair_loss_args


def _flat(x, xp):
    return None if x is None else xp.ascontiguousarray(x).reshape(-1)


def _reduced(total, reduction, count):
    if reduction == "mean":
        total = total / count if count else float("nan")
    return np.asarray(total, dtype=np.float32)


def _scale_and_per_element(dloss, reduction, count, xp):
    """(scale, per-element dloss or None) for a backward kernel."""
    if reduction == "none":
        return 0.0, _flat(dloss, xp)
    if reduction == "sum":
        return float(dloss), None
    return (float(dloss) / count if count else float("nan")), None


def cross_entropy(logits, labels, *, reduction="mean", ignore_index=-100, label_smoothing=0.0):
    """(loss, probs) for logits [N, C] and int64 labels [N], as torch.nn.functional.cross_entropy
    (ignore_index rows count neither in the loss nor in the mean's denominator; label_smoothing ε
    mixes the target with the uniform distribution). probs = softmax(logits), computed in the same
    pass, is what cross_entropy_backward takes."""
    args = cross_entropy_args(logits, labels, reduction, ignore_index, label_smoothing, KERNEL_DTYPES)
    backend, xp = _cpu_backend(args.device, "cross_entropy")
    n, c = args.logits.shape
    probs = xp.empty((n, c), dtype=xp.float32)
    row_loss = xp.empty((n,), dtype=xp.float32)
    total = backend.cross_entropy(probs, row_loss, xp.ascontiguousarray(args.logits),
                                  xp.ascontiguousarray(args.labels), args.ignore_index, args.label_smoothing)
    loss = row_loss if args.reduction == "none" else _reduced(total, args.reduction, args.count)
    return loss, probs


def cross_entropy_backward(probs, labels, *, reduction="mean", ignore_index=-100, label_smoothing=0.0,
                           dloss=None, out=None):
    """dlogits = dloss · (probs - target) per row (over the valid-row count for "mean"); 0 on rows
    labelled ignore_index. dloss defaults to 1 (the loss is the final output). out, a C-contiguous
    array of probs's shape and dtype, receives dlogits and is returned; it may be probs itself (a
    training step needs probs no more), which saves allocating, and page-faulting, a new array."""
    args = cross_entropy_backward_args(probs, labels, reduction, ignore_index, label_smoothing, dloss, out,
                                       KERNEL_DTYPES)
    backend, xp = _cpu_backend(args.device, "cross_entropy_backward")
    dlogits = xp.empty(args.logits.shape, dtype=xp.float32) if args.out is None else args.out
    scale, per_row = _scale_and_per_element(args.dloss, args.reduction, args.count, xp)
    backend.cross_entropy_backward(dlogits, xp.ascontiguousarray(args.logits), xp.ascontiguousarray(args.labels),
                                   per_row, scale, args.ignore_index, args.label_smoothing)
    return dlogits


def mse(pred, target, *, reduction="mean"):
    """(pred - target)², reduced."""
    args = pair_loss_args(pred, "pred", target, reduction, None, None, False, KERNEL_DTYPES)
    backend, xp = _cpu_backend(args.device, "mse")
    loss = xp.empty(args.input.shape, dtype=xp.float32) if args.reduction == "none" else None
    total = backend.mse(_flat(loss, xp), _flat(args.input, xp), _flat(args.target, xp))
    return loss if loss is not None else _reduced(total, args.reduction, args.input.size)


def mse_backward(dloss, pred, target, *, reduction="mean"):
    """dpred = 2·(pred - target)·dloss (over pred.size for "mean"); dtarget is -dpred."""
    args = pair_loss_args(pred, "pred", target, reduction, None, dloss, True, KERNEL_DTYPES)
    backend, xp = _cpu_backend(args.device, "mse_backward")
    dpred = xp.empty(args.input.shape, dtype=xp.float32)
    scale, per_element = _scale_and_per_element(args.dloss, args.reduction, args.input.size, xp)
    backend.mse_backward(dpred.reshape(-1), _flat(args.input, xp), _flat(args.target, xp), per_element, scale)
    return dpred


def _classes(args):
    return args.input.shape[-1] if args.pos_weight is not None else max(args.input.size, 1)


def bce_with_logits(logits, target, *, reduction="mean", pos_weight=None):
    """Binary cross-entropy on logits with PyTorch's stable formula
    (1 - t)·x + w·(log(1 + exp(-|x|)) + max(-x, 0)), w = 1 + (pos_weight - 1)·t (1 without
    pos_weight, which has shape [C] and weighs the positives of each class on the last axis)."""
    args = pair_loss_args(logits, "logits", target, reduction, pos_weight, None, False, KERNEL_DTYPES)
    backend, xp = _cpu_backend(args.device, "bce_with_logits")
    loss = xp.empty(args.input.shape, dtype=xp.float32) if args.reduction == "none" else None
    total = backend.bce_with_logits(_flat(loss, xp), _flat(args.input, xp), _flat(args.target, xp),
                                    _flat(args.pos_weight, xp), _classes(args))
    return loss if loss is not None else _reduced(total, args.reduction, args.input.size)


def bce_with_logits_backward(dloss, logits, target, *, reduction="mean", pos_weight=None):
    """dlogits = ((1 - t) - w·σ(-x))·dloss (σ(x) - t without pos_weight), over logits.size for
    "mean"."""
    args = pair_loss_args(logits, "logits", target, reduction, pos_weight, dloss, True, KERNEL_DTYPES)
    backend, xp = _cpu_backend(args.device, "bce_with_logits_backward")
    dlogits = xp.empty(args.input.shape, dtype=xp.float32)
    scale, per_element = _scale_and_per_element(args.dloss, args.reduction, args.input.size, xp)
    backend.bce_with_logits_backward(dlogits.reshape(-1), _flat(args.input, xp), _flat(args.target, xp),
                                     _flat(args.pos_weight, xp), per_element, scale, _classes(args))
    return dlogits
