"""A small denoising diffusion probabilistic model (Ho et al. 2020) for vector data: a linear
noise schedule, an MLP that predicts the noise from (x_t, sinusoidal embedding of t), the
simple epsilon-prediction loss, and ancestral sampling through the posterior q(x_{t-1} | x_t, x_0)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mdlfast import nn, optim
from mdlfast.autograd import cat, no_grad, tensor
from mdlfast.random import manual_seed


class NoiseSchedule:
    """beta_t linear from beta_start to beta_end over `steps`; alpha_bar_t = prod (1 - beta)."""

    def __init__(self, steps=200, beta_start=1e-4, beta_end=0.1):
        if int(steps) < 1:
            raise ValueError(f"steps must be a positive integer, got {steps!r}")
        if not 0 < beta_start <= beta_end < 1:
            raise ValueError(f"need 0 < beta_start <= beta_end < 1, got {beta_start}, {beta_end}")
        self.steps = int(steps)
        self.betas = np.linspace(beta_start, beta_end, self.steps)
        self.alphas = 1.0 - self.betas
        self.alpha_bars = np.cumprod(self.alphas)
        previous = np.concatenate([[1.0], self.alpha_bars[:-1]])
        # Posterior q(x_{t-1} | x_t, x_0): mean = c0 x_0 + ct x_t, variance beta_tilde.
        self.c0 = self.betas * np.sqrt(previous) / (1.0 - self.alpha_bars)
        self.ct = (1.0 - previous) * np.sqrt(self.alphas) / (1.0 - self.alpha_bars)
        self.posterior_variance = self.betas * (1.0 - previous) / (1.0 - self.alpha_bars)

    def noise(self, x0, t, eps):
        """x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, t an integer array."""
        a = self.alpha_bars[t][:, None]
        return (np.sqrt(a) * x0 + np.sqrt(1.0 - a) * eps).astype(np.float32)


def time_embedding(t, steps, size=32):
    """Sinusoidal features [len(t), size] of the step t / steps (as a transformer's positions)."""
    half = size // 2
    frequencies = np.exp(-np.log(1000.0) * np.arange(half) / max(half - 1, 1))
    angles = (np.asarray(t, np.float64)[:, None] / steps * 1000.0) * frequencies[None]
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=1).astype(np.float32)


class Denoiser(nn.Module):
    """An MLP eps_theta(x_t, t): [x_t, embedding(t)] -> hidden (SiLU) -> noise estimate.

    fourier > 0 adds sin and cos of `fourier` fixed random projections of x_t (scale
    fourier_scale) to the input: plain MLPs learn fine spatial detail (spiral arms) slowly."""

    def __init__(self, dim, hidden=(128, 128, 128), embedding_size=32, fourier=0,
                 fourier_scale=3.0, seed=0):
        super().__init__()
        self.dim, self.embedding_size = dim, embedding_size
        rng = np.random.default_rng(seed)
        self.projection = (rng.normal(0.0, fourier_scale, (dim, fourier)).astype(np.float32)
                           if fourier else None)
        layers, width = [], dim + embedding_size + 2 * fourier
        for h in hidden:
            layers += [nn.Linear(width, h), nn.SiLU()]
            width = h
        layers.append(nn.Linear(width, dim))
        self.net = nn.Sequential(*layers)

    def forward(self, x, t_features):
        parts = [x, t_features]
        if self.projection is not None:
            angles = x.data @ self.projection  # a fixed map of the input: no gradient needed
            parts += [tensor(np.sin(angles)), tensor(np.cos(angles))]
        return self.net(cat(parts, axis=1))


@dataclass
class DDPMConfig:
    """Settings of `train_ddpm` and `sample_ddpm`."""
    diffusion_steps: int = 200
    beta_end: float = 0.1
    hidden: tuple = (128, 128, 128)
    train_steps: int = 5000
    batch_size: int = 128
    lr: float = 2e-3
    clip: float = 0.0  # > 0: clip the predicted x_0 to [-clip, clip] while sampling (images)
    fourier: int = 0  # random Fourier input features of the Denoiser (0: none)


def train_ddpm(X, config, *, seed=0, log_every=500, progress=False):
    """Fit a Denoiser to the data X [N, d] (Adam on the mean squared noise-prediction error,
    cosine-decayed learning rate). Returns (model, schedule, losses)."""
    X = np.asarray(X, np.float32)
    rng = np.random.default_rng(seed)
    manual_seed(seed)
    schedule = NoiseSchedule(config.diffusion_steps, beta_end=config.beta_end)
    model = Denoiser(X.shape[1], config.hidden, fourier=config.fourier, seed=seed)
    opt = optim.Adam(model.parameters(), lr=config.lr)
    decay = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config.train_steps)
    table = time_embedding(np.arange(schedule.steps), schedule.steps, model.embedding_size)
    losses, running = [], 0.0
    for step in range(1, int(config.train_steps) + 1):
        x0 = X[rng.integers(0, len(X), config.batch_size)]
        t = rng.integers(0, schedule.steps, config.batch_size)
        eps = rng.standard_normal(x0.shape).astype(np.float32)
        predicted = model(tensor(schedule.noise(x0, t, eps)), tensor(table[t]))
        diff = predicted - tensor(eps)
        loss = (diff * diff).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        decay.step()
        running += float(loss.item())
        if step % log_every == 0 or step == config.train_steps:
            losses.append(running / (log_every if step % log_every == 0 else step % log_every))
            running = 0.0
            if progress:
                print(f"  step {step:>6}  noise-prediction loss {losses[-1]:.4f}", flush=True)
    return model, schedule, losses


def sample_ddpm(model, schedule, n, *, seed=0, clip=0.0):
    """n samples by ancestral sampling from x_T ~ N(0, I) down to x_0."""
    rng = np.random.default_rng(seed)
    table = time_embedding(np.arange(schedule.steps), schedule.steps, model.embedding_size)
    x = rng.standard_normal((n, model.dim)).astype(np.float32)
    model.eval()
    with no_grad():
        for t in range(schedule.steps - 1, -1, -1):
            eps = model(tensor(x), tensor(np.repeat(table[t:t + 1], n, axis=0))).numpy()
            a_bar = schedule.alpha_bars[t]
            x0 = (x - np.sqrt(1.0 - a_bar) * eps) / np.sqrt(a_bar)
            if clip:
                x0 = np.clip(x0, -clip, clip)
            mean = schedule.c0[t] * x0 + schedule.ct[t] * x
            if t:
                mean = mean + np.sqrt(schedule.posterior_variance[t]) * rng.standard_normal(x.shape)
            x = mean.astype(np.float32)
    model.train()
    return x
