"""The CUDA softmax and log_softmax (and their backwards) against the NumPy reference (float64) and
the CPU kernels, along the last axis (one block per row: widths below, at and above the block) and
inner axes (one thread per slice), with large logits and the NaN cases of csrc/cpu/softmax.h.
Runs only where CuPy and a GPU are present."""
from __future__ import annotations

import numpy as np
import pytest

from _gpu import to_cpu, to_gpu  # skips this module without a GPU
from _checks import rel_err, rng_for
from mdlfast import kernels, reference

pytestmark = pytest.mark.cuda

CASES = [((7, 1), -1), ((5, 31), -1), ((3, 256), -1), ((4, 1000), -1), ((2, 3, 4099), -1),
         ((6, 17, 5), 1), ((4, 9, 3, 2), 0), ((2, 300, 33), 1)]


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("shape,axis", CASES)
def test_forward_and_backward(shape, axis, log):
    rng = rng_for("cuda softmax", shape, axis, log)
    x = (rng.standard_normal(shape) * 30).astype(np.float32)  # large logits: the max must come off
    dy = rng.standard_normal(shape).astype(np.float32)
    forward = kernels.log_softmax if log else kernels.softmax
    backward = kernels.log_softmax_backward if log else kernels.softmax_backward
    ref_forward = reference.log_softmax if log else reference.softmax
    ref_backward = reference.log_softmax_backward if log else reference.softmax_backward
    y = forward(to_gpu(x), axis)
    y_ref = ref_forward(x.astype(np.float64), axis)
    assert rel_err(to_cpu(y), y_ref) <= 1e-6 * np.sqrt(shape[axis]) + 1e-6
    np.testing.assert_allclose(to_cpu(y), forward(x, axis), rtol=1e-5, atol=1e-6)
    dx = backward(to_gpu(dy), y, axis)
    dx_ref = ref_backward(dy.astype(np.float64), y_ref, axis)
    assert rel_err(to_cpu(dx), dx_ref) <= 1e-5 * np.sqrt(shape[axis])


@pytest.mark.parametrize("log", [False, True])
def test_nan_slices_as_on_the_cpu(log):
    x = np.array([[-np.inf, -np.inf, -np.inf], [1.0, np.inf, 0.0], [np.nan, 1.0, 2.0], [1.0, 2.0, 3.0]], np.float32)
    forward = kernels.log_softmax if log else kernels.softmax
    np.testing.assert_array_equal(np.isnan(to_cpu(forward(to_gpu(x)))), np.isnan(forward(x)))
    assert not np.isnan(to_cpu(forward(to_gpu(x)))[3]).any()
