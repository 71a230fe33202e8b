"""Helpers for the optimizer-class tests: the same parameters as mdlfast Parameters and torch
Parameters, and feeding both the same gradients."""
from __future__ import annotations

import numpy as np
import pytest

import mdlfast

SHAPES = [(7, 5), (5,), (3, 7), (1,), ()]


def require_tensor():
    """Skip where the autodiff layer (mdlfast.Tensor, mdlfast.nn.Parameter) is not built yet."""
    try:
        from mdlfast.nn import Parameter
    except ImportError:
        pytest.skip("mdlfast.nn.Parameter is not available")
    return Parameter


def initial_arrays(rng, shapes=SHAPES, dtype=np.float32):
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def ours(arrays):
    Parameter = require_tensor()
    return [Parameter(mdlfast.tensor(a.copy())) for a in arrays]


def theirs(arrays):
    import torch

    return [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in arrays]


def set_grads(params_ours, params_torch, grads):
    import torch

    for p, q, g in zip(params_ours, params_torch, grads):
        if g is None:
            p.grad = q.grad = None
        else:
            p.grad = mdlfast.tensor(g.copy())
            q.grad = torch.from_numpy(g.copy())


def assert_params_close(params_ours, params_torch, rtol=1e-5, atol=1e-6):
    for k, (p, q) in enumerate(zip(params_ours, params_torch)):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=rtol, atol=atol, err_msg=f"param {k}")
