"""A small Gaussian-process regressor in NumPy, for Bayesian optimisation over the unit cube.

The kernel is s^2 k(r) with r the distance scaled per input dimension by length scales l_d
(automatic relevance determination) and k the RBF exp(-r^2/2) or the Matérn-5/2
(1 + sqrt5 r + 5r^2/3) exp(-sqrt5 r), plus a nugget s^2 eta on the diagonal. Targets are
standardised; l and the relative noise eta maximise the log marginal likelihood over a grid
(one shared length scale first, then each dimension's in turn), with the amplitude s^2 profiled
out in closed form.
"""
from __future__ import annotations

import math

import numpy as np

LENGTH_SCALES = np.geomspace(0.03, 3.0, 16)
NUGGETS = (1e-8, 1e-6, 1e-4, 1e-2, 1e-1)


def kernel_matrix(A, B, length_scale, kind="matern52"):
    """Unit-amplitude kernel values k(|(a - b) / length_scale|) for rows a of A, b of B;
    length_scale is a scalar or one value per column."""
    scaled = (A[:, None, :] - B[None, :, :]) / np.asarray(length_scale, dtype=np.float64)
    r = np.sqrt((scaled * scaled).sum(-1))
    if kind == "rbf":
        return np.exp(-0.5 * r * r)
    if kind == "matern52":
        s = math.sqrt(5.0) * r
        return (1.0 + s + s * s / 3.0) * np.exp(-s)
    raise ValueError(f"kernel must be 'rbf' or 'matern52', got {kind!r}")


class GaussianProcess:
    """GP regression: fit(X, y) then predict(X) -> (mean, std)."""

    def __init__(self, kernel="matern52"):
        kernel_matrix(np.zeros((1, 1)), np.zeros((1, 1)), 1.0, kernel)  # validates the name
        self.kernel = kernel

    def fit(self, X, y, *, sweeps=2):
        """Choose the hyper-parameters by marginal likelihood and condition on (X, y).

        sweeps: rounds of per-dimension length-scale search after the shared one (0 keeps one
        isotropic length scale)."""
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        self.y_mean = y.mean()
        self.y_scale = y.std() or 1.0
        z = (y - self.y_mean) / self.y_scale
        d = X.shape[1]
        best = self._best(X, z, [np.full(d, ell) for ell in LENGTH_SCALES], NUGGETS, None)
        for _ in range(sweeps if d > 1 else 0):
            for j in range(d):
                candidates = []
                for ell in LENGTH_SCALES:
                    scales = best[4].copy()
                    scales[j] = ell
                    candidates.append(scales)
                best = self._best(X, z, candidates, (best[5],), best)
            best = self._best(X, z, [best[4]], NUGGETS, best)
        self.log_likelihood, self.chol, self.alpha, self.amplitude, self.length_scale, \
            self.nugget = best
        self.X = X
        return self

    def _best(self, X, z, length_scales, nuggets, best):
        """The most likely of `best` and the (length scales, nugget) pairs given."""
        for scales in length_scales:
            R = kernel_matrix(X, X, scales, self.kernel)
            for nugget in nuggets:
                fitted = _profile(R, nugget, z)
                if fitted is not None and (best is None or fitted[0] > best[0]):
                    best = fitted + (scales, nugget)
        if best is None:
            raise np.linalg.LinAlgError("GaussianProcess: no kernel matrix was positive definite")
        return best

    def predict(self, X):
        """Posterior mean and standard deviation of the (noise-free) function at the rows of X."""
        X = np.asarray(X, dtype=np.float64)
        Ks = kernel_matrix(X, self.X, self.length_scale, self.kernel)
        mean = Ks @ self.alpha
        v = np.linalg.solve(self.chol, Ks.T) if len(X) else np.zeros((len(self.X), 0))
        variance = np.maximum(1.0 - (v * v).sum(0), 0.0) * self.amplitude
        return self.y_mean + self.y_scale * mean, self.y_scale * np.sqrt(variance)


def _profile(R, nugget, z):
    """(log marginal likelihood, Cholesky factor, weights, amplitude) at the ML amplitude, or
    None when R + nugget I is not numerically positive definite."""
    n = len(z)
    try:
        L = np.linalg.cholesky(R + nugget * np.eye(n))
    except np.linalg.LinAlgError:
        return None
    w = np.linalg.solve(L, z)
    amplitude = max(w @ w / n, 1e-12)
    log_likelihood = -0.5 * n * math.log(amplitude) - np.log(np.diag(L)).sum()
    alpha = np.linalg.solve(L.T, w)
    return log_likelihood, L, alpha, amplitude


def expected_improvement(mean, std, best, xi=0.0):
    """E[max(best - xi - f, 0)] for f ~ N(mean, std^2): the expected gain over the best value
    so far when minimising (xi > 0 asks for a margin, favouring exploration)."""
    mean = np.asarray(mean, dtype=np.float64)
    std = np.asarray(std, dtype=np.float64)
    improvement = best - xi - mean
    safe_std = np.where(std > 0, std, 1.0)
    z = improvement / safe_std
    cdf = 0.5 * _erfc(-z / math.sqrt(2.0))
    pdf = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    ei = improvement * cdf + std * pdf
    return np.where(std > 0, np.maximum(ei, 0.0), np.maximum(improvement, 0.0))


_erfc = np.vectorize(math.erfc, otypes=[np.float64])
