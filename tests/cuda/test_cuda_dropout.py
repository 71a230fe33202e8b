"""The CUDA dropout against the CPU kernel and the NumPy reference: the same (seed, offset) must
give the same mask bit for bit (both follow the Philox-4x32-10 map of csrc/cpu/dropout.h), and the
same outputs, across sizes that end inside a Philox block, offsets past 2^32 and wrapping past
2^64, seeds using both key words, p = 0 and p = 1. Runs only where CuPy and a GPU are present."""
from __future__ import annotations

import numpy as np
import pytest

from _gpu import cp, poisoned, to_cpu, to_gpu  # skips this module without a GPU
from _checks import randn, rng_for
from mdlfast import _cuda_dispatch, kernels, reference

pytestmark = pytest.mark.cuda

SEEDS_OFFSETS = [(0, 0), (1234, 7), (2**40 + 5, 2**33 + 1), (2**64 - 1, 2**64 - 3)]


@pytest.mark.parametrize("seed,offset", SEEDS_OFFSETS)
@pytest.mark.parametrize("shape", [(1,), (3,), (5, 7), (1000, 33), (2, 3, 4097)])
@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 1.0])
def test_same_mask_and_output_as_cpu_and_reference(shape, p, seed, offset):
    x = randn(rng_for("cuda dropout", shape, p, seed), shape)
    y_gpu, mask_gpu = kernels.dropout(to_gpu(x), p, seed=seed, offset=offset)
    y_cpu, mask_cpu = kernels.dropout(x, p, seed=seed, offset=offset)
    _, mask_ref = reference.dropout(x, p, seed=seed, offset=offset)
    assert mask_gpu.dtype == cp.bool_ and mask_gpu.shape == shape
    np.testing.assert_array_equal(to_cpu(mask_gpu), mask_cpu)
    np.testing.assert_array_equal(to_cpu(mask_gpu), mask_ref)
    np.testing.assert_array_equal(to_cpu(y_gpu), y_cpu)

    dy = randn(rng_for("cuda dropout dy", shape, p), shape)
    dx_gpu = kernels.dropout_backward(to_gpu(dy), mask_gpu, p)
    np.testing.assert_array_equal(to_cpu(dx_gpu), kernels.dropout_backward(dy, mask_cpu, p))


def test_dispatch_writes_every_element():
    n = 4099
    x = randn(rng_for("cuda dropout poisoned"), n)
    y, mask = poisoned((n,)), cp.full((n,), True, dtype=cp.bool_)
    _cuda_dispatch.dropout(y, mask, to_gpu(x), 99, 3, 1 << 23, 2.0)
    y_cpu, mask_cpu = kernels.dropout(x, 0.5, seed=99, offset=3)
    np.testing.assert_array_equal(to_cpu(mask), mask_cpu)
    np.testing.assert_array_equal(to_cpu(y), y_cpu)


def test_nan_and_inf_inputs_match_the_cpu_kernel():
    x = np.array([np.nan, np.inf, -np.inf, 1.0, -0.0, 3.0, np.nan, 2.0], np.float32)
    y_gpu, _ = kernels.dropout(to_gpu(x), 0.5, seed=5)
    y_cpu, _ = kernels.dropout(x, 0.5, seed=5)
    np.testing.assert_array_equal(to_cpu(y_gpu), y_cpu)


def test_consecutive_calls_continue_the_stream():
    """offset counts Philox blocks: two halves at offsets 0 and n/4 are the whole at offset 0."""
    x = to_gpu(randn(rng_for("cuda dropout halves"), 800))
    _, whole = kernels.dropout(x, 0.3, seed=11)
    _, first = kernels.dropout(x[:400], 0.3, seed=11)
    _, second = kernels.dropout(x[400:], 0.3, seed=11, offset=100)
    np.testing.assert_array_equal(to_cpu(whole), np.concatenate([to_cpu(first), to_cpu(second)]))
