"""Parameter: a Tensor a Module registers as a learnable weight."""
from __future__ import annotations

import numpy as np

from mdlfast.autograd.tensor import Tensor, _to_array


class Parameter(Tensor):
    """A leaf Tensor that requires grad (unless requires_grad=False) and that assigning to a
    Module attribute registers in parameters() and state_dict()."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.empty((0,), np.float32)
        if isinstance(data, Tensor):
            data = data.data
        super().__init__(_to_array(data, None), requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
