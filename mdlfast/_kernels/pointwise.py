"""The activation family: activation, activation_backward."""
from __future__ import annotations

from mdlfast._kernels.common import cpu_backend as _cpu_backend
from mdlfast._validate.common import KERNEL_DTYPES
from mdlfast._validate.pointwise import activation_args, activation_backward_args


def _flat(x, xp):
    return xp.ascontiguousarray(x).reshape(-1)


def activation(x, kind, *, alpha=None):
    """y = kind(x) elementwise. kinds: relu, leaky_relu (alpha = negative slope, 0.01), elu
    (alpha 1.0), selu, gelu (exact erf form), sigmoid, tanh, softplus (beta 1, threshold 20),
    silu, step (1 where x > 0, else 0, NaN too, as torch.heaviside(x, 0); forward only), hardtanh
    (clamp to [-1, 1]). alpha is accepted only by leaky_relu and elu."""
    args = activation_args(x, kind, alpha, KERNEL_DTYPES)
    backend, xp = _cpu_backend(args.device, "activation")
    y = xp.empty(args.x.shape, dtype=xp.float32)
    backend.activation(y.reshape(-1), _flat(args.x, xp), args.kind, args.alpha)
    return y


def activation_backward(dy, x, y, kind, *, alpha=None):
    """dx = dy · kind'(x). x is the forward's input and y its output: relu, sigmoid and tanh use y
    when it is given (else x); every other kind needs x (y may be None). step raises ValueError."""
    args = activation_backward_args(dy, x, y, kind, alpha, KERNEL_DTYPES)
    backend, xp = _cpu_backend(args.device, "activation_backward")
    dx = xp.empty(args.dy.shape, dtype=xp.float32)
    is_output = args.y is not None
    source = args.y if is_output else args.x
    backend.activation_backward(dx.reshape(-1), _flat(args.dy, xp), _flat(source, xp), is_output,
                                args.kind, args.alpha)
    return dx
