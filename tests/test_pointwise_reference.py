"""The references of the pointwise, softmax and loss families: every backward against central
finite differences in float64, and forward and backward against PyTorch (skipped without it)."""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast import reference
from mdlfast._validate.pointwise import KINDS
from _checks import central_difference, rng_for

DIFFERENTIABLE = [k for k in KINDS if k != "step"]
ALPHAS = {"leaky_relu": [None, 0.2], "elu": [None, 0.5]}
H = 1e-6


def kind_alpha_cases(kinds):
    return [(k, a) for k in kinds for a in ALPHAS.get(k, [None])]


def away_from_kinks(rng, shape):
    """Normal samples, with those within 1e-3 of a kink (0, ±1) moved off it."""
    x = rng.standard_normal(shape) * 2
    for kink in (-1.0, 0.0, 1.0):
        near = np.abs(x - kink) < 1e-3
        x[near] = kink + 0.1
    return x


def assert_gradient(grad, numeric):
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("kind,alpha", kind_alpha_cases(DIFFERENTIABLE))
def test_activation_backward_finite_differences(kind, alpha):
    rng = rng_for("activation fd", kind, alpha)
    x = away_from_kinks(rng, (3, 7))
    w = rng.standard_normal(x.shape)
    y = reference.activation(x, kind, alpha=alpha)
    numeric = central_difference(lambda: float((reference.activation(x, kind, alpha=alpha) * w).sum()), x, H)
    assert_gradient(reference.activation_backward(w, x, y, kind, alpha=alpha), numeric)
    assert_gradient(reference.activation_backward(w, x, None, kind, alpha=alpha), numeric)


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_backward_finite_differences(log, axis):
    rng = rng_for("softmax fd", log, axis)
    x = rng.standard_normal((4, 5, 3)) * 3
    w = rng.standard_normal(x.shape)
    forward = reference.log_softmax if log else reference.softmax
    backward = reference.log_softmax_backward if log else reference.softmax_backward
    numeric = central_difference(lambda: float((forward(x, axis) * w).sum()), x, H)
    assert_gradient(backward(w, forward(x, axis), axis), numeric)


def _scalar_of(loss, reduction, w):
    return float(loss) if reduction != "none" else float((loss * w).sum())


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_backward_finite_differences(reduction, smoothing):
    rng = rng_for("ce fd", reduction, smoothing)
    logits = rng.standard_normal((6, 5)) * 2
    labels = np.array([0, 4, -100, 2, 2, 1], dtype=np.int64)
    w = rng.standard_normal(6)

    def f():
        loss, _ = reference.cross_entropy(logits, labels, reduction=reduction, label_smoothing=smoothing)
        return _scalar_of(loss, reduction, w)

    numeric = central_difference(f, logits, H)
    _, probs = reference.cross_entropy(logits, labels, reduction=reduction, label_smoothing=smoothing)
    dloss = w if reduction == "none" else 1.7
    grad = reference.cross_entropy_backward(probs, labels, reduction=reduction, label_smoothing=smoothing,
                                            dloss=dloss)
    assert_gradient(grad, numeric * (1.0 if reduction == "none" else 1.7))


@pytest.mark.parametrize("loss_name", ["mse", "bce_with_logits", "bce_pos_weight"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_pair_loss_backward_finite_differences(loss_name, reduction):
    rng = rng_for("pair fd", loss_name, reduction)
    x = rng.standard_normal((4, 3)) * 3
    target = rng.uniform(size=x.shape)
    kwargs = {"reduction": reduction}
    if loss_name == "bce_pos_weight":
        kwargs["pos_weight"] = rng.uniform(0.5, 3.0, size=3)
    name = "mse" if loss_name == "mse" else "bce_with_logits"
    forward, backward = getattr(reference, name), getattr(reference, name + "_backward")
    w = rng.standard_normal(x.shape)
    numeric = central_difference(lambda: _scalar_of(forward(x, target, **kwargs), reduction, w), x, H)
    dloss = w if reduction == "none" else 1.0
    assert_gradient(backward(dloss, x, target, **kwargs), numeric)


# ---- PyTorch parity -------------------------------------------------------------------------

def torch_activation(F, torch, kind, alpha):
    return {
        "relu": F.relu,
        "leaky_relu": lambda t: F.leaky_relu(t, 0.01 if alpha is None else alpha),
        "elu": lambda t: F.elu(t, 1.0 if alpha is None else alpha),
        "selu": F.selu,
        "gelu": F.gelu,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "softplus": F.softplus,
        "silu": F.silu,
        "step": lambda t: torch.heaviside(t, torch.zeros((), dtype=t.dtype)),
        "hardtanh": F.hardtanh,
    }[kind]


SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, 20.0, 20.5, -30.0, 80.0, -80.0, 1e-30, np.inf, -np.inf, np.nan])


@pytest.mark.parametrize("kind,alpha", kind_alpha_cases(KINDS))
def test_activation_matches_torch(kind, alpha):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = rng_for("activation torch", kind, alpha)
    x = np.concatenate([rng.standard_normal(50) * 4, SPECIAL])
    fn = torch_activation(F, torch, kind, alpha)
    xt = torch.from_numpy(x).requires_grad_(kind != "step")
    yt = fn(xt)
    y = reference.activation(x, kind, alpha=alpha)
    # PyTorch's gelu is 0.5·x·(1 + erf(x/√2)), which cancels for negative x: hence the atol.
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-15)
    if kind == "step":
        return
    dy = rng.standard_normal(x.shape)
    (dx_t,) = torch.autograd.grad(yt, xt, torch.from_numpy(dy))
    dx = reference.activation_backward(dy, x, y, kind, alpha=alpha)
    np.testing.assert_allclose(dx, dx_t.numpy(), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_softmax_matches_torch(log, axis):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = rng_for("softmax torch", log, axis)
    x = rng.standard_normal((5, 6, 7)) * 5
    x[0, 0, 0], x[1, 1, 1], x[2, 2, 2] = 1e30, -1e30, -np.inf
    xt = torch.from_numpy(x).requires_grad_()
    yt = (F.log_softmax if log else F.softmax)(xt, dim=axis)
    y = (reference.log_softmax if log else reference.softmax)(x, axis)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-300)
    dy = rng.standard_normal(x.shape)
    (dx_t,) = torch.autograd.grad(yt, xt, torch.from_numpy(dy))
    dx = (reference.log_softmax_backward if log else reference.softmax_backward)(dy, y, axis)
    finite = np.isfinite(dx_t.numpy())
    np.testing.assert_allclose(dx[finite], dx_t.numpy()[finite], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_matches_torch(reduction, smoothing):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = rng_for("ce torch", reduction, smoothing)
    logits = rng.standard_normal((9, 7)) * 4
    labels = rng.integers(0, 7, size=9)
    labels[3] = -100
    xt = torch.from_numpy(logits).requires_grad_()
    lt = F.cross_entropy(xt, torch.from_numpy(labels), reduction=reduction, label_smoothing=smoothing)
    loss, probs = reference.cross_entropy(logits, labels, reduction=reduction, label_smoothing=smoothing)
    np.testing.assert_allclose(loss, lt.detach().numpy(), rtol=1e-12)
    dloss = rng.standard_normal(9) if reduction == "none" else 0.7
    (dx_t,) = torch.autograd.grad(lt, xt, torch.as_tensor(dloss, dtype=torch.float64))
    dx = reference.cross_entropy_backward(probs, labels, reduction=reduction, label_smoothing=smoothing,
                                          dloss=dloss)
    np.testing.assert_allclose(dx, dx_t.numpy(), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("loss_name,pos_weight", [("mse", False), ("bce_with_logits", False),
                                                   ("bce_with_logits", True)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_pair_losses_match_torch(loss_name, reduction, pos_weight):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = rng_for("pair torch", loss_name, reduction, pos_weight)
    x = rng.standard_normal((6, 4)) * 10
    x[0, :2] = [200.0, -200.0]
    target = rng.uniform(size=x.shape)
    kwargs = {"reduction": reduction}
    torch_kwargs = dict(kwargs)
    if pos_weight:
        kwargs["pos_weight"] = rng.uniform(0.5, 3.0, size=4)
        torch_kwargs["pos_weight"] = torch.from_numpy(kwargs["pos_weight"])
    torch_fn = F.mse_loss if loss_name == "mse" else F.binary_cross_entropy_with_logits
    xt = torch.from_numpy(x).requires_grad_()
    lt = torch_fn(xt, torch.from_numpy(target), **torch_kwargs)
    loss = getattr(reference, loss_name)(x, target, **kwargs)
    np.testing.assert_allclose(loss, lt.detach().numpy(), rtol=1e-12)
    dloss = rng.standard_normal(x.shape) if reduction == "none" else 1.3
    (dx_t,) = torch.autograd.grad(lt, xt, torch.as_tensor(dloss, dtype=torch.float64))
    dx = getattr(reference, loss_name + "_backward")(dloss, x, target, **kwargs)
    np.testing.assert_allclose(dx, dx_t.numpy(), rtol=1e-10, atol=1e-15)
