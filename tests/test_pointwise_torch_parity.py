"""The float32 kernels of the activation, softmax, loss and dropout families against PyTorch's
float32 CPU functions with autograd backwards (skipped without torch)."""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast import kernels
from mdlfast._validate.pointwise import KINDS
from _checks import rng_for

torch = pytest.importorskip("torch")
F = torch.nn.functional

TORCH_ACTIVATIONS = {
    "relu": F.relu, "leaky_relu": F.leaky_relu, "elu": F.elu, "selu": F.selu, "gelu": F.gelu,
    "sigmoid": torch.sigmoid, "tanh": torch.tanh, "softplus": F.softplus, "silu": F.silu,
    "step": lambda t: torch.heaviside(t, torch.zeros((), dtype=t.dtype)), "hardtanh": F.hardtanh,
}


def close(ours, theirs, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("kind", KINDS)
def test_activation_matches_torch(kind):
    rng = rng_for("torch activation", kind)
    x = np.concatenate([rng.standard_normal(997) * 5, [0.0, -0.0, 25.0, -25.0, np.inf, -np.inf, np.nan]])
    if kind == "gelu":
        # torch's float32 gelu gives NaN for +inf (its vectorised erf form); float64 and mdlfast, inf.
        x = x[~np.isinf(x)]
    x = x.astype(np.float32)
    xt = torch.from_numpy(x).requires_grad_(kind != "step")
    yt = TORCH_ACTIVATIONS[kind](xt)
    y = kernels.activation(x, kind)
    close(y, yt)
    if kind != "step":
        dy = rng.standard_normal(x.shape).astype(np.float32)
        (dxt,) = torch.autograd.grad(yt, xt, torch.from_numpy(dy))
        close(kernels.activation_backward(dy, x, y, kind), dxt)


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_softmax_matches_torch(log, axis):
    rng = rng_for("torch softmax", log, axis)
    x = (rng.standard_normal((6, 130, 9)) * 4).astype(np.float32)
    x[0, 0, 0], x[1, 1, 1], x[2, 2, 2] = 1e30, -1e30, -np.inf
    xt = torch.from_numpy(x).requires_grad_()
    yt = (F.log_softmax if log else F.softmax)(xt, dim=axis)
    y = (kernels.log_softmax if log else kernels.softmax)(x, axis)
    close(y, yt, atol=1e-5 if log else 1e-6)
    dy = rng.standard_normal(x.shape).astype(np.float32)
    (dxt,) = torch.autograd.grad(yt, xt, torch.from_numpy(dy))
    dx = (kernels.log_softmax_backward if log else kernels.softmax_backward)(dy, y, axis)
    close(dx, dxt, atol=1e-5)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_matches_torch(reduction, smoothing):
    rng = rng_for("torch ce", reduction, smoothing)
    logits = (rng.standard_normal((64, 1000)) * 3).astype(np.float32)
    labels = rng.integers(0, 1000, size=64)
    labels[::7] = -100
    xt = torch.from_numpy(logits).requires_grad_()
    lt = F.cross_entropy(xt, torch.from_numpy(labels), reduction=reduction, label_smoothing=smoothing)
    loss, probs = kernels.cross_entropy(logits, labels, reduction=reduction, label_smoothing=smoothing)
    close(loss, lt)
    dloss = rng.standard_normal(64).astype(np.float32) if reduction == "none" else 1.0
    (dxt,) = torch.autograd.grad(lt, xt, torch.as_tensor(dloss))
    dx = kernels.cross_entropy_backward(probs, labels, reduction=reduction, label_smoothing=smoothing, dloss=dloss)
    close(dx, dxt, atol=1e-7)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_and_bce_match_torch(reduction):
    rng = rng_for("torch pair", reduction)
    x = (rng.standard_normal((50, 7)) * 5).astype(np.float32)
    target = rng.uniform(size=x.shape).astype(np.float32)
    pos_weight = rng.uniform(0.5, 3, size=7).astype(np.float32)
    cases = [
        (kernels.mse, kernels.mse_backward, {}, F.mse_loss, {}),
        (kernels.bce_with_logits, kernels.bce_with_logits_backward, {"pos_weight": pos_weight},
         F.binary_cross_entropy_with_logits, {"pos_weight": torch.from_numpy(pos_weight)}),
        (kernels.bce_with_logits, kernels.bce_with_logits_backward, {},
         F.binary_cross_entropy_with_logits, {}),
    ]
    for forward, backward, kwargs, torch_fn, torch_kwargs in cases:
        xt = torch.from_numpy(x).requires_grad_()
        lt = torch_fn(xt, torch.from_numpy(target), reduction=reduction, **torch_kwargs)
        close(forward(x, target, reduction=reduction, **kwargs), lt, atol=1e-5)
        dloss = rng.standard_normal(x.shape).astype(np.float32) if reduction == "none" else 1.0
        (dxt,) = torch.autograd.grad(lt, xt, torch.as_tensor(dloss))
        close(backward(dloss, x, target, reduction=reduction, **kwargs), dxt)


def test_dropout_matches_torch_semantics():
    """Torch's generator differs, so compare what the mask implies: y = x·mask/(1-p), p = 0 and
    p = 1 as torch.nn.functional.dropout."""
    x = np.arange(1, 41, dtype=np.float32).reshape(5, 8)
    xt = torch.from_numpy(x)
    y, mask = kernels.dropout(x, 0.3, seed=3)
    np.testing.assert_array_equal(y, (xt * torch.from_numpy(mask) * (1 / (1 - 0.3))).numpy())
    np.testing.assert_array_equal(kernels.dropout(x, 0.0, seed=3)[0], F.dropout(xt, 0.0).numpy())
    np.testing.assert_array_equal(kernels.dropout(x, 1.0, seed=3)[0], F.dropout(xt, 1.0).numpy())
