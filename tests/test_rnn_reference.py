"""The recurrent reference on its own: every backward (sequences and single steps, with and without
biases) against central finite differences in float64, and the cache and None conventions."""
from __future__ import annotations

import numpy as np
import pytest

from _checks import central_difference
from _rnn_cases import (
    KINDS,
    backward,
    cell_backward,
    cell_forward,
    forward,
    make_inputs,
    make_output_grads,
)
from mdlfast import reference

BIASES = [(True, True), (False, True), (True, False), (False, False)]


def _loss_of(outputs, grads):
    """The scalar whose gradients the backward computes: Σ outputs · incoming gradients."""
    pairs = [("y", "dy"), ("h_n", "dh_n"), ("c_n", "dc_n"), ("h_new", "dh_n"), ("c_new", "dc_n")]
    return sum(float(np.sum(outputs[o] * grads[g])) for o, g in pairs if o in outputs)


def _check_against_differences(a, grads, run_forward, expected):
    names = {"x": "dx", "h0": "dh0", "c0": "dc0", "w_ih": "dw_ih", "w_hh": "dw_hh",
             "b_ih": "db_ih", "b_hh": "db_hh"}
    for arg, grad_name in names.items():
        if arg not in a:
            continue
        if a[arg] is None:
            assert expected[grad_name] is None, f"{grad_name} given for an absent {arg}"
            continue
        numeric = central_difference(lambda: _loss_of(run_forward(), grads), a[arg], 1e-6)
        got = expected[grad_name]
        if arg == "x" and got.ndim == 2:  # a single step's dx is [N, in]
            got = got[None]
        np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-8, err_msg=grad_name)


@pytest.mark.parametrize("biases", BIASES, ids=str)
@pytest.mark.parametrize("kind", KINDS)
def test_sequence_backward_matches_finite_differences(kind, biases):
    t, n, inputs, hidden = 3, 2, 3, 4
    a = make_inputs(kind, t, n, inputs, hidden, biases=biases, dtype=np.float64)
    grads = make_output_grads(kind, t, n, hidden, dtype=np.float64)
    _, cache = forward(reference, kind, a)
    expected = backward(reference, kind, grads, cache)
    _check_against_differences(a, grads, lambda: forward(reference, kind, a)[0], expected)


@pytest.mark.parametrize("biases", [(True, True), (False, False)], ids=str)
@pytest.mark.parametrize("kind", KINDS)
def test_cell_backward_matches_finite_differences(kind, biases):
    n, inputs, hidden = 3, 2, 5
    a = make_inputs(kind, 1, n, inputs, hidden, biases=biases, dtype=np.float64)
    grads = make_output_grads(kind, 1, n, hidden, dtype=np.float64)
    _, cache = cell_forward(reference, kind, a)
    expected = cell_backward(reference, kind, grads, cache)
    _check_against_differences(a, grads, lambda: cell_forward(reference, kind, a)[0], expected)


@pytest.mark.parametrize("kind", KINDS)
def test_cell_is_one_step_of_the_sequence(kind):
    a = make_inputs(kind, 1, 3, 4, 5, dtype=np.float64)
    seq, _ = forward(reference, kind, a)
    cell, _ = cell_forward(reference, kind, a)
    np.testing.assert_array_equal(cell["h_new"], seq["h_n"])
    if kind == "lstm":
        np.testing.assert_array_equal(cell["c_new"], seq["c_n"])


@pytest.mark.parametrize("kind", KINDS)
def test_none_output_gradients_are_zeros(kind):
    a = make_inputs(kind, 4, 2, 3, 5, dtype=np.float64)
    grads = make_output_grads(kind, 4, 2, 5, dtype=np.float64)
    _, cache = forward(reference, kind, a)
    for dropped in grads:
        with_zero = dict(grads, **{dropped: np.zeros_like(grads[dropped])})
        with_none = dict(grads, **{dropped: None})
        zero, none = backward(reference, kind, with_zero, cache), backward(reference, kind, with_none, cache)
        for name in zero:
            np.testing.assert_array_equal(none[name], zero[name], err_msg=f"{dropped}=None: {name}")


@pytest.mark.parametrize("kind", KINDS)
def test_empty_sequence_passes_the_state_through(kind):
    a = make_inputs(kind, 0, 2, 3, 4, dtype=np.float64)
    out, cache = forward(reference, kind, a)
    assert out["y"].shape == (0, 2, 4)
    np.testing.assert_array_equal(out["h_n"], a["h0"])
    grads = make_output_grads(kind, 0, 2, 4, dtype=np.float64)
    g = backward(reference, kind, grads, cache)
    np.testing.assert_array_equal(g["dh0"], grads["dh_n"])
    assert g["dx"].shape == (0, 2, 3)
    np.testing.assert_array_equal(g["dw_ih"], np.zeros_like(a["w_ih"]))
    np.testing.assert_array_equal(g["dw_hh"], np.zeros_like(a["w_hh"]))
    if kind == "lstm":
        np.testing.assert_array_equal(g["dc0"], grads["dc_n"])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reference_keeps_the_dtype(dtype):
    a = make_inputs("lstm", 3, 2, 3, 4, dtype=dtype)
    out, cache = forward(reference, "lstm", a)
    g = backward(reference, "lstm", make_output_grads("lstm", 3, 2, 4, dtype=dtype), cache)
    for value in (*out.values(), *g.values()):
        assert value.dtype == dtype
