"""Validation of the fused optimizer steps' arguments (API.md: Fused optimizer steps).

The hyper-parameter checks are torch.optim's own (lr >= 0, eps >= 0, 0 <= beta < 1, ...), written
as `not low <= x` so that NaN fails them too. Each *_args takes single tensors (multi=False, the
names p, g, ...) or lists of them (multi=True, the names params, grads, ...) and returns lists.
"""
from __future__ import annotations

import numbers
from typing import List, NamedTuple, Optional

import numpy as np

from mdlfast._validate.common import check_real
from mdlfast._validate.inplace import check_inplace_lists, named


def _at_least_zero(value, name):
    value = check_real(value, name)
    if not 0.0 <= value:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def _in_unit_interval(value, name):
    value = check_real(value, name)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return value


def _flag(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return bool(value)


def _step_count(value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"step must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"step must be >= 1 (the 1-based step count), got {value}")
    return int(value)


def _arrays(pairs):
    return None if pairs is None else [x for _, x in pairs]


def _names(multi, single, plural):
    return plural if multi else single


def _tensors(params, grads, multi):
    """The parameters' and gradients' (name, array) pairs, and the gradients' argument name."""
    p = named(_names(multi, "p", "params"), params, multi, required=True)
    grad_name = _names(multi, "g", "grads")
    return p, named(grad_name, grads, multi, required=True), grad_name


class SgdArgs(NamedTuple):
    params: List
    grads: List
    bufs: Optional[List]  # None when momentum == 0
    lr: float
    momentum: float
    dampening: float
    nesterov: bool
    weight_decay: float
    first_step: bool


def sgd_args(params, grads, lr, momentum, dampening, nesterov, weight_decay, bufs, first_step,
             dtypes, multi) -> SgdArgs:
    lr = _at_least_zero(lr, "lr")
    momentum = _at_least_zero(momentum, "momentum")
    dampening = check_real(dampening, "dampening")
    weight_decay = _at_least_zero(weight_decay, "weight_decay")
    nesterov = _flag(nesterov, "nesterov")
    first_step = _flag(first_step, "first_step")
    if nesterov and (momentum <= 0.0 or dampening != 0.0):
        raise ValueError(
            f"nesterov requires momentum > 0 and dampening == 0, got momentum={momentum}, dampening={dampening}"
        )
    buf_name = _names(multi, "buf", "bufs")
    if momentum != 0.0 and bufs is None:
        raise ValueError(f"{buf_name} is required when momentum != 0 (momentum={momentum})")
    p, g, grad_name = _tensors(params, grads, multi)
    b = named(buf_name, bufs, multi)
    check_inplace_lists(p, [(grad_name, g, False), (buf_name, b, True)], dtypes)
    return SgdArgs(_arrays(p), _arrays(g), _arrays(b) if momentum != 0.0 else None, lr, momentum,
                   dampening, nesterov, weight_decay, first_step)


class RmspropArgs(NamedTuple):
    params: List
    grads: List
    square_avgs: List
    bufs: Optional[List]  # None when momentum == 0
    grad_avgs: Optional[List]  # None unless centered
    lr: float
    alpha: float
    eps: float
    weight_decay: float
    momentum: float
    centered: bool


def rmsprop_args(params, grads, square_avgs, lr, alpha, eps, weight_decay, momentum, bufs,
                 centered, grad_avgs, dtypes, multi) -> RmspropArgs:
    lr = _at_least_zero(lr, "lr")
    alpha = _at_least_zero(alpha, "alpha")
    eps = _at_least_zero(eps, "eps")
    weight_decay = _at_least_zero(weight_decay, "weight_decay")
    momentum = _at_least_zero(momentum, "momentum")
    centered = _flag(centered, "centered")
    sq_name = _names(multi, "square_avg", "square_avgs")
    buf_name = _names(multi, "buf", "bufs")
    avg_name = _names(multi, "grad_avg", "grad_avgs")
    if momentum > 0.0 and bufs is None:
        raise ValueError(f"{buf_name} is required when momentum > 0 (momentum={momentum})")
    if centered and grad_avgs is None:
        raise ValueError(f"{avg_name} is required when centered=True")
    p, g, grad_name = _tensors(params, grads, multi)
    sq = named(sq_name, square_avgs, multi, required=True)
    b = named(buf_name, bufs, multi)
    ga = named(avg_name, grad_avgs, multi)
    check_inplace_lists(p, [(grad_name, g, False), (sq_name, sq, True), (buf_name, b, True),
                            (avg_name, ga, True)], dtypes)
    return RmspropArgs(_arrays(p), _arrays(g), _arrays(sq), _arrays(b) if momentum > 0.0 else None,
                       _arrays(ga) if centered else None, lr, alpha, eps, weight_decay, momentum,
                       centered)


class AdagradArgs(NamedTuple):
    params: List
    grads: List
    sum_sqs: List
    lr: float
    eps: float
    weight_decay: float


def adagrad_args(params, grads, sum_sqs, lr, eps, weight_decay, dtypes, multi) -> AdagradArgs:
    lr = _at_least_zero(lr, "lr")
    eps = _at_least_zero(eps, "eps")
    weight_decay = _at_least_zero(weight_decay, "weight_decay")
    sum_name = _names(multi, "sum_sq", "sum_sqs")
    p, g, grad_name = _tensors(params, grads, multi)
    s = named(sum_name, sum_sqs, multi, required=True)
    check_inplace_lists(p, [(grad_name, g, False), (sum_name, s, True)], dtypes)
    return AdagradArgs(_arrays(p), _arrays(g), _arrays(s), lr, eps, weight_decay)


class AdamArgs(NamedTuple):
    params: List
    grads: List
    ms: List
    vs: List
    step: int
    lr: float
    beta1: float
    beta2: float
    eps: float
    weight_decay: float
    decoupled: bool


def adam_args(params, grads, ms, vs, step, lr, beta1, beta2, eps, weight_decay, decoupled,
              dtypes, multi) -> AdamArgs:
    step = _step_count(step)
    lr = _at_least_zero(lr, "lr")
    beta1 = _in_unit_interval(beta1, "beta1")
    beta2 = _in_unit_interval(beta2, "beta2")
    eps = _at_least_zero(eps, "eps")
    weight_decay = _at_least_zero(weight_decay, "weight_decay")
    decoupled = _flag(decoupled, "decoupled")
    m_name, v_name = _names(multi, "m", "ms"), _names(multi, "v", "vs")
    p, g, grad_name = _tensors(params, grads, multi)
    m = named(m_name, ms, multi, required=True)
    v = named(v_name, vs, multi, required=True)
    check_inplace_lists(p, [(grad_name, g, False), (m_name, m, True), (v_name, v, True)], dtypes)
    return AdamArgs(_arrays(p), _arrays(g), _arrays(m), _arrays(v), step, lr, beta1, beta2, eps,
                    weight_decay, decoupled)


