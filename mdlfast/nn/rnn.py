"""RNN, LSTM and GRU layers: stacked, optionally bidirectional, PyTorch's parameter names."""
from __future__ import annotations

import math

import numpy as np

from mdlfast.autograd.tensor import Tensor, cat, stack
from mdlfast.nn import init
from mdlfast.nn.functional.dropout import dropout
from mdlfast.nn.functional.rnn import recurrent_layer
from mdlfast.nn.module import Module
from mdlfast.nn.parameter import Parameter

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if proj_size:
            raise NotImplementedError("LSTM: proj_size is not supported")
        if not 0 <= dropout <= 1:
            raise ValueError(f"dropout should be a number in range [0, 1], got {dropout}")
        if hidden_size <= 0 or num_layers <= 0:
            raise ValueError("hidden_size and num_layers must be positive")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        directions = 2 if bidirectional else 1
        gate = _GATES[mode] * hidden_size
        dtype = np.dtype(dtype or np.float32)
        self._flat_names = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (gate, layer_in)), ("weight_hh", (gate, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gate,)), ("bias_hh", (gate,))]
                for name, shape in shapes:
                    setattr(self, name + suffix, Parameter(np.empty(shape, dtype)))
                    self._flat_names.append(name + suffix)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _weights(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        get = lambda name: getattr(self, name + suffix) if self.bias or "weight" in name else None
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    def forward(self, input, hx=None):
        is_lstm = self.mode == "LSTM"
        batched = input.ndim == 3
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: expected input of shape [T, N, {self.input_size}] "
                             f"(or [N, T, {self.input_size}] with batch_first, or [T, {self.input_size}]), "
                             f"got {tuple(input.shape)}")
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        n = x.shape[1]
        directions = 2 if self.bidirectional else 1
        state_shape = (self.num_layers * directions, n, self.hidden_size)
        h0, c0 = self._initial_state(hx, state_shape, batched, x.dtype, is_lstm)
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                seq = x if direction == 0 else x[::-1]
                y, h, c = recurrent_layer(self.mode, seq, h0[k], c0[k] if is_lstm else None,
                                          *self._weights(layer, direction))
                outputs.append(y if direction == 0 else y[::-1])
                h_n.append(h)
                c_n.append(c)
            x = outputs[0] if directions == 1 else cat(outputs, axis=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = dropout(x, self.dropout, True)
        out = x.transpose(0, 1) if batched and self.batch_first else x
        h_n = stack(h_n, axis=0)
        if not batched:
            out, h_n = out.squeeze(1), h_n.squeeze(1)
        if is_lstm:
            c_n = stack(c_n, axis=0)
            return out, (h_n, c_n if batched else c_n.squeeze(1))
        return out, h_n

    def _initial_state(self, hx, shape, batched, dtype, is_lstm):
        zeros = lambda: Tensor(np.zeros(shape, dtype))
        if hx is None:
            return zeros(), (zeros() if is_lstm else None)
        states = hx if is_lstm else (hx, None)
        if is_lstm and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise ValueError("LSTM: hx must be a tuple (h0, c0)")
        out = []
        for s in states:
            if s is None:
                out.append(None)
                continue
            s = s if batched else s.unsqueeze(1)
            if tuple(s.shape) != shape:
                raise ValueError(f"{type(self).__name__}: expected hidden state of shape {shape}, "
                                 f"got {tuple(s.shape)}")
            out.append(s)
        return out[0], out[1]

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"


class RNN(RNNBase):
    """Elman RNN, h' = nonlinearity(W_ih x + b_ih + W_hh h + b_hh)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         dtype=dtype)


class LSTM(RNNBase):
    """LSTM with gates i, f, g, o stacked in [4H, ·] (PyTorch's layout)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, dtype=dtype)


class GRU(RNNBase):
    """GRU with gates r, z, n stacked in [3H, ·] (PyTorch's layout)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype=dtype)
