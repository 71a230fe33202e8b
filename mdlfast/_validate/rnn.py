"""Validation of the recurrent family (API.md: Recurrent), and the cache its forwards hand their
backwards.

Layouts are PyTorch's: x is time-major [T, N, in] (a single step takes [N, in]); hidden and cell
states are [N, H]; w_ih is [G·H, in] and w_hh is [G·H, H] with the G gate blocks stacked in
PyTorch's order (RNN: one block; LSTM: i, f, g, o; GRU: r, z, n); biases are [G·H] or None.
"""
from __future__ import annotations

from typing import NamedTuple, Optional

from mdlfast._validate.common import check_array, check_choice, check_same_device

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
NONLINEARITIES = ("tanh", "relu")


class RecurrentCache:
    """What a recurrent forward saves for its backward; pass it on unchanged (its contents are
    not part of the API). Kernels and reference fill the same fields, float32 or float64:

    x [T, N, in] and the weights; hs [T + 1, N, H], the hidden states h_0 (the initial one) to h_T
    (so y is hs[1:]); for LSTM cs [T + 1, N, H], the cell states c_0 to c_T, and gates [T, N, 4H]
    (i, f, g, o after their sigmoid/tanh); for GRU gates [T, N, 3H] (r, z, n after their
    sigmoid/tanh) and hn [T, N, H] (W_hn·h + b_hn, the part r multiplies).
    """

    __slots__ = ("kind", "single_step", "nonlinearity", "x", "w_ih", "w_hh", "has_b_ih",
                 "has_b_hh", "hs", "cs", "gates", "hn")

    def __init__(self, kind, single_step, nonlinearity, x, w_ih, w_hh, has_b_ih, has_b_hh, hs,
                 cs=None, gates=None, hn=None):
        self.kind = kind
        self.single_step = single_step
        self.nonlinearity = nonlinearity
        self.x, self.w_ih, self.w_hh = x, w_ih, w_hh
        self.has_b_ih, self.has_b_hh = has_b_ih, has_b_hh
        self.hs, self.cs, self.gates, self.hn = hs, cs, gates, hn

    @property
    def name(self):
        """The forward that made this cache: 'lstm', 'lstm_cell', ..."""
        return self.kind + ("_cell" if self.single_step else "")

    def __repr__(self):
        t, n, _ = self.x.shape
        return f"<RecurrentCache of {self.name}: T={t}, N={n}, H={self.w_hh.shape[1]}, {self.x.dtype}>"


class RecurrentArgs(NamedTuple):
    x: object  # [T, N, in], a single step as T = 1
    h0: object  # [N, H]
    c0: Optional[object]  # [N, H] (LSTM only)
    w_ih: object  # [G·H, in]
    w_hh: object  # [G·H, H]
    b_ih: Optional[object]  # [G·H]
    b_hh: Optional[object]  # [G·H]
    nonlinearity: str
    device: str


def _state_names(single_step):
    return ("h", "c") if single_step else ("h0", "c0")


def recurrent_args(kind, single_step, x, h0, c0, w_ih, w_hh, b_ih, b_hh, nonlinearity,
                   dtypes) -> RecurrentArgs:
    """Checks the arguments of rnn/lstm/gru (single_step False: x is [T, N, in]) or of their
    *_cell forms (single_step True: x is [N, in], returned as [1, N, in])."""
    gates = GATES[kind]
    h_name, c_name = _state_names(single_step)
    x_ndim = 2 if single_step else 3
    check_array(x, "x", dtypes)
    named = [(h0, h_name), (w_ih, "w_ih"), (w_hh, "w_hh"), (b_ih, "b_ih"), (b_hh, "b_hh")]
    if kind == "lstm":
        named.insert(1, (c0, c_name))
    for value, name in named:
        if value is None and name.startswith("b_"):
            continue
        check_array(value, name, dtypes)
        if value.dtype != x.dtype:
            raise TypeError(f"{name} must have the dtype of x ({x.dtype}), got {value.dtype}")
    if kind == "rnn":
        if not isinstance(nonlinearity, str):
            raise ValueError(f"nonlinearity must be one of 'tanh', 'relu', got {nonlinearity!r}")
        check_choice(nonlinearity, "nonlinearity", NONLINEARITIES)
    layout = "[N, in]" if single_step else "[T, N, in]"
    if x.ndim != x_ndim:
        raise ValueError(f"x must have {x_ndim} dimensions {layout}, got shape {tuple(x.shape)}")
    x3 = x[None] if single_step else x
    _, n, inputs = x3.shape
    if w_hh.ndim != 2 or w_hh.shape[0] != gates * w_hh.shape[1] or w_hh.shape[1] < 1:
        raise ValueError(f"w_hh must have shape ({gates}·H, H) with H >= 1 ({kind} has {gates} "
                         f"gate{'s' if gates > 1 else ''}), got {tuple(w_hh.shape)}")
    hidden = w_hh.shape[1]
    state = (n, hidden)
    if tuple(h0.shape) != state:
        raise ValueError(f"{h_name} must have shape {state} (N from x, H from w_hh), got {tuple(h0.shape)}")
    if kind == "lstm" and tuple(c0.shape) != state:
        raise ValueError(f"{c_name} must have shape {state} (N from x, H from w_hh), got {tuple(c0.shape)}")
    if tuple(w_ih.shape) != (gates * hidden, inputs):
        raise ValueError(f"w_ih must have shape {(gates * hidden, inputs)} ({gates}·H, in from x), "
                         f"got {tuple(w_ih.shape)}")
    for value, name in ((b_ih, "b_ih"), (b_hh, "b_hh")):
        if value is not None and tuple(value.shape) != (gates * hidden,):
            raise ValueError(f"{name} must have shape ({gates * hidden},) ({gates}·H), got {tuple(value.shape)}")
    device = check_same_device(x=x, **{h_name: h0, c_name: c0}, w_ih=w_ih, w_hh=w_hh, b_ih=b_ih,
                               b_hh=b_hh)
    return RecurrentArgs(x3, h0, c0 if kind == "lstm" else None, w_ih, w_hh, b_ih, b_hh,
                         nonlinearity if kind == "rnn" else None, device)


class RecurrentBackwardArgs(NamedTuple):
    cache: RecurrentCache
    dy: Optional[object]  # [T, N, H] or None (zero)
    dh_n: Optional[object]  # [N, H] or None (zero)
    dc_n: Optional[object]  # [N, H] or None (zero); LSTM only
    device: str


def recurrent_backward_args(kind, single_step, cache, dy, dh_n, dc_n, dtypes) -> RecurrentBackwardArgs:
    """Checks a backward's cache and incoming gradients. Sequences take (dy [T, N, H], dh_n, dc_n),
    single steps (dh_new, dc_new) [N, H], passed here as dy=None, dh_n, dc_n. None is zero."""
    expected = kind + ("_cell" if single_step else "")
    if not isinstance(cache, RecurrentCache):
        raise TypeError(f"cache must be the cache returned by {expected}, got {type(cache).__name__}")
    if cache.name != expected:
        raise ValueError(f"cache must come from {expected}, got a cache from {cache.name}")
    if cache.x.dtype not in dtypes:
        allowed = " or ".join(str(d) for d in dtypes)
        raise TypeError(f"cache must hold {allowed} arrays, got {cache.x.dtype}")
    t, n, _ = cache.x.shape
    hidden = cache.w_hh.shape[1]
    h_name, c_name = ("dh_new", "dc_new") if single_step else ("dh_n", "dc_n")
    grads = [(dy, "dy", (t, n, hidden)), (dh_n, h_name, (n, hidden))]
    if kind == "lstm":
        grads.append((dc_n, c_name, (n, hidden)))
    for value, name, shape in grads:
        if value is None:
            continue
        check_array(value, name, dtypes)
        if value.dtype != cache.x.dtype:
            raise TypeError(f"{name} must have the dtype of the forward's x ({cache.x.dtype}), got {value.dtype}")
        if tuple(value.shape) != shape:
            raise ValueError(f"{name} must have shape {shape}, got {tuple(value.shape)}")
    device = check_same_device(cache=cache.x, dy=dy, **{h_name: dh_n, c_name: dc_n})
    return RecurrentBackwardArgs(cache, dy, dh_n, dc_n if kind == "lstm" else None, device)
