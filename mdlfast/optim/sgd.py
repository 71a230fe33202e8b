"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay,
as torch.optim.SGD, through the fused sgd_step kernel."""
from __future__ import annotations

import numpy as np

from mdlfast.optim import _checks
from mdlfast.optim._fused import FusedCaller, gradients
from mdlfast.optim.optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """torch.optim.SGD: buf <- momentum*buf + (1-dampening)*g (buf <- g on the first step), then
    p <- p - lr*(g + momentum*buf if nesterov else buf); g includes weight_decay*p."""

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, *, maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        self._fused = FusedCaller()
        super().__init__(params, defaults)

    def _check_options(self, group):
        _checks.learning_rate(group)
        _checks.at_least_zero(group, "momentum", "momentum value")
        _checks.at_least_zero(group, "weight_decay", "weight_decay value")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _forget_plans(self):
        self._fused.forget()

    def step(self, closure=None):
        """One SGD step over every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            options = dict(lr=group["lr"], momentum=group["momentum"], dampening=group["dampening"],
                           nesterov=group["nesterov"], weight_decay=group["weight_decay"])
            grads = gradients(params, group["maximize"])
            if group["momentum"] == 0:
                self._fused("sgd_step", [p.data for p in params], grads, {"bufs": None},
                            dict(options, first_step=False))
                continue
            # Parameters with a buffer go in one call; those without start theirs from the
            # gradient (first_step=True) in another, as PyTorch's first step does. A new buffer
            # joins the state only once its call has filled it.
            split = {False: ([], [], []), True: ([], [], [])}
            new_buffers = []
            for p, g in zip(params, grads):
                state = self.state.get(p)
                buf = None if state is None else state.get("momentum_buffer")
                first = buf is None
                if first:
                    buf = np.empty_like(p.data)
                    new_buffers.append((p, buf))
                arrays, grad_list, bufs = split[first]
                arrays.append(p.data)
                grad_list.append(g)
                bufs.append(buf)
            for first, (arrays, grad_list, bufs) in split.items():
                if arrays:
                    self._fused("sgd_step", arrays, grad_list, {"bufs": bufs}, dict(options, first_step=first))
            for p, buf in new_buffers:
                self._state_of(p)["momentum_buffer"] = buf
        return loss
