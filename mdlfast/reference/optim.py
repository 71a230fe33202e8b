"""Reference optimizer steps: torch.optim's single-tensor (foreach=False) update rules, step by
step, in NumPy, updating float32 or float64 arrays in place. Scalars are rounded to the arrays'
dtype where PyTorch passes a Python float into a tensor operation.
"""
from __future__ import annotations

import math

import numpy as np

from mdlfast._validate.common import REFERENCE_DTYPES
from mdlfast._validate.optim import adagrad_args, adam_args, rmsprop_args, sgd_args


def _lerp(start, end, weight):
    """torch.lerp, whose formula depends on the weight."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


def _with_weight_decay(p, g, weight_decay):
    return g + p.dtype.type(weight_decay) * p if weight_decay != 0.0 else g


def _sgd(a):
    for k, (p, g) in enumerate(zip(a.params, a.grads)):
        s = p.dtype.type
        g = _with_weight_decay(p, g, a.weight_decay)
        if a.momentum != 0.0:
            buf = a.bufs[k]
            if a.first_step:
                buf[...] = g
            else:
                buf[...] = buf * s(a.momentum) + s(1.0 - a.dampening) * g
            g = g + s(a.momentum) * buf if a.nesterov else buf
        p[...] = p - s(a.lr) * g


def _rmsprop(a):
    for k, (p, g) in enumerate(zip(a.params, a.grads)):
        s = p.dtype.type
        g = _with_weight_decay(p, g, a.weight_decay)
        square_avg = a.square_avgs[k]
        square_avg[...] = square_avg * s(a.alpha) + s(1.0 - a.alpha) * g * g
        if a.centered:
            grad_avg = a.grad_avgs[k]
            grad_avg[...] = _lerp(grad_avg, g, s(1.0 - a.alpha))
            avg = np.sqrt(square_avg - grad_avg * grad_avg) + s(a.eps)
        else:
            avg = np.sqrt(square_avg) + s(a.eps)
        if a.momentum > 0.0:
            buf = a.bufs[k]
            buf[...] = buf * s(a.momentum) + g / avg
            p[...] = p - s(a.lr) * buf
        else:
            p[...] = p - s(a.lr) * (g / avg)


def _adagrad(a):
    for p, g, sum_sq in zip(a.params, a.grads, a.sum_sqs):
        s = p.dtype.type
        g = _with_weight_decay(p, g, a.weight_decay)
        sum_sq[...] = sum_sq + g * g
        p[...] = p - s(a.lr) * (g / (np.sqrt(sum_sq) + s(a.eps)))


def _adam(a):
    bias_correction1 = 1.0 - a.beta1 ** a.step
    bias_correction2 = 1.0 - a.beta2 ** a.step
    for p, g, m, v in zip(a.params, a.grads, a.ms, a.vs):
        s = p.dtype.type
        if a.decoupled:
            p[...] = p * s(1.0 - a.lr * a.weight_decay)
        else:
            g = _with_weight_decay(p, g, a.weight_decay)
        m[...] = _lerp(m, g, s(1.0 - a.beta1))
        v[...] = v * s(a.beta2) + s(1.0 - a.beta2) * g * g
        denom = np.sqrt(v) / s(math.sqrt(bias_correction2)) + s(a.eps)
        p[...] = p - s(a.lr / bias_correction1) * (m / denom)


def sgd_step(p, g, *, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0, buf=None,
             first_step=False):
    _sgd(sgd_args(p, g, lr, momentum, dampening, nesterov, weight_decay, buf, first_step,
                  REFERENCE_DTYPES, multi=False))


def sgd_step_multi(params, grads, *, lr, momentum=0.0, dampening=0.0, nesterov=False,
                   weight_decay=0.0, bufs=None, first_step=False):
    _sgd(sgd_args(params, grads, lr, momentum, dampening, nesterov, weight_decay, bufs, first_step,
                  REFERENCE_DTYPES, multi=True))


def rmsprop_step(p, g, square_avg, *, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 buf=None, centered=False, grad_avg=None):
    _rmsprop(rmsprop_args(p, g, square_avg, lr, alpha, eps, weight_decay, momentum, buf, centered,
                          grad_avg, REFERENCE_DTYPES, multi=False))


def rmsprop_step_multi(params, grads, square_avgs, *, lr, alpha=0.99, eps=1e-8, weight_decay=0.0,
                       momentum=0.0, bufs=None, centered=False, grad_avgs=None):
    _rmsprop(rmsprop_args(params, grads, square_avgs, lr, alpha, eps, weight_decay, momentum, bufs,
                          centered, grad_avgs, REFERENCE_DTYPES, multi=True))


def adagrad_step(p, g, sum_sq, *, lr, eps=1e-10, weight_decay=0.0):
    _adagrad(adagrad_args(p, g, sum_sq, lr, eps, weight_decay, REFERENCE_DTYPES, multi=False))


def adagrad_step_multi(params, grads, sum_sqs, *, lr, eps=1e-10, weight_decay=0.0):
    _adagrad(adagrad_args(params, grads, sum_sqs, lr, eps, weight_decay, REFERENCE_DTYPES, multi=True))


def adam_step(p, g, m, v, *, step, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
              decoupled=False):
    _adam(adam_args(p, g, m, v, step, lr, beta1, beta2, eps, weight_decay, decoupled,
                    REFERENCE_DTYPES, multi=False))


def adam_step_multi(params, grads, ms, vs, *, step, lr, beta1=0.9, beta2=0.999, eps=1e-8,
                    weight_decay=0.0, decoupled=False):
    _adam(adam_args(params, grads, ms, vs, step, lr, beta1, beta2, eps, weight_decay, decoupled,
                    REFERENCE_DTYPES, multi=True))
