"""Validation of activation and activation_backward arguments (API.md: pointwise)."""
from __future__ import annotations

from typing import NamedTuple, Optional

from mdlfast._validate.common import check_array, check_choice, check_real, check_same_device

KINDS = ("relu", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "tanh", "softplus", "silu",
         "step", "hardtanh")
# The kinds with a parameter, and its default (PyTorch's negative_slope and alpha).
ALPHA_DEFAULTS = {"leaky_relu": 0.01, "elu": 1.0}
# Kinds whose derivative is a function of the output: the backward takes y or x.
OUTPUT_DERIVATIVE_KINDS = ("relu", "sigmoid", "tanh")


def check_kind(kind, alpha):
    """The kind and its alpha as a float (0.0 for kinds without one)."""
    if not isinstance(kind, str):
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    check_choice(kind, "kind", KINDS)
    if alpha is None:
        return ALPHA_DEFAULTS.get(kind, 0.0)
    if kind not in ALPHA_DEFAULTS:
        raise ValueError(f"alpha applies only to kind {' or '.join(ALPHA_DEFAULTS)}; kind {kind!r} "
                         f"takes no alpha, got alpha={alpha!r}")
    alpha = check_real(alpha, "alpha")
    if alpha != alpha or alpha in (float("inf"), float("-inf")):
        raise ValueError(f"alpha must be finite, got {alpha}")
    return alpha


class ActivationArgs(NamedTuple):
    x: object
    kind: str
    alpha: float
    device: str


def activation_args(x, kind, alpha, dtypes) -> ActivationArgs:
    check_array(x, "x", dtypes)
    alpha = check_kind(kind, alpha)
    return ActivationArgs(x, kind, alpha, check_same_device(x=x))


class ActivationBackwardArgs(NamedTuple):
    dy: object
    x: Optional[object]  # None where y suffices
    y: Optional[object]
    kind: str
    alpha: float
    device: str


def activation_backward_args(dy, x, y, kind, alpha, dtypes) -> ActivationBackwardArgs:
    check_array(dy, "dy", dtypes)
    alpha = check_kind(kind, alpha)
    if kind == "step":
        raise ValueError("kind 'step' is forward only: its derivative is zero almost everywhere and "
                         "undefined at 0, so activation_backward does not support it")
    for value, name in ((x, "x"), (y, "y")):
        if value is None:
            continue
        check_array(value, name, dtypes)
        if value.dtype != dy.dtype:
            raise TypeError(f"{name} must have the dtype of dy ({dy.dtype}), got {value.dtype}")
        if tuple(value.shape) != tuple(dy.shape):
            raise ValueError(f"{name} must have dy's shape {tuple(dy.shape)}, got {tuple(value.shape)}")
    if kind in OUTPUT_DERIVATIVE_KINDS:
        if x is None and y is None:
            raise ValueError(f"kind {kind!r} needs x (the forward's input) or y (its output); both are None")
        if y is not None:
            x = None  # the output gives the derivative directly
    elif x is None:
        raise ValueError(f"kind {kind!r} needs x, the forward's input; got None")
    else:
        y = None
    device = check_same_device(dy=dy, x=x, y=y)
    return ActivationBackwardArgs(dy, x, y, kind, alpha, device)
