"""Helpers for the kernel tests: seeded inputs, relative errors, and direct calls of the C++
kernels with poisoned (NaN-filled) output buffers, so an element a kernel forgets to write shows.
"""
from __future__ import annotations

import contextlib
import zlib

import numpy as np

from mdlfast import _cpu
from mdlfast.testing import central_difference  # noqa: F401  (the tests import it from here)


def rng_for(*params):
    """A generator seeded from the test's parameters: fresh inputs per case, reproducible."""
    return np.random.default_rng(zlib.crc32(repr(params).encode()))


def randn(rng, shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def rel_err(out, ref):
    """‖out − ref‖ / ‖ref‖ in float64 (an exact zero reference demands an exact zero result)."""
    out = np.asarray(out, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    num = np.linalg.norm((out - ref).ravel())
    den = np.linalg.norm(ref.ravel())
    return num / max(den, np.finfo(np.float64).tiny)


def gemm_tol(k):
    """The float32 GEMM tolerance against a float64 reference: 1e-5 · √K."""
    return 1e-5 * np.sqrt(max(int(k), 1))


def assert_close(out, ref, k, *, name="out"):
    """out (float32, from a kernel) matches ref (float64): same shape, NaN exactly where ref has
    NaN, and a relative error of at most gemm_tol(k) over the finite elements."""
    out = np.asarray(out)
    ref = np.asarray(ref)
    assert out.shape == ref.shape, f"{name}: shape {out.shape}, expected {ref.shape}"
    assert out.dtype == np.float32, f"{name}: dtype {out.dtype}"
    ref_nan = np.isnan(ref)
    out_nan = np.isnan(out)
    assert np.array_equal(out_nan, ref_nan), (
        f"{name}: NaN at {np.argwhere(out_nan & ~ref_nan)[:5].tolist()} (unexpected) / "
        f"{np.argwhere(ref_nan & ~out_nan)[:5].tolist()} (missing)"
    )
    ok = ~ref_nan
    assert np.array_equal(np.isinf(out[ok]), np.isinf(ref[ok])), f"{name}: infinities differ"
    finite = np.isfinite(ref)
    err = rel_err(out[finite], ref[finite])
    assert err <= gemm_tol(k), f"{name}: relative error {err:.3g} > {gemm_tol(k):.3g} (K={k})"


def assert_within_gemm_bound(out, ref, magnitude, *, name="out"):
    """out (float32) matches ref (float64) to within the forward error bound of a float32 product:
    ‖out − ref‖ ≤ 1e-5 · ‖|A|·|B|‖, where `magnitude` is |A|·|B| (plus |beta·c|, |bias|) in float64.

    Unlike ‖out − ref‖/‖ref‖, this holds where the sums cancel (a single output that is the small
    difference of large terms: what property-based search finds). It is rigorous for K <= 160,
    where K·2⁻²⁴ < 1e-5, and about as strict as 1e-5·√K·‖ref‖ on well-conditioned data.
    """
    assert_within(out, ref, magnitude, 1e-5, name=name)


@contextlib.contextmanager
def using_isa(name):
    previous = _cpu.active_isa()
    _cpu.set_isa(name)
    try:
        yield
    finally:
        _cpu.set_isa(previous)


def _op(x, trans):
    return np.swapaxes(x, -1, -2) if trans else x


def poisoned_gemm(a, b, *, trans_a=False, trans_b=False, alpha=1.0, beta=0.0, c=None):
    """mdlfast._cpu.gemm called directly, on strided views, with a NaN-filled output buffer."""
    op_a, op_b = _op(a, trans_a), _op(b, trans_b)
    batches = [x.shape[0] for x in (op_a, op_b) if x.ndim == 3]
    batch = max(batches) if batches else 1
    m, k = op_a.shape[-2:]
    n = op_b.shape[-1]

    def as3(x, rows, cols):
        x = x if x.ndim == 3 else x[None]
        return np.broadcast_to(x, (batch, rows, cols))

    out = np.full((batch, m, n), np.nan, dtype=np.float32)
    c3 = None if c is None else np.broadcast_to(c, out.shape)
    _cpu.gemm(out, as3(op_a, m, k), as3(op_b, k, n), float(alpha), float(beta), c3)
    return out if batches else out[0]


def poisoned_linear(x, w, b=None, activation=None):
    """mdlfast._cpu.linear called directly on a 2-D x; returns (y, z), both poisoned first."""
    rows, out_features = x.shape[0], w.shape[0]
    y = np.full((rows, out_features), np.nan, dtype=np.float32)
    z = np.full_like(y, np.nan)
    _cpu.linear(y, z, x, w, b, activation or "none")
    return y, z


def poisoned_linear_backward(dy, x, w, y=None, z=None, activation=None):
    """mdlfast._cpu.linear_backward called directly on 2-D operands, outputs poisoned first."""
    rows, in_features = x.shape
    out_features = w.shape[0]
    dx = np.full((rows, in_features), np.nan, dtype=np.float32)
    dw = np.full((out_features, in_features), np.nan, dtype=np.float32)
    db = np.full((out_features,), np.nan, dtype=np.float32)
    _cpu.linear_backward(dx, dw, db, dy, x, w, y, z, activation or "none")
    return dx, dw, db


class Tripwire:
    """Stands in for mdlfast._cpu where mdlfast.kernels finds it: a call that reaches a kernel fails
    the test."""

    def __getattr__(self, name):
        raise AssertionError(f"mdlfast._cpu.{name} was reached before validation failed")


def poisoned_layer_norm(x, gamma, beta, eps=1e-5):
    """mdlfast._cpu.layer_norm called directly on a 2-D x; returns (y, mean, rstd), poisoned first."""
    rows, d = x.shape
    y = np.full((rows, d), np.nan, dtype=np.float32)
    mean = np.full((rows,), np.nan, dtype=np.float32)
    rstd = np.full((rows,), np.nan, dtype=np.float32)
    _cpu.layer_norm(y, mean, rstd, x, gamma, beta, eps)
    return y, mean, rstd


def poisoned_layer_norm_backward(dy, x, gamma, mean, rstd):
    """mdlfast._cpu.layer_norm_backward called directly on 2-D operands, outputs poisoned first;
    dgamma and dbeta are None when gamma is."""
    dx = np.full(x.shape, np.nan, dtype=np.float32)
    dgamma = None if gamma is None else np.full((x.shape[1],), np.nan, dtype=np.float32)
    dbeta = None if gamma is None else np.full((x.shape[1],), np.nan, dtype=np.float32)
    _cpu.layer_norm_backward(dx, dgamma, dbeta, dy, x, gamma, mean, rstd)
    return dx, dgamma, dbeta


def poisoned_embedding(indices, weight):
    """mdlfast._cpu.embedding called directly on flat int64 indices, the output poisoned first."""
    y = np.full((indices.shape[0], weight.shape[1]), np.nan, dtype=np.float32)
    _cpu.embedding(y, indices, weight)
    return y


def poisoned_embedding_backward(dy, indices, num_embeddings, padding_idx=-1):
    """mdlfast._cpu.embedding_backward called directly on flat int64 indices, dweight poisoned first."""
    dweight = np.full((num_embeddings, dy.shape[1]), np.nan, dtype=np.float32)
    _cpu.embedding_backward(dweight, dy, indices, padding_idx)
    return dweight


def assert_within(out, ref, scale, tol, *, name="out"):
    """out (float32) matches ref (float64) to within tol · ‖scale‖, where scale holds the
    magnitudes of the terms each element is computed from. Unlike a relative error, this holds
    where those terms cancel to (nearly) zero, such as layer_norm's dx on a row of one element."""
    out = np.asarray(out)
    ref = np.asarray(ref)
    assert out.shape == ref.shape, f"{name}: shape {out.shape}, expected {ref.shape}"
    assert out.dtype == np.float32, f"{name}: dtype {out.dtype}"
    assert np.array_equal(np.isnan(out), np.isnan(ref)), f"{name}: NaNs differ"
    err = np.linalg.norm((out.astype(np.float64) - ref).ravel())
    bound = tol * np.linalg.norm(np.asarray(scale, dtype=np.float64).ravel())
    assert err <= bound, f"{name}: error {err:.3g} > bound {bound:.3g}"


def layer_norm_term_scales(x, gamma, beta, dy, mean, rstd):
    """Per output, the magnitudes of the terms it is computed from (float64, 2-D): the scale of
    the rounding error a float32 kernel may make (see assert_within)."""
    d = x.shape[-1]
    x, dy = x.reshape(-1, d).astype(np.float64), dy.reshape(-1, d).astype(np.float64)
    rstd = rstd.reshape(-1, 1).astype(np.float64)
    # x̂ = (x - mean)·rstd is computed from x and mean, each rounded at the scale of |x|: where
    # |mean| >> std, float32 cannot hold x̂ better than that.
    xhat = (np.abs(x) + np.abs(mean.reshape(-1, 1))) * rstd
    scale = np.ones(d) if gamma is None else np.abs(gamma.astype(np.float64))
    g = np.abs(dy) * scale
    return {
        "y": xhat * scale + (0.0 if beta is None else np.abs(beta.astype(np.float64))),
        "mean": np.abs(x).mean(axis=1),
        "rstd": rstd[:, 0],
        "dx": rstd * (g + g.mean(axis=1, keepdims=True) + xhat * (g * xhat).mean(axis=1, keepdims=True)),
        "dgamma": (np.abs(dy) * xhat).sum(axis=0),
        "dbeta": np.abs(dy).sum(axis=0),
    }
