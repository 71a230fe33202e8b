"""Adagrad, as torch.optim.Adagrad (lr_decay, initial_accumulator_value), through the fused
adagrad_step kernel."""
from __future__ import annotations

import numpy as np

from mdlfast.optim import _checks
from mdlfast.optim._fused import FusedCaller, gradients
from mdlfast.optim.optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """torch.optim.Adagrad: sum <- sum + g*g, p <- p - clr * g / (sqrt(sum) + eps) with
    clr = lr / (1 + (step-1)*lr_decay); g includes weight_decay*p. The state exists from the start,
    as PyTorch creates it in the constructor."""

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                 eps=1e-10, *, maximize=False):
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps, maximize=maximize)
        self._fused = FusedCaller()
        super().__init__(params, defaults)

    def add_param_group(self, param_group):
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self.state[p] = {"step": 0, "sum": np.full_like(p.data, group["initial_accumulator_value"])}

    def _check_options(self, group):
        _checks.learning_rate(group)
        _checks.at_least_zero(group, "lr_decay", "lr_decay value")
        _checks.at_least_zero(group, "weight_decay", "weight_decay value")
        _checks.at_least_zero(group, "initial_accumulator_value", "initial_accumulator_value value")
        _checks.at_least_zero(group, "eps", "epsilon value")

    def _forget_plans(self):
        self._fused.forget()

    def step(self, closure=None):
        """One Adagrad step over every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            by_lr = {}  # the decayed learning rate -> (params, sums)
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                state["step"] += 1
                clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
                entry = by_lr.setdefault(clr, ([], []))
                entry[0].append(p)
                entry[1].append(state["sum"])
            for clr, (params, sums) in by_lr.items():
                self._fused("adagrad_step", [p.data for p in params], gradients(params, group["maximize"]),
                            {"sum_sqs": sums}, dict(lr=clr, eps=group["eps"], weight_decay=group["weight_decay"]))
        return loss
