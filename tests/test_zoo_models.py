"""Zoo models of units 4-6: output shapes, training reduces the loss, the vanishing-gradient
study, the convolution demos, autoencoders vs PCA, the VAE, transfer of (PyTorch) weights and
the tuning problem."""
from __future__ import annotations

import numpy as np
import pytest

import mdlfast
from mdlfast import data, kernels, nn, optim, reference, train
from mdlfast.models import (MLP, DeepMLP, InceptionNet, LeNet5, ResNet, VGGNet, detect_edges,
                            toeplitz_demo, vanishing_gradient_study)
from mdlfast.models.autoencoder import PCA, Autoencoder, ConvAutoencoder, Upsample2x
from mdlfast.models.conv_demos import square_image
from mdlfast.models.mlp import ACTIVATIONS
from mdlfast.models.transfer import freeze, trainable_parameters, transfer_weights
from mdlfast.models.vae import VAE, vae_loss


@pytest.fixture(autouse=True)
def _one_thread():
    """These tests check models, not threading: one thread keeps their many tiny kernels from
    waiting on a descheduled second thread on a busy machine."""
    previous = mdlfast.get_num_threads()
    mdlfast.set_num_threads(1)
    try:
        yield
    finally:
        mdlfast.set_num_threads(previous)


def _images(n=24, size=8, classes=3, seed=0):
    """Images whose class is the position of a bright bar: learnable by any conv net."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n).astype(np.int64)
    X = 0.1 * rng.standard_normal((n, 1, size, size)).astype(np.float32)
    for i, c in enumerate(y):
        X[i, 0, 2 * c + 1, :] += 1.0
    return X, y


def _loss_drops(model, X, y, epochs, lr=3e-3, loss_fn=None):
    mdlfast.manual_seed(0)
    opt = optim.Adam(model.parameters(), lr=lr)
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=8, shuffle=True, seed=0)
    history = train.fit(model, loss_fn or nn.CrossEntropyLoss(), opt, loader, epochs=epochs,
                        progress=False)
    return history["loss"][0], history["loss"][-1]


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_mlp_every_activation_shapes(activation):
    mdlfast.manual_seed(0)
    model = MLP(5, (7, 6), 3, activation=activation, init="glorot", dropout=0.1, batch_norm=True)
    assert model(mdlfast.tensor(np.ones((4, 5), np.float32))).shape == (4, 3)


def test_mlp_init_rules_set_the_variance():
    mdlfast.manual_seed(0)
    he = MLP(400, (400,), 2, init="he")[0].weight.numpy()
    glorot = MLP(400, (400,), 2, activation="tanh", init="glorot")[0].weight.numpy()
    assert he.std() == pytest.approx(np.sqrt(2 / 400), rel=0.05)
    bound = 5 / 3 * np.sqrt(6 / 800)  # tanh gain 5/3
    assert glorot.std() == pytest.approx(bound / np.sqrt(3), rel=0.05)
    with pytest.raises(ValueError, match="init"):
        MLP(4, (4,), 2, init="lecun")
    with pytest.raises(ValueError, match="activation"):
        MLP(4, (4,), 2, activation="swish")


def test_mlp_training_reduces_loss():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 6)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    first, last = _loss_drops(MLP(6, (16,), 2, dropout=0.1, batch_norm=True), X, y, 15, lr=1e-2)
    assert last < 0.5 * first


def test_vanishing_gradient_study():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 10)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    norms = vanishing_gradient_study(X, y, depth=10, width=16)
    assert set(norms) == {"sigmoid", "relu", "residual_sigmoid"}
    assert all(len(v) == 11 for v in norms.values())
    # Sigmoid's derivative is at most 1/4: ten layers shrink the gradient by orders of magnitude.
    assert norms["sigmoid"][0] < 1e-3 * norms["relu"][0]
    assert norms["sigmoid"][0] < 1e-2 * norms["sigmoid"][-1]
    assert norms["residual_sigmoid"][0] > 1e2 * norms["sigmoid"][0]
    assert DeepMLP(10, 3, depth=2, residual=True).hidden_layers()[0].weight.shape == (32, 10)


@pytest.mark.parametrize("build, size", [
    (lambda: LeNet5(1, 3, 8), 8), (lambda: LeNet5(1, 3, 28), 28),
    (lambda: LeNet5(1, 3, 8, activation="tanh", pooling="avg"), 8),
    (lambda: VGGNet(1, 3, widths=(4, 8)), 8), (lambda: InceptionNet(1, 3, width=4), 8),
    (lambda: ResNet(1, 3, blocks=(1, 1), widths=(4, 8)), 8),
])
def test_cnn_shapes(build, size):
    mdlfast.manual_seed(0)
    model = build()
    model.eval()
    out = model(mdlfast.tensor(np.zeros((2, 1, size, size), np.float32)))
    assert out.shape == (2, 3)


def test_lenet_is_the_1998_network_on_28x28():
    model = LeNet5(1, 10, 28)
    shapes = {k: v.shape for k, v in model.state_dict().items()}
    assert shapes["classifier.1.weight"] == (120, 400)  # 16 x 5 x 5 feature maps
    assert shapes["features.3.weight"] == (16, 6, 5, 5)


@pytest.mark.parametrize("build", [
    lambda: LeNet5(1, 3, 8), lambda: ResNet(1, 3, blocks=(1, 1), widths=(4, 8)),
    lambda: InceptionNet(1, 3, width=4), lambda: VGGNet(1, 3, widths=(4, 8)),
])
def test_cnn_training_reduces_loss(build):
    mdlfast.manual_seed(0)
    X, y = _images()
    first, last = _loss_drops(build(), X, y, 6, lr=1e-2)
    assert last < 0.7 * first


def test_toeplitz_demo_equals_conv2d():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((4, 3, 3, 3))
    for stride, padding in ((1, 0), (1, 1), (2, 1)):
        direct, product, T = toeplitz_demo(x, w, stride=stride, padding=padding)
        oh, ow = direct.shape[2:]
        assert T.shape == (4 * oh * ow, 3 * 7 * 6)
        np.testing.assert_allclose(product, direct, rtol=1e-5, atol=1e-5)
        expected = reference.conv2d(x, w, stride=stride, padding=padding)
        np.testing.assert_allclose(direct, expected, rtol=1e-4, atol=1e-4)


def test_edge_detection_responds_only_at_edges():
    square = square_image(16, 4, 12)
    edges = detect_edges(square)
    assert edges.shape == square.shape
    assert np.all(edges[7:9, 7:9] == 0) and np.all(edges[0:2, 0:2] == 0)
    assert edges[8, 4] > 2 and edges[4, 8] > 2  # the square's left and top sides
    batch = detect_edges(np.stack([square, square.T])[:, None])
    assert batch.shape == (2, 1, 16, 16)
    with pytest.raises(ValueError, match="images"):
        detect_edges(np.zeros((2, 3, 4, 4)))


def test_pca_matches_the_best_rank_k_reconstruction():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 6)) @ rng.standard_normal((6, 6))
    pca = PCA(2).fit(X)
    centred = X - X.mean(0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    best = np.mean((centred - (u[:, :2] * s[:2]) @ vt[:2]) ** 2)
    assert pca.reconstruction_error(X) == pytest.approx(best)
    assert PCA(6).fit(X).reconstruction_error(X) == pytest.approx(0, abs=1e-20)
    with pytest.raises(ValueError, match="n_components"):
        PCA(7).fit(X)


def test_upsample_repeats_each_pixel():
    x = mdlfast.tensor(np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2))
    up = Upsample2x()(x).numpy()
    np.testing.assert_array_equal(up, x.numpy().repeat(2, axis=2).repeat(2, axis=3))


@pytest.mark.parametrize("build, shape", [
    (lambda: Autoencoder(16, 3), (40, 16)),
    (lambda: Autoencoder(16, 3, hidden=(8,)), (40, 16)),
    (lambda: Autoencoder(16, 3, hidden=(8,), noise=0.1), (40, 16)),
    (lambda: ConvAutoencoder(1, 8, 3, width=4), (40, 1, 8, 8)),
])
def test_autoencoders_reconstruct_and_learn(build, shape):
    mdlfast.manual_seed(0)
    rng = np.random.default_rng(0)
    codes = rng.standard_normal((shape[0], 3))
    X = (codes @ rng.standard_normal((3, int(np.prod(shape[1:]))))).reshape(shape)
    X = (X / np.abs(X).max()).astype(np.float32)
    model = build()
    model.eval()
    assert model(mdlfast.tensor(X)).shape == shape
    assert model.encode(mdlfast.tensor(X)).shape == (shape[0], 3)
    first, last = _loss_drops(model, X, X, 30, lr=1e-2, loss_fn=nn.MSELoss())
    assert last < 0.5 * first


def test_vae_loss_and_training():
    mdlfast.manual_seed(0)
    rng = np.random.default_rng(0)
    X = (rng.random((64, 12)) > 0.5).astype(np.float32)
    X[:32, :6] = 1.0
    model = VAE(12, 2, 16)
    logits, mu, logvar = model(mdlfast.tensor(X))
    assert logits.shape == (64, 12) and mu.shape == logvar.shape == (64, 2)
    # The loss is the reconstruction BCE plus the closed-form Gaussian KL, per sample.
    l, m, v = logits.numpy().astype(np.float64), mu.numpy(), logvar.numpy()
    bce = np.sum(np.maximum(l, 0) - l * X + np.log1p(np.exp(-np.abs(l))))
    kl = -0.5 * np.sum(1 + v - m ** 2 - np.exp(v))
    loss = vae_loss((logits, mu, logvar), mdlfast.tensor(X)).item()
    assert loss == pytest.approx((bce + kl) / 64, rel=1e-5)
    first, last = _loss_drops(model, X, X, 20, lr=1e-2, loss_fn=vae_loss)
    assert last < 0.9 * first
    assert model.sample(3).shape == (3, 12)


def test_transfer_freezes_and_copies_weights():
    mdlfast.manual_seed(0)
    source = LeNet5(1, 5, 8)
    target = LeNet5(1, 3, 8)
    copied = transfer_weights(source.state_dict(), target, exclude=("classifier.5.",))
    assert "features.0.weight" in copied and not any(k.startswith("classifier.5.") for k in copied)
    np.testing.assert_array_equal(target.features[0].weight.numpy(),
                                  source.features[0].weight.numpy())
    freeze(target.features)
    trainable = trainable_parameters(target)
    assert len(trainable) == 6  # the classifier's three Linear layers
    before = target.features[0].weight.numpy().copy()
    X, y = _images(16)
    opt = optim.SGD(trainable, lr=0.1)
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=8)
    train.fit(target, nn.CrossEntropyLoss(), opt, loader, epochs=2, progress=False)
    np.testing.assert_array_equal(target.features[0].weight.numpy(), before)


def test_pytorch_state_dict_loads_into_the_zoo_lenet():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    torch.manual_seed(0)
    theirs = tnn.Sequential()
    features = tnn.Sequential(tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
                              tnn.Conv2d(6, 16, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2))
    classifier = tnn.Sequential(tnn.Flatten(), tnn.Linear(64, 120), tnn.ReLU(),
                                tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10))
    theirs.add_module("features", features)
    theirs.add_module("classifier", classifier)
    ours = LeNet5(1, 10, 8)
    copied = transfer_weights(theirs.state_dict(), ours)
    assert len(copied) == len(ours.state_dict())
    x = np.random.default_rng(0).standard_normal((3, 1, 8, 8)).astype(np.float32)
    ours.eval()
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(mdlfast.tensor(x)).numpy(), expected, rtol=1e-4, atol=1e-5)


def test_kernels_path_of_the_demo_matches_the_reference_matrix():
    w = np.random.default_rng(2).standard_normal((2, 1, 3, 3)).astype(np.float32)
    np.testing.assert_array_equal(kernels.conv2d_matrix(w, (5, 5), padding=1),
                                  reference.conv2d_matrix(w, (5, 5), padding=1))
