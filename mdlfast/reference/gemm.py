"""Reference GEMM and linear layers."""
from __future__ import annotations

import numpy as np

from mdlfast._validate.common import REFERENCE_DTYPES
from mdlfast._validate.gemm import gemm_args, linear_args, linear_backward_args
from mdlfast.reference import activation_functions as act


def gemm(a, b, *, trans_a=False, trans_b=False, alpha=1.0, beta=0.0, c=None):
    args = gemm_args(a, b, trans_a, trans_b, alpha, beta, c, REFERENCE_DTYPES)
    dtype = args.a.dtype.type
    out = dtype(args.alpha) * np.matmul(args.a, args.b)
    if args.c is not None:  # beta == 0 ignores c entirely, NaNs included
        out = out + dtype(args.beta) * args.c
    return np.broadcast_to(out, args.out_shape).astype(args.a.dtype, copy=True)


def linear(x, w, b=None, activation=None, *, return_preactivation=False):
    args = linear_args(x, w, b, activation, REFERENCE_DTYPES)
    z = args.x @ args.w.T
    if args.b is not None:
        z = z + args.b
    y = act.forward(z, args.activation)
    y, z = y.reshape(args.out_shape), z.reshape(args.out_shape)
    return (y, z) if return_preactivation else y


def linear_backward(dy, x, w, y=None, activation=None, *, z=None):
    args = linear_backward_args(dy, x, w, y, activation, z, REFERENCE_DTYPES)
    dz = act.backward(args.dy, args.activation, y=args.y, z=args.z)
    dx = dz @ args.w
    dw = dz.T @ args.x
    db = dz.sum(axis=0)
    return dx.reshape(args.x_shape), dw, db
