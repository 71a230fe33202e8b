"""Validation of gemm, linear and linear_backward arguments (API.md: GEMM and linear)."""
from __future__ import annotations

import math
from typing import NamedTuple, Optional

import numpy as np

from mdlfast._validate.common import (
    check_array,
    check_choice,
    check_real,
    check_same_device,
    check_same_dtype,
)

ACTIVATIONS = (None, "relu", "sigmoid", "tanh", "gelu")


class GemmArgs(NamedTuple):
    a: object  # op(a), as a view: [..., m, k]
    b: object  # op(b), as a view: [..., k, n]
    out_shape: tuple
    batched: bool  # False for a plain 2-D product
    batch: int  # the batch size (1 when not batched; 0 for an empty batch)
    alpha: float
    beta: float
    c: Optional[object]  # None when beta == 0
    device: str


def gemm_args(a, b, trans_a, trans_b, alpha, beta, c, dtypes) -> GemmArgs:
    check_array(a, "a", dtypes, (2, 3))
    check_array(b, "b", dtypes, (2, 3))
    if a.dtype != b.dtype:
        raise TypeError(f"a and b must have the same dtype, got {a.dtype} and {b.dtype}")
    alpha = check_real(alpha, "alpha")
    beta = check_real(beta, "beta")
    for flag, name in ((trans_a, "trans_a"), (trans_b, "trans_b")):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name} must be a bool, got {type(flag).__name__}")
    trans_a, trans_b = bool(trans_a), bool(trans_b)
    op_a = a.swapaxes(-1, -2) if trans_a else a
    op_b = b.swapaxes(-1, -2) if trans_b else b
    m, k = op_a.shape[-2:]
    k_b, n = op_b.shape[-2:]
    if k != k_b:
        raise ValueError(
            f"inner dimensions differ: op(a) has shape {tuple(op_a.shape)} and op(b) has shape "
            f"{tuple(op_b.shape)} (trans_a={trans_a}, trans_b={trans_b})"
        )
    batched = a.ndim == 3 or b.ndim == 3
    batch = 1
    if batched:
        batches = {x.shape[0] for x in (op_a, op_b) if x.ndim == 3}
        batches.discard(1)
        if len(batches) > 1:
            raise ValueError(
                f"batch sizes differ: a has shape {tuple(a.shape)} and b has shape {tuple(b.shape)}"
            )
        batch = batches.pop() if batches else 1
    out_shape = (batch, m, n) if batched else (m, n)
    if c is not None:
        check_array(c, "c", dtypes)
        check_same_dtype(c, "c", a, "a and b")
        if c.ndim > len(out_shape) or any(
            cs not in (1, os) for cs, os in zip(c.shape[::-1], out_shape[::-1])
        ):
            raise ValueError(
                f"c must broadcast to the output shape {out_shape}, got shape {tuple(c.shape)}"
            )
    elif beta != 0.0:
        raise ValueError(f"c is required when beta != 0 (beta={beta})")
    device = check_same_device(a=a, b=b, c=c)
    return GemmArgs(op_a, op_b, out_shape, batched, batch, alpha, beta, c if beta != 0.0 else None, device)


class LinearArgs(NamedTuple):
    x: object  # [rows, in]
    w: object  # [out, in]
    b: Optional[object]
    activation: Optional[str]
    out_shape: tuple  # y's shape: x.shape[:-1] + (out,)
    device: str


def linear_args(x, w, b, activation, dtypes) -> LinearArgs:
    check_array(x, "x", dtypes)
    check_array(w, "w", dtypes, (2,))
    if x.ndim < 1:
        raise ValueError("x must have at least 1 dimension, got a 0-d array")
    if x.dtype != w.dtype:
        raise TypeError(f"x and w must have the same dtype, got {x.dtype} and {w.dtype}")
    out_features, in_features = w.shape
    if x.shape[-1] != in_features:
        raise ValueError(
            f"x's last dimension ({x.shape[-1]}) must equal w's in_features: w has shape "
            f"{tuple(w.shape)} ([out, in]) and x has shape {tuple(x.shape)}"
        )
    if b is not None:
        check_array(b, "b", dtypes, (1,))
        check_same_dtype(b, "b", w, "w")
        if b.shape[0] != out_features:
            raise ValueError(f"b must have shape ({out_features},), got {tuple(b.shape)}")
    check_choice(activation, "activation", ACTIVATIONS)
    device = check_same_device(x=x, w=w, b=b)
    out_shape = tuple(x.shape[:-1]) + (out_features,)
    rows = math.prod(x.shape[:-1])  # not reshape(-1, ...): in_features may be 0
    return LinearArgs(x.reshape(rows, in_features), w, b, activation, out_shape, device)


class LinearBackwardArgs(NamedTuple):
    dy: object  # [rows, out]
    x: object  # [rows, in]
    w: object
    y: Optional[object]  # [rows, out]
    z: Optional[object]  # [rows, out]
    activation: Optional[str]
    x_shape: tuple
    device: str


def linear_backward_args(dy, x, w, y, activation, z, dtypes) -> LinearBackwardArgs:
    fwd = linear_args(x, w, None, activation, dtypes)
    check_array(dy, "dy", dtypes)
    if tuple(dy.shape) != fwd.out_shape:
        raise ValueError(f"dy must have the output's shape {fwd.out_shape}, got {tuple(dy.shape)}")
    for value, name in ((y, "y"), (z, "z")):
        if value is not None:
            check_array(value, name, dtypes)
            if tuple(value.shape) != fwd.out_shape:
                raise ValueError(
                    f"{name} must have the output's shape {fwd.out_shape}, got {tuple(value.shape)}"
                )
    for value, name in ((dy, "dy"), (y, "y"), (z, "z")):
        if value is not None and value.dtype != w.dtype:
            raise TypeError(f"{name} must have the dtype of w ({w.dtype}), got {value.dtype}")
    if activation == "gelu" and z is None:
        raise ValueError("activation='gelu' needs z, the pre-activation (linear(..., return_preactivation=True))")
    if activation is not None and y is None and z is None:
        raise ValueError(f"activation={activation!r} needs y (the output) or z (the pre-activation)")
    device = check_same_device(dy=dy, x=x, w=w, y=y, z=z)
    rows = fwd.x.shape[0]
    out_features = w.shape[0]

    def flat(v):
        return None if v is None else v.reshape(rows, out_features)

    return LinearBackwardArgs(flat(dy), fwd.x, w, flat(y), flat(z), activation, tuple(x.shape), device)
