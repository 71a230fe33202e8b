"""The fused optimizer steps: sgd_step, rmsprop_step, adagrad_step, adam_step and their *_multi
variants, which update every tensor of a list in one parallel pass (one launch on the GPU). Float32
NumPy arrays run the C++ kernels, float32 CuPy arrays the CUDA kernels; parameters and state are
updated in place, gradients may have any layout.
"""
from __future__ import annotations

import numpy as np

from mdlfast._kernels.common import backend
from mdlfast._validate.common import KERNEL_DTYPES, array_module
from mdlfast._validate.optim import adagrad_args, adam_args, rmsprop_args, sgd_args


def _backend(params):
    """The kernels of the parameters' device (validation has put every argument on it)."""
    return backend(array_module(params[0]) if params else "numpy")[0]


def _contiguous(arrays):
    """C-contiguous copies of the arrays that are not (np.ascontiguousarray would make a 0-d
    gradient 1-d); CuPy gradients are made contiguous by the CUDA dispatch."""
    return [x if x.flags.c_contiguous or not isinstance(x, np.ndarray) else np.ascontiguousarray(x)
            for x in arrays]


def _sgd(a):
    _backend(a.params).sgd_step(a.params, _contiguous(a.grads), a.bufs or [], a.lr, a.momentum, a.dampening,
                  a.nesterov, a.weight_decay, a.first_step)


def _rmsprop(a):
    _backend(a.params).rmsprop_step(a.params, _contiguous(a.grads), a.square_avgs, a.bufs or [], a.grad_avgs or [],
                      a.lr, a.alpha, a.eps, a.weight_decay, a.momentum, a.centered)


def _adagrad(a):
    _backend(a.params).adagrad_step(a.params, _contiguous(a.grads), a.sum_sqs, a.lr, a.eps, a.weight_decay)


def _adam(a):
    _backend(a.params).adam_step(a.params, _contiguous(a.grads), a.ms, a.vs, a.step, a.lr, a.beta1, a.beta2, a.eps,
                   a.weight_decay, a.decoupled)


def sgd_step(p, g, *, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0, buf=None,
             first_step=False):
    """torch.optim.SGD's step on one tensor. With momentum, buf is required; first_step=True sets
    it to the (weight-decayed) gradient, as PyTorch's first step does."""
    _sgd(sgd_args(p, g, lr, momentum, dampening, nesterov, weight_decay, buf, first_step,
                  KERNEL_DTYPES, multi=False))


def sgd_step_multi(params, grads, *, lr, momentum=0.0, dampening=0.0, nesterov=False,
                   weight_decay=0.0, bufs=None, first_step=False):
    _sgd(sgd_args(params, grads, lr, momentum, dampening, nesterov, weight_decay, bufs, first_step,
                  KERNEL_DTYPES, multi=True))


def rmsprop_step(p, g, square_avg, *, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 buf=None, centered=False, grad_avg=None):
    """torch.optim.RMSprop's step on one tensor; buf (momentum > 0) and grad_avg (centered) start
    at zero, as PyTorch's state does."""
    _rmsprop(rmsprop_args(p, g, square_avg, lr, alpha, eps, weight_decay, momentum, buf, centered,
                          grad_avg, KERNEL_DTYPES, multi=False))


def rmsprop_step_multi(params, grads, square_avgs, *, lr, alpha=0.99, eps=1e-8, weight_decay=0.0,
                       momentum=0.0, bufs=None, centered=False, grad_avgs=None):
    _rmsprop(rmsprop_args(params, grads, square_avgs, lr, alpha, eps, weight_decay, momentum, bufs,
                          centered, grad_avgs, KERNEL_DTYPES, multi=True))


def adagrad_step(p, g, sum_sq, *, lr, eps=1e-10, weight_decay=0.0):
    """torch.optim.Adagrad's step on one tensor (without lr_decay)."""
    _adagrad(adagrad_args(p, g, sum_sq, lr, eps, weight_decay, KERNEL_DTYPES, multi=False))


def adagrad_step_multi(params, grads, sum_sqs, *, lr, eps=1e-10, weight_decay=0.0):
    _adagrad(adagrad_args(params, grads, sum_sqs, lr, eps, weight_decay, KERNEL_DTYPES, multi=True))


def adam_step(p, g, m, v, *, step, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
              decoupled=False):
    """torch.optim.Adam's step on one tensor (AdamW's with decoupled=True); step is the 1-based
    step count of the bias corrections."""
    _adam(adam_args(p, g, m, v, step, lr, beta1, beta2, eps, weight_decay, decoupled,
                    KERNEL_DTYPES, multi=False))


def adam_step_multi(params, grads, ms, vs, *, step, lr, beta1=0.9, beta2=0.999, eps=1e-8,
                    weight_decay=0.0, decoupled=False):
    _adam(adam_args(params, grads, ms, vs, step, lr, beta1, beta2, eps, weight_decay, decoupled,
                    KERNEL_DTYPES, multi=True))
