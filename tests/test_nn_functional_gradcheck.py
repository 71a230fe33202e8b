"""Every autodiff Function that calls a kernel, gradient-checked in float64 on the reference
(mdlfast.testing.gradcheck: central differences), and gradients of gradients for an MLP."""
import numpy as np
import pytest

import mdlfast
from mdlfast import nn
from mdlfast.nn import functional as F
from mdlfast.nn.functional.dropout import Dropout
from mdlfast.testing import gradcheck


def rand(*shape, seed=0, requires_grad=True):
    return mdlfast.tensor(np.random.default_rng(seed + len(shape)).standard_normal(shape),
                          requires_grad=requires_grad)


def test_gradcheck_catches_a_wrong_gradient():
    class Wrong(mdlfast.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return (g * ctx.inputs[0].data,)  # missing the factor 2

    with pytest.raises(AssertionError, match="gradcheck: input 0"):
        gradcheck(lambda x: Wrong.apply(x), [rand(3)])
    assert not gradcheck(lambda x: Wrong.apply(x), [rand(3)], raise_exception=False)


def test_conv_and_pool():
    x, w, b = rand(2, 4, 6, 5), rand(6, 2, 3, 2, seed=1), rand(6, seed=2)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2), [x, w, b])
    assert gradcheck(lambda x, w: F.conv1d(x, w, stride=2, padding=1), [rand(2, 3, 7), rand(4, 3, 3, seed=1)])
    assert gradcheck(lambda x: F.max_pool2d(x, 2, padding=1), [x])
    assert gradcheck(lambda x: F.max_pool1d(x, 3, 2), [rand(2, 3, 9)])
    assert gradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), [x])
    assert gradcheck(lambda x: F.avg_pool1d(x, 2), [rand(2, 3, 9)])
    assert gradcheck(lambda x: F.adaptive_avg_pool2d(x, (4, 3)), [x])


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm(training):
    x, g, b = rand(5, 3, 2, 2), rand(3, seed=1), rand(3, seed=2)
    mean, var = np.zeros(3), np.ones(3) * 1.5
    assert gradcheck(lambda x, g, b: F.batch_norm(x, mean.copy(), var.copy(), g, b, training=training), [x, g, b])
    assert gradcheck(lambda x: F.batch_norm(x, None, None, training=True), [rand(6, 4)])


def test_layer_norm_and_embedding():
    x, g, b = rand(3, 4, 5), rand(5, seed=1), rand(5, seed=2)
    assert gradcheck(lambda x, g, b: F.layer_norm(x, 5, g, b), [x, g, b])
    assert gradcheck(lambda x, g: F.layer_norm(x, (4, 5), g), [x, rand(4, 5, seed=3)])
    assert gradcheck(lambda x, b: F.layer_norm(x, 5, None, b), [x, b])
    idx = np.array([[0, 3, 3], [5, 0, 1]])
    assert gradcheck(lambda w: F.embedding(idx, w), [rand(6, 4)])
    w = rand(6, 4)
    F.embedding(idx, w, padding_idx=3).sum().backward()  # the padding row is read, never trained
    np.testing.assert_array_equal(w.grad.data[3], 0)
    np.testing.assert_array_equal(w.grad.data[0], 2)


@pytest.mark.parametrize("name", ["leaky_relu", "elu", "selu", "gelu", "softplus", "silu", "hardtanh",
                                  "relu", "sigmoid", "tanh", "softmax", "log_softmax"])
def test_activations(name):
    x = rand(4, 5)
    fn = getattr(F, name)
    if name in ("softmax", "log_softmax"):
        assert gradcheck(lambda x: fn(x, dim=0), [x])
    assert gradcheck(lambda x: fn(x), [x])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses(reduction):
    x, t = rand(5, 4), rand(5, 4, seed=1)
    labels = np.array([0, 3, -100, 1, 3])
    assert gradcheck(lambda x: F.cross_entropy(x, labels, reduction=reduction, label_smoothing=0.2), [x])
    assert gradcheck(lambda x, t: F.mse_loss(x, t, reduction=reduction), [x, t])
    binary = mdlfast.tensor((np.random.default_rng(0).random((5, 4)) < 0.5).astype(np.float64))
    assert gradcheck(lambda x: F.binary_cross_entropy_with_logits(x, binary, reduction=reduction), [x])
    assert gradcheck(lambda x: F.nll_loss(F.log_softmax(x, 1), labels, reduction=reduction), [x])


def test_dropout_with_a_fixed_seed():
    x = rand(6, 7)
    assert gradcheck(lambda x: Dropout.apply(x, p=0.3, seed=11), [x])


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_TANH", "RNN_RELU"])
def test_recurrent_sequences(mode):
    from mdlfast.nn.functional.rnn import recurrent_layer

    gates = {"LSTM": 4, "GRU": 3}.get(mode, 1)
    x, h0, c0 = rand(4, 2, 3), rand(2, 5, seed=1), rand(2, 5, seed=2)
    w_ih, w_hh, b_ih, b_hh = rand(gates * 5, 3, seed=3), rand(gates * 5, 5, seed=4), rand(gates * 5, seed=5), rand(gates * 5, seed=6)
    inputs = [x, h0, c0, w_ih, w_hh, b_ih, b_hh]

    def fn(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        y, h, c = recurrent_layer(mode, x, h0, c0 if mode == "LSTM" else None, w_ih, w_hh, b_ih, b_hh)
        return (y, h) if c is None else (y, h, c)

    assert gradcheck(fn, inputs if mode == "LSTM" else [x, h0, c0.detach(), w_ih, w_hh, b_ih, b_hh])


@pytest.mark.parametrize("causal", [False, True])
def test_attention(causal):
    q, k, v = rand(2, 2, 4, 3), rand(2, 2, 5, 3, seed=1), rand(2, 2, 5, 2, seed=2)
    mask = np.random.default_rng(0).random((1, 2, 4, 5)) < 0.8
    mask[..., 0] = True
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=None if causal else mask, is_causal=causal), [q, k, v])
    additive = mdlfast.tensor(np.random.default_rng(1).standard_normal((4, 5)))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=additive), [q, k, v])


def test_modules_in_float64_gradcheck():
    mdlfast.manual_seed(0)
    for module, shape in [(nn.LSTM(3, 4, num_layers=2, bidirectional=True), (4, 2, 3)),
                          (nn.MultiheadAttention(4, 2), (3, 2, 4)),
                          (nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0), (3, 2, 4))]:
        module.double()
        call = (lambda m: lambda x: m(x, x, x)[0]) if isinstance(module, nn.MultiheadAttention) else \
            (lambda m: lambda x: m(x)[0] if isinstance(m, nn.LSTM) else m(x))
        assert gradcheck(call(module), [rand(*shape)])


def test_hessian_vector_product_of_an_mlp_with_cross_entropy_and_mse():
    """H·v of the loss in the weights (Linear + tanh/sigmoid/relu, cross-entropy and MSE) matches
    central differences of the gradient."""
    mdlfast.manual_seed(1)
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 5), nn.Sigmoid(), nn.Linear(5, 3)).double()
    rng = np.random.default_rng(2)
    x = mdlfast.tensor(rng.standard_normal((7, 4)))
    labels = rng.integers(0, 3, 7)
    target = mdlfast.tensor(rng.standard_normal((7, 3)))
    params = list(model.parameters())
    vs = [rng.standard_normal(p.shape) for p in params]

    def loss():
        out = model(x)
        return F.cross_entropy(out, labels) + F.mse_loss(out.relu(), target) + (out.sum(axis=1) ** 2).mean()

    grads = mdlfast.autograd.grad(loss(), params, create_graph=True)
    dot = sum((g * mdlfast.tensor(v)).sum() for g, v in zip(grads, vs))
    hvp = mdlfast.autograd.grad(dot, params)

    def flat_grad():
        return [g.data.copy() for g in mdlfast.autograd.grad(loss(), params)]

    eps = 1e-6
    for p, v in zip(params, vs):
        p.data += eps * v
    plus = flat_grad()
    for p, v in zip(params, vs):
        p.data -= 2 * eps * v
    minus = flat_grad()
    for p, v in zip(params, vs):
        p.data += eps * v
    for h, a, b in zip(hvp, plus, minus):
        np.testing.assert_allclose(h.data, (a - b) / (2 * eps), rtol=1e-5, atol=1e-7)


def test_newton_step_on_a_quadratic_through_the_hessian():
    """Newton's method needs full Hessians: rows from autograd.grad of each gradient entry."""
    rng = np.random.default_rng(3)
    A = rng.standard_normal((4, 4))
    Q = mdlfast.tensor(A @ A.T + np.eye(4))
    c = mdlfast.tensor(rng.standard_normal(4))
    w = mdlfast.tensor(np.zeros(4), requires_grad=True)
    f = lambda w: 0.5 * (w @ (Q @ w)) - (c * w).sum()
    g, = mdlfast.autograd.grad(f(w), [w], create_graph=True)
    H = np.stack([mdlfast.autograd.grad(g[i], [w], retain_graph=True)[0].data for i in range(4)])
    step = np.linalg.solve(H, g.data)
    np.testing.assert_allclose(w.data - step, np.linalg.solve(Q.data, c.data), rtol=1e-10)


def test_create_graph_through_a_function_without_double_backward_says_so():
    x = rand(1, 1, 4, 4)
    w = rand(1, 1, 2, 2, seed=1)
    with pytest.raises(RuntimeError, match="Conv2d has no differentiable backward"):
        mdlfast.autograd.grad(F.conv2d(x, w).sum(), [w], create_graph=True)
