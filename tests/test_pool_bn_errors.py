"""The error contract of the pooling and batch-norm kernels (DESIGN.md): TypeError for a wrong
dtype, ValueError naming the argument for a wrong shape or hyper-parameter, all raised before any
kernel runs (the `api` fixture cuts the kernels' path to mdlfast._cpu); max-pooling indices out of
range; CuPy arrays without a CUDA kernel; direct mdlfast._cpu calls with bad buffers.
"""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast import _cpu, kernels, reference
from test_errors import F32, FakeCupyArray, arr, bad_dtypes

I64 = np.int64


# --------------------------------------------------------------------------------- pooling


def test_pool_wrong_dtype(api):
    for dtype in bad_dtypes(api):
        with pytest.raises(TypeError, match=r"^x must have dtype"):
            api.max_pool2d(arr(1, 1, 4, 4, dtype=dtype), 2)
        with pytest.raises(TypeError, match=r"^x must have dtype"):
            api.avg_pool2d(arr(1, 1, 4, 4, dtype=dtype), 2)
        with pytest.raises(TypeError, match=r"^x must have dtype"):
            api.adaptive_avg_pool2d(arr(1, 1, 4, 4, dtype=dtype), 2)
        with pytest.raises(TypeError, match=r"^dy must have dtype"):
            api.avg_pool2d_backward(arr(1, 1, 2, 2, dtype=dtype), (1, 1, 4, 4), 2)
        with pytest.raises(TypeError, match=r"^x must have dtype"):
            api.max_pool1d(arr(1, 1, 4, dtype=dtype), 2)
    with pytest.raises(TypeError, match=r"^indices must have dtype int64"):
        api.max_pool2d_backward(arr(1, 1, 2, 2), np.zeros((1, 1, 2, 2), np.int32), (1, 1, 4, 4))
    with pytest.raises(TypeError, match=r"^x must be a numpy.ndarray"):
        api.max_pool2d([[[[1.0]]]], 1)


def test_pool_bad_ndim(api):
    with pytest.raises(ValueError, match=r"^x must have 3 or 4 dimensions"):
        api.max_pool2d(arr(4, 4), 2)
    with pytest.raises(ValueError, match=r"^x must have 3 or 4 dimensions"):
        api.avg_pool2d(arr(1, 1, 1, 4, 4), 2)
    with pytest.raises(ValueError, match=r"^x must have 2 or 3 dimensions"):
        api.max_pool1d(arr(1, 1, 1, 4), 2)
    with pytest.raises(ValueError, match=r"^x's spatial size"):
        api.max_pool2d(arr(1, 1, 0, 4), 1)


@pytest.mark.parametrize("kwargs,message", [
    (dict(kernel_size=3, padding=2), r"^padding must be at most half the kernel size"),
    (dict(kernel_size=(2, 4), padding=(1, 3)), r"^padding must be at most half"),
    (dict(kernel_size=6), r"^kernel_size \(6, 6\) is larger than the padded input"),
    (dict(kernel_size=(5, 1), padding=0), r"^kernel_size \(5, 1\) is larger than the padded input"),
    (dict(kernel_size=0), r"^kernel_size must be >= 1"),
    (dict(kernel_size=2, stride=0), r"^stride must be >= 1"),
    (dict(kernel_size=2, stride=(1, -1)), r"^stride must be >= 1"),
    (dict(kernel_size=2, padding=-1), r"^padding must be >= 0"),
    (dict(kernel_size=(2, 2, 2)), r"^kernel_size must be an int or 2 ints"),
])
def test_pool_bad_window(api, kwargs, message):
    x = arr(1, 2, 4, 5)
    kwargs = dict(kwargs)
    k = kwargs.pop("kernel_size")
    for call in (lambda: api.max_pool2d(x, k, **kwargs), lambda: api.avg_pool2d(x, k, **kwargs),
                 lambda: api.avg_pool2d_backward(arr(1, 2, 1, 1), x.shape, k, **kwargs)):
        with pytest.raises(ValueError, match=message):
            call()


def test_pool_bad_window_types(api):
    with pytest.raises(TypeError, match=r"^kernel_size must be an int"):
        api.max_pool2d(arr(1, 1, 4, 4), 2.0)
    with pytest.raises(TypeError, match=r"^stride must be an int"):
        api.avg_pool2d(arr(1, 1, 4, 4), 2, stride=True)
    with pytest.raises(TypeError, match=r"^count_include_pad must be a bool"):
        api.avg_pool2d(arr(1, 1, 4, 4), 2, count_include_pad=1)
    with pytest.raises(TypeError, match=r"^input_shape must be a tuple"):
        api.max_pool2d_backward(arr(1, 1, 2, 2), np.zeros((1, 1, 2, 2), I64), 16)


def test_pool1d_bad_window(api):
    with pytest.raises(ValueError, match=r"^padding must be at most half"):
        api.max_pool1d(arr(1, 2, 9), 3, padding=2)
    with pytest.raises(ValueError, match=r"^kernel_size must be an int or 1 ints"):
        api.avg_pool1d(arr(1, 2, 9), (3, 3))
    with pytest.raises(ValueError, match=r"larger than the padded input"):
        api.avg_pool1d(arr(1, 2, 2), 5, padding=1)


def test_pool_backward_bad_shapes(api):
    with pytest.raises(ValueError, match=r"^dy must have shape \(1, 2, 2, 2\)"):
        api.avg_pool2d_backward(arr(1, 2, 3, 2), (1, 2, 4, 5), 2)
    with pytest.raises(ValueError, match=r"^dy must have shape \(1, 2\) \+ \(OH, OW\)"):
        api.max_pool2d_backward(arr(1, 3, 2, 2), np.zeros((1, 3, 2, 2), I64), (1, 2, 4, 4))
    with pytest.raises(ValueError, match=r"^indices must have dy's shape"):
        api.max_pool2d_backward(arr(1, 2, 2, 2), np.zeros((1, 2, 2, 1), I64), (1, 2, 4, 4))
    with pytest.raises(ValueError, match=r"^input_shape must be \(N, C, H, W\)"):
        api.max_pool2d_backward(arr(1, 2, 2, 2), np.zeros((1, 2, 2, 2), I64), (2, 2, 4, 4, 1))
    with pytest.raises(ValueError, match=r"^dy must have shape \(1, 2, 1, 1\)"):
        api.global_avg_pool2d_backward(arr(1, 2), (1, 2, 4, 4))
    with pytest.raises(ValueError, match=r"^dy must have shape \(1, 2\) \+ \(OH, OW\)"):
        api.adaptive_avg_pool2d_backward(arr(1, 2, 0, 2), (1, 2, 4, 4))


@pytest.mark.parametrize("size", [0, (2, 0), (1, 2, 3)], ids=str)
def test_adaptive_bad_output_size(api, size):
    with pytest.raises(ValueError, match=r"^output_size must"):
        api.adaptive_avg_pool2d(arr(1, 2, 4, 4), size)


@pytest.mark.parametrize("bad", [-1, 16, 1 << 40], ids=str)
@pytest.mark.parametrize("impl", [kernels, reference], ids=["kernels", "reference"])
def test_max_pool_backward_indices_out_of_range(impl, bad):
    indices = np.zeros((2, 2, 2, 2), I64)
    indices[1, 0, 1, 1] = bad
    with pytest.raises(ValueError, match=r"^indices must lie in \[0, 16\)"):
        impl.max_pool2d_backward(arr(2, 2, 2, 2), indices, (2, 2, 4, 4))


def test_pool_mixed_devices_and_cupy(api):
    with pytest.raises(ValueError, match=r"different devices"):
        api.max_pool2d_backward(arr(1, 1, 2, 2), FakeCupyArray((1, 1, 2, 2), dtype=I64), (1, 1, 4, 4))


def test_pool_cupy_arrays_have_no_cuda_kernel_yet():
    with pytest.raises(NotImplementedError, match="max_pool2d has no CUDA kernel"):
        kernels.max_pool2d(FakeCupyArray((1, 1, 4, 4)), 2)
    with pytest.raises(NotImplementedError, match="avg_pool2d_backward has no CUDA kernel"):
        kernels.avg_pool2d_backward(FakeCupyArray((1, 1, 2, 2)), (1, 1, 4, 4), 2)
    with pytest.raises(NotImplementedError, match="global_avg_pool2d has no CUDA kernel"):
        kernels.global_avg_pool2d(FakeCupyArray((1, 1, 4, 4)))


# ------------------------------------------------------------------------------ batch norm


def bn(api, x=None, gamma=None, beta=None, rm=None, rv=None, **kw):
    kw.setdefault("training", True)
    return api.batch_norm(arr(4, 3, 2) if x is None else x, gamma, beta, rm, rv, **kw)


def test_batch_norm_wrong_dtype(api):
    for dtype in bad_dtypes(api):
        with pytest.raises(TypeError, match=r"^x must have dtype"):
            bn(api, arr(4, 3, dtype=dtype))
    with pytest.raises(TypeError, match=r"^gamma must"):
        bn(api, gamma=arr(3, dtype=np.float16))
    with pytest.raises(TypeError, match=r"^running_var must"):
        bn(api, rm=arr(3), rv=arr(3, dtype=np.int32))
    with pytest.raises(TypeError, match=r"^training must be a bool"):
        bn(api, training=1)
    with pytest.raises(TypeError, match=r"^momentum must be a real number"):
        bn(api, momentum="0.1")
    with pytest.raises(TypeError, match=r"^save_invstd must"):
        api.batch_norm_backward(arr(4, 3), arr(4, 3), None, arr(3), arr(3, dtype=np.int64))


def test_batch_norm_channel_mismatch(api):
    with pytest.raises(ValueError, match=r"^x must have at least 2 dimensions"):
        bn(api, arr(5))
    with pytest.raises(ValueError, match=r"^gamma must have shape \(3,\) \(x's channels\), got \(2,\)"):
        bn(api, gamma=arr(2))
    with pytest.raises(ValueError, match=r"^beta must have shape \(3,\)"):
        bn(api, beta=arr(3, 1))
    with pytest.raises(ValueError, match=r"^running_mean must have shape \(3,\)"):
        bn(api, rm=arr(4), rv=arr(3))
    with pytest.raises(ValueError, match=r"^running_var must have shape \(3,\)"):
        bn(api, rm=arr(3), rv=arr(2))
    with pytest.raises(ValueError, match=r"both be given or both be None"):
        bn(api, rm=arr(3))
    with pytest.raises(ValueError, match=r"^dy must have x's shape"):
        api.batch_norm_backward(arr(4, 2), arr(4, 3), None, arr(3), arr(3))
    with pytest.raises(ValueError, match=r"^save_mean must have shape \(3,\)"):
        api.batch_norm_backward(arr(4, 3), arr(4, 3), None, arr(4), arr(3))


@pytest.mark.parametrize("momentum", [-0.1, 1.5, float("nan")])
def test_batch_norm_bad_momentum(api, momentum):
    with pytest.raises(ValueError, match=r"^momentum must lie in \[0, 1\]"):
        bn(api, momentum=momentum)


@pytest.mark.parametrize("eps", [0.0, -1e-5, float("nan")])
def test_batch_norm_bad_eps(api, eps):
    with pytest.raises(ValueError, match=r"^eps must be > 0"):
        bn(api, eps=eps)


def test_batch_norm_needs_more_than_one_value_per_channel(api):
    """As PyTorch: batch statistics of a single value per channel are refused, in training and
    without running statistics; eval with running statistics is fine (checked on the reference)."""
    with pytest.raises(ValueError, match=r"more than 1 value per channel"):
        bn(api, arr(1, 3))
    with pytest.raises(ValueError, match=r"more than 1 value per channel"):
        bn(api, arr(1, 3, 1, 1), training=False)
    if api is reference:
        bn(api, arr(1, 3), rm=arr(3), rv=arr(3), training=False)


def test_batch_norm_running_statistics_must_be_updatable(api):
    x = arr(4, 3)
    frozen = arr(3)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match=r"^running_mean must be writeable"):
        bn(api, x, rm=frozen, rv=arr(3))
    with pytest.raises(ValueError, match=r"^running_var must be C-contiguous"):
        bn(api, x, rm=arr(3), rv=arr(6)[::2])
    shared = arr(6)
    with pytest.raises(ValueError, match=r"^running_mean shares memory with running_var"):
        bn(api, x, rm=shared[:3], rv=shared[2:5])
    with pytest.raises(ValueError, match=r"^running_mean shares memory with gamma"):
        bn(api, x, gamma=shared[:3], rm=shared[:3], rv=arr(3))


def test_batch_norm_cupy_has_no_cuda_kernel_yet():
    with pytest.raises(NotImplementedError, match="batch_norm has no CUDA kernel"):
        kernels.batch_norm(FakeCupyArray((4, 3)), None, None, None, None, training=True)
    with pytest.raises(ValueError, match="different devices"):
        kernels.batch_norm(arr(4, 3), FakeCupyArray((3,)), None, None, None, training=True)


# --------------------------------------------------- mdlfast._cpu: the last line of defence


def test_cpu_pool_rejects_bad_buffers():
    x = arr(2, 4, 4)
    y, indices = np.zeros((2, 2, 2), F32), np.zeros((2, 2, 2), I64)
    with pytest.raises(ValueError, match="padding"):
        _cpu.max_pool2d(y, indices, x, 2, 2, 2, 2, 2, 0)
    with pytest.raises(ValueError, match="larger"):
        _cpu.max_pool2d(y, indices, x, 5, 2, 2, 2, 0, 0)
    with pytest.raises(ValueError):
        _cpu.max_pool2d(np.zeros((2, 3, 2), F32), indices, x, 2, 2, 2, 2, 0, 0)
    with pytest.raises(TypeError, match="int64"):
        _cpu.max_pool2d(y, indices.astype(np.int32), x, 2, 2, 2, 2, 0, 0)
    with pytest.raises(ValueError):
        _cpu.max_pool2d(y, indices, arr(2, 4, 8)[:, :, ::2], 2, 2, 2, 2, 0, 0)
    with pytest.raises(ValueError):
        _cpu.avg_pool2d(y, arr(4, 4), 2, 2, 2, 2, 0, 0, True)
    with pytest.raises(ValueError):
        _cpu.avg_pool2d_backward(np.zeros((2, 4, 4), F32), arr(2, 3, 2), 2, 2, 2, 2, 0, 0, True)
    with pytest.raises(ValueError):
        _cpu.adaptive_avg_pool2d(np.zeros((3, 2, 2), F32), x)
    with pytest.raises(ValueError):
        _cpu.adaptive_avg_pool2d_backward(np.zeros((2, 4, 4), F32), arr(2, 0, 2))
    assert not y.any() and not indices.any()
    dx = np.zeros((2, 4, 4), F32)
    with pytest.raises(ValueError):
        _cpu.max_pool2d_backward(dx, arr(2, 2, 2), np.zeros((2, 2, 3), I64))
    bad = np.zeros((2, 2, 2), I64)
    bad[0, 0, 0] = 16
    with pytest.raises(ValueError, match="indices must lie"):
        _cpu.max_pool2d_backward(dx, arr(2, 2, 2), bad)


def test_cpu_batch_norm_rejects_bad_buffers():
    x = arr(4, 3, 2)
    y, mean, invstd = np.zeros((4, 3, 2), F32), np.zeros(3, F32), np.zeros(3, F32)
    with pytest.raises(ValueError):
        _cpu.batch_norm(y, mean, invstd, arr(4, 3), None, None, None, None, True, 0.1, 1e-5)
    with pytest.raises(ValueError):
        _cpu.batch_norm(y, np.zeros(2, F32), invstd, x, None, None, None, None, True, 0.1, 1e-5)
    with pytest.raises(ValueError):
        _cpu.batch_norm(y, mean, invstd, x, arr(4), None, None, None, True, 0.1, 1e-5)
    with pytest.raises(ValueError, match="both"):
        _cpu.batch_norm(y, mean, invstd, x, None, None, arr(3), None, True, 0.1, 1e-5)
    with pytest.raises(ValueError, match="eps"):
        _cpu.batch_norm(y, mean, invstd, x, None, None, None, None, True, 0.1, 0.0)
    with pytest.raises(ValueError, match="momentum"):
        _cpu.batch_norm(y, mean, invstd, x, None, None, None, None, True, 2.0, 1e-5)
    with pytest.raises(ValueError, match="more than 1"):
        _cpu.batch_norm(np.zeros((1, 3, 1), F32), mean, invstd, arr(1, 3, 1), None, None, None, None,
                        True, 0.1, 1e-5)
    with pytest.raises(TypeError):
        _cpu.batch_norm(y, mean, invstd, x.astype(np.float64), None, None, None, None, True, 0.1, 1e-5)
    assert not y.any() and not mean.any() and not invstd.any()
    dx, dgamma = np.zeros((4, 3, 2), F32), np.zeros(3, F32)
    with pytest.raises(ValueError, match="both"):
        _cpu.batch_norm_backward(dx, dgamma, None, x, x, arr(3), arr(3), arr(3), True)
    with pytest.raises(ValueError):
        _cpu.batch_norm_backward(dx, None, None, arr(4, 3, 3), x, None, arr(3), arr(3), True)
    with pytest.raises(ValueError):
        _cpu.batch_norm_backward(dx, None, None, x, x, None, arr(3), arr(2), True)
    assert not dx.any() and not dgamma.any()
