"""The recurrent family: rnn, lstm, gru over time-major sequences, their single-step cells, and
the backwards of all of them (API.md: Recurrent). One layer, PyTorch's weight layouts and gate
orders: LSTM i, f, g, o stacked in w_ih [4H, in] / w_hh [4H, H]; GRU r, z, n with b_hn inside
r ⊙ (W_hn h + b_hn); RNN tanh or relu.

The forwards return a cache (mdlfast._validate.rnn.RecurrentCache) that their backward takes.
The backwards take None for an incoming gradient that is zero, write (never accumulate) every
gradient, and return None for the gradient of an absent bias. Results do not depend on the
thread count.
"""
from __future__ import annotations

import numpy as np

from mdlfast._kernels.common import contiguous as _contiguous
from mdlfast._kernels.common import cpu_backend as _cpu_backend
from mdlfast._validate.common import KERNEL_DTYPES
from mdlfast._validate.rnn import GATES, RecurrentCache, recurrent_args, recurrent_backward_args


def _kernel_kind(kind, nonlinearity):
    return f"rnn_{nonlinearity}" if kind == "rnn" else kind


def _forward(kind, single_step, args, name):
    backend, xp = _cpu_backend(args.device, name)
    t, n, _ = args.x.shape
    hidden = args.w_hh.shape[1]
    width = GATES[kind] * hidden
    f32 = xp.float32
    hs = xp.empty((t + 1, n, hidden), dtype=f32)
    cs = xp.empty((t + 1, n, hidden), dtype=f32) if kind == "lstm" else None
    gates = xp.empty((t, n, width), dtype=f32) if kind != "rnn" else None
    hn = xp.empty((t, n, hidden), dtype=f32) if kind == "gru" else None
    x, w_ih, w_hh = (_contiguous(a, xp) for a in (args.x, args.w_ih, args.w_hh))
    backend.recurrent_forward(_kernel_kind(kind, args.nonlinearity), hs, cs, gates, hn, x,
                              _contiguous(args.h0, xp), _contiguous(args.c0, xp), w_ih, w_hh,
                              _contiguous(args.b_ih, xp), _contiguous(args.b_hh, xp))
    return RecurrentCache(kind, single_step, args.nonlinearity, x, w_ih, w_hh, args.b_ih is not None,
                          args.b_hh is not None, hs, cs, gates, hn)


def _backward(args, name):
    """(dx [T, N, in], dh0, dc0 or None, dw_ih, dw_hh, db_ih or None, db_hh or None)."""
    cache = args.cache
    backend, xp = _cpu_backend(args.device, name)
    t, n, inputs = cache.x.shape
    hidden = cache.w_hh.shape[1]
    width = cache.w_hh.shape[0]
    f32 = xp.float32
    lstm = cache.kind == "lstm"
    dx = xp.empty((t, n, inputs), dtype=f32)
    dh0 = xp.empty((n, hidden), dtype=f32)
    dc0 = xp.empty((n, hidden), dtype=f32) if lstm else None
    dw_ih = xp.empty((width, inputs), dtype=f32)
    dw_hh = xp.empty((width, hidden), dtype=f32)
    db_ih = xp.empty((width,), dtype=f32) if cache.has_b_ih else None
    db_hh = xp.empty((width,), dtype=f32) if cache.has_b_hh else None
    c = lambda a: _contiguous(a, xp)  # noqa: E731 (a cache from the reference may hold views)
    backend.recurrent_backward(_kernel_kind(cache.kind, cache.nonlinearity), dx, dh0, dc0, dw_ih, dw_hh,
                               db_ih, db_hh, c(args.dy), c(args.dh_n), c(args.dc_n), c(cache.x),
                               c(cache.w_ih), c(cache.w_hh), c(cache.hs), c(cache.cs), c(cache.gates),
                               c(cache.hn))
    return dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh


# ------------------------------------------------------------------------------------ sequences


def rnn(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, *, nonlinearity="tanh"):
    """Elman RNN, h' = act(W_ih x + b_ih + W_hh h + b_hh) with act "tanh" or "relu", over
    x [T, N, in] from h0 [N, H]: (y [T, N, H], h_n [N, H], cache). w_ih [H, in], w_hh [H, H]."""
    args = recurrent_args("rnn", False, x, h0, None, w_ih, w_hh, b_ih, b_hh, nonlinearity, KERNEL_DTYPES)
    cache = _forward("rnn", False, args, "rnn")
    return cache.hs[1:], cache.hs[-1].copy(), cache


def rnn_backward(dy, dh_n, cache):
    """Gradients (dx, dh0, dw_ih, dw_hh, db_ih, db_hh) of rnn given dy [T, N, H] and dh_n [N, H]
    (either may be None: zero); db_ih / db_hh are None where the forward had no such bias."""
    args = recurrent_backward_args("rnn", False, cache, dy, dh_n, None, KERNEL_DTYPES)
    dx, dh0, _, dw_ih, dw_hh, db_ih, db_hh = _backward(args, "rnn_backward")
    return dx, dh0, dw_ih, dw_hh, db_ih, db_hh


def lstm(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None):
    """LSTM over x [T, N, in] from h0, c0 [N, H]: (y [T, N, H], h_n, c_n, cache). Gates i, f, g, o
    stacked in w_ih [4H, in], w_hh [4H, H], b_ih, b_hh [4H] (as torch.nn.LSTM)."""
    args = recurrent_args("lstm", False, x, h0, c0, w_ih, w_hh, b_ih, b_hh, None, KERNEL_DTYPES)
    cache = _forward("lstm", False, args, "lstm")
    return cache.hs[1:], cache.hs[-1].copy(), cache.cs[-1].copy(), cache


def lstm_backward(dy, dh_n, dc_n, cache):
    """Gradients (dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh) of lstm given dy [T, N, H], dh_n and
    dc_n [N, H] (None is zero)."""
    args = recurrent_backward_args("lstm", False, cache, dy, dh_n, dc_n, KERNEL_DTYPES)
    return _backward(args, "lstm_backward")


def gru(x, h0, w_ih, w_hh, b_ih=None, b_hh=None):
    """GRU over x [T, N, in] from h0 [N, H]: (y [T, N, H], h_n, cache). Gates r, z, n stacked in
    w_ih [3H, in], w_hh [3H, H]; n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)) (as torch.nn.GRU)."""
    args = recurrent_args("gru", False, x, h0, None, w_ih, w_hh, b_ih, b_hh, None, KERNEL_DTYPES)
    cache = _forward("gru", False, args, "gru")
    return cache.hs[1:], cache.hs[-1].copy(), cache


def gru_backward(dy, dh_n, cache):
    """Gradients (dx, dh0, dw_ih, dw_hh, db_ih, db_hh) of gru given dy, dh_n (None is zero)."""
    args = recurrent_backward_args("gru", False, cache, dy, dh_n, None, KERNEL_DTYPES)
    dx, dh0, _, dw_ih, dw_hh, db_ih, db_hh = _backward(args, "gru_backward")
    return dx, dh0, dw_ih, dw_hh, db_ih, db_hh


# --------------------------------------------------------------------------------- single steps


def rnn_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None, *, nonlinearity="tanh"):
    """One RNN step on x [N, in] and h [N, H]: (h_new [N, H], cache), as torch.nn.RNNCell."""
    args = recurrent_args("rnn", True, x, h, None, w_ih, w_hh, b_ih, b_hh, nonlinearity, KERNEL_DTYPES)
    cache = _forward("rnn", True, args, "rnn_cell")
    return cache.hs[1].copy(), cache


def rnn_cell_backward(dh_new, cache):
    """Gradients (dx [N, in], dh, dw_ih, dw_hh, db_ih, db_hh) of rnn_cell given dh_new (None is zero)."""
    args = recurrent_backward_args("rnn", True, cache, None, dh_new, None, KERNEL_DTYPES)
    dx, dh, _, dw_ih, dw_hh, db_ih, db_hh = _backward(args, "rnn_cell_backward")
    return dx[0], dh, dw_ih, dw_hh, db_ih, db_hh


def lstm_cell(x, h, c, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step on x [N, in], h and c [N, H]: (h_new, c_new, cache), as torch.nn.LSTMCell."""
    args = recurrent_args("lstm", True, x, h, c, w_ih, w_hh, b_ih, b_hh, None, KERNEL_DTYPES)
    cache = _forward("lstm", True, args, "lstm_cell")
    return cache.hs[1].copy(), cache.cs[1].copy(), cache


def lstm_cell_backward(dh_new, dc_new, cache):
    """Gradients (dx [N, in], dh, dc, dw_ih, dw_hh, db_ih, db_hh) of lstm_cell given dh_new and
    dc_new (None is zero)."""
    args = recurrent_backward_args("lstm", True, cache, None, dh_new, dc_new, KERNEL_DTYPES)
    dx, dh, dc, dw_ih, dw_hh, db_ih, db_hh = _backward(args, "lstm_cell_backward")
    return dx[0], dh, dc, dw_ih, dw_hh, db_ih, db_hh


def gru_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step on x [N, in] and h [N, H]: (h_new, cache), as torch.nn.GRUCell."""
    args = recurrent_args("gru", True, x, h, None, w_ih, w_hh, b_ih, b_hh, None, KERNEL_DTYPES)
    cache = _forward("gru", True, args, "gru_cell")
    return cache.hs[1].copy(), cache


def gru_cell_backward(dh_new, cache):
    """Gradients (dx [N, in], dh, dw_ih, dw_hh, db_ih, db_hh) of gru_cell given dh_new (None is zero)."""
    args = recurrent_backward_args("gru", True, cache, None, dh_new, None, KERNEL_DTYPES)
    dx, dh, _, dw_ih, dw_hh, db_ih, db_hh = _backward(args, "gru_cell_backward")
    return dx[0], dh, dw_ih, dw_hh, db_ih, db_hh
