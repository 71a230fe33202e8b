"""Property-based tests (hypothesis): gemm and linear on arbitrary small shapes and non-contiguous
inputs (transposed views, slices with steps, negative strides, broadcast views), on every ISA
path, against the float64 reference. The search finds cancelling sums, so results are held to
the float32 forward error bound (relative to |A|·|B|, see assert_within_gemm_bound) rather than
to ‖ref‖; every dimension stays <= 81, where that bound is rigorous at 1e-5."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mdlfast import kernels, reference
from _checks import assert_within_gemm_bound, poisoned_gemm, using_isa
from conftest import SUPPORTED_ISAS

# database=None: nothing is written into the work tree.
SETTINGS = settings(max_examples=100, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

LAYOUTS = ("contiguous", "fortran", "transposed_view", "step_slice", "negative_strides", "broadcast")
dims = st.integers(min_value=0, max_value=70)
nonzero = st.integers(min_value=1, max_value=70)


def make_operand(rng, shape, layout):
    """An array of `shape` (2-D or 3-D) in the given memory layout, with random float32 values."""
    shape = tuple(shape)
    lead, (rows, cols) = shape[:-2], shape[-2:]
    if layout == "contiguous":
        return rng.standard_normal(shape).astype(np.float32)
    if layout == "fortran":
        return np.asfortranarray(rng.standard_normal(shape).astype(np.float32))
    if layout == "transposed_view":
        return np.swapaxes(rng.standard_normal(lead + (cols, rows)).astype(np.float32), -1, -2)
    if layout == "step_slice":
        big = rng.standard_normal(lead + (2 * rows + 1, 3 * cols + 1)).astype(np.float32)
        return big[..., 1::2, ::3][..., :rows, :cols]
    if layout == "negative_strides":
        big = rng.standard_normal(lead + (2 * rows, cols + 1)).astype(np.float32)
        view = big[..., ::-2, ::-1][..., :rows, :cols]
        return view[::-1] if lead else view
    if layout == "broadcast":  # stride 0 along the rows, or the columns
        if rng.integers(2):
            return np.broadcast_to(rng.standard_normal(lead + (1, cols)).astype(np.float32), shape)
        return np.broadcast_to(rng.standard_normal(lead + (rows, 1)).astype(np.float32), shape)
    raise AssertionError(layout)


@st.composite
def gemm_problems(draw):
    m, n, k = draw(dims), draw(dims), draw(dims)
    trans_a, trans_b = draw(st.booleans()), draw(st.booleans())
    batch_kind = draw(st.sampled_from(["none", "both", "a_only", "b_only", "a_one", "b_one"]))
    batch = draw(st.integers(min_value=1, max_value=4))
    batch_a = {"none": None, "both": batch, "a_only": batch, "b_only": None, "a_one": 1, "b_one": batch}[batch_kind]
    batch_b = {"none": None, "both": batch, "a_only": None, "b_only": batch, "a_one": batch, "b_one": 1}[batch_kind]
    a_shape = (k, m) if trans_a else (m, k)
    b_shape = (n, k) if trans_b else (k, n)
    a_shape = a_shape if batch_a is None else (batch_a,) + a_shape
    b_shape = b_shape if batch_b is None else (batch_b,) + b_shape
    layout_a, layout_b = draw(st.sampled_from(LAYOUTS)), draw(st.sampled_from(LAYOUTS))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    rng = np.random.default_rng(seed)
    a, b = make_operand(rng, a_shape, layout_a), make_operand(rng, b_shape, layout_b)
    out_shape = (m, n) if batch_a is None and batch_b is None else (max(batch_a or 1, batch_b or 1), m, n)
    use_c = draw(st.booleans())
    kwargs = dict(trans_a=trans_a, trans_b=trans_b)
    if use_c:
        c_shape = tuple(s if draw(st.booleans()) else 1 for s in out_shape)[draw(st.integers(0, len(out_shape))):]
        c_layout = draw(st.sampled_from(LAYOUTS)) if len(c_shape) >= 2 else "contiguous"
        c = make_operand(rng, c_shape, c_layout) if len(c_shape) >= 2 else \
            rng.standard_normal(c_shape).astype(np.float32)
        kwargs.update(alpha=draw(st.sampled_from([1.0, -0.5, 2.0, 0.0])),
                      beta=draw(st.sampled_from([1.0, 0.5, -3.0, 0.0])), c=c)
    return a, b, k, out_shape, kwargs


def _ref64(a, b, kwargs, *, magnitude=False):
    """The float64 reference, or with magnitude=True the bound's scale |alpha|·|A|·|B| + |beta·c|."""
    kw = dict(kwargs)
    a, b = a.astype(np.float64), b.astype(np.float64)
    if kw.get("c") is not None:
        kw["c"] = kw["c"].astype(np.float64)
    if magnitude:
        a, b = np.abs(a), np.abs(b)
        kw.update({key: abs(kw[key]) for key in ("alpha", "beta") if key in kw})
        if kw.get("c") is not None:
            kw["c"] = np.asarray(np.abs(kw["c"]))  # np.abs of a 0-d array is a scalar
    return reference.gemm(a, b, **kw)


@pytest.mark.parametrize("isa_name", SUPPORTED_ISAS)
@SETTINGS
@given(problem=gemm_problems())
def test_gemm_any_layout(isa_name, problem):
    a, b, k, out_shape, kwargs = problem
    ref = _ref64(a, b, kwargs)
    assert ref.shape == out_shape
    a_before, b_before = a.copy(), b.copy()
    with using_isa(isa_name):
        out = kernels.gemm(a, b, **kwargs)
        poisoned = poisoned_gemm(a, b, **kwargs)
    magnitude = _ref64(a, b, kwargs, magnitude=True)
    assert_within_gemm_bound(out, ref, magnitude)
    assert_within_gemm_bound(poisoned, ref, magnitude, name="poisoned out")
    np.testing.assert_array_equal(a, a_before)  # inputs are never written
    np.testing.assert_array_equal(b, b_before)


@pytest.mark.parametrize("isa_name", SUPPORTED_ISAS)
@SETTINGS
@given(m=nonzero, n=nonzero, k=nonzero, seed=st.integers(0, 2**32 - 1),
       layout_a=st.sampled_from(LAYOUTS), layout_b=st.sampled_from(LAYOUTS))
def test_gemm_transpose_identities(isa_name, m, n, k, seed, layout_a, layout_b):
    """(a·b)ᵀ = bᵀ·aᵀ, computed through the transpose flags rather than copies."""
    rng = np.random.default_rng(seed)
    a, b = make_operand(rng, (m, k), layout_a), make_operand(rng, (k, n), layout_b)
    with using_isa(isa_name):
        ab = kernels.gemm(a, b)
        bt_at = kernels.gemm(b, a, trans_a=True, trans_b=True)
        via_views = kernels.gemm(b.T, a.T)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    magnitude = np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64))
    assert_within_gemm_bound(ab, ref, magnitude)
    assert_within_gemm_bound(bt_at, ref.T, magnitude.T)
    assert_within_gemm_bound(via_views, ref.T, magnitude.T)


ACTIVATIONS = [None, "relu", "sigmoid", "tanh", "gelu"]


@st.composite
def linear_problems(draw):
    lead = tuple(draw(st.lists(st.integers(0, 9), min_size=0, max_size=2)))
    fan_in, fan_out = draw(nonzero), draw(st.integers(0, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x_layout, w_layout = draw(st.sampled_from(LAYOUTS)), draw(st.sampled_from(LAYOUTS))
    if lead:
        x = make_operand(rng, lead[:-1] + (lead[-1], fan_in), x_layout)
    else:  # 1-D x: a row of a 2-D operand in that layout
        x = make_operand(rng, (2, fan_in), x_layout)[-1]
    w = make_operand(rng, (fan_out, fan_in), w_layout)
    b = rng.standard_normal(2 * fan_out).astype(np.float32)[::-2] if draw(st.booleans()) else None
    dy = rng.standard_normal(x.shape[:-1] + (fan_out,)).astype(np.float32)
    return x, w, b, dy, draw(st.sampled_from(ACTIVATIONS))


def _f64(v):
    return None if v is None else v.astype(np.float64)


@pytest.mark.parametrize("isa_name", SUPPORTED_ISAS)
@SETTINGS
@given(problem=linear_problems())
def test_linear_any_layout(isa_name, problem):
    x, w, b, dy, activation = problem
    fan_out, fan_in = w.shape
    rows = int(np.prod(x.shape[:-1]))
    y_ref, z_ref = reference.linear(_f64(x), _f64(w), _f64(b), activation, return_preactivation=True)
    with using_isa(isa_name):
        y, z = kernels.linear(x, w, b, activation, return_preactivation=True)
        saved = {"z": z} if activation == "gelu" else {"y": y if activation else None}
        dx, dw, db = kernels.linear_backward(dy, x, w, saved.get("y"), activation, z=saved.get("z"))
    # |x|·|w|ᵀ + |b| bounds z's error, and y's (every activation here is 1.13-Lipschitz at most).
    z_magnitude = reference.linear(np.abs(_f64(x)), np.abs(_f64(w)), None if b is None else np.abs(_f64(b)))
    assert_within_gemm_bound(y, y_ref, z_magnitude, name="y")
    assert_within_gemm_bound(z, z_ref, z_magnitude, name="z")
    ref = reference.linear_backward(_f64(dy), _f64(x), _f64(w), _f64(saved.get("y")), activation,
                                    z=_f64(saved.get("z")))
    # dz = dy·act'(z) is itself rounded in float32 (1 - y² cancels as tanh saturates); with
    # |act'| <= 1.13, |dy| in place of |dz| bounds that rounding and the products' together.
    magnitudes = reference.linear_backward(np.abs(_f64(dy)), np.abs(_f64(x)), np.abs(_f64(w)))
    for name, out, expected, magnitude in zip(("dx", "dw", "db"), (dx, dw, db), ref, magnitudes):
        assert_within_gemm_bound(out, expected, magnitude, name=name)
