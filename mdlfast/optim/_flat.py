"""The parameters of a closure-based optimizer seen as one flat vector (LBFGS, BFGS, Newton)."""
from __future__ import annotations

import numpy as np


class FlatParams:
    """Reads and moves a list of parameters as one vector, in the parameters' order."""

    def __init__(self, params):
        self.params = list(params)
        self.sizes = [p.data.size for p in self.params]
        self.dtype = np.result_type(*[p.data.dtype for p in self.params])
        self.size = sum(self.sizes)

    def _slices(self):
        offset = 0
        for p, n in zip(self.params, self.sizes):
            yield p, slice(offset, offset + n)
            offset += n

    def values(self):
        """A copy of the parameters as one vector."""
        return np.concatenate([p.data.reshape(-1) for p in self.params]).astype(self.dtype, copy=False)

    def gradient(self):
        """The gradients as one vector (zeros for a parameter without one)."""
        parts = [np.zeros(p.data.size, self.dtype) if p.grad is None else p.grad.data.reshape(-1)
                 for p in self.params]
        return np.concatenate(parts).astype(self.dtype, copy=False)

    def add(self, t, d):
        """params += t * d."""
        for p, where in self._slices():
            p.data += (t * d[where]).reshape(p.data.shape).astype(p.data.dtype, copy=False)

    def assign(self, x):
        """params = x."""
        for p, where in self._slices():
            p.data[...] = x[where].reshape(p.data.shape)


def loss_value(loss):
    """A loss (a Tensor, an array or a number) as a Python float."""
    return float(np.asarray(getattr(loss, "data", loss)))


def evaluate(closure, optimizer):
    """The closure's loss as a float, with gradient recording on."""
    return loss_value(optimizer._evaluate(closure))
