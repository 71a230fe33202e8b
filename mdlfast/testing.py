"""Gradient checking: autodiff gradients against central finite differences."""
from __future__ import annotations

import numpy as np

from mdlfast.autograd.backend import use_backend
from mdlfast.autograd.tensor import Tensor


def numerical_gradients(fn, inputs, eps=1e-6):
    """Central differences of sum(fn(*inputs) * w) for a fixed random weight w, per input that
    requires grad; returns (weights, gradients)."""
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal(o.shape) for o in outs]

    def objective():
        values = fn(*inputs)
        values = values if isinstance(values, (tuple, list)) else (values,)
        return sum(float(np.sum(np.asarray(v.data, dtype=np.float64) * w)) for v, w in zip(values, weights))

    grads = []
    for t in inputs:
        if not (isinstance(t, Tensor) and t.requires_grad):
            grads.append(None)
            continue
        g = np.zeros(t.shape)
        flat = t.data.reshape(-1)
        for i in range(flat.size):
            keep = flat[i]
            flat[i] = keep + eps
            plus = objective()
            flat[i] = keep - eps
            minus = objective()
            flat[i] = keep
            g.reshape(-1)[i] = (plus - minus) / (2 * eps)
        grads.append(g)
    return weights, grads


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """True when the gradients backward() gives for fn(*inputs) match central differences.

    Runs in float64 on the reference backend: float inputs are converted to float64 copies.
    fn may return one Tensor or a tuple of Tensors. Raises AssertionError (naming the input and
    the worst element) on a mismatch unless raise_exception is False.
    """
    inputs = [_as_float64(t) for t in inputs]
    with use_backend("reference"):
        weights, expected = numerical_gradients(fn, inputs, eps)
        out = fn(*inputs)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        total = None
        for o, w in zip(outs, weights):
            if not o.requires_grad:
                continue
            term = (o * Tensor(w)).sum()
            total = term if total is None else total + term
        if total is not None:
            total.backward()
    for k, (t, g) in enumerate(zip(inputs, expected)):
        if g is None:
            continue
        got = np.zeros(t.shape) if t.grad is None else np.asarray(t.grad.data, dtype=np.float64)
        if not np.allclose(got, g, atol=atol, rtol=rtol):
            if not raise_exception:
                return False
            worst = np.unravel_index(np.argmax(np.abs(got - g)), g.shape) if g.size else ()
            raise AssertionError(
                f"gradcheck: input {k}: analytical and numerical gradients differ; worst at index "
                f"{worst}: analytical {got[worst]!r}, numerical {g[worst]!r}")
    return True


def _as_float64(t):
    if isinstance(t, Tensor) and t.dtype.kind == "f":
        return Tensor(np.array(t.data, dtype=np.float64), requires_grad=t.requires_grad)
    return t
