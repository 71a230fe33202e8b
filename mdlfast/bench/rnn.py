"""Benchmark cases for the recurrent family: LSTM and GRU layers over a whole sequence, forward
alone ("lstm", "gru") and forward plus backward through time ("lstm_backward", "gru_backward":
one training step of the layer, since the backward needs its forward's cache).

Shape: T = 50 steps of a batch of N = 32, 64 inputs, 256 hidden units (a small language or
sequence model); a small one in the quick suite. Peers: torch.nn.LSTM / torch.nn.GRU (oneDNN on
the CPU), forward under no_grad, and forward plus autograd backward of y. Work is the
multiply-adds (2 flops each): forward 2·T·N·G·H·(in + H); backward twice that (the input and
weight gradients of both products).
"""
from __future__ import annotations

from functools import partial

import numpy as np

from mdlfast import kernels, reference
from mdlfast.bench.registry import MDLFAST, REFERENCE, Case, KernelBench, Side

_SEED = 0
_GATES = {"lstm": 4, "gru": 3}


# params (T, N, in, H); weights uniform in ±1/√H as PyTorch initialises them, x standard normal.

def _operands(kind, t, n, inputs, hidden):
    rng = np.random.default_rng(_SEED)
    width = _GATES[kind] * hidden
    bound = 1.0 / np.sqrt(hidden)
    uniform = lambda *shape: rng.uniform(-bound, bound, shape).astype(np.float32)  # noqa: E731
    ops = dict(x=rng.standard_normal((t, n, inputs), dtype=np.float32),
               h0=np.zeros((n, hidden), np.float32), w_ih=uniform(width, inputs),
               w_hh=uniform(width, hidden), b_ih=uniform(width), b_hh=uniform(width))
    if kind == "lstm":
        ops["c0"] = np.zeros((n, hidden), np.float32)
    return ops


def _upstream_gradient(t, n, hidden):
    return np.random.default_rng(_SEED + 1).standard_normal((t, n, hidden), dtype=np.float32)


def _call_forward(api, kind, ops):
    weights = (ops["w_ih"], ops["w_hh"], ops["b_ih"], ops["b_hh"])
    if kind == "lstm":
        return api.lstm(ops["x"], ops["h0"], ops["c0"], *weights)
    return api.gru(ops["x"], ops["h0"], *weights)


def _train_step(api, kind, ops, dy):
    """Forward, then backward from dy (the caches live between the two only)."""
    cache = _call_forward(api, kind, ops)[-1]
    if kind == "lstm":
        return api.lstm_backward(dy, None, None, cache)
    return api.gru_backward(dy, None, cache)


def _forward_with(api, kind, params):
    return partial(_call_forward, api, kind, _operands(kind, *params))


def _train_step_with(api, kind, params):
    t, n, _, hidden = params
    return partial(_train_step, api, kind, _operands(kind, *params), _upstream_gradient(t, n, hidden))


def _torch_module(kind, params):
    import torch

    _, _, inputs, hidden = params
    ops = _operands(kind, *params)
    module = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(inputs, hidden)
    with torch.no_grad():
        for name in ("w_ih", "w_hh", "b_ih", "b_hh"):
            prefix = "weight" if name[0] == "w" else "bias"
            getattr(module, f"{prefix}_{name[2:]}_l0").copy_(torch.from_numpy(ops[name]))
    state = (torch.from_numpy(ops["h0"])[None],)
    if kind == "lstm":
        state = ((state[0], torch.from_numpy(ops["c0"])[None]),)
    return torch, module, torch.from_numpy(ops["x"]), state


def _torch_forward(kind, params):
    torch, module, x, state = _torch_module(kind, params)

    def run():
        with torch.no_grad():
            return module(x, *state)

    return run


def _torch_train_step(kind, params):
    """torch.nn's forward and autograd backward of y (parameter and input gradients)."""
    torch, module, x, state = _torch_module(kind, params)
    x.requires_grad_()
    t, n, _, hidden = params
    dy = torch.from_numpy(_upstream_gradient(t, n, hidden))

    def run():
        y = module(x, *state)[0]
        return torch.autograd.grad(y, (x, *module.parameters()), dy)

    return run


def _flops(kind, t, n, inputs, hidden, backward):
    forward = 2.0 * t * n * _GATES[kind] * hidden * (inputs + hidden)
    return 3.0 * forward if backward else forward


_FULL = (50, 32, 64, 256)
_QUICK = (10, 8, 16, 64)


def _case(kind, params, backward):
    return Case("x".join(map(str, params)), params, _flops(kind, *params, backward), threads=2)


def _benches(kind):
    forward = KernelBench(
        name=kind,
        shape_legend="T x N x in x H, 2 threads",
        unit="flop",
        sides={
            MDLFAST: Side(partial(_forward_with, kernels, kind)),
            REFERENCE: Side(partial(_forward_with, reference, kind)),
            "torch": Side(partial(_torch_forward, kind), requires="torch"),
        },
        full=(_case(kind, _FULL, False),),
        quick=(_case(kind, _QUICK, False),),
    )
    train = KernelBench(
        name=f"{kind}_backward",
        shape_legend="T x N x in x H, forward + backward, 2 threads",
        unit="flop",
        sides={
            MDLFAST: Side(partial(_train_step_with, kernels, kind)),
            REFERENCE: Side(partial(_train_step_with, reference, kind)),
            "torch": Side(partial(_torch_train_step, kind), requires="torch"),
        },
        full=(_case(kind, _FULL, True),),
        quick=(_case(kind, _QUICK, True),),
    )
    return forward, train


BENCHMARKS = (*_benches("lstm"), *_benches("gru"))
