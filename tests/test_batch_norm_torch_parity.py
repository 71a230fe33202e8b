"""batch_norm against PyTorch: forward, autograd backward, and the running statistics after
several training steps followed by eval, for [N, C], [N, C, L] and [N, C, H, W], with and without
affine parameters and running statistics. Reference in float64 (to rounding) and kernels in
float32. Skips without PyTorch.
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from mdlfast import kernels, reference  # noqa: E402
from _checks import randn, rng_for  # noqa: E402

IMPLS = {"reference": (reference, np.float64), "kernels": (kernels, np.float32)}


def tol(dtype):
    return dict(rtol=1e-10, atol=1e-10) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-5)


def t64(x, requires_grad=False):
    return None if x is None else torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=requires_grad)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("track", [True, False], ids=["running", "no_running"])
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
# [N, C, *] with planes shorter and longer than the kernels' vectorised per-plane threshold.
@pytest.mark.parametrize("shape", [(8, 3), (2, 5, 7), (3, 4, 5, 6), (1, 2, 3, 1), (2, 17, 1, 1),
                                   (2, 3, 8, 9), (3, 2, 37)], ids=str)
def test_batch_norm_training_steps_then_eval_match_torch(impl, shape, affine, track):
    api, dtype = IMPLS[impl]
    rng = rng_for("batch_norm_torch", shape, affine, track)
    c = shape[1]
    gamma = randn(rng, c) if affine else None
    beta = randn(rng, c) if affine else None
    momentum, eps = 0.3, 1e-3
    rm_t, rv_t = (torch.zeros(c, dtype=torch.float64), torch.ones(c, dtype=torch.float64)) if track \
        else (None, None)
    rm, rv = (np.zeros(c, dtype), np.ones(c, dtype)) if track else (None, None)
    for step in range(4):
        training = step < 3
        x = (randn(rng, shape) * 2.0 + step).astype(np.float32)
        dy = randn(rng, shape)
        xt, gt, bt = t64(x, True), t64(gamma, True), t64(beta, True)
        yt = F.batch_norm(xt, rm_t, rv_t, gt, bt, training=training or not track, momentum=momentum,
                          eps=eps)
        yt.backward(t64(dy))
        y, save_mean, save_invstd = api.batch_norm(
            x.astype(dtype), None if gamma is None else gamma.astype(dtype),
            None if beta is None else beta.astype(dtype), rm, rv, training=training,
            momentum=momentum, eps=eps)
        np.testing.assert_allclose(y, yt.detach().numpy(), **tol(dtype))
        if track:
            np.testing.assert_allclose(rm, rm_t.numpy(), **tol(dtype))
            np.testing.assert_allclose(rv, rv_t.numpy(), **tol(dtype))
        dx, dgamma, dbeta = api.batch_norm_backward(
            dy.astype(dtype), x.astype(dtype), None if gamma is None else gamma.astype(dtype),
            save_mean, save_invstd, training=training or not track)
        np.testing.assert_allclose(dx, xt.grad.numpy(), **tol(dtype))
        if affine:
            np.testing.assert_allclose(dgamma, gt.grad.numpy(), **tol(dtype))
            np.testing.assert_allclose(dbeta, bt.grad.numpy(), **tol(dtype))
        else:
            assert dgamma is None and dbeta is None
