"""Train/eval behaviour (dropout, batch norm), seeding, init rules, backends, error messages."""
import math

import numpy as np
import pytest

import mdlfast
from mdlfast import nn
from mdlfast.nn import functional as F, init


def test_dropout_train_and_eval():
    mdlfast.manual_seed(0)
    layer = nn.Dropout(0.25)
    x = mdlfast.tensor(np.ones((200, 100), np.float32), requires_grad=True)
    y = layer(x)
    kept = y.data != 0
    assert 0.72 < kept.mean() < 0.78
    np.testing.assert_allclose(y.data[kept], 1 / 0.75, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data != 0, kept)
    assert layer.eval()(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_dropout_masks_follow_the_seed():
    x = mdlfast.tensor(np.ones((10, 10), np.float32))
    mdlfast.manual_seed(7)
    a = F.dropout(x, 0.5).data
    b = F.dropout(x, 0.5).data
    mdlfast.manual_seed(7)
    np.testing.assert_array_equal(F.dropout(x, 0.5).data, a)
    assert not np.array_equal(a, b)


def test_batch_norm_train_updates_running_stats_and_eval_uses_them():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.BatchNorm2d(3, momentum=0.2), torch.nn.BatchNorm2d(3, momentum=0.2)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = (rng.standard_normal((4, 3, 5, 5)) * 2 + 1).astype(np.float32)
        ours(mdlfast.tensor(x))
        theirs(torch.tensor(x))
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-5, atol=1e-6, err_msg=key)
    assert int(ours.num_batches_tracked.data) == 3
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((2, 3, 5, 5)).astype(np.float32)
    before = ours.running_mean.data.copy()
    np.testing.assert_allclose(ours(mdlfast.tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ours.running_mean.data, before)


def test_batch_norm_eval_gradient_treats_statistics_as_constants():
    bn = nn.BatchNorm1d(3).eval()
    bn.running_var.data[:] = [4.0, 1.0, 0.25]
    x = mdlfast.tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32), requires_grad=True)
    bn(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, np.broadcast_to(1 / np.sqrt([4.0, 1.0, 0.25]) * (1 - 1e-5 / 2), (5, 3)), rtol=1e-4)


def test_state_dict_loads_torch_model_and_round_trips_through_numpy_copies():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                                 torch.nn.Flatten(), torch.nn.Linear(4 * 4 * 4, 3))
    theirs.train()(torch.randn(8, 1, 6, 6))  # non-trivial running statistics
    theirs.eval()
    ours = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(64, 3)).eval()
    ours.load_state_dict(theirs.state_dict())  # torch tensors are taken as they are
    x = np.random.default_rng(0).standard_normal((2, 1, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(ours(mdlfast.tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    copy = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(64, 3)).eval()
    copy.load_state_dict({k: np.array(v) for k, v in ours.state_dict().items()})
    np.testing.assert_array_equal(copy(mdlfast.tensor(x)).data, ours(mdlfast.tensor(x)).data)
    assert ours.state_dict()["1.num_batches_tracked"].dtype == np.int64


def test_init_functions_follow_torch_rules():
    mdlfast.manual_seed(0)
    w = mdlfast.tensor(np.empty((300, 200), np.float32))
    init.xavier_uniform_(w, gain=2.0)
    bound = 2.0 * math.sqrt(6 / 500)
    assert np.abs(w.data).max() <= bound and np.abs(w.data).max() > 0.99 * bound
    init.xavier_normal_(w)
    assert w.data.std() == pytest.approx(math.sqrt(2 / 500), rel=0.03)
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert w.data.std() == pytest.approx(math.sqrt(2) / math.sqrt(300), rel=0.03)
    init.kaiming_uniform_(w, a=0.1)
    assert np.abs(w.data).max() <= math.sqrt(3) * init.calculate_gain("leaky_relu", 0.1) / math.sqrt(200)
    init.orthogonal_(w)
    np.testing.assert_allclose(w.data.T @ w.data, np.eye(200), atol=1e-4)
    init.constant_(w, 3)
    assert np.all(w.data == 3)
    init.zeros_(w), init.ones_(w)
    assert np.all(w.data == 1)
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(mdlfast.tensor(np.zeros(3)))


def test_manual_seed_makes_models_reproducible():
    mdlfast.manual_seed(42)
    a = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Linear(4, 4))
    mdlfast.manual_seed(42)
    b = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Linear(4, 4))
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_array_equal(va, vb, err_msg=k)


def test_use_backend_switches_and_restores():
    from mdlfast.autograd.backend import current_backend

    assert current_backend() == "kernels"
    with mdlfast.use_backend("reference"):
        assert current_backend() == "reference"
    assert current_backend() == "kernels"
    mdlfast.use_backend("reference")
    try:
        assert current_backend() == "reference"
    finally:
        mdlfast.use_backend("kernels")
    with pytest.raises(ValueError, match="use_backend: name"):
        mdlfast.use_backend("cuda-magic")


def test_shape_errors_name_the_module_and_shapes():
    x4 = mdlfast.tensor(np.zeros((2, 3, 8, 8), np.float32))
    cases = [
        (lambda: nn.Conv2d(4, 2, 3)(x4), "Conv2d: expected input of shape \\[N, 4"),
        (lambda: nn.Conv1d(3, 2, 3)(x4), "Conv1d"),
        (lambda: nn.BatchNorm2d(5)(x4), "BatchNorm2d: expected input with 5 channels"),
        (lambda: nn.BatchNorm1d(3)(x4), "BatchNorm1d"),
        (lambda: nn.Linear(5, 2)(x4), "Linear: input must have 5 features"),
        (lambda: nn.LayerNorm(7)(x4), "normalized_shape"),
        (lambda: nn.LSTM(5, 4)(mdlfast.tensor(np.zeros((3, 2, 6), np.float32))), "LSTM: expected input of shape"),
        (lambda: nn.GRU(6, 4)(mdlfast.tensor(np.zeros((3, 2, 6), np.float32)),
                              mdlfast.tensor(np.zeros((2, 2, 4), np.float32))), "hidden state of shape"),
        (lambda: nn.MultiheadAttention(8, 2)(*[mdlfast.tensor(np.zeros((3, 2, 6), np.float32))] * 3), "MultiheadAttention"),
        (lambda: F.mse_loss(mdlfast.tensor(np.zeros(3)), mdlfast.tensor(np.zeros(4))), "mse_loss: target shape"),
        (lambda: F.cross_entropy(mdlfast.tensor(np.zeros((2, 3))), np.zeros(2, np.int64), reduction="avg"), "reduction"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="divisible by num_heads"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="gelu")


def test_kernel_errors_pass_through_with_their_messages():
    with pytest.raises(ValueError):
        nn.MaxPool2d(5)(mdlfast.tensor(np.zeros((1, 1, 3, 3), np.float32)))
    with pytest.raises((ValueError, IndexError)):
        nn.Embedding(4, 2)(np.array([5]))


def test_recurrent_dropout_between_layers_only_in_training():
    mdlfast.manual_seed(0)
    lstm = nn.LSTM(4, 6, num_layers=2, dropout=0.5)
    x = mdlfast.tensor(np.random.default_rng(0).standard_normal((3, 2, 4)).astype(np.float32))
    train_a, train_b = lstm(x)[0].data, lstm(x)[0].data
    assert not np.array_equal(train_a, train_b)
    lstm.eval()
    np.testing.assert_array_equal(lstm(x)[0].data, lstm(x)[0].data)
    single = nn.GRU(4, 6, dropout=0.0)
    np.testing.assert_array_equal(single(x)[0].data, single(x)[0].data)


def test_where_and_casts_are_differentiable():
    x = mdlfast.tensor(np.array([-1.0, 2.0, -3.0]), requires_grad=True)
    assert mdlfast.testing.gradcheck(lambda x: mdlfast.where(x.data > 0, x * x, -x), [x])
    assert mdlfast.testing.gradcheck(lambda x: (x * 3).where(x.data < 0, 1.0), [x])
    y = x.float()
    assert y.dtype == np.float32
    (y * 2).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.data, [2, 2, 2])


def test_reference_backend_never_calls_the_compiled_kernels(monkeypatch):
    from mdlfast.autograd import backend

    def tripwire(*args, **kwargs):
        raise AssertionError("compiled kernel called")

    for name in ("linear", "linear_backward", "cross_entropy", "cross_entropy_backward", "conv2d",
                 "conv2d_backward", "activation", "activation_backward"):
        monkeypatch.setattr(backend._kernels, name, tripwire)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
    x = mdlfast.tensor(np.ones((2, 1, 4, 4), np.float32))
    with mdlfast.use_backend("reference"):
        F.cross_entropy(model(x), np.array([0, 2])).backward()
    with pytest.raises(AssertionError, match="compiled kernel called"):
        model(x)
