"""How the first-order optimizers call the fused multi-tensor kernels: one call per parameter group
(per distinct step count) over lists of arrays.

The first call over a given set of parameter arrays (with their state) goes through the validated
mdlfast.kernels.*_step_multi; once that set has passed, later steps over the same arrays skip the
Python-side list checks (the C++ binding still checks every array's dtype, shape, layout and
writeability, so a direct call can never touch memory out of bounds), which keeps the per-step
overhead at a few microseconds. Float64 (or other non-float32) parameters run the NumPy reference.
"""
from __future__ import annotations

import numpy as np

from mdlfast import kernels, reference
from mdlfast._kernels import optim as kernel_steps
from mdlfast._validate import optim as step_args

_MAX_REMEMBERED = 64
_FLOAT32 = np.dtype(np.float32)
_KERNELS = {
    # kernel name: (argument tuple, unvalidated call)
    "sgd_step": (step_args.SgdArgs, kernel_steps._sgd),
    "rmsprop_step": (step_args.RmspropArgs, kernel_steps._rmsprop),
    "adagrad_step": (step_args.AdagradArgs, kernel_steps._adagrad),
    "adam_step": (step_args.AdamArgs, kernel_steps._adam),
}


def gradients(params, maximize):
    """The parameters' gradient arrays (negated when maximizing)."""
    grads = [p.grad.data for p in params]
    # (out= keeps a 0-d gradient an array: -g would be a NumPy scalar)
    return [np.negative(g, out=np.empty_like(g)) for g in grads] if maximize else grads


class FusedCaller:
    """Remembers which (kernel, parameter arrays) combinations have passed the validated call."""

    def __init__(self):
        self._validated = set()

    def forget(self):
        self._validated.clear()

    def __call__(self, name, arrays, grads, states, options):
        """Run kernel `name` over `arrays` (parameters), `grads` and the state lists `states`
        (a dict of the kernel's keyword -> list, or None for an unused slot) with `options`."""
        if not all(type(a) is np.ndarray and a.dtype is _FLOAT32 for a in arrays):
            getattr(reference, name + "_multi")(arrays, grads, **_given(states), **options)
            return
        # The state arrays are the optimizer's own, made with the parameters (and replaced only
        # by load_state_dict, which calls forget()), so the parameters identify the whole set.
        signature = (name, tuple(map(id, arrays)))
        if signature in self._validated:
            args_type, call = _KERNELS[name]
            call(args_type(arrays, grads, *states.values(), **options))
            return
        getattr(kernels, name + "_multi")(arrays, grads, **_given(states), **options)
        if len(self._validated) >= _MAX_REMEMBERED:  # parameter sets that keep changing
            self._validated.clear()
        self._validated.add(signature)


def _given(states):
    """The state lists that are in use."""
    return {k: v for k, v in states.items() if v is not None}
