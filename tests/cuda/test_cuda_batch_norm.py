"""The CUDA batch_norm against the NumPy reference (float64) and the CPU kernels: [N, C] and
[N, C, H, W] inputs, affine and not, training (running statistics updated in place as PyTorch does,
with the unbiased variance) and eval, large offsets from zero, and the backward both ways. Runs only
where CuPy and a GPU are present."""
from __future__ import annotations

import numpy as np
import pytest

from _gpu import cp, to_cpu, to_gpu  # skips this module without a GPU
from _checks import rel_err, rng_for
from mdlfast import kernels, reference

pytestmark = pytest.mark.cuda

SHAPES = [(3, 3), (64, 5), (4, 3, 5, 7), (3, 16, 1, 1), (8, 4, 33, 31)]


def f64(x):
    return None if x is None else np.asarray(x, dtype=np.float64)


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", SHAPES)
def test_training_forward_running_statistics_and_backward(shape, affine):
    rng = rng_for("cuda batch_norm", shape, affine)
    c = shape[1]
    x = (rng.standard_normal(shape) * 2 + 50).astype(np.float32)  # |mean| >> std
    gamma = rng.standard_normal(c).astype(np.float32) if affine else None
    beta = rng.standard_normal(c).astype(np.float32) if affine else None
    rm, rv = rng.standard_normal(c).astype(np.float32), rng.random(c).astype(np.float32) + 0.5
    rm_gpu, rv_gpu = to_gpu(rm), to_gpu(rv)
    y, mean, invstd = kernels.batch_norm(to_gpu(x), to_gpu(gamma), to_gpu(beta), rm_gpu, rv_gpu, training=True,
                                         momentum=0.2)
    rm_ref, rv_ref = f64(rm), f64(rv)
    y_ref, mean_ref, invstd_ref = reference.batch_norm(f64(x), f64(gamma), f64(beta), rm_ref, rv_ref, training=True,
                                                       momentum=0.2)
    assert rel_err(to_cpu(y), y_ref) <= 1e-5
    assert rel_err(to_cpu(mean), mean_ref) <= 1e-6
    assert rel_err(to_cpu(invstd), invstd_ref) <= 1e-5
    assert rel_err(to_cpu(rm_gpu), rm_ref) <= 1e-6 and rel_err(to_cpu(rv_gpu), rv_ref) <= 1e-5
    y_cpu, _, _ = kernels.batch_norm(x, gamma, beta, rm.copy(), rv.copy(), training=True, momentum=0.2)
    assert rel_err(to_cpu(y), f64(y_cpu)) <= 1e-5

    dy = rng.standard_normal(shape).astype(np.float32)
    dx, dgamma, dbeta = kernels.batch_norm_backward(to_gpu(dy), to_gpu(x), to_gpu(gamma), mean, invstd)
    dx_ref, dgamma_ref, dbeta_ref = reference.batch_norm_backward(f64(dy), f64(x), f64(gamma), mean_ref, invstd_ref)
    assert rel_err(to_cpu(dx), dx_ref) <= 1e-4  # dx cancels: the sums of dy and dy·x̂ come off
    # (with n·s = 2 it is exactly zero, hence no such shape here)
    if affine:
        assert rel_err(to_cpu(dgamma), dgamma_ref) <= 1e-5 and rel_err(to_cpu(dbeta), dbeta_ref) <= 1e-5
    else:
        assert dgamma is None and dbeta is None


@pytest.mark.parametrize("shape", SHAPES)
def test_eval_uses_the_running_statistics(shape):
    rng = rng_for("cuda batch_norm eval", shape)
    c = shape[1]
    x = rng.standard_normal(shape).astype(np.float32)
    gamma, beta = rng.standard_normal(c).astype(np.float32), rng.standard_normal(c).astype(np.float32)
    rm, rv = rng.standard_normal(c).astype(np.float32), rng.random(c).astype(np.float32) + 0.5
    rm_gpu, rv_gpu = to_gpu(rm), to_gpu(rv)
    y, mean, invstd = kernels.batch_norm(to_gpu(x), to_gpu(gamma), to_gpu(beta), rm_gpu, rv_gpu, training=False)
    y_cpu, mean_cpu, invstd_cpu = kernels.batch_norm(x, gamma, beta, rm, rv, training=False)
    np.testing.assert_allclose(to_cpu(y), y_cpu, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(to_cpu(mean), mean_cpu)
    np.testing.assert_array_equal(to_cpu(invstd), invstd_cpu)
    np.testing.assert_array_equal(to_cpu(rm_gpu), rm)  # eval leaves them alone
    dy = rng.standard_normal(shape).astype(np.float32)
    dx, _, _ = kernels.batch_norm_backward(to_gpu(dy), to_gpu(x), to_gpu(gamma), mean, invstd, training=False)
    dx_cpu, _, _ = kernels.batch_norm_backward(dy, x, gamma, mean_cpu, invstd_cpu, training=False)
    np.testing.assert_allclose(to_cpu(dx), dx_cpu, rtol=1e-5, atol=1e-6)


def test_running_statistics_that_alias_are_refused():
    shared = cp.zeros(6, cp.float32)
    with pytest.raises(ValueError, match="shares memory"):
        kernels.batch_norm(cp.ones((4, 3), cp.float32), None, None, shared[:3], shared[2:5], training=True)
