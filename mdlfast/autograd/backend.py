"""Which kernels the autodiff layer calls: the compiled mdlfast.kernels or the NumPy
mdlfast.reference. Arrays the kernels do not take (float64) always run on the reference."""
from __future__ import annotations

import types

import numpy as np

from mdlfast import kernels as _compiled
from mdlfast import reference as _reference

# The 'kernels' backend: every compiled kernel, and the reference for a family that has no
# compiled kernel yet (so the layer works while a family is being written).
_kernels = types.SimpleNamespace(**{
    name: getattr(_compiled, name, getattr(_reference, name)) for name in _reference.__all__})
_BACKENDS = {"kernels": _kernels, "reference": _reference}
_state = {"name": "kernels", "module": _kernels}


def current_backend():
    """The name of the backend in use: 'kernels' or 'reference'."""
    return _state["name"]


def ops(array):
    """The kernel module that runs an operation on `array`."""
    if array.dtype == np.float32:
        return _state["module"]
    return _reference


class use_backend:
    """Run the autodiff layer on 'kernels' (default) or 'reference' (the NumPy ground truth).

    Takes effect at once (so a plain call sets it globally); as a context manager, restores the
    previous backend on exit.
    """

    def __init__(self, name):
        if name not in _BACKENDS:
            raise ValueError(f"use_backend: name must be one of {sorted(_BACKENDS)}, got {name!r}")
        self._previous = _state["name"]
        _state["name"], _state["module"] = name, _BACKENDS[name]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _state["name"], _state["module"] = self._previous, _BACKENDS[self._previous]
        return False
