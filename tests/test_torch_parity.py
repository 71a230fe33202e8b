"""Semantics against PyTorch: linear forward and backward (autograd) for every activation, GELU in
its exact erf form, relu's NaN handling, and gemm against torch.addmm / torch.baddbmm (including
beta = 0 ignoring NaN and inf in c). PyTorch runs in float64 on the very float32 values the kernels
get. Skips where PyTorch is not installed.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from mdlfast import kernels, reference  # noqa: E402
from _checks import assert_close, randn, rng_for  # noqa: E402

ACTIVATIONS = [None, "relu", "sigmoid", "tanh", "gelu"]
TORCH_ACT = {
    None: lambda z: z,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "gelu": lambda z: F.gelu(z, approximate="none"),
}


def t64(x, requires_grad=False):
    return torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=requires_grad)


def torch_linear(x, w, b, activation, requires_grad=False):
    xt, wt = t64(x, requires_grad), t64(w, requires_grad)
    bt = None if b is None else t64(b, requires_grad)
    return xt, wt, bt, TORCH_ACT[activation](F.linear(xt, wt, bt))


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("lead", [(), (13,), (3, 5)], ids=["x1d", "x2d", "x3d"])
@pytest.mark.parametrize("with_bias", [False, True], ids=["nobias", "bias"])
def test_linear_forward_backward_vs_torch(isa, lead, with_bias, activation):
    rng = rng_for("torch_linear", isa, lead, with_bias, activation)
    fan_in, fan_out = 37, 15
    x = randn(rng, lead + (fan_in,))
    w = randn(rng, (fan_out, fan_in)) / np.float32(np.sqrt(fan_in))
    b = randn(rng, (fan_out,)) if with_bias else None

    xt, wt, bt, yt = torch_linear(x, w, b, activation, requires_grad=True)
    y, z = kernels.linear(x, w, b, activation, return_preactivation=True)
    assert y.shape == tuple(yt.shape)
    assert_close(y, yt.detach().numpy(), fan_in, name="y")
    assert_close(reference.linear(x, w, b, activation), yt.detach().numpy(), fan_in, name="reference y")

    dy = randn(rng, y.shape)
    yt.backward(t64(dy))
    rows = int(np.prod(lead))
    saved = {"y": None, "z": z} if activation == "gelu" else {"y": y if activation else None, "z": None}
    dx, dw, db = kernels.linear_backward(dy, x, w, saved["y"], activation, z=saved["z"])
    assert_close(dx, xt.grad.numpy(), fan_out, name="dx")
    assert_close(dw, wt.grad.numpy(), rows, name="dw")
    if with_bias:
        assert_close(db, bt.grad.numpy(), rows, name="db")
    else:  # db is the gradient a bias would get
        _, _, bt0, yt0 = torch_linear(x, w, np.zeros(fan_out), activation, requires_grad=True)
        yt0.backward(t64(dy))
        assert_close(db, bt0.grad.numpy(), rows, name="db")


def _exact_gelu(z):
    """x·Φ(x) in float64 through math.erfc, accurate in the negative tail too."""
    return np.array([v * math.erfc(-v / math.sqrt(2)) / 2 for v in np.asarray(z, dtype=np.float64)])


def test_gelu_is_the_exact_erf_form(isa):
    """GELU is x·Φ(x) with the exact normal CDF (PyTorch's approximate='none'), not the tanh form."""
    z = np.linspace(-12.0, 8.0, 2001).astype(np.float32)
    eye = np.eye(1, dtype=np.float32)
    y = kernels.linear(z[:, None], eye, None, "gelu")[:, 0]
    exact = _exact_gelu(z)
    body = z >= -5  # where PyTorch's float64 (1 + erf)/2 form does not cancel
    torch_exact = F.gelu(t64(z), approximate="none").numpy()
    torch_tanh = F.gelu(t64(z), approximate="tanh").numpy()
    np.testing.assert_allclose(torch_exact[body], exact[body], rtol=1e-8)  # the oracle agrees
    assert np.abs(torch_exact - torch_tanh).max() > 1e-4  # the two forms are distinguishable here
    np.testing.assert_allclose(y, exact, rtol=1e-5, atol=1e-6)
    # The negative tail is not lost to cancellation (1 + erf(x/√2) would give 0 here).
    tail = z < -3
    assert (y[tail] < 0).all()
    np.testing.assert_allclose(y[tail], exact[tail], rtol=0.05)
    ref = reference.linear(z[:, None].astype(np.float64), eye.astype(np.float64), None, "gelu")[:, 0]
    np.testing.assert_allclose(ref, exact, rtol=1e-12)
    # and its derivative, against autograd
    zt = t64(z, requires_grad=True)
    F.gelu(zt, approximate="none").sum().backward()
    dx, _, _ = kernels.linear_backward(np.ones_like(z)[:, None], z[:, None], eye, None, "gelu",
                                       z=z[:, None])
    np.testing.assert_allclose(dx[:, 0], zt.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_nan_propagation_vs_torch(isa, activation):
    """NaN pre-activations stay NaN through every activation (relu too, as torch.relu)."""
    z = np.array([np.nan, -1.0, 0.0, 2.0, -0.0, np.nan, 0.5], dtype=np.float32)
    y = kernels.linear(z[:, None], np.eye(1, dtype=np.float32), None, activation)[:, 0]
    expected = TORCH_ACT[activation](torch.from_numpy(z.astype(np.float64))).numpy()
    np.testing.assert_array_equal(np.isnan(y), np.isnan(expected))
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("activation", [None, "relu", "sigmoid", "tanh"])
def test_inf_vs_torch(isa, activation):
    """±inf pre-activations saturate as PyTorch's activations do."""
    z = np.array([np.inf, -np.inf, -1.0, 0.0, 2.0, -0.0], dtype=np.float32)
    y = kernels.linear(z[:, None], np.eye(1, dtype=np.float32), None, activation)[:, 0]
    expected = TORCH_ACT[activation](torch.from_numpy(z)).numpy()
    np.testing.assert_array_equal(np.isnan(y), np.isnan(expected))
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=0)


def _relu_nonfinite_case(seed_params):
    rng = rng_for("relu_nonfinite", *seed_params)
    x = randn(rng, (6, 4))
    w = randn(rng, (5, 4))
    y, z = kernels.linear(x, w, None, "relu", return_preactivation=True)
    dy = randn(rng, y.shape)
    inactive = np.argwhere(z < 0)
    assert len(inactive) >= 2
    dy[tuple(inactive[0])] = np.nan
    dy[tuple(inactive[1])] = np.inf
    xt, wt, _, yt = torch_linear(x, w, None, "relu", requires_grad=True)
    yt.backward(t64(dy))
    assert np.isfinite(xt.grad.numpy()).all() and np.isfinite(wt.grad.numpy()).all()
    return x, w, y, z, dy, xt.grad.numpy(), wt.grad.numpy()


def _check_relu_nonfinite(impl, source, case):
    x, w, y, z, dy, dx_t, dw_t = case
    kw = {"y": y} if source == "y" else {"z": z}
    dx, dw, db = impl.linear_backward(dy, x, w, kw.get("y"), "relu", z=kw.get("z"))
    assert_close(dx, dx_t, 5, name="dx")
    assert_close(dw, dw_t, 6, name="dw")


@pytest.mark.parametrize("source", ["y", "z"])
def test_relu_backward_nonfinite_dy_vs_torch(isa, source):
    """relu's backward is threshold_backward: where relu is inactive the gradient is exactly 0,
    even where dy is NaN or inf; where it is active, dy passes through unchanged."""
    _check_relu_nonfinite(kernels, source, _relu_nonfinite_case((isa, source)))


@pytest.mark.parametrize("source", ["y", "z"])
def test_reference_relu_backward_nonfinite_dy_vs_torch(source):
    """The reference follows threshold_backward too (NaN/inf in dy where relu is inactive -> 0)."""
    _check_relu_nonfinite(reference, source, _relu_nonfinite_case(("reference", source)))


TRANSPOSES = list(itertools.product((False, True), repeat=2))


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
@pytest.mark.parametrize("c_shape", [(13, 17), (17,), (1, 17), (13, 1), (1, 1), ()])
@pytest.mark.parametrize("alpha,beta", [(1.0, 1.0), (-0.5, 2.0), (2.0, 0.0), (0.0, -1.0)])
def test_gemm_vs_addmm(isa, trans_a, trans_b, c_shape, alpha, beta):
    rng = rng_for("addmm", isa, trans_a, trans_b, c_shape, alpha, beta)
    m, n, k = 13, 17, 29
    a = randn(rng, (k, m) if trans_a else (m, k))
    b = randn(rng, (n, k) if trans_b else (k, n))
    c = randn(rng, c_shape)
    at, bt = t64(a), t64(b)
    expected = torch.addmm(t64(c), at.T if trans_a else at, bt.T if trans_b else bt, beta=beta, alpha=alpha)
    out = kernels.gemm(a, b, trans_a=trans_a, trans_b=trans_b, alpha=alpha, beta=beta, c=c)
    assert_close(out, expected.numpy(), k)


@pytest.mark.parametrize("c_shape", [(4, 13, 17), (13, 17), (1, 17), (4, 1, 17), (1, 13, 1)])
@pytest.mark.parametrize("alpha,beta", [(1.0, 1.0), (0.75, -1.5)])
def test_gemm_vs_baddbmm(isa, c_shape, alpha, beta):
    rng = rng_for("baddbmm", isa, c_shape, alpha, beta)
    batch, m, n, k = 4, 13, 17, 29
    a, b, c = randn(rng, (batch, m, k)), randn(rng, (batch, k, n)), randn(rng, c_shape)
    expected = torch.baddbmm(t64(c), t64(a), t64(b), beta=beta, alpha=alpha)
    assert_close(kernels.gemm(a, b, alpha=alpha, beta=beta, c=c), expected.numpy(), k)


@pytest.mark.parametrize("a_shape,b_shape", [((4, 13, 29), (29, 17)), ((13, 29), (4, 29, 17)),
                                             ((1, 13, 29), (4, 29, 17)), ((4, 13, 29), (1, 29, 17))])
def test_gemm_batch_broadcast_vs_matmul(isa, a_shape, b_shape):
    rng = rng_for("matmul_broadcast", isa, a_shape, b_shape)
    a, b = randn(rng, a_shape), randn(rng, b_shape)
    expected = torch.matmul(t64(a), t64(b))
    assert_close(kernels.gemm(a, b), expected.numpy(), 29)


@pytest.mark.parametrize("batched", [False, True])
def test_gemm_beta_zero_ignores_nan_in_c_like_torch(isa, batched):
    rng = rng_for("beta0_torch", isa, batched)
    m, n, k = 13, 17, 29
    a = randn(rng, (3, m, k) if batched else (m, k))
    b = randn(rng, (3, k, n) if batched else (k, n))
    c = np.full((m, n), np.nan, dtype=np.float32)
    c[::3] = np.inf
    op = torch.baddbmm if batched else torch.addmm
    expected = op(t64(c), t64(a), t64(b), beta=0.0, alpha=1.5)
    assert torch.isfinite(expected).all()
    out = kernels.gemm(a, b, alpha=1.5, beta=0.0, c=c)
    assert np.isfinite(out).all()
    assert_close(out, expected.numpy(), k)


def test_gemm_k_zero_vs_addmm(isa):
    rng = rng_for("addmm_k0", isa)
    a, b, c = randn(rng, (5, 0)), randn(rng, (0, 7)), randn(rng, (1, 7))
    expected = torch.addmm(t64(c), t64(a), t64(b), beta=-2.0, alpha=3.0)
    assert_close(kernels.gemm(a, b, alpha=3.0, beta=-2.0, c=c), expected.numpy(), 1)
