"""clip_grad_norm_ and clip_grad_value_ against torch.nn.utils: the returned total norm and the
clipped gradients for 2-, 1-, 3- and inf-norms, norms below the limit (no change), missing
gradients, and error_if_nonfinite."""
from __future__ import annotations

import math

import numpy as np
import pytest

import mdlfast
from _optim_params import SHAPES, initial_arrays, ours, set_grads, theirs

torch = pytest.importorskip("torch")
clip = pytest.importorskip("mdlfast.nn.utils")


def _pair(scale, drop=False):
    rng = np.random.default_rng(11)
    arrays = initial_arrays(rng)
    p, q = ours(arrays), theirs(arrays)
    grads = [np.array(scale * g, dtype=np.float32) for g in initial_arrays(rng)]
    if drop:
        grads[2] = None
    set_grads(p, q, grads)
    return p, q


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("scale", [0.01, 10.0])
def test_clip_grad_norm_matches_torch(norm_type, scale):
    p, q = _pair(scale, drop=scale > 1)
    total = clip.clip_grad_norm_(p, max_norm=1.5, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(q, max_norm=1.5, norm_type=norm_type)
    assert isinstance(total, mdlfast.Tensor)
    np.testing.assert_allclose(float(total.data), float(expected), rtol=1e-6)
    for a, b in zip(p, q):
        if b.grad is None:
            assert a.grad is None
        else:
            np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_clip_grad_norm_single_tensor_and_nonfinite():
    p, q = _pair(1.0)
    total = clip.clip_grad_norm_(p[0], 0.5)
    expected = torch.nn.utils.clip_grad_norm_(q[0], 0.5)
    np.testing.assert_allclose(float(total.data), float(expected), rtol=1e-6)
    p[1].grad.data[0] = np.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        clip.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_matches_torch():
    p, q = _pair(3.0)
    clip.clip_grad_value_(p, 0.7)
    torch.nn.utils.clip_grad_value_(q, 0.7)
    for a, b in zip(p, q):
        np.testing.assert_array_equal(a.grad.data, b.grad.numpy())
