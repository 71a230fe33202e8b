"""Validation of the losses (cross_entropy, mse, bce_with_logits) and their backwards."""
from __future__ import annotations

import numbers
from typing import NamedTuple, Optional

import numpy as np

from mdlfast._validate.common import array_module, check_array, check_choice, check_real, check_same_device

REDUCTIONS = ("mean", "sum", "none")
INT64 = np.dtype(np.int64)


def check_reduction(reduction):
    if not isinstance(reduction, str):
        raise ValueError(f"reduction must be one of 'mean', 'sum', 'none', got {reduction!r}")
    return check_choice(reduction, "reduction", REDUCTIONS)


def check_dloss(dloss, reduction, loss_shape, dtype):
    """The upstream gradient of the loss: a float for 'mean'/'sum' (a real number or a one-element
    array), an array of the per-element loss's shape for 'none'."""
    if reduction != "none":
        if array_module(dloss) is not None:
            if dloss.size != 1:
                raise ValueError(f"dloss must be a scalar for reduction={reduction!r}, got shape {tuple(dloss.shape)}")
            return float(dloss.reshape(()))
        return check_real(dloss, "dloss")
    check_array(dloss, "dloss", (dtype,))
    if tuple(dloss.shape) != tuple(loss_shape):
        raise ValueError(f"dloss must have the per-element loss's shape {tuple(loss_shape)} for "
                         f"reduction='none', got {tuple(dloss.shape)}")
    return dloss


def _check_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return int(value)


class CrossEntropyArgs(NamedTuple):
    logits: object  # [N, C] (probs in the backward)
    labels: object  # [N] int64
    reduction: str
    ignore_index: int
    label_smoothing: float
    count: int  # rows whose label is not ignore_index
    dloss: object  # backward only: float or [N]
    out: object  # backward only: None or the C-contiguous [N, C] array to write dlogits into
    device: str


def _cross_entropy_common(logits, name, labels, reduction, ignore_index, label_smoothing, dtypes):
    check_array(logits, name, dtypes, ndims=(2,))
    n, c = logits.shape
    if c < 1:
        raise ValueError(f"{name} must have at least one class (shape [N, C] with C >= 1), got {tuple(logits.shape)}")
    check_array(labels, "labels", (INT64,))
    if tuple(labels.shape) != (n,):
        raise ValueError(f"labels must have shape ({n},) (one class id per row of {name}), got {tuple(labels.shape)}")
    reduction = check_reduction(reduction)
    ignore_index = _check_int(ignore_index, "ignore_index")
    label_smoothing = check_real(label_smoothing, "label_smoothing")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    device = check_same_device(**{name: logits, "labels": labels})
    valid = labels != ignore_index
    bad = valid & ((labels < 0) | (labels >= c))
    if bool(bad.any()):
        first = int(bad.nonzero()[0][0])
        raise ValueError(f"labels must be class ids in [0, {c}) or ignore_index ({ignore_index}); "
                         f"labels[{first}] = {int(labels[first])}")
    count = int(valid.sum())
    return n, device, reduction, ignore_index, label_smoothing, count


def cross_entropy_args(logits, labels, reduction, ignore_index, label_smoothing, dtypes) -> CrossEntropyArgs:
    _, device, reduction, ignore_index, label_smoothing, count = _cross_entropy_common(
        logits, "logits", labels, reduction, ignore_index, label_smoothing, dtypes)
    return CrossEntropyArgs(logits, labels, reduction, ignore_index, label_smoothing, count, None, None, device)


def _check_out(out, probs):
    if out is None:
        return None
    check_array(out, "out", (probs.dtype,))
    if tuple(out.shape) != tuple(probs.shape):
        raise ValueError(f"out must have probs's shape {tuple(probs.shape)}, got {tuple(out.shape)}")
    if not (out.flags.c_contiguous and out.flags.writeable):
        raise ValueError("out must be a C-contiguous, writeable array")
    return out


def cross_entropy_backward_args(probs, labels, reduction, ignore_index, label_smoothing, dloss, out,
                                dtypes) -> CrossEntropyArgs:
    n, device, reduction, ignore_index, label_smoothing, count = _cross_entropy_common(
        probs, "probs", labels, reduction, ignore_index, label_smoothing, dtypes)
    dloss = 1.0 if dloss is None else check_dloss(dloss, reduction, (n,), probs.dtype)
    out = _check_out(out, probs)
    device = check_same_device(probs=probs, labels=labels, out=out,
                               dloss=dloss if reduction == "none" else None)
    return CrossEntropyArgs(probs, labels, reduction, ignore_index, label_smoothing, count, dloss, out, device)


class PairLossArgs(NamedTuple):
    """mse and bce_with_logits: an input, a target of its shape, and (bce) a pos_weight."""
    input: object
    target: object
    reduction: str
    pos_weight: Optional[object]  # [C], C = input.shape[-1]; bce_with_logits only
    dloss: object  # backward only
    device: str


def pair_loss_args(input, input_name, target, reduction, pos_weight, dloss, backward, dtypes) -> PairLossArgs:
    check_array(input, input_name, dtypes)
    check_array(target, "target", dtypes)
    if target.dtype != input.dtype:
        raise TypeError(f"target must have the dtype of {input_name} ({input.dtype}), got {target.dtype}")
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"target must have {input_name}'s shape {tuple(input.shape)}, got {tuple(target.shape)}")
    reduction = check_reduction(reduction)
    if pos_weight is not None:
        check_array(pos_weight, "pos_weight", dtypes)
        if pos_weight.dtype != input.dtype:
            raise TypeError(f"pos_weight must have the dtype of {input_name} ({input.dtype}), got {pos_weight.dtype}")
        if input.ndim < 1 or tuple(pos_weight.shape) != (input.shape[-1],):
            expected = f"({input.shape[-1]},) ({input_name}'s last dimension)" if input.ndim else "none (0-d input)"
            raise ValueError(f"pos_weight must have shape {expected}, got {tuple(pos_weight.shape)}")
    if backward:
        dloss = check_dloss(dloss, reduction, input.shape, input.dtype)
    arrays = {input_name: input, "target": target, "pos_weight": pos_weight}
    if backward and reduction == "none":
        arrays["dloss"] = dloss
    return PairLossArgs(input, target, reduction, pos_weight, dloss, check_same_device(**arrays))
