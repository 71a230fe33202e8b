"""The global random generator behind mdlfast.nn.init, dropout seeds and Tensor.normal_."""
from __future__ import annotations

import numpy as np

_state = {"generator": np.random.default_rng()}


def manual_seed(seed):
    """Seed the global generator (a NumPy Generator); returns it."""
    _state["generator"] = np.random.default_rng(int(seed))
    return _state["generator"]


def generator():
    """The global NumPy Generator."""
    return _state["generator"]


def seed_for_kernel():
    """A fresh 63-bit seed for a counter-based kernel RNG (dropout), drawn from the generator."""
    return int(_state["generator"].integers(0, 2**63 - 1))
