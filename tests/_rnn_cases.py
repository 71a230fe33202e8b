"""Shared by the recurrent-family tests: seeded arguments for each kind, and calls that run a
forward and its backward through one uniform interface (sequences and single steps alike)."""
from __future__ import annotations

import numpy as np

from _checks import randn, rng_for

GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}
KINDS = tuple(GATES)


def base_kind(kind):
    return kind.split("_")[0]


def make_inputs(kind, t, n, inputs, hidden, *, biases=(True, True), dtype=np.float32, seed=()):
    """Arguments of a forward as a dict of arrays (x [T, N, in]; a single step uses x[0])."""
    rng = rng_for(kind, t, n, inputs, hidden, biases, np.dtype(dtype).name, *seed)
    width = GATES[kind] * hidden
    scale = 1.0 / np.sqrt(hidden)
    arrays = dict(
        x=randn(rng, (t, n, inputs), dtype),
        h0=randn(rng, (n, hidden), dtype) * dtype(0.5),
        w_ih=randn(rng, (width, inputs), dtype) * dtype(scale),
        w_hh=randn(rng, (width, hidden), dtype) * dtype(scale),
        b_ih=randn(rng, (width,), dtype) * dtype(0.3) if biases[0] else None,
        b_hh=randn(rng, (width,), dtype) * dtype(0.3) if biases[1] else None,
    )
    if kind == "lstm":
        arrays["c0"] = randn(rng, (n, hidden), dtype) * dtype(0.5)
    return arrays


def make_output_grads(kind, t, n, hidden, *, dtype=np.float32, seed=()):
    rng = rng_for("grads", kind, t, n, hidden, np.dtype(dtype).name, *seed)
    grads = dict(dy=randn(rng, (t, n, hidden), dtype), dh_n=randn(rng, (n, hidden), dtype))
    if kind == "lstm":
        grads["dc_n"] = randn(rng, (n, hidden), dtype)
    return grads


def forward(api, kind, a):
    """(outputs dict, cache) of api.rnn / lstm / gru on the arguments a."""
    weights = (a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"])
    if kind == "lstm":
        y, h_n, c_n, cache = api.lstm(a["x"], a["h0"], a["c0"], *weights)
        return dict(y=y, h_n=h_n, c_n=c_n), cache
    if kind == "gru":
        y, h_n, cache = api.gru(a["x"], a["h0"], *weights)
    else:
        y, h_n, cache = api.rnn(a["x"], a["h0"], *weights, nonlinearity=kind.split("_")[1])
    return dict(y=y, h_n=h_n), cache


def backward(api, kind, g, cache):
    """Gradients dict (dx, dh0, [dc0], dw_ih, dw_hh, db_ih, db_hh) of a sequence backward."""
    if kind == "lstm":
        names = ("dx", "dh0", "dc0", "dw_ih", "dw_hh", "db_ih", "db_hh")
        return dict(zip(names, api.lstm_backward(g["dy"], g["dh_n"], g["dc_n"], cache)))
    names = ("dx", "dh0", "dw_ih", "dw_hh", "db_ih", "db_hh")
    fn = api.gru_backward if kind == "gru" else api.rnn_backward
    return dict(zip(names, fn(g["dy"], g["dh_n"], cache)))


def cell_forward(api, kind, a):
    """(outputs dict, cache) of a single step on x[0], h0 (and c0)."""
    weights = (a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"])
    if kind == "lstm":
        h, c, cache = api.lstm_cell(a["x"][0], a["h0"], a["c0"], *weights)
        return dict(h_new=h, c_new=c), cache
    if kind == "gru":
        h, cache = api.gru_cell(a["x"][0], a["h0"], *weights)
    else:
        h, cache = api.rnn_cell(a["x"][0], a["h0"], *weights, nonlinearity=kind.split("_")[1])
    return dict(h_new=h), cache


def cell_backward(api, kind, g, cache):
    """Gradients dict (dx [N, in], dh0, [dc0], dw_ih, ...) of a single step, given g["dh_n"] (and
    g["dc_n"]) as the gradients of h_new (and c_new)."""
    if kind == "lstm":
        names = ("dx", "dh0", "dc0", "dw_ih", "dw_hh", "db_ih", "db_hh")
        return dict(zip(names, api.lstm_cell_backward(g["dh_n"], g["dc_n"], cache)))
    names = ("dx", "dh0", "dw_ih", "dw_hh", "db_ih", "db_hh")
    fn = api.gru_cell_backward if kind == "gru" else api.rnn_cell_backward
    return dict(zip(names, fn(g["dh_n"], cache)))
