"""The error contract of the recurrent family (DESIGN.md): TypeError for a wrong dtype or a cache
that is not one, ValueError naming the argument for a wrong shape, a bad nonlinearity, a cache
from another forward or arrays on different devices, all raised before any kernel runs; CuPy
arrays have no CUDA kernel yet; direct calls of mdlfast._cpu with bad buffers raise.
"""
from __future__ import annotations

import numpy as np
import pytest

from _rnn_cases import make_inputs, make_output_grads
from mdlfast import _cpu, kernels, reference
from test_errors import F32, FakeCupyArray, arr, bad_dtypes


def lstm_args(t=2, n=3, inputs=4, hidden=5):
    return dict(x=arr(t, n, inputs), h0=arr(n, hidden), c0=arr(n, hidden), w_ih=arr(4 * hidden, inputs),
                w_hh=arr(4 * hidden, hidden), b_ih=arr(4 * hidden), b_hh=arr(4 * hidden))


def gru_args(t=2, n=3, inputs=4, hidden=5):
    return dict(x=arr(t, n, inputs), h0=arr(n, hidden), w_ih=arr(3 * hidden, inputs),
                w_hh=arr(3 * hidden, hidden), b_ih=arr(3 * hidden), b_hh=arr(3 * hidden))


# --------------------------------------------------------------------------------------- forwards


def test_wrong_dtypes(api):
    for dtype in bad_dtypes(api):
        a = lstm_args()
        a["x"] = a["x"].astype(dtype)
        with pytest.raises(TypeError, match=r"^x must have dtype"):
            api.lstm(**a)
    for name in ("h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh"):
        a = lstm_args()
        a[name] = a[name].astype(np.float16)
        with pytest.raises(TypeError, match=rf"^{name} must have dtype"):
            api.lstm(**a)
    with pytest.raises(TypeError, match=r"^x must be a numpy.ndarray"):
        api.gru(**dict(gru_args(), x=[[[1.0]]]))


def test_parameter_dtype_differs_from_x():
    a = gru_args()
    a["w_hh"] = a["w_hh"].astype(np.float64)
    with pytest.raises(TypeError, match=r"^w_hh must have the dtype of x \(float32\), got float64"):
        reference.gru(**a)


def test_bad_shapes_name_the_argument(api):
    cases = [
        ("x", arr(3, 4), r"^x must have 3 dimensions \[T, N, in\], got shape \(3, 4\)"),
        ("w_hh", arr(20, 4), r"^w_hh must have shape \(4·H, H\).*got \(20, 4\)"),
        ("w_hh", arr(20), r"^w_hh must have shape \(4·H, H\)"),
        ("h0", arr(2, 5), r"^h0 must have shape \(3, 5\).*got \(2, 5\)"),
        ("c0", arr(3, 6), r"^c0 must have shape \(3, 5\).*got \(3, 6\)"),
        ("w_ih", arr(20, 5), r"^w_ih must have shape \(20, 4\).*got \(20, 5\)"),
        ("b_ih", arr(5), r"^b_ih must have shape \(20,\).*got \(5,\)"),
        ("b_hh", arr(1, 20), r"^b_hh must have shape \(20,\).*got \(1, 20\)"),
    ]
    for name, value, message in cases:
        with pytest.raises(ValueError, match=message):
            api.lstm(**dict(lstm_args(), **{name: value}))


def test_gate_count_is_checked_per_kind(api):
    a = lstm_args()
    with pytest.raises(ValueError, match=r"^w_hh must have shape \(3·H, H\) with H >= 1 \(gru has 3 gates\)"):
        api.gru(a["x"], a["h0"], a["w_ih"], a["w_hh"])
    with pytest.raises(ValueError, match=r"^w_hh must have shape \(1·H, H\)"):
        api.rnn(a["x"], a["h0"], a["w_ih"], a["w_hh"])


def test_cells_name_their_arguments(api):
    a = lstm_args(t=1)
    x = a["x"][0]
    with pytest.raises(ValueError, match=r"^x must have 2 dimensions \[N, in\], got shape \(1, 3, 4\)"):
        api.lstm_cell(a["x"], a["h0"], a["c0"], a["w_ih"], a["w_hh"])
    with pytest.raises(ValueError, match=r"^h must have shape \(3, 5\)"):
        api.lstm_cell(x, arr(3, 4), a["c0"], a["w_ih"], a["w_hh"])
    with pytest.raises(ValueError, match=r"^c must have shape \(3, 5\)"):
        api.lstm_cell(x, a["h0"], arr(5), a["w_ih"], a["w_hh"])
    g = gru_args(t=1)
    with pytest.raises(ValueError, match=r"^h must have shape"):
        api.gru_cell(g["x"][0], arr(1, 5), g["w_ih"], g["w_hh"])
    with pytest.raises(ValueError, match=r"^h must have shape"):
        api.rnn_cell(g["x"][0], arr(3, 5), arr(5, 4), arr(4, 4))


@pytest.mark.parametrize("nonlinearity", ["sigmoid", "Tanh", "", None, 1])
def test_bad_nonlinearity(api, nonlinearity):
    x, h0, w_ih, w_hh = arr(2, 3, 4), arr(3, 5), arr(5, 4), arr(5, 5)
    with pytest.raises(ValueError, match=r"^nonlinearity must be one of 'tanh', 'relu'"):
        api.rnn(x, h0, w_ih, w_hh, nonlinearity=nonlinearity)
    with pytest.raises(ValueError, match=r"^nonlinearity must be one of"):
        api.rnn_cell(x[0], h0, w_ih, w_hh, nonlinearity=nonlinearity)


def test_mixed_devices(api):
    a = gru_args()
    with pytest.raises(ValueError, match=r"^arguments are on different devices"):
        api.gru(**dict(a, h0=FakeCupyArray((3, 5))))
    with pytest.raises(ValueError, match=r"^arguments are on different devices"):
        api.gru(**dict(a, b_hh=FakeCupyArray((15,))))


def test_cupy_arrays_have_no_cuda_kernel_yet():
    a = {k: FakeCupyArray(v.shape) for k, v in lstm_args().items()}
    with pytest.raises(NotImplementedError, match=r"^lstm has no CUDA kernel yet"):
        kernels.lstm(**a)


# -------------------------------------------------------------------------------------- backwards


def _lstm_cache():
    """A float32 cache and gradients. The reference makes it for both APIs (the kernels' forward is
    behind the tripwire in these tests; both backwards take either's float32 cache)."""
    a = make_inputs("lstm", 2, 3, 4, 5)
    _, _, _, cache = reference.lstm(a["x"], a["h0"], a["c0"], a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"])
    return cache, make_output_grads("lstm", 2, 3, 5)


def test_backward_rejects_a_foreign_cache(api):
    _, g = _lstm_cache()
    with pytest.raises(TypeError, match=r"^cache must be the cache returned by lstm, got dict"):
        api.lstm_backward(g["dy"], g["dh_n"], g["dc_n"], {})
    a = make_inputs("gru", 2, 3, 4, 5)
    _, _, gru_cache = reference.gru(a["x"], a["h0"], a["w_ih"], a["w_hh"])
    with pytest.raises(ValueError, match=r"^cache must come from lstm, got a cache from gru"):
        api.lstm_backward(g["dy"], g["dh_n"], g["dc_n"], gru_cache)
    with pytest.raises(ValueError, match=r"^cache must come from gru_cell, got a cache from gru"):
        api.gru_cell_backward(g["dh_n"], gru_cache)


def test_backward_bad_gradients(api):
    cache, g = _lstm_cache()
    with pytest.raises(ValueError, match=r"^dy must have shape \(2, 3, 5\), got \(2, 3, 4\)"):
        api.lstm_backward(arr(2, 3, 4), g["dh_n"], g["dc_n"], cache)
    with pytest.raises(ValueError, match=r"^dh_n must have shape \(3, 5\), got \(5,\)"):
        api.lstm_backward(g["dy"], arr(5), g["dc_n"], cache)
    with pytest.raises(ValueError, match=r"^dc_n must have shape \(3, 5\)"):
        api.lstm_backward(g["dy"], g["dh_n"], arr(3, 6), cache)
    with pytest.raises(TypeError, match=r"^dy must have dtype"):
        api.lstm_backward(g["dy"].astype(np.int32), g["dh_n"], g["dc_n"], cache)
    with pytest.raises(ValueError, match=r"^arguments are on different devices"):
        api.lstm_backward(g["dy"], FakeCupyArray((3, 5)), g["dc_n"], cache)


def test_cell_backward_names_its_gradients(api):
    a = make_inputs("lstm", 1, 3, 4, 5)
    _, _, cache = reference.lstm_cell(a["x"][0], a["h0"], a["c0"], a["w_ih"], a["w_hh"])
    with pytest.raises(ValueError, match=r"^dh_new must have shape \(3, 5\)"):
        api.lstm_cell_backward(arr(1, 3, 5), None, cache)
    with pytest.raises(ValueError, match=r"^dc_new must have shape \(3, 5\)"):
        api.lstm_cell_backward(None, arr(3, 4), cache)


def test_kernels_reject_a_float64_cache():
    a = make_inputs("gru", 2, 3, 4, 5, dtype=np.float64)
    _, _, cache = reference.gru(a["x"], a["h0"], a["w_ih"], a["w_hh"])
    with pytest.raises(TypeError, match=r"^cache must hold float32 arrays, got float64"):
        kernels.gru_backward(None, None, cache)


# ------------------------------------------------------------------------------ direct _cpu calls


def _direct_forward_args(kind="lstm", t=2, n=3, inputs=4, hidden=5):
    g = {"lstm": 4, "gru": 3}.get(kind, 1)
    lstm, gru = kind == "lstm", kind == "gru"
    return dict(kind=kind, hs=np.empty((t + 1, n, hidden), F32),
                cs=np.empty((t + 1, n, hidden), F32) if lstm else None,
                gates=np.empty((t, n, g * hidden), F32) if lstm or gru else None,
                hn=np.empty((t, n, hidden), F32) if gru else None, x=arr(t, n, inputs), h0=arr(n, hidden),
                c0=arr(n, hidden) if lstm else None, w_ih=arr(g * hidden, inputs),
                w_hh=arr(g * hidden, hidden), b_ih=None, b_hh=None)


def test_direct_forward_with_bad_buffers_raises():
    bad = [
        (dict(kind="lstmx"), ValueError, r"kind must be one of"),
        (dict(hs=np.empty((2, 3, 5), F32)), ValueError, r"hs has the wrong shape"),
        (dict(c0=None), ValueError, r"c0 is required"),
        (dict(gates=np.empty((2, 5, 20), F32).transpose(1, 0, 2)), ValueError, r"gates"),
        (dict(hn=np.empty((2, 3, 5), F32)), ValueError, r"hn must be None"),
        (dict(x=arr(2, 3, 4, dtype=np.float64)), TypeError, r"x must be a float32 array"),
        (dict(w_hh=arr(19, 5)), ValueError, r"w_hh must have shape"),
        (dict(b_ih=arr(19)), ValueError, r"b_ih has the wrong shape"),
        (dict(x=arr(2, 3)), ValueError, r"x must have 3 dimensions"),
    ]
    for change, error, message in bad:
        with pytest.raises(error, match=message):
            _cpu.recurrent_forward(**dict(_direct_forward_args(), **change))
    readonly = np.empty((3, 3, 5), F32)
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match=r"hs must be writeable"):
        _cpu.recurrent_forward(**dict(_direct_forward_args(), hs=readonly))


def test_direct_backward_with_bad_buffers_raises():
    fa = _direct_forward_args("gru")
    _cpu.recurrent_forward(**fa)
    base = dict(kind="gru", dx=np.empty((2, 3, 4), F32), dh0=np.empty((3, 5), F32), dc0=None,
                dw_ih=np.empty((15, 4), F32), dw_hh=np.empty((15, 5), F32), db_ih=None, db_hh=None,
                dy=None, dh_n=None, dc_n=None, x=fa["x"], w_ih=fa["w_ih"], w_hh=fa["w_hh"], hs=fa["hs"],
                cs=None, gates=fa["gates"], hn=fa["hn"])
    _cpu.recurrent_backward(**base)  # the baseline is valid
    bad = [
        (dict(hn=None), ValueError, r"hn is required"),
        (dict(dc0=np.empty((3, 5), F32)), ValueError, r"dc0 must be None"),
        (dict(hs=np.empty((2, 3, 5), F32)), ValueError, r"hs has the wrong shape"),
        (dict(dy=arr(2, 3, 6)), ValueError, r"dy has the wrong shape"),
        (dict(dw_hh=np.empty((15, 4), F32)), ValueError, r"dw_hh has the wrong shape"),
        (dict(db_hh=np.empty((14,), F32)), ValueError, r"db_hh has the wrong shape"),
        (dict(dx=np.empty((2, 3, 4), np.float64)), TypeError, r"dx must be a float32 array"),
    ]
    for change, error, message in bad:
        with pytest.raises(error, match=message):
            _cpu.recurrent_backward(**dict(base, **change))
