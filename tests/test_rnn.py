"""The recurrent kernels against the float64 reference: rnn (tanh, relu), lstm, gru and their cells,
forward and backward, on every ISA path and on 1 and 2 threads; odd sizes (T = 1, N = 1, H not a
multiple of any vector width, in != H, batches spanning several micro-kernel panels, hidden units
spanning several thread blocks), absent biases, non-contiguous inputs, empty sequences; poisoned
outputs through direct _cpu calls; the same bits on 1 and 2 threads.
"""
from __future__ import annotations

import numpy as np
import pytest

import mdlfast
from _checks import gemm_tol, rel_err
from _rnn_cases import (
    GATES,
    KINDS,
    backward,
    base_kind,
    cell_backward,
    cell_forward,
    forward,
    make_inputs,
    make_output_grads,
)
from mdlfast import _cpu, kernels, reference

# (T, N, in, H): a single step of a single row; H below, between and above the vector widths;
# N above the AVX-512 micro-kernel's 14 rows; H above its 32-unit blocks (so 2 threads split it);
# inputs over two 32-column blocks and a partial one (dx's blocks, shared out inside the loop).
SHAPES = [(1, 1, 1, 1), (1, 3, 5, 7), (4, 1, 3, 33), (3, 17, 9, 40), (6, 30, 11, 70), (3, 16, 70, 24)]
BIASES = [(True, True), (False, False), (True, False), (False, True)]


def f64(arrays):
    return {k: None if v is None else v.astype(np.float64) for k, v in arrays.items()}


def tolerance(kind, shape):
    """Relative error allowed for float32 against float64: the GEMM tolerance 1e-5·√K for the
    products' length K = in + G·H (the gates sum in + H terms, the gradients G·H)."""
    _, _, inputs, hidden = shape
    return gemm_tol(inputs + GATES[kind] * hidden)


def assert_matches(got, expected, tol, label):
    assert set(got) == set(expected), label
    for name, want in expected.items():
        if want is None:
            assert got[name] is None, f"{label}: {name} given for an absent bias"
            continue
        value = got[name]
        assert value.dtype == np.float32, f"{label}: {name} dtype {value.dtype}"
        assert value.shape == want.shape, f"{label}: {name} shape {value.shape} != {want.shape}"
        assert np.all(np.isfinite(value)), f"{label}: {name} has non-finite values"
        err = rel_err(value, want)
        assert err <= tol, f"{label}: {name} relative error {err:.3g} > {tol:.3g}"


def run_both(kind, shape, biases, *, cell=False, seed=()):
    t, n, inputs, hidden = shape
    a = make_inputs(kind, t, n, inputs, hidden, biases=biases, seed=seed)
    grads = make_output_grads(kind, t, n, hidden, seed=seed)
    fwd, bwd = (cell_forward, cell_backward) if cell else (forward, backward)
    out_k, cache_k = fwd(kernels, kind, a)
    out_r, cache_r = fwd(reference, kind, f64(a))
    got = {**out_k, **bwd(kernels, kind, grads, cache_k)}
    expected = {**out_r, **bwd(reference, kind, f64(grads), cache_r)}
    return got, expected


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("kind", KINDS)
def test_sequence_matches_reference_on_each_isa_and_thread_count(kind, shape, isa, threads):
    got, expected = run_both(kind, shape, (True, True))
    assert_matches(got, expected, tolerance(kind, shape), f"{kind} {shape} {isa} x{threads}")


@pytest.mark.parametrize("biases", BIASES, ids=str)
@pytest.mark.parametrize("kind", KINDS)
def test_sequence_biases_present_or_absent(kind, biases):
    shape = (5, 16, 6, 37)
    got, expected = run_both(kind, shape, biases)
    assert_matches(got, expected, tolerance(kind, shape), f"{kind} biases={biases}")


@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (1, 2, 7, 5), (1, 20, 3, 45)], ids=str)
@pytest.mark.parametrize("kind", KINDS)
def test_cell_matches_reference_on_each_isa(kind, shape, isa):
    for biases in [(True, True), (False, False)]:
        got, expected = run_both(kind, shape, biases, cell=True)
        assert_matches(got, expected, tolerance(kind, shape), f"{kind}_cell {shape} {isa}")


@pytest.mark.parametrize("kind", KINDS)
def test_same_bits_on_one_and_two_threads(kind):
    shape = (7, 31, 13, 100)
    results = []
    for n in (1, 2):
        previous = mdlfast.get_num_threads()
        mdlfast.set_num_threads(n)
        try:
            results.append(run_both(kind, shape, (True, True))[0])
        finally:
            mdlfast.set_num_threads(previous)
    for name, value in results[0].items():
        np.testing.assert_array_equal(results[1][name], value, err_msg=name)


@pytest.mark.parametrize("kind", KINDS)
def test_non_contiguous_inputs(kind):
    t, n, inputs, hidden = 4, 5, 6, 9
    a = make_inputs(kind, t, n, inputs, hidden)
    grads = make_output_grads(kind, t, n, hidden)
    # The same values as strided views: x batch-first transposed, weights as column slices.
    strided = dict(a)
    strided["x"] = np.ascontiguousarray(a["x"].transpose(1, 0, 2)).transpose(1, 0, 2)
    for name in ("w_ih", "w_hh"):
        wide = np.zeros((a[name].shape[0], 2 * a[name].shape[1]), np.float32)
        wide[:, ::2] = a[name]
        strided[name] = wide[:, ::2]
    strided["h0"] = np.asfortranarray(a["h0"])
    strided_grads = {k: np.asfortranarray(v) if v.ndim == 2 else v[::-1][::-1] for k, v in grads.items()}
    assert not strided["x"].flags.c_contiguous and not strided["w_ih"].flags.c_contiguous
    out_s, cache_s = forward(kernels, kind, strided)
    out_c, cache_c = forward(kernels, kind, a)
    got = {**out_s, **backward(kernels, kind, strided_grads, cache_s)}
    want = {**out_c, **backward(kernels, kind, grads, cache_c)}
    for name, value in want.items():
        if value is not None:
            np.testing.assert_array_equal(got[name], value, err_msg=name)


@pytest.mark.parametrize("kind", KINDS)
def test_none_incoming_gradients_are_zeros(kind):
    t, n, inputs, hidden = 3, 4, 5, 6
    a = make_inputs(kind, t, n, inputs, hidden)
    grads = make_output_grads(kind, t, n, hidden)
    _, cache = forward(kernels, kind, a)
    for dropped in grads:
        zero = backward(kernels, kind, dict(grads, **{dropped: np.zeros_like(grads[dropped])}), cache)
        none = backward(kernels, kind, dict(grads, **{dropped: None}), cache)
        for name, value in zero.items():
            np.testing.assert_array_equal(none[name], value, err_msg=f"{dropped}=None: {name}")


@pytest.mark.parametrize("kind", KINDS)
def test_kernel_backward_takes_a_float32_reference_cache(kind):
    t, n, inputs, hidden = 4, 3, 5, 7
    a = make_inputs(kind, t, n, inputs, hidden)
    grads = make_output_grads(kind, t, n, hidden)
    _, cache_r = forward(reference, kind, a)
    _, cache_k = forward(kernels, kind, a)
    from_reference = backward(kernels, kind, grads, cache_r)
    from_kernel = backward(kernels, kind, grads, cache_k)
    for name, value in from_kernel.items():
        if value is not None:
            np.testing.assert_allclose(from_reference[name], value, rtol=1e-4, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("shape", [(0, 3, 4, 5), (3, 0, 4, 5), (2, 3, 0, 5)], ids=str)
@pytest.mark.parametrize("kind", KINDS)
def test_empty_dimensions(kind, shape):
    got, expected = run_both(kind, shape, (True, True))
    for name, want in expected.items():
        if want is not None:
            np.testing.assert_allclose(got[name], want, rtol=1e-5, atol=1e-6, err_msg=name)


# ------------------------------------------------------------------------- direct, poisoned calls


def _poisoned_forward(kind, a):
    t, n, _ = a["x"].shape
    hidden = a["w_hh"].shape[1]
    base = base_kind(kind)
    width = GATES[kind] * hidden
    nan = lambda *shape: np.full(shape, np.nan, np.float32)  # noqa: E731
    out = dict(hs=nan(t + 1, n, hidden), cs=nan(t + 1, n, hidden) if base == "lstm" else None,
               gates=nan(t, n, width) if base != "rnn" else None,
               hn=nan(t, n, hidden) if base == "gru" else None)
    _cpu.recurrent_forward(kind, out["hs"], out["cs"], out["gates"], out["hn"], a["x"], a["h0"],
                           a.get("c0"), a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"])
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_poisoned_outputs_are_all_written(kind, isa):
    t, n, inputs, hidden = 3, 15, 4, 35
    for biases in [(True, True), (False, False)]:
        a = make_inputs(kind, t, n, inputs, hidden, biases=biases)
        grads = make_output_grads(kind, t, n, hidden)
        saved = _poisoned_forward(kind, a)
        for name, value in saved.items():
            assert value is None or np.all(np.isfinite(value)), f"forward {name} left unwritten"
        out, cache = forward(kernels, kind, a)
        np.testing.assert_array_equal(saved["hs"][1:], out["y"])
        width = GATES[kind] * hidden
        nan = lambda *shape: np.full(shape, np.nan, np.float32)  # noqa: E731
        lstm = kind == "lstm"
        g = dict(dx=nan(t, n, inputs), dh0=nan(n, hidden), dc0=nan(n, hidden) if lstm else None,
                 dw_ih=nan(width, inputs), dw_hh=nan(width, hidden),
                 db_ih=nan(width) if biases[0] else None, db_hh=nan(width) if biases[1] else None)
        _cpu.recurrent_backward(kind, g["dx"], g["dh0"], g["dc0"], g["dw_ih"], g["dw_hh"], g["db_ih"],
                                g["db_hh"], grads["dy"], grads["dh_n"], grads.get("dc_n"), a["x"],
                                a["w_ih"], a["w_hh"], saved["hs"], saved["cs"], saved["gates"], saved["hn"])
        want = backward(kernels, kind, grads, cache)
        for name, value in g.items():
            if value is not None:
                np.testing.assert_array_equal(value, want[name], err_msg=f"backward {name}")
