"""The reference and the kernels against torch.optim (foreach=False) over several steps from the
same starting values, for every option set of _optim_cases: parameters and every state tensor.
"""
from __future__ import annotations

import numpy as np
import pytest

from _checks import randn, rng_for
from _optim_cases import CASES
from mdlfast import kernels, reference

torch = pytest.importorskip("torch")

STEPS = 6
SHAPE = (37, 29)


def _torch_run(case, p0, grads):
    param = torch.nn.Parameter(torch.from_numpy(p0.copy()))
    optimizer = getattr(torch.optim, case.torch_class)([param], foreach=False, **case.torch_options)
    for g in grads:
        param.grad = torch.from_numpy(g.copy())
        optimizer.step()
    state = optimizer.state[param]
    return param.detach().numpy(), {ours: state[theirs].numpy() for ours, theirs in case.torch_states.items()}


def _ours_run(case, api, p0, grads):
    p, state = p0.copy(), case.new_state(p0.shape)
    for step, g in enumerate(grads, start=1):
        case.call(api, p, g, state, step)
    return p, state


@pytest.mark.parametrize("api", [kernels, reference], ids=["kernels", "reference"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_matches_torch(case, api):
    rng = rng_for(case.name, "torch")
    p0 = randn(rng, SHAPE)
    grads = [randn(rng, SHAPE) for _ in range(STEPS)]
    p_torch, state_torch = _torch_run(case, p0, grads)
    p, state = _ours_run(case, api, p0, grads)
    scale = max(float(np.abs(p_torch).max()), 1.0)
    np.testing.assert_allclose(p, p_torch, rtol=1e-5, atol=1e-6 * scale, err_msg="p")
    for name, expected in state_torch.items():
        np.testing.assert_allclose(state[name], expected, rtol=1e-5,
                                   atol=1e-6 * max(float(np.abs(expected).max()), 1e-30), err_msg=name)
