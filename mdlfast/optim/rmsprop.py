"""RMSprop (with momentum, centered), as torch.optim.RMSprop, through the fused rmsprop_step
kernel."""
from __future__ import annotations

import numpy as np

from mdlfast.optim import _checks
from mdlfast.optim._fused import FusedCaller, gradients
from mdlfast.optim.optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """torch.optim.RMSprop: square_avg <- alpha*square_avg + (1-alpha)*g*g; the step divides g by
    sqrt(square_avg) (minus the squared mean gradient when centered) + eps, through a momentum
    buffer when momentum > 0."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False, *, maximize=False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize)
        self._fused = FusedCaller()
        super().__init__(params, defaults)

    def _check_options(self, group):
        _checks.learning_rate(group)
        _checks.at_least_zero(group, "eps", "epsilon value")
        _checks.at_least_zero(group, "momentum", "momentum value")
        _checks.at_least_zero(group, "weight_decay", "weight_decay value")
        _checks.at_least_zero(group, "alpha", "alpha value")

    def _forget_plans(self):
        self._fused.forget()

    def step(self, closure=None):
        """One RMSprop step over every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            momentum, centered = group["momentum"], group["centered"]
            states = []
            for p in params:
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {"step": 0, "square_avg": np.zeros_like(p.data)}
                if momentum > 0 and "momentum_buffer" not in state:
                    state["momentum_buffer"] = np.zeros_like(p.data)
                if centered and "grad_avg" not in state:
                    state["grad_avg"] = np.zeros_like(p.data)
                state["step"] += 1
                states.append(state)
            lists = {"square_avgs": [s["square_avg"] for s in states],
                     "bufs": [s["momentum_buffer"] for s in states] if momentum > 0 else None,
                     "grad_avgs": [s["grad_avg"] for s in states] if centered else None}
            self._fused("rmsprop_step", [p.data for p in params], gradients(params, group["maximize"]),
                        lists, dict(lr=group["lr"], alpha=group["alpha"], eps=group["eps"],
                                    weight_decay=group["weight_decay"], momentum=momentum,
                                    centered=centered))
        return loss
