"""Reference recurrent layers (one layer, time-major) and single steps, with PyTorch's equations:

    RNN   h' = act(W_ih x + b_ih + W_hh h + b_hh),  act = tanh or relu
    LSTM  i, f, g, o = σ, σ, tanh, σ of (W_ih x + b_ih + W_hh h + b_hh);  c' = f c + i g;  h' = o tanh(c')
    GRU   r, z = σ(W_i{r,z} x + b_i{r,z} + W_h{r,z} h + b_h{r,z})
          n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn));  h' = (1 − z) n + z h

Backwards run through time step by step; the weight gradients are sums over all steps.
"""
from __future__ import annotations

import numpy as np

from mdlfast._validate.common import REFERENCE_DTYPES
from mdlfast._validate.rnn import RecurrentCache, recurrent_args, recurrent_backward_args


def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # no overflow for large |a|


def _input_projection(args):
    """W_ih x + b_ih for every step at once: [T, N, G·H]."""
    gx = args.x @ args.w_ih.T
    return gx if args.b_ih is None else gx + args.b_ih


def _hidden_projection(h, args):
    gh = h @ args.w_hh.T
    return gh if args.b_hh is None else gh + args.b_hh


def _forward(kind, single_step, args):
    """Runs the whole sequence; returns the cache (y is its hs[1:], h_n hs[-1], c_n cs[-1])."""
    t_steps, n, _ = args.x.shape
    hidden = args.h0.shape[1]
    gates_per = {"rnn": 0, "lstm": 4, "gru": 3}[kind]
    hs = np.empty((t_steps + 1, n, hidden), dtype=args.x.dtype)
    hs[0] = args.h0
    cs = np.empty_like(hs) if kind == "lstm" else None
    if kind == "lstm":
        cs[0] = args.c0
    hn_all = np.empty((t_steps, n, hidden), dtype=args.x.dtype) if kind == "gru" else None
    gates = np.empty((t_steps, n, gates_per * hidden), dtype=args.x.dtype) if gates_per else None
    gx_all = _input_projection(args)
    h, c = args.h0, args.c0
    for t in range(t_steps):
        gx, gh = gx_all[t], _hidden_projection(h, args)
        if kind == "rnn":
            a = gx + gh
            h = np.tanh(a) if args.nonlinearity == "tanh" else np.maximum(a, 0)
        elif kind == "lstm":
            a = gx + gh
            i, f, o = (_sigmoid(a[:, k * hidden:(k + 1) * hidden]) for k in (0, 1, 3))
            g = np.tanh(a[:, 2 * hidden:3 * hidden])
            c = f * c + i * g
            h = o * np.tanh(c)
            gates[t] = np.concatenate([i, f, g, o], axis=1)
            cs[t + 1] = c
        else:
            r = _sigmoid(gx[:, :hidden] + gh[:, :hidden])
            z = _sigmoid(gx[:, hidden:2 * hidden] + gh[:, hidden:2 * hidden])
            hn = gh[:, 2 * hidden:]
            nn = np.tanh(gx[:, 2 * hidden:] + r * hn)
            h = (1 - z) * nn + z * h
            gates[t] = np.concatenate([r, z, nn], axis=1)
            hn_all[t] = hn
        hs[t + 1] = h
    return RecurrentCache(kind, single_step, args.nonlinearity, args.x, args.w_ih, args.w_hh,
                          args.b_ih is not None, args.b_hh is not None, hs, cs, gates, hn_all)


def _zeros_or(value, shape, dtype):
    return np.zeros(shape, dtype=dtype) if value is None else value


def _backward(args):
    """(dx [T, N, in], dh0, dc0 or None, dw_ih, dw_hh, db_ih or None, db_hh or None)."""
    cache = args.cache
    kind = cache.kind
    x, hs, dtype = cache.x, cache.hs, cache.x.dtype
    t_steps, n, inputs = x.shape
    hidden = cache.w_hh.shape[1]
    dy = _zeros_or(args.dy, (t_steps, n, hidden), dtype)
    dh = _zeros_or(args.dh_n, (n, hidden), dtype).copy()
    dc = _zeros_or(args.dc_n, (n, hidden), dtype).copy() if kind == "lstm" else None
    gate_width = cache.w_hh.shape[0]
    dgx = np.empty((t_steps, n, gate_width), dtype=dtype)  # gradient of W_ih x + b_ih
    dgh = dgx if kind != "gru" else np.empty_like(dgx)  # gradient of W_hh h + b_hh
    for t in reversed(range(t_steps)):
        dh = dh + dy[t]
        if kind == "rnn":
            h = hs[t + 1]
            dgx[t] = dh * (1 - h * h) if cache.nonlinearity == "tanh" else dh * (h > 0)
        elif kind == "lstm":
            i, f, g, o = (cache.gates[t][:, k * hidden:(k + 1) * hidden] for k in range(4))
            c_prev = cache.cs[t]
            tanh_c = np.tanh(cache.cs[t + 1])
            dc = dc + dh * o * (1 - tanh_c * tanh_c)
            dgx[t] = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                                     dc * i * (1 - g * g), dh * tanh_c * o * (1 - o)], axis=1)
            dc = dc * f
        else:
            r, z, nn = (cache.gates[t][:, k * hidden:(k + 1) * hidden] for k in range(3))
            dn = dh * (1 - z) * (1 - nn * nn)
            dr = dn * cache.hn[t] * r * (1 - r)
            dz = dh * (hs[t] - nn) * z * (1 - z)
            dgx[t] = np.concatenate([dr, dz, dn], axis=1)
            dgh[t] = np.concatenate([dr, dz, dn * r], axis=1)
            dh = dh * z
            dh = dh + dgh[t] @ cache.w_hh
            continue
        dh = dgx[t] @ cache.w_hh
    rows = t_steps * n  # explicit: reshape(-1, 0) is ambiguous for in = 0
    dgx2, dgh2 = dgx.reshape(rows, gate_width), dgh.reshape(rows, gate_width)
    dx = (dgx2 @ cache.w_ih).reshape(t_steps, n, inputs)
    dw_ih = dgx2.T @ x.reshape(rows, inputs)
    dw_hh = dgh2.T @ hs[:-1].reshape(rows, hidden)
    db_ih = dgx2.sum(axis=0) if cache.has_b_ih else None
    db_hh = dgh2.sum(axis=0) if cache.has_b_hh else None
    return dx, dh, dc, dw_ih, dw_hh, db_ih, db_hh


# ------------------------------------------------------------------------------------ sequences


def rnn(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, *, nonlinearity="tanh"):
    """Elman RNN over x [T, N, in] from h0 [N, H]: (y [T, N, H], h_n [N, H], cache)."""
    args = recurrent_args("rnn", False, x, h0, None, w_ih, w_hh, b_ih, b_hh, nonlinearity, REFERENCE_DTYPES)
    cache = _forward("rnn", False, args)
    return cache.hs[1:], cache.hs[-1].copy(), cache


def rnn_backward(dy, dh_n, cache):
    """Gradients (dx, dh0, dw_ih, dw_hh, db_ih, db_hh) given dy [T, N, H] and dh_n [N, H] (None
    is zero); db_ih/db_hh are None where the forward had no such bias."""
    args = recurrent_backward_args("rnn", False, cache, dy, dh_n, None, REFERENCE_DTYPES)
    dx, dh0, _, dw_ih, dw_hh, db_ih, db_hh = _backward(args)
    return dx, dh0, dw_ih, dw_hh, db_ih, db_hh


def lstm(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None):
    """LSTM over x [T, N, in] from h0, c0 [N, H]: (y [T, N, H], h_n, c_n, cache)."""
    args = recurrent_args("lstm", False, x, h0, c0, w_ih, w_hh, b_ih, b_hh, None, REFERENCE_DTYPES)
    cache = _forward("lstm", False, args)
    return cache.hs[1:], cache.hs[-1].copy(), cache.cs[-1].copy(), cache


def lstm_backward(dy, dh_n, dc_n, cache):
    """Gradients (dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh) given dy, dh_n, dc_n (None is zero)."""
    args = recurrent_backward_args("lstm", False, cache, dy, dh_n, dc_n, REFERENCE_DTYPES)
    return _backward(args)


def gru(x, h0, w_ih, w_hh, b_ih=None, b_hh=None):
    """GRU over x [T, N, in] from h0 [N, H]: (y [T, N, H], h_n, cache)."""
    args = recurrent_args("gru", False, x, h0, None, w_ih, w_hh, b_ih, b_hh, None, REFERENCE_DTYPES)
    cache = _forward("gru", False, args)
    return cache.hs[1:], cache.hs[-1].copy(), cache


def gru_backward(dy, dh_n, cache):
    """Gradients (dx, dh0, dw_ih, dw_hh, db_ih, db_hh) given dy, dh_n (None is zero)."""
    args = recurrent_backward_args("gru", False, cache, dy, dh_n, None, REFERENCE_DTYPES)
    dx, dh0, _, dw_ih, dw_hh, db_ih, db_hh = _backward(args)
    return dx, dh0, dw_ih, dw_hh, db_ih, db_hh


# --------------------------------------------------------------------------------- single steps


def rnn_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None, *, nonlinearity="tanh"):
    """One RNN step on x [N, in], h [N, H]: (h_new, cache), as torch.nn.RNNCell."""
    args = recurrent_args("rnn", True, x, h, None, w_ih, w_hh, b_ih, b_hh, nonlinearity, REFERENCE_DTYPES)
    cache = _forward("rnn", True, args)
    return cache.hs[1].copy(), cache


def rnn_cell_backward(dh_new, cache):
    """Gradients (dx, dh, dw_ih, dw_hh, db_ih, db_hh) of rnn_cell given dh_new (None is zero)."""
    args = recurrent_backward_args("rnn", True, cache, None, dh_new, None, REFERENCE_DTYPES)
    dx, dh, _, dw_ih, dw_hh, db_ih, db_hh = _backward(args)
    return dx[0], dh, dw_ih, dw_hh, db_ih, db_hh


def lstm_cell(x, h, c, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step on x [N, in], h, c [N, H]: (h_new, c_new, cache), as torch.nn.LSTMCell."""
    args = recurrent_args("lstm", True, x, h, c, w_ih, w_hh, b_ih, b_hh, None, REFERENCE_DTYPES)
    cache = _forward("lstm", True, args)
    return cache.hs[1].copy(), cache.cs[1].copy(), cache


def lstm_cell_backward(dh_new, dc_new, cache):
    """Gradients (dx, dh, dc, dw_ih, dw_hh, db_ih, db_hh) of lstm_cell given dh_new, dc_new."""
    args = recurrent_backward_args("lstm", True, cache, None, dh_new, dc_new, REFERENCE_DTYPES)
    dx, dh, dc, dw_ih, dw_hh, db_ih, db_hh = _backward(args)
    return dx[0], dh, dc, dw_ih, dw_hh, db_ih, db_hh


def gru_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step on x [N, in], h [N, H]: (h_new, cache), as torch.nn.GRUCell."""
    args = recurrent_args("gru", True, x, h, None, w_ih, w_hh, b_ih, b_hh, None, REFERENCE_DTYPES)
    cache = _forward("gru", True, args)
    return cache.hs[1].copy(), cache


def gru_cell_backward(dh_new, cache):
    """Gradients (dx, dh, dw_ih, dw_hh, db_ih, db_hh) of gru_cell given dh_new (None is zero)."""
    args = recurrent_backward_args("gru", True, cache, None, dh_new, None, REFERENCE_DTYPES)
    dx, dh, _, dw_ih, dw_hh, db_ih, db_hh = _backward(args)
    return dx[0], dh, dw_ih, dw_hh, db_ih, db_hh
