"""Recurrent sequences: a whole RNN/LSTM/GRU layer over time is one kernel call each way."""
from __future__ import annotations

from mdlfast.autograd.backend import ops
from mdlfast.autograd.function import Function


class LSTMSequence(Function):
    """(y [T, N, H], h_n, c_n) from x [T, N, in], h0, c0 and one layer's weights."""

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        y, h_n, c_n, cache = ops(x).lstm(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
        ctx.cache = cache
        return y, h_n, c_n

    @staticmethod
    def backward(ctx, dy, dh_n, dc_n):
        return ops(dy).lstm_backward(dy, dh_n, dc_n, ctx.cache)


class GRUSequence(Function):
    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh):
        y, h_n, cache = ops(x).gru(x, h0, w_ih, w_hh, b_ih, b_hh)
        ctx.cache = cache
        return y, h_n

    @staticmethod
    def backward(ctx, dy, dh_n):
        return ops(dy).gru_backward(dy, dh_n, ctx.cache)


class RNNSequence(Function):
    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, *, nonlinearity):
        y, h_n, cache = ops(x).rnn(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity=nonlinearity)
        ctx.cache = cache
        return y, h_n

    @staticmethod
    def backward(ctx, dy, dh_n):
        return ops(dy).rnn_backward(dy, dh_n, ctx.cache)


def recurrent_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh):
    """One direction of one layer over time-major x: (y, h_n, c_n or None). mode is 'LSTM',
    'GRU', 'RNN_TANH' or 'RNN_RELU'."""
    if mode == "LSTM":
        return LSTMSequence.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    if mode == "GRU":
        y, h_n = GRUSequence.apply(x, h0, w_ih, w_hh, b_ih, b_hh)
    else:
        nonlinearity = "tanh" if mode == "RNN_TANH" else "relu"
        y, h_n = RNNSequence.apply(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity=nonlinearity)
    return y, h_n, None
