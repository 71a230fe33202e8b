"""Generative models: GAN building blocks, the gradient penalty (gradients of gradients), the
DDPM schedule and sampler, the sample scores (digit classifier, MMD), and quick zoo runs."""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast.autograd import tensor
from mdlfast.models import registry
from mdlfast.models.ddpm import DDPMConfig, NoiseSchedule, sample_ddpm, time_embedding, train_ddpm
from mdlfast.models.gan import (DCDiscriminator, DCGenerator, GANConfig, MLPCritic, MLPGenerator,
                                generate, gradient_penalty, train_gan, upsample2)
from mdlfast.models.sample_scores import digit_scorer, gaussian_baseline, image_grid, mmd_rbf
from mdlfast.nn import Linear

pytest.importorskip("sklearn")


def test_upsample2_repeats_each_pixel():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
    t = tensor(x, requires_grad=True)
    up = upsample2(t)
    np.testing.assert_array_equal(up.numpy(), x.repeat(2, axis=2).repeat(2, axis=3))
    up.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.full_like(x, 4.0))


def test_gradient_penalty_of_a_linear_critic_by_hand():
    """critic(x) = w.x + b has input gradient w everywhere: the penalty is (|w| - 1)^2 and its
    gradient in w is 2 (|w| - 1) w / |w|, reached only through the double backward."""
    critic = Linear(3, 1)
    w = np.array([[1.0, 2.0, 2.0]], np.float32)  # |w| = 3
    critic.weight.data[...] = w
    rng = np.random.default_rng(0)
    real = rng.standard_normal((5, 3)).astype(np.float32)
    fake = rng.standard_normal((5, 3)).astype(np.float32)
    penalty = gradient_penalty(lambda x: critic(x).reshape(-1), real, fake, rng)
    np.testing.assert_allclose(penalty.item(), 4.0, rtol=1e-5)
    penalty.backward()
    np.testing.assert_allclose(critic.weight.grad.numpy(), 2 * 2 * w / 3, rtol=1e-5)


def test_generators_and_critics_have_the_right_shapes():
    z = tensor(np.zeros((4, 16), np.float32))
    assert MLPGenerator(16, (32,)).forward(z).shape == (4, 64)
    images = DCGenerator(16, width=4)(z)
    assert images.shape == (4, 1, 8, 8) and np.abs(images.numpy()).max() <= 1
    assert DCDiscriminator(width=4)(images).shape == (4,)
    assert MLPCritic(64, (32,))(images).shape == (4,)


def test_weight_clipping_keeps_the_critic_in_the_box_and_samples_lie_in_unit_range():
    X = np.random.default_rng(0).uniform(-1, 1, (64, 64)).astype(np.float32)
    generator, critic = MLPGenerator(8, (16,)), MLPCritic(64, (16,))
    history = train_gan(generator, critic, X, GANConfig(loss="wgan_clip", steps=5, batch_size=16,
                                                         critic_steps=2, clip=0.01), log_every=1)
    assert len(history.d_loss) == 5
    assert max(np.abs(p.data).max() for p in critic.parameters()) <= 0.01
    samples = generate(generator, 10)
    assert samples.shape == (10, 64) and samples.min() >= 0 and samples.max() <= 1
    with pytest.raises(ValueError, match="loss"):
        train_gan(generator, critic, X, GANConfig(loss="hinge"))


def test_noise_schedule_and_posterior():
    schedule = NoiseSchedule(50, beta_end=0.2)
    assert schedule.alpha_bars[-1] < 0.01 and np.all(np.diff(schedule.alpha_bars) < 0)
    # The posterior at t = 0 returns x_0 exactly with no noise.
    assert schedule.c0[0] == pytest.approx(1.0) and schedule.ct[0] == pytest.approx(0.0)
    assert schedule.posterior_variance[0] == 0.0
    rng = np.random.default_rng(0)
    x0, eps = np.ones((20000, 1)), rng.standard_normal((20000, 1))
    xt = schedule.noise(x0, np.full(20000, 10), eps)
    a = schedule.alpha_bars[10]
    assert abs(xt.mean() - np.sqrt(a)) < 0.02 and abs(xt.var() - (1 - a)) < 0.02
    with pytest.raises(ValueError, match="beta"):
        NoiseSchedule(10, beta_start=0.5, beta_end=0.1)
    features = time_embedding(np.arange(50), 50, 16)
    assert features.shape == (50, 16) and np.abs(features).max() <= 1


def test_ddpm_learns_a_shifted_gaussian():
    X = np.random.default_rng(0).normal([3.0, -2.0], 0.5, (2000, 2)).astype(np.float32)
    model, schedule, losses = train_ddpm(X, DDPMConfig(diffusion_steps=50, beta_end=0.3,
                                                       hidden=(64, 64), train_steps=600,
                                                       batch_size=128, lr=3e-3))
    samples = sample_ddpm(model, schedule, 2000, seed=1)
    np.testing.assert_allclose(samples.mean(0), [3.0, -2.0], atol=0.2)
    np.testing.assert_allclose(samples.std(0), [0.5, 0.5], atol=0.2)
    assert losses[-1] < losses[0]


def test_mmd_rbf():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 2))
    assert mmd_rbf(X, X) == pytest.approx(0.0, abs=1e-12)
    near, far = mmd_rbf(X, rng.standard_normal((300, 2)), 1.0), mmd_rbf(X, X + 2.0, 1.0)
    assert 0 <= near < 0.02 < far
    # One point each: 2 - 2 exp(-d^2 / 2) with bandwidth 1.
    assert mmd_rbf([[0.0, 0.0]], [[1.0, 1.0]], 1.0) == pytest.approx(2 - 2 * np.exp(-1.0))
    fitted = gaussian_baseline(X, 5000, seed=1)
    np.testing.assert_allclose(fitted.mean(0), X.mean(0), atol=0.05)
    with pytest.raises(ValueError, match="same d"):
        mmd_rbf(X, np.zeros((3, 3)))


def test_image_grid_tiles_images():
    images = np.arange(4 * 2 * 2).reshape(4, 2, 2)
    grid = image_grid(images, 2, 2, pad=1)
    assert grid.shape == (6, 6)
    np.testing.assert_array_equal(grid[3:5, 3:5], images[3])


def test_digit_scorer_rates_real_digits_as_confident_and_spread():
    scorer = digit_scorer(0)
    assert scorer.test_accuracy >= 0.95 and scorer.test_confidence >= 0.9
    from mdlfast.models.sample_scores import digits_in_unit_range

    _, (X_test, _) = digits_in_unit_range(0)
    score = scorer.score(X_test)
    assert score["classes_covered"] == 10 and score["class_entropy"] > 2.2


@pytest.mark.parametrize("name", ["gan", "dcgan", "wgan_gp", "ddpm_digits"])
def test_quick_digit_generators_report_sample_scores(name):
    metrics = registry.get(name).run(quick=True, seed=0).metrics
    assert 0.1 <= metrics["mean_confidence"] <= 1.0
    assert 1 <= metrics["classes_covered"] <= 10


def test_quick_ddpm_2d_reports_mmds():
    metrics = registry.get("ddpm_2d").run(quick=True, dataset="spirals", seed=0).metrics
    assert metrics["data_mmd"] < metrics["gaussian_mmd"]
    assert metrics["mmd"] > 0 and metrics["mmd_over_gaussian"] > 0


def test_denoiser_fourier_features_are_fixed_and_feed_the_mlp():
    from mdlfast.models.ddpm import Denoiser

    model = Denoiser(2, (16,), embedding_size=8, fourier=5, seed=3)
    assert model.net[0].in_features == 2 + 8 + 10
    x = tensor(np.ones((4, 2), np.float32), requires_grad=True)
    out = model(x, tensor(time_embedding(np.arange(4), 10, 8)))
    assert out.shape == (4, 2)
    out.sum().backward()
    assert x.grad is not None  # the raw input still reaches the MLP directly
    np.testing.assert_array_equal(model.projection,
                                  Denoiser(2, (16,), 8, fourier=5, seed=3).projection)
