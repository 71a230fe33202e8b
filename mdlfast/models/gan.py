"""Generative adversarial networks on 8x8 images in [-1, 1]: an MLP GAN, a DCGAN (nearest
upsampling + convolutions in the generator, strided convolutions in the discriminator, batch
norm) and a Wasserstein GAN whose critic is kept 1-Lipschitz by a gradient penalty (gradients
of gradients through create_graph) or by weight clipping."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List

import numpy as np

from mdlfast import autograd, nn, optim
from mdlfast.autograd import no_grad, tensor
from mdlfast.nn import functional as F
from mdlfast.random import manual_seed


def leaky(x, slope=0.2):
    """Leaky ReLU from Tensor ops, so gradients of gradients flow through it (the gradient
    penalty differentiates the critic's input gradient)."""
    return x.relu() - (-x).relu() * slope


def upsample2(x):
    """Nearest-neighbour upsampling by 2 of [N, C, H, W] (a broadcast, then a reshape)."""
    n, c, h, w = x.shape
    return x.reshape(n, c, h, 1, w, 1).broadcast_to((n, c, h, 2, w, 2)).reshape(n, c, 2 * h,
                                                                                 2 * w)


class MLPGenerator(nn.Module):
    """z -> hidden (BatchNorm, ReLU) -> pixels (tanh), images flattened to [N, 64]."""

    def __init__(self, latent_size=32, hidden=(256, 256), pixels=64):
        super().__init__()
        layers, width = [], latent_size
        for h in hidden:
            layers += [nn.Linear(width, h), nn.BatchNorm1d(h), nn.ReLU()]
            width = h
        layers += [nn.Linear(width, pixels), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.latent_size = latent_size

    def forward(self, z):
        return self.net(z)


class MLPCritic(nn.Module):
    """pixels -> hidden (leaky ReLU) -> one score: the GAN discriminator's logit or the WGAN
    critic's value."""

    def __init__(self, pixels=64, hidden=(256, 256)):
        super().__init__()
        widths = [pixels, *hidden]
        self.hidden = nn.ModuleList([nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:])])
        self.out = nn.Linear(widths[-1], 1)

    def forward(self, x):
        x = x.reshape(x.shape[0], -1)
        for layer in self.hidden:
            x = leaky(layer(x))
        return self.out(x).reshape(-1)


class DCGenerator(nn.Module):
    """z -> [width*2, 4, 4] -> upsample to 8x8 -> conv 3x3 -> conv 3x3 -> tanh [N, 1, 8, 8]."""

    def __init__(self, latent_size=32, width=32):
        super().__init__()
        self.latent_size, self.width = latent_size, width
        self.project = nn.Linear(latent_size, 2 * width * 16)
        self.bn0 = nn.BatchNorm2d(2 * width)
        self.conv1 = nn.Conv2d(2 * width, width, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, 1, 3, padding=1)

    def forward(self, z):
        x = self.bn0(self.project(z).reshape(-1, 2 * self.width, 4, 4)).relu()
        x = self.bn1(self.conv1(upsample2(x))).relu()
        return self.conv2(x).tanh()


class DCDiscriminator(nn.Module):
    """[N, 1, 8, 8] -> conv 3x3 -> strided conv (4x4) -> strided conv (2x2) -> one logit."""

    def __init__(self, width=32):
        super().__init__()
        self.conv0 = nn.Conv2d(1, width, 3, padding=1)
        self.conv1 = nn.Conv2d(width, 2 * width, 4, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(2 * width)
        self.conv2 = nn.Conv2d(2 * width, 4 * width, 4, stride=2, padding=1)
        self.bn2 = nn.BatchNorm2d(4 * width)
        self.out = nn.Linear(16 * width, 1)

    def forward(self, x):
        x = leaky(self.conv0(x.reshape(-1, 1, 8, 8)))
        x = leaky(self.bn1(self.conv1(x)))
        x = leaky(self.bn2(self.conv2(x)))
        return self.out(x.reshape(x.shape[0], -1)).reshape(-1)


def gradient_penalty(critic, real, fake, rng):
    """WGAN-GP's penalty mean((|grad_x critic(x_hat)| - 1)^2) at random points x_hat on the
    segments between real and fake samples; differentiable in the critic's weights."""
    eps = rng.random((real.shape[0],) + (1,) * (real.ndim - 1)).astype(np.float32)
    x_hat = tensor(eps * real + (1 - eps) * fake, requires_grad=True)
    g, = autograd.grad(critic(x_hat).sum(), [x_hat], create_graph=True)
    norm = ((g * g).reshape(g.shape[0], -1).sum(axis=1) + 1e-12).sqrt()
    return ((norm - 1.0) ** 2).mean()


@dataclass
class GANConfig:
    """Training settings of `train_gan`; loss is "gan" (non-saturating, with one-sided label
    smoothing), "wgan_gp" (gradient penalty) or "wgan_clip" (weight clipping)."""
    loss: str = "gan"
    steps: int = 3000
    batch_size: int = 64
    lr: float = 2e-4
    betas: tuple = (0.5, 0.999)
    critic_steps: int = 1
    penalty: float = 10.0
    clip: float = 0.01
    real_label: float = 0.9


@dataclass
class GANHistory:
    """Per-logged-step discriminator/critic and generator losses."""
    steps: List[int] = field(default_factory=list)
    d_loss: List[float] = field(default_factory=list)
    g_loss: List[float] = field(default_factory=list)


def _latent(rng, n, size):
    return tensor(rng.standard_normal((n, size)).astype(np.float32))


def train_gan(generator, critic, X, config, *, seed=0, log_every=100, progress=False):
    """Train generator against critic on the real samples X (in [-1, 1], the shape the critic
    reads). Returns a GANHistory."""
    if config.loss not in ("gan", "wgan_gp", "wgan_clip"):
        raise ValueError(f"loss must be 'gan', 'wgan_gp' or 'wgan_clip', got {config.loss!r}")
    rng = np.random.default_rng(seed)
    manual_seed(seed)
    opt_g = optim.Adam(generator.parameters(), lr=config.lr, betas=config.betas)
    opt_d = optim.Adam(critic.parameters(), lr=config.lr, betas=config.betas)
    b, z_size = config.batch_size, generator.latent_size
    real_target = np.full(b, config.real_label, np.float32)
    fake_target, gen_target = np.zeros(b, np.float32), np.ones(b, np.float32)
    history = GANHistory()
    for step in range(1, int(config.steps) + 1):
        for _ in range(config.critic_steps):
            real = X[rng.integers(0, len(X), b)]
            with no_grad():
                fake = generator(_latent(rng, b, z_size)).data
            if config.loss == "gan":
                d_loss = (F.binary_cross_entropy_with_logits(critic(tensor(real)), real_target)
                          + F.binary_cross_entropy_with_logits(critic(tensor(fake)),
                                                               fake_target))
            else:
                d_loss = critic(tensor(fake)).mean() - critic(tensor(real)).mean()
                if config.loss == "wgan_gp":
                    d_loss = d_loss + gradient_penalty(critic, real, fake, rng) * config.penalty
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            if config.loss == "wgan_clip":
                for p in critic.parameters():
                    np.clip(p.data, -config.clip, config.clip, out=p.data)
        score = critic(generator(_latent(rng, b, z_size)))
        if config.loss == "gan":
            g_loss = F.binary_cross_entropy_with_logits(score, gen_target)
        else:
            g_loss = -score.mean()
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        if step % log_every == 0 or step == config.steps:
            history.steps.append(step)
            history.d_loss.append(float(d_loss.item()))
            history.g_loss.append(float(g_loss.item()))
            if progress:
                print(f"  step {step:>6}  d_loss {history.d_loss[-1]:.4f}  "
                      f"g_loss {history.g_loss[-1]:.4f}", flush=True)
    return history


def generate(generator, n, seed=0):
    """n samples of the generator (eval mode) mapped back to [0, 1], as [n, 64]."""
    rng = np.random.default_rng(seed)
    generator.eval()
    with no_grad():
        out = generator(_latent(rng, n, generator.latent_size)).numpy()
    generator.train()
    return ((out.reshape(n, -1) + 1.0) * 0.5).astype(np.float32)
