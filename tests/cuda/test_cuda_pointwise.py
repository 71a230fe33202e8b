"""The CUDA activations against the NumPy reference (float64) and the CPU kernels: every kind, forward
and backward (from the input, and from the output where the kind allows), inputs spanning both signs,
large magnitudes, and NaN propagating as on the CPU. Outputs of the dispatch are poisoned first.
Runs only where CuPy and a GPU are present."""
from __future__ import annotations

import numpy as np
import pytest

from _gpu import poisoned, to_cpu, to_gpu  # skips this module without a GPU
from _checks import rng_for
from mdlfast import _cuda_dispatch, kernels, reference

pytestmark = pytest.mark.cuda

KINDS = ["relu", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "tanh", "softplus", "silu", "step", "hardtanh"]
FROM_OUTPUT = ("relu", "sigmoid", "tanh")


def inputs(kind, n=10007):
    rng = rng_for("cuda activation", kind, n)
    x = (rng.standard_normal(n) * 4).astype(np.float32)
    x[:8] = [0.0, -0.0, 1.0, -1.0, 30.0, -30.0, 90.0, -90.0]  # the kinks and the saturated ends
    return x


def assert_close(out, expected, name):
    out = to_cpu(out).astype(np.float64)
    np.testing.assert_allclose(out, expected, rtol=2e-6, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("kind", KINDS)
def test_forward(kind):
    x = inputs(kind)
    y = poisoned(x.shape)
    _cuda_dispatch.activation(y, to_gpu(x), kind, 0.01 if kind == "leaky_relu" else 1.0)
    assert_close(y, reference.activation(x.astype(np.float64), kind), "vs reference")
    assert_close(y, kernels.activation(x, kind).astype(np.float64), "vs CPU kernel")
    view = x[:10000].reshape(100, 100)[:, ::3]  # a strided view: the dispatch copies it first
    public = kernels.activation(to_gpu(x[:10000]).reshape(100, 100)[:, ::3], kind)
    assert public.shape == view.shape
    assert_close(public, kernels.activation(view, kind).astype(np.float64), "public API")


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "step"])
def test_backward_from_the_input(kind):
    x = inputs(kind)
    dy = rng_for("cuda activation dy", kind).standard_normal(x.size).astype(np.float32)
    dx = kernels.activation_backward(to_gpu(dy), to_gpu(x), None, kind)
    expected = reference.activation_backward(dy.astype(np.float64), x.astype(np.float64), None, kind)
    assert_close(dx, expected, "vs reference")
    assert_close(dx, kernels.activation_backward(dy, x, None, kind).astype(np.float64), "vs CPU kernel")


@pytest.mark.parametrize("kind", FROM_OUTPUT)
def test_backward_from_the_output(kind):
    x = inputs(kind)
    y = kernels.activation(x, kind)
    dy = rng_for("cuda activation dy out", kind).standard_normal(x.size).astype(np.float32)
    dx = kernels.activation_backward(to_gpu(dy), to_gpu(x), to_gpu(y), kind)
    assert_close(dx, kernels.activation_backward(dy, x, y, kind).astype(np.float64), "vs CPU kernel")


@pytest.mark.parametrize("kind", KINDS)
def test_nan_is_treated_as_on_the_cpu(kind):
    x = np.array([np.nan, 1.0, -1.0, np.nan], np.float32)
    np.testing.assert_array_equal(to_cpu(kernels.activation(to_gpu(x), kind)), kernels.activation(x, kind))
    if kind != "step":
        dy = np.ones(4, np.float32)
        np.testing.assert_array_equal(np.isnan(to_cpu(kernels.activation_backward(to_gpu(dy), to_gpu(x), None, kind))),
                                      np.isnan(kernels.activation_backward(dy, x, None, kind)))
