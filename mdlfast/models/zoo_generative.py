"""Zoo entries of unit 7 (generative models): GAN, DCGAN and WGAN-GP on 8x8 digits, and DDPMs on
2-D data and on digits. Digit samples are rated by a digits classifier trained by the library
(mean top-class confidence, classes covered); 2-D samples by their RBF-kernel MMD to held-out
data, next to the MMD of a Gaussian fitted to the training data."""
from __future__ import annotations

import numpy as np

from mdlfast import data
from mdlfast.models.ddpm import DDPMConfig, sample_ddpm, train_ddpm
from mdlfast.models.gan import (DCDiscriminator, DCGenerator, GANConfig, MLPCritic,
                                MLPGenerator, generate, train_gan)
from mdlfast.models.registry import Run, ZooEntry, register
from mdlfast.models.sample_scores import (digit_scorer, digits_in_unit_range, gaussian_baseline,
                                          mmd_rbf, save_sample_grid)

SAMPLES = 1000  # generated digits rated per run


def _digit_metrics(samples, seed):
    scorer = digit_scorer(seed)
    result = scorer.score(samples)
    result["scorer_test_accuracy"] = scorer.test_accuracy
    result["real_test_confidence"] = scorer.test_confidence
    return result


def _grid_plot(samples, title):
    def plot(path):
        save_sample_grid(samples[:64].reshape(-1, 8, 8), path, title=title)
    return plot


def _train_gan_entry(entry, config, *, dataset, seed, progress):
    (X, _), _ = digits_in_unit_range(seed)
    X = X * 2.0 - 1.0
    images = config["images"]
    if images:
        X = X.reshape(-1, 1, 8, 8)
    model = dict(config.get("model", {}))
    if images:
        generator = DCGenerator(config["latent_size"], **model)
        critic = DCDiscriminator(**model)
    else:
        generator = MLPGenerator(config["latent_size"], **model)
        critic = MLPCritic(64, **model)
    settings = {k: config[k] for k in ("loss", "steps", "batch_size", "lr", "betas",
                                       "critic_steps") if k in config}
    history = train_gan(generator, critic, np.ascontiguousarray(X, np.float32),
                        GANConfig(**settings), seed=seed, progress=progress)
    samples = generate(generator, SAMPLES, seed=seed + 1)
    metrics = _digit_metrics(samples, seed)
    metrics.update({"steps": int(config["steps"]), "final_d_loss": history.d_loss[-1],
                    "final_g_loss": history.g_loss[-1]})
    return Run(metrics, plot=_grid_plot(samples, f"{entry.name} samples"))


def _gan(name, summary, quick, full):
    register(ZooEntry(name=name, unit=7, summary=summary, dataset="digits", datasets=("digits",),
                      build=None, train=_train_gan_entry, quick=quick, full=full,
                      headline="mean_confidence"))


_GAN = {"loss": "gan", "images": False, "latent_size": 32, "batch_size": 64, "lr": 2e-4,
        "betas": (0.5, 0.999)}
_gan("gan", "GAN with MLP generator and discriminator on 8x8 digits",
     {**_GAN, "steps": 200, "model": {"hidden": (64, 64)}}, {**_GAN, "steps": 6000})
_DCGAN = {"loss": "gan", "images": True, "latent_size": 32, "batch_size": 64, "lr": 2e-4,
          "betas": (0.5, 0.999)}
_gan("dcgan", "DCGAN (upsample + conv generator, strided-conv discriminator) on 8x8 digits",
     {**_DCGAN, "steps": 60, "model": {"width": 8}},
     {**_DCGAN, "steps": 2000, "model": {"width": 16}})
_WGAN = {"loss": "wgan_gp", "images": False, "latent_size": 32, "batch_size": 64, "lr": 1e-4,
         "betas": (0.5, 0.9), "critic_steps": 5}
_gan("wgan_gp", "Wasserstein GAN with gradient penalty (MLP critic) on 8x8 digits",
     {**_WGAN, "steps": 40, "model": {"hidden": (64, 64)}}, {**_WGAN, "steps": 3000})


def _two_d(dataset, n, seed):
    if dataset == "moons":
        X, _ = data.make_moons(n, noise=0.05, seed=seed)
    else:
        X, _ = data.make_spirals(n // 3, 3, seed=seed)
    return np.asarray(X, np.float32)


def _ddpm_config(config):
    return DDPMConfig(**{k: config[k] for k in ("diffusion_steps", "beta_end", "hidden",
                                                "train_steps", "batch_size", "lr", "clip", "fourier")
                         if k in config})


def _train_ddpm_2d(entry, config, *, dataset, seed, progress):
    """DDPM on standardised 2-D points; MMD of 1000 samples to 1000 held-out points, against
    the MMD of a Gaussian fitted to the training points and of a second held-out draw (the
    noise floor of the estimate)."""
    n = config["points"]
    X = _two_d(dataset, n, seed)
    held_out = _two_d(dataset, SAMPLES, seed + 1)
    mean, scale = X.mean(0), X.std(0)
    standard = (X - mean) / scale
    cfg = _ddpm_config(config)
    model, schedule, losses = train_ddpm(standard, cfg, seed=seed, progress=progress)
    samples = sample_ddpm(model, schedule, SAMPLES, seed=seed + 2) * scale + mean
    bandwidth = float(np.median(np.abs(held_out - held_out.mean(0))))
    result = {"mmd": mmd_rbf(samples, held_out, bandwidth),
              "gaussian_mmd": mmd_rbf(gaussian_baseline(X, SAMPLES, seed=seed + 3), held_out,
                                      bandwidth),
              "data_mmd": mmd_rbf(_two_d(dataset, SAMPLES, seed + 4), held_out, bandwidth),
              "final_loss": losses[-1], "train_steps": cfg.train_steps}
    result["mmd_over_gaussian"] = result["mmd"] / result["gaussian_mmd"]

    def plot(path):
        from mdlfast.train.plot import pyplot

        plt = pyplot()
        fig, ax = plt.subplots(figsize=(5, 5))
        ax.scatter(*held_out.T, s=3, alpha=0.4, label="held-out data")
        ax.scatter(*samples.T, s=3, alpha=0.4, label="DDPM samples")
        ax.legend()
        ax.set_title(f"DDPM on {dataset}")
        fig.savefig(path, bbox_inches="tight")
        plt.close(fig)

    return Run(result, plot=plot)


def _train_ddpm_digits(entry, config, *, dataset, seed, progress):
    (X, _), _ = digits_in_unit_range(seed)
    cfg = _ddpm_config(config)
    model, schedule, losses = train_ddpm(X * 2.0 - 1.0, cfg, seed=seed, progress=progress)
    samples = (sample_ddpm(model, schedule, SAMPLES, seed=seed + 1, clip=cfg.clip) + 1.0) * 0.5
    metrics = _digit_metrics(samples, seed)
    metrics.update({"final_loss": losses[-1], "train_steps": cfg.train_steps})
    return Run(metrics, plot=_grid_plot(samples, "DDPM samples"))


_DDPM_2D = {"points": 2000, "diffusion_steps": 100, "beta_end": 0.2, "hidden": (128, 128, 128),
            "fourier": 64,
            "batch_size": 256, "lr": 2e-3}
register(ZooEntry(
    name="ddpm_2d", unit=7, summary="DDPM on 2-D points (two moons or spirals), MMD vs Gaussian",
    dataset="moons", datasets=("moons", "spirals"), build=None, train=_train_ddpm_2d,
    quick={**_DDPM_2D, "train_steps": 300, "hidden": (64, 64)},
    full={**_DDPM_2D, "train_steps": 6000}, headline="mmd_over_gaussian"))

_DDPM_DIGITS = {"diffusion_steps": 200, "beta_end": 0.1, "hidden": (512, 512, 512),
                "batch_size": 128, "lr": 1e-3, "clip": 1.0}
register(ZooEntry(
    name="ddpm_digits", unit=7, summary="DDPM (MLP noise predictor) on 8x8 digits",
    dataset="digits", datasets=("digits",), build=None, train=_train_ddpm_digits,
    quick={**_DDPM_DIGITS, "train_steps": 150, "hidden": (128, 128)},
    full={**_DDPM_DIGITS, "train_steps": 10000}, headline="mean_confidence"))
