"""The optimizer option sets the optimizer tests run, and one way to call any of them: each case
names its step function, its state arrays (positional, then keyword) and its hyper-parameters,
with the matching torch.optim constructor and the state names PyTorch keeps.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Tuple

import numpy as np


@dataclass(frozen=True)
class OptimCase:
    name: str
    function: str  # the mdlfast.kernels / mdlfast.reference step function
    positional_states: Tuple[str, ...]
    keyword_states: Tuple[str, ...]
    options: Dict[str, object]
    torch_class: str
    torch_options: Dict[str, object]
    torch_states: Dict[str, str] = field(default_factory=dict)  # our state name -> PyTorch's

    @property
    def states(self):
        return self.positional_states + self.keyword_states

    def new_state(self, shape, dtype=np.float32):
        return {name: np.zeros(shape, dtype) for name in self.states}

    def call(self, api, p, g, state, step):
        """One step (1-based `step`) of this case through `api` (mdlfast.kernels or .reference)."""
        kwargs = dict(self.options)
        kwargs.update({name: state[name] for name in self.keyword_states})
        if self.function == "adam_step":
            kwargs["step"] = step
        if self.function == "sgd_step" and "buf" in self.keyword_states:
            kwargs["first_step"] = step == 1
        getattr(api, self.function)(p, g, *(state[name] for name in self.positional_states), **kwargs)

    def call_multi(self, api, params, grads, states, step):
        """The *_multi step over lists; `states` maps each state name to a list."""
        kwargs = dict(self.options)
        kwargs.update({name + "s": states[name] for name in self.keyword_states})
        if self.function == "adam_step":
            kwargs["step"] = step
        if self.function == "sgd_step" and "buf" in self.keyword_states:
            kwargs["first_step"] = step == 1
        getattr(api, self.function + "_multi")(
            params, grads, *(states[name] for name in self.positional_states), **kwargs)


def _sgd(name, **options):
    torch_options = {"lr": options["lr"], "momentum": options.get("momentum", 0.0),
                     "dampening": options.get("dampening", 0.0),
                     "nesterov": options.get("nesterov", False),
                     "weight_decay": options.get("weight_decay", 0.0)}
    with_buf = options.get("momentum", 0.0) != 0.0
    return OptimCase(name, "sgd_step", (), ("buf",) if with_buf else (), options, "SGD", torch_options,
                     {"buf": "momentum_buffer"} if with_buf else {})


def _rmsprop(name, **options):
    keyword = (("buf",) if options.get("momentum", 0.0) > 0 else ()) + (
        ("grad_avg",) if options.get("centered") else ())
    torch_names = {"square_avg": "square_avg", "buf": "momentum_buffer", "grad_avg": "grad_avg"}
    return OptimCase(name, "rmsprop_step", ("square_avg",), keyword, options, "RMSprop", dict(options),
                     {k: torch_names[k] for k in ("square_avg",) + keyword})


def _adagrad(name, **options):
    return OptimCase(name, "adagrad_step", ("sum_sq",), (), options, "Adagrad", dict(options),
                     {"sum_sq": "sum"})


def _adam(name, **options):
    torch_options = {"lr": options["lr"], "betas": (options.get("beta1", 0.9), options.get("beta2", 0.999)),
                     "eps": options.get("eps", 1e-8), "weight_decay": options.get("weight_decay", 0.0)}
    torch_class = "AdamW" if options.get("decoupled") else "Adam"
    return OptimCase(name, "adam_step", ("m", "v"), (), options, torch_class, torch_options,
                     {"m": "exp_avg", "v": "exp_avg_sq"})


CASES = (
    _sgd("sgd", lr=0.1),
    _sgd("sgd_decay", lr=0.1, weight_decay=0.01),
    _sgd("sgd_momentum", lr=0.05, momentum=0.9),
    _sgd("sgd_momentum_dampening_decay", lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.02),
    _sgd("sgd_nesterov", lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    _rmsprop("rmsprop", lr=0.01),
    _rmsprop("rmsprop_decay", lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.05),
    _rmsprop("rmsprop_momentum", lr=0.01, momentum=0.9),
    _rmsprop("rmsprop_centered", lr=0.01, centered=True),
    _rmsprop("rmsprop_centered_momentum_decay", lr=0.01, momentum=0.5, centered=True, weight_decay=0.1),
    _adagrad("adagrad", lr=0.1),
    _adagrad("adagrad_decay", lr=0.1, eps=1e-6, weight_decay=0.05),
    _adam("adam", lr=1e-3),
    _adam("adam_l2", lr=1e-2, weight_decay=0.1),
    _adam("adamw", lr=1e-2, weight_decay=0.1, decoupled=True),
    _adam("adam_small_beta1", lr=1e-2, beta1=0.3, beta2=0.5, eps=1e-6),  # lerp's other branch
)
