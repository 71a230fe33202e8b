"""Adam and AdamW (decoupled weight decay), as torch.optim.Adam/AdamW (amsgrad=False), through the
fused adam_step kernel: one call per parameter group and step count."""
from __future__ import annotations

import numpy as np

from mdlfast.optim import _checks
from mdlfast.optim._fused import FusedCaller, gradients
from mdlfast.optim.optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """torch.optim.Adam: m and v are exponential averages of g and g*g, and
    p <- p - lr/(1-beta1^t) * m / (sqrt(v)/sqrt(1-beta2^t) + eps); g includes weight_decay*p."""

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, *, maximize=False):
        if amsgrad:
            raise ValueError("amsgrad=True is not supported by mdlfast's fused Adam kernel")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=False, maximize=maximize)
        self._fused = FusedCaller()
        super().__init__(params, defaults)

    def _check_options(self, group):
        _checks.learning_rate(group)
        _checks.at_least_zero(group, "eps", "epsilon value")
        if len(group["betas"]) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {group['betas']!r}")
        _checks.betas(group)
        _checks.at_least_zero(group, "weight_decay", "weight_decay value")
        if group.get("amsgrad"):
            raise ValueError("amsgrad=True is not supported by mdlfast's fused Adam kernel")

    def _forget_plans(self):
        self._fused.forget()

    def step(self, closure=None):
        """One Adam step over every parameter that has a gradient; returns the closure's loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            by_step = {}  # step count -> (params, ms, vs); normally a single entry
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {"step": 0, "exp_avg": np.zeros_like(p.data),
                                             "exp_avg_sq": np.zeros_like(p.data)}
                state["step"] += 1
                entry = by_step.get(state["step"])
                if entry is None:
                    entry = by_step[state["step"]] = ([], [], [])
                entry[0].append(p)
                entry[1].append(state["exp_avg"])
                entry[2].append(state["exp_avg_sq"])
            beta1, beta2 = group["betas"]
            for step, (params, ms, vs) in by_step.items():
                self._fused("adam_step", [p.data for p in params], gradients(params, group["maximize"]),
                            {"ms": ms, "vs": vs},
                            dict(step=step, lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
                                 weight_decay=group["weight_decay"], decoupled=self._decoupled))
        return loss


class AdamW(Adam):
    """torch.optim.AdamW: Adam with decoupled weight decay, p <- p*(1 - lr*weight_decay) before
    the Adam update."""

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
