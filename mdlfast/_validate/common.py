"""Helpers that every kernel family's validation uses."""
from __future__ import annotations

import numbers

import numpy as np

KERNEL_DTYPES = (np.dtype(np.float32),)
REFERENCE_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def array_module(x):
    """'numpy' or 'cupy' for an array; None for anything else. CuPy is never imported here."""
    if isinstance(x, np.ndarray):
        return "numpy"
    if type(x).__module__.split(".", 1)[0] == "cupy":
        return "cupy"
    return None


def check_array(x, name, dtypes, ndims=None):
    """Checks that `x` is a NumPy or CuPy array of one of `dtypes` and one of `ndims`."""
    if array_module(x) is None:
        raise TypeError(f"{name} must be a numpy.ndarray or cupy.ndarray, got {type(x).__name__}")
    if x.dtype not in dtypes:
        expected = " or ".join(str(d) for d in dtypes)
        raise TypeError(f"{name} must have dtype {expected}, got {x.dtype}")
    if ndims is not None and x.ndim not in ndims:
        expected = " or ".join(str(n) for n in ndims)
        raise ValueError(f"{name} must have {expected} dimensions, got shape {tuple(x.shape)}")
    return x


def check_same_dtype(value, name, like, like_name):
    """`value` has the dtype of `like` (named `like_name` in the message)."""
    if value.dtype != like.dtype:
        raise TypeError(f"{name} must have the dtype of {like_name} ({like.dtype}), got {value.dtype}")


def check_optional_vector(value, name, x, length, meaning, dtypes):
    """None, or an array of x's dtype and shape (length,); `meaning` says in the message what
    the length is. Returns value."""
    if value is None:
        return None
    check_array(value, name, dtypes)
    check_same_dtype(value, name, x, "x")
    if tuple(value.shape) != (length,):
        raise ValueError(f"{name} must have shape ({length},) ({meaning}), got {tuple(value.shape)}")
    return value


def check_same_device(**arrays):
    """All the given (non-None) arrays live on one device; returns 'numpy' or 'cupy'."""
    if all(x is None or type(x) is np.ndarray for x in arrays.values()):
        return "numpy"  # the common case, checked first: small kernels feel this overhead
    modules = {name: array_module(x) for name, x in arrays.items() if x is not None}
    kinds = set(modules.values())
    if len(kinds) > 1:
        listing = ", ".join(f"{name} is a {mod} array" for name, mod in modules.items())
        raise ValueError(f"arguments are on different devices: {listing}")
    return kinds.pop() if kinds else "numpy"


def check_real(value, name):
    """A real scalar (not bool); returns it as float."""
    if type(value) is float or type(value) is int:
        return float(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    return float(value)


def check_choice(value, name, choices):
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}, got {value!r}")
    return value
