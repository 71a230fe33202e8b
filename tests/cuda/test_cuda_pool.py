"""The CUDA max and average pooling (2-d, and 1-d through them) against the NumPy reference and the
CPU kernels: overlapping and strided windows, padding, count_include_pad both ways, ties and NaN
(max: the same index rule as the CPU), the backward of each. Runs only where CuPy and a GPU are
present."""
from __future__ import annotations

import numpy as np
import pytest

from _gpu import cp, to_cpu, to_gpu  # skips this module without a GPU
from _checks import rel_err, rng_for
from mdlfast import kernels, reference

pytestmark = pytest.mark.cuda

GEOMETRIES = [  # (x shape, kernel, stride, padding)
    ((2, 3, 8, 8), 2, None, 0),
    ((1, 2, 9, 7), 3, 2, 1),
    ((3, 1, 5, 11), (2, 3), (1, 2), (1, 1)),
    ((2, 4, 16, 16), 3, 1, 1),  # overlapping windows: several gradients meet at one position
    ((1, 1, 1, 1), 1, None, 0),
]


@pytest.mark.parametrize("shape,kernel,stride,padding", GEOMETRIES)
def test_max_pool2d_forward_and_backward(shape, kernel, stride, padding):
    rng = rng_for("cuda max_pool", shape, kernel, stride, padding)
    x = rng.standard_normal(shape).astype(np.float32)
    x.reshape(-1)[::7] = 0.5  # ties: the first maximum wins
    y, indices = kernels.max_pool2d(to_gpu(x), kernel, stride=stride, padding=padding)
    y_cpu, indices_cpu = kernels.max_pool2d(x, kernel, stride=stride, padding=padding)
    np.testing.assert_array_equal(to_cpu(y), y_cpu)
    np.testing.assert_array_equal(to_cpu(indices), indices_cpu)
    dy = rng.standard_normal(y_cpu.shape).astype(np.float32)
    dx = kernels.max_pool2d_backward(to_gpu(dy), indices, shape)
    expected = reference.max_pool2d_backward(dy.astype(np.float64), indices_cpu, shape)
    assert rel_err(to_cpu(dx), expected) <= 1e-6


def test_max_pool2d_nan_takes_the_index_as_on_the_cpu():
    x = np.arange(32, dtype=np.float32).reshape(1, 2, 4, 4)
    x[0, 0, 1, 1] = np.nan
    x[0, 1, 0, 0] = np.nan
    x[0, 1, 1, 0] = np.nan
    y, indices = kernels.max_pool2d(to_gpu(x), 2)
    y_cpu, indices_cpu = kernels.max_pool2d(x, 2)
    np.testing.assert_array_equal(to_cpu(y), y_cpu)
    np.testing.assert_array_equal(to_cpu(indices), indices_cpu)


def test_max_pool2d_backward_refuses_indices_outside_the_plane():
    indices = cp.zeros((1, 1, 2, 2), dtype=cp.int64)
    indices[0, 0, 1, 1] = 16
    with pytest.raises(ValueError, match=r"^indices must lie in \[0, 16\)"):
        kernels.max_pool2d_backward(cp.ones((1, 1, 2, 2), cp.float32), indices, (1, 1, 4, 4))


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("shape,kernel,stride,padding", GEOMETRIES)
def test_avg_pool2d_forward_and_backward(shape, kernel, stride, padding, count_include_pad):
    rng = rng_for("cuda avg_pool", shape, kernel, stride, padding, count_include_pad)
    x = rng.standard_normal(shape).astype(np.float32)
    options = dict(stride=stride, padding=padding, count_include_pad=count_include_pad)
    y = kernels.avg_pool2d(to_gpu(x), kernel, **options)
    y_ref = reference.avg_pool2d(x.astype(np.float64), kernel, **options)
    assert rel_err(to_cpu(y), y_ref) <= 1e-6
    np.testing.assert_allclose(to_cpu(y), kernels.avg_pool2d(x, kernel, **options), rtol=1e-6, atol=1e-7)
    dy = rng.standard_normal(y_ref.shape).astype(np.float32)
    dx = kernels.avg_pool2d_backward(to_gpu(dy), shape, kernel, **options)
    dx_ref = reference.avg_pool2d_backward(dy.astype(np.float64), shape, kernel, **options)
    assert rel_err(to_cpu(dx), dx_ref) <= 1e-6


def test_pool1d_runs_through_the_2d_kernels():
    x = rng_for("cuda pool1d").standard_normal((2, 3, 20)).astype(np.float32)
    y, indices = kernels.max_pool1d(to_gpu(x), 3, stride=2, padding=1)
    y_cpu, indices_cpu = kernels.max_pool1d(x, 3, stride=2, padding=1)
    np.testing.assert_array_equal(to_cpu(y), y_cpu)
    np.testing.assert_array_equal(to_cpu(indices), indices_cpu)
    avg = kernels.avg_pool1d(to_gpu(x), 4, stride=3)
    np.testing.assert_allclose(to_cpu(avg), kernels.avg_pool1d(x, 4, stride=3), rtol=1e-6, atol=1e-7)
