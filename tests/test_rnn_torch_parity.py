"""Semantics against PyTorch: torch.nn.RNN (tanh, relu), LSTM, GRU and their cells, forward and the
gradients of every input and parameter through autograd, with identical weights. PyTorch runs in
float64 on the very values the reference gets (to rounding), and the float32 kernels must agree
with it to float32 accuracy. Skips without PyTorch.
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _rnn_cases import (  # noqa: E402
    KINDS,
    backward,
    base_kind,
    cell_backward,
    cell_forward,
    forward,
    make_inputs,
    make_output_grads,
)
from mdlfast import kernels, reference  # noqa: E402


def _module(kind, inputs, hidden, bias, cell):
    base = base_kind(kind)
    extra = {"nonlinearity": kind.split("_")[1]} if base == "rnn" else {}
    if cell:
        cls = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[base]
    else:
        cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[base]
    return cls(inputs, hidden, bias=bias, **extra).double()


def _torch_run(kind, a, grads, cell):
    """PyTorch's outputs and gradients in float64, named as the API names them. torch's modules
    have both biases or neither, so a case with one bias only is not run here."""
    inputs, hidden = a["x"].shape[2], a["h0"].shape[1]
    bias = a["b_ih"] is not None
    module = _module(kind, inputs, hidden, bias, cell)
    suffix = "" if cell else "_l0"
    with torch.no_grad():
        for name in ("w_ih", "w_hh", "b_ih", "b_hh"):
            if a[name] is not None:
                kind_name = "weight" if name[0] == "w" else "bias"
                getattr(module, f"{kind_name}_{name[2:]}{suffix}").copy_(torch.from_numpy(a[name].astype(np.float64)))
    t = {k: torch.tensor(v.astype(np.float64), requires_grad=True) for k, v in a.items()
         if v is not None and k in ("x", "h0", "c0")}
    g = {k: torch.from_numpy(v.astype(np.float64)) for k, v in grads.items()}
    if cell:
        x = t["x"][0]
        if kind == "lstm":
            h, c = module(x, (t["h0"], t["c0"]))
            outputs, loss = dict(h_new=h, c_new=c), (h * g["dh_n"]).sum() + (c * g["dc_n"]).sum()
        else:
            h = module(x, t["h0"])
            outputs, loss = dict(h_new=h), (h * g["dh_n"]).sum()
    else:
        if kind == "lstm":
            y, (h, c) = module(t["x"], (t["h0"][None], t["c0"][None]))
            outputs = dict(y=y, h_n=h[0], c_n=c[0])
            loss = (y * g["dy"]).sum() + (h[0] * g["dh_n"]).sum() + (c[0] * g["dc_n"]).sum()
        else:
            y, h = module(t["x"], t["h0"][None])
            outputs = dict(y=y, h_n=h[0])
            loss = (y * g["dy"]).sum() + (h[0] * g["dh_n"]).sum()
    loss.backward()
    result = {k: v.detach().numpy() for k, v in outputs.items()}
    result["dx"] = t["x"].grad.numpy()[0] if cell else t["x"].grad.numpy()
    result["dh0"] = t["h0"].grad.numpy()
    if kind == "lstm":
        result["dc0"] = t["c0"].grad.numpy()
    for name in ("w_ih", "w_hh", "b_ih", "b_hh"):
        kind_name = "weight" if name[0] == "w" else "bias"
        param = getattr(module, f"{kind_name}_{name[2:]}{suffix}", None)
        result["d" + name] = None if param is None else param.grad.numpy()
    return result


def _api_run(api, kind, a, grads, cell):
    out, cache = (cell_forward if cell else forward)(api, kind, a)
    g = (cell_backward if cell else backward)(api, kind, grads, cache)
    return {**out, **g}


def _compare(got, expected, rtol, atol):
    assert set(got) == set(expected)
    for name, want in expected.items():
        if want is None:
            assert got[name] is None, f"{name} given for an absent bias"
            continue
        np.testing.assert_allclose(got[name], want, rtol=rtol, atol=atol, err_msg=name)


SHAPES = [(1, 1, 1, 1), (5, 3, 4, 7), (9, 4, 17, 33)]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("kind", KINDS)
def test_sequence_matches_torch(kind, shape, bias):
    t, n, inputs, hidden = shape
    a = make_inputs(kind, t, n, inputs, hidden, biases=(bias, bias))
    grads = make_output_grads(kind, t, n, hidden)
    expected = _torch_run(kind, a, grads, cell=False)
    f64 = {k: None if v is None else v.astype(np.float64) for k, v in a.items()}
    g64 = {k: v.astype(np.float64) for k, v in grads.items()}
    _compare(_api_run(reference, kind, f64, g64, cell=False), expected, 1e-9, 1e-11)
    _compare(_api_run(kernels, kind, a, grads, cell=False), expected, 2e-4, 2e-5)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("kind", KINDS)
def test_cell_matches_torch(kind, shape, bias):
    _, n, inputs, hidden = shape
    a = make_inputs(kind, 1, n, inputs, hidden, biases=(bias, bias), seed=("cell",))
    grads = make_output_grads(kind, 1, n, hidden, seed=("cell",))
    expected = _torch_run(kind, a, grads, cell=True)
    f64 = {k: None if v is None else v.astype(np.float64) for k, v in a.items()}
    g64 = {k: v.astype(np.float64) for k, v in grads.items()}
    _compare(_api_run(reference, kind, f64, g64, cell=True), expected, 1e-9, 1e-11)
    _compare(_api_run(kernels, kind, a, grads, cell=True), expected, 2e-4, 2e-5)
