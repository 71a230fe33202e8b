"""activation and activation_backward kernels against the float64 reference on every ISA path and
thread count (through mdlfast.kernels and through mdlfast._cpu with NaN-poisoned outputs), on
special values (±0, ±inf, NaN, huge), and the error cases. The reference itself is checked against
finite differences and PyTorch in test_pointwise_reference.py; the linear epilogue's activations in
test_linear.py."""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast import _cpu, kernels, reference
from mdlfast._validate.pointwise import ALPHA_DEFAULTS, KINDS, OUTPUT_DERIVATIVE_KINDS
from _checks import rng_for

DIFFERENTIABLE = [k for k in KINDS if k != "step"]
ALPHAS = {"leaky_relu": 0.2, "elu": 0.7}
SIZES = [1, 15, 17, 1000, 70001]  # 70001: several tasks, so both threads work
SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 20.0, 20.5, -20.5, 88.0, -88.0, 100.0, -110.0,
                    1e-30, -1e-30, 3e38, -3e38, np.inf, -np.inf, np.nan], dtype=np.float32)
RTOL = 4e-6  # a few float32 ulps of the result
ATOL = 1e-6  # and of the terms it is computed from: where those cancel, a float32 rounding of them


def assert_elementwise(out, ref, scale, *, name):
    """out (float32) matches ref (float64): NaN and ±inf in the same places; elsewhere
    |out - ref| <= RTOL·|ref| + ATOL·scale."""
    out = np.asarray(out)
    assert out.dtype == np.float32 and out.shape == ref.shape, f"{name}: {out.dtype} {out.shape}"
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref), err_msg=f"{name}: NaNs differ")
    finite = np.isfinite(ref)
    np.testing.assert_array_equal(out[~finite & ~np.isnan(ref)], ref[~finite & ~np.isnan(ref)],
                                  err_msg=f"{name}: infinities differ")
    err = np.abs(out[finite].astype(np.float64) - ref[finite])
    bound = RTOL * np.abs(ref[finite]) + ATOL * np.broadcast_to(scale, ref.shape)[finite]
    worst = np.argmax(err - bound) if err.size else 0
    assert np.all(err <= bound), f"{name}: error {err[worst]:.3g} > {bound[worst]:.3g} at {worst}"


def inputs(rng, n):
    return (rng.standard_normal(n) * 4).astype(np.float32)


def poisoned_activation(x, kind, alpha):
    y = np.full(x.size, np.nan, dtype=np.float32)
    _cpu.activation(y, x.reshape(-1), kind, alpha)
    return y.reshape(x.shape)


def poisoned_activation_backward(dy, v, is_output, kind, alpha):
    dx = np.full(dy.size, np.nan, dtype=np.float32)
    _cpu.activation_backward(dx, dy.reshape(-1), v.reshape(-1), is_output, kind, alpha)
    return dx.reshape(dy.shape)


def check_kind(x, dy, kind, alpha):
    x64 = x.astype(np.float64)
    y_ref = reference.activation(x64, kind, alpha=alpha)
    y = kernels.activation(x, kind, alpha=alpha)
    assert_elementwise(y, y_ref, 1.0, name=f"{kind} forward")
    a = alpha if alpha is not None else ALPHA_DEFAULTS.get(kind, 0.0)
    assert_elementwise(poisoned_activation(x, kind, a), y_ref, 1.0, name=f"{kind} poisoned forward")
    if kind == "step":
        return
    scale = np.abs(dy.astype(np.float64))
    dx_ref = reference.activation_backward(dy.astype(np.float64), x64, None, kind, alpha=alpha)
    assert_elementwise(kernels.activation_backward(dy, x, None, kind, alpha=alpha), dx_ref, scale,
                       name=f"{kind} backward from x")
    assert_elementwise(poisoned_activation_backward(dy, x, False, kind, a), dx_ref, scale,
                       name=f"{kind} poisoned backward from x")
    if kind in OUTPUT_DERIVATIVE_KINDS:
        # From the output: the reference gets the kernel's own y, so both see the same rounding.
        dx_ref = reference.activation_backward(dy.astype(np.float64), None, y.astype(np.float64), kind)
        assert_elementwise(kernels.activation_backward(dy, None, y, kind), dx_ref, scale,
                           name=f"{kind} backward from y")
        assert_elementwise(poisoned_activation_backward(dy, y, True, kind, a), dx_ref, scale,
                           name=f"{kind} poisoned backward from y")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", SIZES)
def test_activation_matches_reference(isa, threads, kind, n):
    rng = rng_for("activation", isa, threads, kind, n)
    check_kind(inputs(rng, n), rng.standard_normal(n).astype(np.float32), kind, ALPHAS.get(kind))


@pytest.mark.parametrize("kind", KINDS)
def test_activation_special_values(isa, kind):
    rng = rng_for("activation special", isa, kind)
    dy = rng.standard_normal(SPECIAL.size).astype(np.float32)
    check_kind(SPECIAL, dy, kind, None)


@pytest.mark.parametrize("kind", ["leaky_relu", "elu", "gelu", "silu"])
def test_activation_strided_and_shaped(kind):
    """Non-contiguous, N-d inputs keep their shape; the output is contiguous and correct."""
    rng = rng_for("activation strided", kind)
    x = inputs(rng, (6, 10, 7)).reshape(6, 10, 7)[:, ::3, 1:]
    dy = rng.standard_normal((6, 7, 10)).astype(np.float32).transpose(0, 2, 1)[:, ::3, 1:]
    y = kernels.activation(x, kind)
    assert y.shape == x.shape
    assert_elementwise(y, reference.activation(x.astype(np.float64), kind), 1.0, name="strided")
    dx = kernels.activation_backward(dy, x, None, kind)
    assert_elementwise(dx, reference.activation_backward(dy.astype(np.float64), x.astype(np.float64), None, kind),
                       np.abs(dy.astype(np.float64)), name="strided backward")
    assert kernels.activation(np.ones((0, 3), np.float32), kind).shape == (0, 3)


@pytest.mark.parametrize("call,error", [
    (lambda api, x: api.activation(x, "swish"), ValueError),
    (lambda api, x: api.activation(x, None), ValueError),
    (lambda api, x: api.activation(x, "relu", alpha=0.1), ValueError),
    (lambda api, x: api.activation(x, "leaky_relu", alpha=float("nan")), ValueError),
    (lambda api, x: api.activation(x, "elu", alpha="1"), TypeError),
    (lambda api, x: api.activation(x.astype(np.int32), "relu"), TypeError),
    (lambda api, x: api.activation([1.0, 2.0], "relu"), TypeError),
    (lambda api, x: api.activation_backward(x, x, None, "step"), ValueError),
    (lambda api, x: api.activation_backward(x, None, None, "relu"), ValueError),
    (lambda api, x: api.activation_backward(x, None, x, "gelu"), ValueError),
    (lambda api, x: api.activation_backward(x, x[:2], None, "gelu"), ValueError),
    (lambda api, x: api.activation_backward(x, x.astype(np.float64), None, "gelu"), TypeError),
    (lambda api, x: api.activation_backward(x, x, None, "sigmoid", alpha=1.0), ValueError),
], ids=["unknown-kind", "kind-none", "alpha-for-relu", "alpha-nan", "alpha-str", "int-x", "list-x",
        "step-backward", "no-x-no-y", "gelu-needs-x", "shape", "dtype", "alpha-for-sigmoid"])
def test_activation_errors(api, call, error):
    with pytest.raises(error):
        call(api, np.ones((3, 4), np.float32))


def test_direct_call_checks_arrays():
    x = np.ones(8, np.float32)
    with pytest.raises(ValueError):
        _cpu.activation(np.empty(7, np.float32), x, "relu", 0.0)
    with pytest.raises(ValueError):
        _cpu.activation(np.empty(8, np.float32), x, "swish", 0.0)
    with pytest.raises(ValueError):
        _cpu.activation_backward(np.empty(8, np.float32), x, x, True, "gelu", 0.0)
    with pytest.raises(ValueError):
        _cpu.activation_backward(np.empty(8, np.float32), x, x, False, "step", 0.0)
