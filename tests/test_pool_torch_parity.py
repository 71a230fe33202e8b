"""Semantics against PyTorch: max/avg pooling (2-d and 1-d), adaptive and global average pooling,
forward and autograd backward, on the reference (float64, to rounding) and the kernels (float32).
PyTorch runs in float64 on the very float32 values the implementations get. Skips without PyTorch.
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
    return dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)


def t64(x, requires_grad=False):
    return torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=requires_grad)


# (shape, kernel_size, stride, padding): odd sizes, N=1, stride != kernel, overlapping windows.
POOL_CASES = [
    ((2, 3, 8, 8), 2, None, 0),
    ((1, 1, 7, 9), 3, 2, 1),
    ((2, 2, 5, 6), (2, 3), (1, 2), (1, 1)),
    ((3, 4, 11, 4), (3, 1), 1, (1, 0)),
    ((1, 2, 6, 6), 3, 3, 0),
    ((2, 5, 9), 2, 1, 1),
    ((1, 1, 3, 3), 3, 1, 1),
    ((2, 1, 10, 7), (4, 2), (3, 5), (2, 1)),
    ((1, 2, 5, 69), 2, 2, 0),
]


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_max_pool2d_matches_torch(impl, case):
    api, dtype = IMPLS[impl]
    shape, k, s, p = case
    rng = rng_for("max_pool_torch", case)
    x = randn(rng, shape)
    xt = t64(x, True)
    yt, it = F.max_pool2d(xt, k, stride=s, padding=p, return_indices=True)
    dy = randn(rng, tuple(yt.shape))
    yt.backward(t64(dy))
    y, indices = api.max_pool2d(x.astype(dtype), k, stride=s, padding=p)
    assert indices.dtype == np.int64
    np.testing.assert_array_equal(indices, it.numpy())
    np.testing.assert_allclose(y, yt.detach().numpy(), **tol(dtype))
    dx = api.max_pool2d_backward(dy.astype(dtype), indices, x.shape)
    np.testing.assert_allclose(dx, xt.grad.numpy(), **tol(dtype))


@pytest.mark.parametrize("impl", IMPLS)
def test_max_pool2d_ties_nan_and_infinity_match_torch(impl):
    """Ties take the first maximum; NaN propagates (the window's last NaN); an all -inf window
    reports its first real element, never a padding position."""
    api, dtype = IMPLS[impl]
    rng = rng_for("max_pool_special")
    x = rng.integers(-2, 3, size=(2, 3, 9, 10)).astype(np.float32)  # many ties
    x[0, 0, 2, 3] = np.nan
    x[0, 1, 4, 4:6] = np.nan
    x[1, 2, :3, :3] = -np.inf
    x[1, 0, 5, 5] = np.inf
    for k, s, p in ((2, None, 0), (3, 2, 1), (3, 1, 1)):
        yt, it = F.max_pool2d(torch.tensor(x), k, stride=s, padding=p, return_indices=True)
        y, indices = api.max_pool2d(x.astype(dtype), k, stride=s, padding=p)
        np.testing.assert_array_equal(indices, it.numpy())
        np.testing.assert_array_equal(y.astype(np.float32), yt.numpy())


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_avg_pool2d_matches_torch(impl, case, count_include_pad):
    api, dtype = IMPLS[impl]
    shape, k, s, p = case
    rng = rng_for("avg_pool_torch", case, count_include_pad)
    x = randn(rng, shape)
    xt = t64(x, True)
    yt = F.avg_pool2d(xt, k, stride=s, padding=p, count_include_pad=count_include_pad)
    dy = randn(rng, tuple(yt.shape))
    yt.backward(t64(dy))
    y = api.avg_pool2d(x.astype(dtype), k, stride=s, padding=p, count_include_pad=count_include_pad)
    np.testing.assert_allclose(y, yt.detach().numpy(), **tol(dtype))
    dx = api.avg_pool2d_backward(dy.astype(dtype), x.shape, k, stride=s, padding=p,
                                 count_include_pad=count_include_pad)
    np.testing.assert_allclose(dx, xt.grad.numpy(), **tol(dtype))


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("case", [((2, 3, 10), 2, None, 0), ((1, 2, 9), 3, 2, 1), ((4, 7), 4, 1, 2)],
                         ids=str)
def test_pool1d_matches_torch(impl, case):
    api, dtype = IMPLS[impl]
    shape, k, s, p = case
    rng = rng_for("pool1d_torch", case)
    x = randn(rng, shape)
    xt = t64(x, True)
    yt, it = F.max_pool1d(xt, k, stride=s, padding=p, return_indices=True)
    at = F.avg_pool1d(xt, k, stride=s, padding=p)
    dy, da = randn(rng, tuple(yt.shape)), randn(rng, tuple(at.shape))
    (yt * t64(dy)).sum().add((at * t64(da)).sum()).backward()
    y, indices = api.max_pool1d(x.astype(dtype), k, stride=s, padding=p)
    np.testing.assert_array_equal(indices, it.numpy())
    np.testing.assert_allclose(y, yt.detach().numpy(), **tol(dtype))
    a = api.avg_pool1d(x.astype(dtype), k, stride=s, padding=p)
    np.testing.assert_allclose(a, at.detach().numpy(), **tol(dtype))
    dx = api.max_pool1d_backward(dy.astype(dtype), indices, x.shape) + \
        api.avg_pool1d_backward(da.astype(dtype), x.shape, k, stride=s, padding=p)
    np.testing.assert_allclose(dx, xt.grad.numpy(), **tol(dtype))


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("case", [((2, 3, 7, 9), (3, 4)), ((1, 2, 5, 5), 5), ((2, 1, 4, 6), (7, 1)),
                                  ((3, 10, 13), (None, 4)), ((1, 1, 8, 8), 1)], ids=str)
def test_adaptive_avg_pool2d_matches_torch(impl, case):
    api, dtype = IMPLS[impl]
    shape, size = case
    rng = rng_for("adaptive_torch", case)
    x = randn(rng, shape)
    xt = t64(x, True)
    yt = F.adaptive_avg_pool2d(xt, size)
    dy = randn(rng, tuple(yt.shape))
    yt.backward(t64(dy))
    y = api.adaptive_avg_pool2d(x.astype(dtype), size)
    np.testing.assert_allclose(y, yt.detach().numpy(), **tol(dtype))
    dx = api.adaptive_avg_pool2d_backward(dy.astype(dtype), x.shape)
    np.testing.assert_allclose(dx, xt.grad.numpy(), **tol(dtype))


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("shape", [(2, 3, 7, 9), (1, 1, 1, 1), (4, 5, 6)], ids=str)
def test_global_avg_pool2d_is_adaptive_avg_pool2d_of_one(impl, shape):
    api, dtype = IMPLS[impl]
    rng = rng_for("global_torch", shape)
    x = randn(rng, shape)
    xt = t64(x, True)
    yt = F.adaptive_avg_pool2d(xt, 1)
    dy = randn(rng, tuple(yt.shape))
    yt.backward(t64(dy))
    y = api.global_avg_pool2d(x.astype(dtype))
    assert y.shape == tuple(yt.shape)
    np.testing.assert_allclose(y, yt.detach().numpy(), **tol(dtype))
    dx = api.global_avg_pool2d_backward(dy.astype(dtype), x.shape)
    np.testing.assert_allclose(dx, xt.grad.numpy(), **tol(dtype))
