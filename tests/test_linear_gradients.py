"""linear_backward: the float64 reference against central finite differences for every activation,
and the C++ kernel against the float64 reference on every ISA path (with NaN-poisoned outputs).
"""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast import kernels, reference
from _checks import assert_close, central_difference, poisoned_linear_backward, randn, rng_for, rel_err

ACTIVATIONS = [None, "relu", "sigmoid", "tanh", "gelu"]
# Which saved tensors each activation's backward may be given.
SOURCES = {None: ["none"], "relu": ["y", "z", "yz"], "sigmoid": ["y", "z", "yz"],
           "tanh": ["y", "z", "yz"], "gelu": ["z", "yz"]}
ACT_SOURCE = [(act, src) for act in ACTIVATIONS for src in SOURCES[act]]
ACT_SOURCE_IDS = [f"{act}-{src}" for act, src in ACT_SOURCE]


def saved(source, y, z):
    return {"y": y if "y" in source else None, "z": z if "z" in source else None}


# ---------------------------------------------------------------- reference vs finite differences


@pytest.mark.parametrize("activation,source", ACT_SOURCE, ids=ACT_SOURCE_IDS)
@pytest.mark.parametrize("lead", [(), (4,), (2, 3)], ids=["x1d", "x2d", "x3d"])
@pytest.mark.parametrize("with_bias", [False, True], ids=["nobias", "bias"])
def test_reference_backward_matches_finite_differences(lead, with_bias, activation, source):
    rng = rng_for("fd", lead, with_bias, activation, source)
    fan_in, fan_out = 5, 3
    for _ in range(100):  # keep relu's kink out of reach of the finite-difference step
        x = rng.standard_normal(lead + (fan_in,))
        w = rng.standard_normal((fan_out, fan_in))
        b = rng.standard_normal(fan_out) if with_bias else np.zeros(fan_out)
        y, z = reference.linear(x, w, b, activation, return_preactivation=True)
        if np.abs(z).min() > 1e-3:
            break
    dy = rng.standard_normal(y.shape)
    assert y.dtype == np.float64

    def loss():
        return float(np.sum(dy * reference.linear(x, w, b, activation)))

    h = 1e-6
    fd_x = central_difference(loss, x, h)
    fd_w = central_difference(loss, w, h)
    fd_b = central_difference(loss, b, h)  # with no bias: the gradient at b = 0
    dx, dw, db = reference.linear_backward(dy, x, w, activation=activation, **saved(source, y, z))
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == (fan_out,)
    assert dx.dtype == dw.dtype == db.dtype == np.float64
    for name, got, fd in (("dx", dx, fd_x), ("dw", dw, fd_w), ("db", db, fd_b)):
        assert rel_err(got, fd) <= 1e-7, f"{name}: {rel_err(got, fd):.3g}"


# ---------------------------------------------------------------- kernel vs reference

# (leading shape of x, in_features, out_features)
CASES = [
    ((), 1, 1),
    ((), 13, 7),
    ((1,), 1, 1),
    ((13,), 37, 97),
    ((15,), 33, 14),  # straddles the AVX-512 tile both ways
    ((17,), 7, 390),  # dx's K past one packed block
    ((401,), 6, 5),  # dw's and db's K past one packed block, M past one row block
    ((2, 7), 31, 13),
]


def _inputs(rng, lead, fan_in, fan_out, activation):
    x = randn(rng, lead + (fan_in,))
    w = randn(rng, (fan_out, fan_in)) / np.float32(np.sqrt(fan_in))
    b = randn(rng, (fan_out,))
    y, z = kernels.linear(x, w, b, activation, return_preactivation=True)
    dy = randn(rng, y.shape)
    return x, w, dy, y, z


def _reference64(dy, x, w, activation, y=None, z=None):
    def f64(v):
        return None if v is None else v.astype(np.float64)

    return reference.linear_backward(f64(dy), f64(x), f64(w), f64(y), activation, z=f64(z))


def _check_backward(dy, x, w, activation, source, y, z, name=""):
    rows = int(np.prod(x.shape[:-1]))
    fan_out, fan_in = w.shape
    kw = saved(source, y, z)
    ref = _reference64(dy, x, w, activation, **kw)
    got = kernels.linear_backward(dy, x, w, kw["y"], activation, z=kw["z"])
    assert_close(got[0], ref[0], fan_out, name=name + "dx")
    assert_close(got[1], ref[1], rows, name=name + "dw")
    assert_close(got[2], ref[2], rows, name=name + "db")
    flat = {k: None if v is None else np.ascontiguousarray(v.reshape(rows, fan_out)) for k, v in kw.items()}
    poisoned = poisoned_linear_backward(np.ascontiguousarray(dy.reshape(rows, fan_out)),
                                        x.reshape(rows, fan_in), w, flat["y"], flat["z"], activation)
    assert_close(poisoned[0], ref[0].reshape(rows, fan_in), fan_out, name=name + "poisoned dx")
    assert_close(poisoned[1], ref[1], rows, name=name + "poisoned dw")
    assert_close(poisoned[2], ref[2], rows, name=name + "poisoned db")
    return got


@pytest.mark.parametrize("activation,source", ACT_SOURCE, ids=ACT_SOURCE_IDS)
@pytest.mark.parametrize("lead,fan_in,fan_out", CASES)
def test_kernel_backward_matches_reference(isa, lead, fan_in, fan_out, activation, source):
    rng = rng_for("bwd", isa, lead, fan_in, fan_out, activation, source)
    x, w, dy, y, z = _inputs(rng, lead, fan_in, fan_out, activation)
    dx, dw, db = _check_backward(dy, x, w, activation, source, y, z)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == (fan_out,)
    assert np.isfinite(dx).all() and np.isfinite(dw).all() and np.isfinite(db).all()


@pytest.mark.parametrize("activation,source", [("tanh", "y"), ("gelu", "z"), (None, "none")])
def test_kernel_backward_threads(isa, threads, activation, source):
    rng = rng_for("bwd_threads", isa, threads, activation)
    x, w, dy, y, z = _inputs(rng, (173,), 131, 97, activation)
    _check_backward(dy, x, w, activation, source, y, z)


@pytest.mark.parametrize("activation,source", [("relu", "y"), ("sigmoid", "z"), ("gelu", "z"), (None, "none")])
def test_kernel_backward_strided_inputs(isa, activation, source):
    rng = rng_for("bwd_strided", isa, activation)
    fan_in, fan_out = 19, 23
    x = randn(rng, (45, 3 * fan_in))[::-2, 1::3]
    w = randn(rng, (fan_in, fan_out)).T
    y, z = kernels.linear(x, w, None, activation, return_preactivation=True)
    dy = np.asfortranarray(randn(rng, y.shape))
    y_view = np.asfortranarray(y)
    z_view = np.asfortranarray(z)
    kw = saved(source, y_view, z_view)
    ref = _reference64(dy, x, w, activation, **kw)
    got = kernels.linear_backward(dy, x, w, kw["y"], activation, z=kw["z"])
    for g, r, k in zip(got, ref, (fan_out, x.shape[0], x.shape[0])):
        assert_close(g, r, k)


def test_kernel_backward_relu_at_zero(isa):
    """relu's gradient at exactly zero is 0, as PyTorch's threshold_backward."""
    x = np.array([[1.0, -1.0], [2.0, 0.5]], dtype=np.float32)
    w = np.array([[1.0, 1.0], [1.0, -2.0], [0.0, 1.0]], dtype=np.float32)  # z[0] = [0, 3, -1]
    y, z = kernels.linear(x, w, None, "relu", return_preactivation=True)
    assert z[0, 0] == 0.0
    dy = np.ones_like(y)
    for kw in ({"y": y}, {"z": z}):
        dx, dw, db = kernels.linear_backward(dy, x, w, kw.get("y"), "relu", z=kw.get("z"))
        mask = (z > 0).astype(np.float64)
        np.testing.assert_allclose(db, mask.sum(axis=0), rtol=0, atol=0)
        np.testing.assert_allclose(dw, mask.T @ x.astype(np.float64), rtol=1e-6)
        np.testing.assert_allclose(dx, mask @ w.astype(np.float64), rtol=1e-6)
        ref = _reference64(dy, x, w, "relu", **kw)
        for g, r in zip((dx, dw, db), ref):
            assert_close(g, r, 2)


@pytest.mark.parametrize("activation,source", [(None, "none"), ("relu", "y"), ("gelu", "z")])
def test_kernel_backward_empty(isa, activation, source):
    """No rows: dx is empty, dw and db are zeros. No outputs: everything empty or zero."""
    rng = rng_for("bwd_empty", isa, activation)
    for lead, fan_in, fan_out in (((0,), 5, 3), ((2, 0), 5, 3), ((4,), 5, 0)):
        x, w, dy, y, z = _inputs(rng, lead, fan_in, fan_out, activation)
        dx, dw, db = _check_backward(dy, x, w, activation, source, y, z, name=f"{lead}/{fan_out}: ")
        assert dx.shape == x.shape and dw.shape == (fan_out, fan_in) and db.shape == (fan_out,)
        assert not dw.any() and not db.any() and not dx.any()


def test_kernel_backward_no_input_features(isa):
    """in_features = 0: dx and dw are empty, db is still the column sums of dz."""
    rng = rng_for("bwd_in0", isa)
    x = randn(rng, (4, 0))
    w = randn(rng, (3, 0))
    dy = randn(rng, (4, 3))
    dx, dw, db = kernels.linear_backward(dy, x, w)
    assert dx.shape == (4, 0) and dw.shape == (3, 0)
    assert_close(db, dy.astype(np.float64).sum(axis=0), 4)
