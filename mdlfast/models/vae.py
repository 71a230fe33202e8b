"""Unit 6: the variational autoencoder (Kingma & Welling, 2014) with a Gaussian encoder, the
reparameterisation trick and a Bernoulli decoder (pixels in [0, 1])."""
from __future__ import annotations

import numpy as np

from mdlfast import nn
from mdlfast.autograd import tensor
from mdlfast.random import generator


class VAE(nn.Module):
    """Encoder x -> (mu, logvar) of q(z|x); z = mu + exp(logvar / 2) * eps; decoder z -> pixel
    logits. forward returns (logits, mu, logvar); in eval mode z = mu."""

    def __init__(self, in_features=64, latent_size=8, hidden=128):
        super().__init__()
        self.latent_size = latent_size
        self.encoder = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, latent_size)
        self.logvar = nn.Linear(hidden, latent_size)
        self.decoder = nn.Sequential(nn.Linear(latent_size, hidden), nn.ReLU(),
                                     nn.Linear(hidden, in_features))

    def forward(self, x):
        h = self.encoder(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu
        if self.training:
            eps = generator().standard_normal(mu.shape).astype(np.float32)
            z = mu + (logvar * 0.5).exp() * tensor(eps)
        return self.decoder(z), mu, logvar

    def sample(self, n):
        """Decoded pixel probabilities of n draws z ~ N(0, I), as a NumPy array."""
        from mdlfast.autograd import no_grad

        z = generator().standard_normal((n, self.latent_size)).astype(np.float32)
        with no_grad():
            return self.decoder(tensor(z)).sigmoid().numpy()


def vae_loss(output, target):
    """The negative ELBO per sample: Bernoulli reconstruction cross-entropy summed over pixels
    plus KL(q(z|x) || N(0, I)), averaged over the batch."""
    logits, mu, logvar = output
    n = target.shape[0]
    reconstruction = nn.functional.binary_cross_entropy_with_logits(logits, target,
                                                                    reduction="sum")
    kl = -0.5 * (1 + logvar - mu * mu - logvar.exp()).sum()
    return (reconstruction + kl) / n
