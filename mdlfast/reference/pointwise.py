"""Reference activations: activation(x, kind) and activation_backward (API.md: pointwise)."""
from __future__ import annotations

from mdlfast._validate.common import REFERENCE_DTYPES
from mdlfast._validate.pointwise import activation_args, activation_backward_args
from mdlfast.reference import activation_functions as act


def activation(x, kind, *, alpha=None):
    """y = kind(x) elementwise. kinds: relu, leaky_relu (alpha = negative slope, 0.01), elu
    (alpha 1.0), selu, gelu (exact erf form), sigmoid, tanh, softplus (beta 1, threshold 20),
    silu, step (1 where x > 0, else 0, NaN too, as torch.heaviside(x, 0); forward only), hardtanh (clamp to [-1, 1])."""
    args = activation_args(x, kind, alpha, REFERENCE_DTYPES)
    return act.forward(args.x, args.kind, args.alpha)


def activation_backward(dy, x, y, kind, *, alpha=None):
    """dx = dy · kind'(x). x is the forward's input and y its output: relu, sigmoid and tanh use y
    when it is given (else x); every other kind needs x (y may be None). step raises ValueError."""
    args = activation_backward_args(dy, x, y, kind, alpha, REFERENCE_DTYPES)
    return act.backward(args.dy, args.kind, y=args.y, z=args.x, alpha=args.alpha)
