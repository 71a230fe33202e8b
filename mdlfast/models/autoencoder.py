"""Unit 6: autoencoders (shallow, deep, convolutional, denoising) and PCA, the linear baseline
they are compared with at the same code size."""
from __future__ import annotations

import numpy as np

from mdlfast import nn
from mdlfast.autograd import tensor
from mdlfast.models.mlp import activation_module
from mdlfast.random import generator


class GaussianNoise(nn.Module):
    """Adds N(0, sigma^2) noise in training mode; the identity in eval mode (the corruption of a
    denoising autoencoder)."""

    def __init__(self, sigma):
        super().__init__()
        if sigma < 0:
            raise ValueError(f"GaussianNoise: sigma must be >= 0, got {sigma}")
        self.sigma = float(sigma)

    def forward(self, x):
        if not self.training or self.sigma == 0:
            return x
        noise = generator().normal(0.0, self.sigma, size=x.shape).astype(np.float32)
        return x + tensor(noise)


class Upsample2x(nn.Module):
    """Nearest-neighbour upsampling by 2 of [N, C, H, W] (each pixel repeated 2x2)."""

    def forward(self, x):
        n, c, h, w = x.shape
        x = x.reshape(n, c, h, 1, w, 1).expand(n, c, h, 2, w, 2)
        return x.reshape(n, c, 2 * h, 2 * w)


def _mlp(sizes, activation, last_activation):
    layers = []
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if k < len(sizes) - 2 or last_activation:
            layers.append(activation_module(activation))
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """in_features -> hidden... -> code -> ...hidden reversed -> in_features. hidden=() is the
    shallow autoencoder (one code layer); noise > 0 corrupts the inputs during training (the
    denoising autoencoder). The decoder's output is linear (pixels as real values)."""

    def __init__(self, in_features=64, code_size=8, hidden=(), *, activation="relu", noise=0.0):
        super().__init__()
        self.code_size = code_size
        self.corrupt = GaussianNoise(noise)
        self.encoder = _mlp([in_features, *hidden, code_size], activation, False)
        self.decoder = _mlp([code_size, *reversed(hidden), in_features], activation, False)

    def encode(self, x):
        """The code of x."""
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encoder(self.corrupt(x)))


class ConvAutoencoder(nn.Module):
    """[N, 1, 8, 8] -> two strided-by-pooling conv stages -> a code of code_size -> a linear
    layer and two upsample+conv stages back to [N, 1, 8, 8]."""

    def __init__(self, in_channels=1, image_size=8, code_size=8, *, width=16, noise=0.0):
        super().__init__()
        if image_size % 4:
            raise ValueError(f"ConvAutoencoder: image_size must be a multiple of 4, "
                             f"got {image_size}")
        small, w = image_size // 4, width
        self.code_size = code_size
        self.corrupt = GaussianNoise(noise)
        self.encoder = nn.Sequential(
            nn.Conv2d(in_channels, w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(w, 2 * w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(2 * w * small * small, code_size))
        self.decoder = nn.Sequential(
            nn.Linear(code_size, 2 * w * small * small), nn.ReLU(),
            nn.Unflatten(1, (2 * w, small, small)),
            Upsample2x(), nn.Conv2d(2 * w, w, 3, padding=1), nn.ReLU(),
            Upsample2x(), nn.Conv2d(w, in_channels, 3, padding=1))

    def encode(self, x):
        """The code of x."""
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encoder(self.corrupt(x)))


class PCA:
    """Principal component analysis by SVD of the centred training data: the best rank-k linear
    reconstruction (the yardstick for autoencoders of code size k)."""

    def __init__(self, n_components):
        if n_components < 1:
            raise ValueError(f"PCA: n_components must be >= 1, got {n_components}")
        self.n_components = int(n_components)

    def fit(self, X):
        """Learn the mean and the leading principal directions of X [N, D]."""
        X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
        if self.n_components > min(X.shape):
            raise ValueError(f"PCA: n_components must be <= min(samples, features) = "
                             f"{min(X.shape)}, got {self.n_components}")
        self.mean_ = X.mean(axis=0)
        _, _, vt = np.linalg.svd(X - self.mean_, full_matrices=False)
        self.components_ = vt[:self.n_components]
        return self

    def transform(self, X):
        """Codes [N, k]."""
        X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
        return (X - self.mean_) @ self.components_.T

    def inverse_transform(self, codes):
        """Reconstructions [N, D] from codes."""
        return codes @ self.components_ + self.mean_

    def reconstruction_error(self, X):
        """Mean squared error per element of the rank-k reconstruction of X."""
        flat = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
        return float(np.mean((self.inverse_transform(self.transform(flat)) - flat) ** 2))
