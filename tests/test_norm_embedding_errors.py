"""The error contract of layer_norm, layer_norm_backward, embedding and embedding_backward
(DESIGN.md): TypeError for a wrong dtype, ValueError naming the argument for a wrong shape, a bad
eps or padding_idx, an index out of range or arrays on different devices, all raised before any
kernel runs; and direct calls of mdlfast._cpu with bad buffers raise instead of crashing.
"""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from mdlfast import _cpu, kernels
from test_errors import F32, FakeCupyArray, arr, bad_dtypes

I64 = np.int64


def ln_args(rows=2, d=3):
    x = arr(rows, d)
    return dict(dy=arr(rows, d), x=x, gamma=arr(d), mean=arr(rows), rstd=arr(rows))


# ----------------------------------------------------------------------------------- layer_norm


def test_layer_norm_wrong_dtype(api):
    for dtype in bad_dtypes(api):
        with pytest.raises(TypeError, match=r"^x must have dtype"):
            api.layer_norm(arr(2, 3, dtype=dtype), None, None)
    with pytest.raises(TypeError, match=r"^gamma must"):
        api.layer_norm(arr(2, 3), arr(3, dtype=np.float16), None)
    with pytest.raises(TypeError, match=r"^beta must"):
        api.layer_norm(arr(2, 3), None, arr(3, dtype=np.int32))
    with pytest.raises(TypeError, match=r"^x must be a numpy.ndarray"):
        api.layer_norm([[1.0, 2.0]], None, None)


def test_layer_norm_parameter_dtype_differs_from_x():
    from mdlfast import reference

    with pytest.raises(TypeError, match=r"^gamma must have the dtype of x"):
        reference.layer_norm(arr(2, 3), arr(3, dtype=np.float64), None)


def test_layer_norm_bad_shapes(api):
    with pytest.raises(ValueError, match=r"^x must have at least 1 dimension"):
        api.layer_norm(np.ones((), F32), None, None)
    with pytest.raises(ValueError, match=r"^x's last dimension"):
        api.layer_norm(arr(2, 0), None, None)
    with pytest.raises(ValueError, match=r"^gamma must have shape \(3,\)"):
        api.layer_norm(arr(2, 3), arr(4), None)
    with pytest.raises(ValueError, match=r"^beta must have shape \(3,\)"):
        api.layer_norm(arr(2, 3), None, arr(1, 3))


@pytest.mark.parametrize("eps", [0.0, -1e-5, float("nan")])
def test_layer_norm_bad_eps(api, eps):
    with pytest.raises(ValueError, match=r"^eps must be > 0"):
        api.layer_norm(arr(2, 3), None, None, eps=eps)
    with pytest.raises(TypeError, match=r"^eps must be a real number"):
        api.layer_norm(arr(2, 3), None, None, eps="0.1")


def test_layer_norm_mixed_devices(api):
    with pytest.raises(ValueError, match="different devices"):
        api.layer_norm(arr(2, 3), FakeCupyArray((3,)), None)
    with pytest.raises(ValueError, match="different devices"):
        api.layer_norm(FakeCupyArray((2, 3)), None, arr(3))


@pytest.mark.parametrize("name,value,exc,message", [
    ("dy", arr(2, 4), ValueError, r"^dy must have x's shape"),
    ("dy", arr(2, 3, dtype=np.float16), TypeError, r"^dy must have dtype"),
    ("gamma", arr(4), ValueError, r"^gamma must have shape"),
    ("mean", arr(3), ValueError, r"^mean must have shape \(2,\)"),
    ("rstd", arr(2, 1), ValueError, r"^rstd must have shape \(2,\)"),
    ("rstd", arr(2, dtype=np.int32), TypeError, r"^rstd must have dtype"),
])
def test_layer_norm_backward_bad_arguments(api, name, value, exc, message):
    kw = ln_args()
    kw[name] = value
    with pytest.raises(exc, match=message):
        api.layer_norm_backward(**kw)


def test_layer_norm_backward_mixed_devices(api):
    kw = ln_args()
    kw["mean"] = FakeCupyArray((2,))
    with pytest.raises(ValueError, match="different devices"):
        api.layer_norm_backward(**kw)


# ------------------------------------------------------------------------------------ embedding


def test_embedding_wrong_dtype(api):
    for dtype in (np.float32, np.int16, np.uint64, np.bool_):
        with pytest.raises(TypeError, match=r"^indices must have dtype"):
            api.embedding(np.zeros(3, dtype=dtype), arr(5, 2))
        with pytest.raises(TypeError, match=r"^indices must have dtype"):
            api.embedding_backward(arr(3, 2), np.zeros(3, dtype=dtype), 5)
    for dtype in bad_dtypes(api):
        with pytest.raises(TypeError, match=r"^weight must have dtype"):
            api.embedding(np.zeros(3, I64), arr(5, 2, dtype=dtype))
        with pytest.raises(TypeError, match=r"^dy must have dtype"):
            api.embedding_backward(arr(3, 2, dtype=dtype), np.zeros(3, I64), 5)


@pytest.mark.parametrize("bad", [-1, 5, 2**40])
def test_embedding_index_out_of_range(api, bad):
    indices = np.array([[0, 1], [bad, 4]], dtype=I64)
    with pytest.raises(ValueError, match=r"^indices must lie in \[0, 5\)"):
        api.embedding(indices, arr(5, 2))
    with pytest.raises(ValueError, match=r"^indices must lie in \[0, 5\)"):
        api.embedding_backward(arr(2, 2, 3), indices, 5)


def test_embedding_bad_shapes(api):
    with pytest.raises(ValueError, match=r"^weight must have 2 dimensions"):
        api.embedding(np.zeros(3, I64), arr(5))
    with pytest.raises(ValueError, match=r"^dy must have shape indices.shape"):
        api.embedding_backward(arr(3, 2), np.zeros((3, 1), I64), 5)
    with pytest.raises(ValueError, match=r"^dy must have shape indices.shape"):
        api.embedding_backward(arr(4, 2), np.zeros(3, I64), 5)


@pytest.mark.parametrize("padding_idx", [5, -6, 100])
def test_embedding_bad_padding_idx(api, padding_idx):
    with pytest.raises(ValueError, match=r"^padding_idx must lie in \[-5, 5\)"):
        api.embedding(np.zeros(3, I64), arr(5, 2), padding_idx=padding_idx)
    with pytest.raises(ValueError, match=r"^padding_idx must lie in \[-5, 5\)"):
        api.embedding_backward(arr(3, 2), np.zeros(3, I64), 5, padding_idx=padding_idx)


@pytest.mark.parametrize("value", [1.0, True, "0"])
def test_embedding_padding_idx_not_an_int(api, value):
    with pytest.raises(TypeError, match=r"^padding_idx must be an int"):
        api.embedding(np.zeros(3, I64), arr(5, 2), padding_idx=value)


@pytest.mark.parametrize("value,exc", [(-1, ValueError), (5.0, TypeError), (True, TypeError)])
def test_embedding_backward_bad_num_embeddings(api, value, exc):
    with pytest.raises(exc, match=r"^num_embeddings must"):
        api.embedding_backward(arr(3, 2), np.zeros(3, I64), value)


def test_embedding_mixed_devices(api):
    with pytest.raises(ValueError, match="different devices"):
        api.embedding(FakeCupyArray((3,), dtype=I64), arr(5, 2))
    with pytest.raises(ValueError, match="different devices"):
        api.embedding_backward(FakeCupyArray((3, 2)), np.zeros(3, I64), 5)


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed")
def test_cupy_arguments_without_cupy_ask_for_the_cuda_extra():
    """Validation passes for all-CuPy arguments; the CUDA dispatch then needs CuPy itself."""
    with pytest.raises(ImportError, match=r"mdlfast\[cuda\]|mdlfast._cuda"):
        kernels.layer_norm(FakeCupyArray((2, 3)), None, None)


# --------------------------------------------------- mdlfast._cpu: the last line of defence


def test_cpu_layer_norm_rejects_bad_buffers():
    y, mean, rstd = np.zeros((2, 3), F32), np.zeros(2, F32), np.zeros(2, F32)
    with pytest.raises(ValueError):
        _cpu.layer_norm(np.zeros((2, 4), F32), mean, rstd, arr(2, 3), None, None, 1e-5)
    with pytest.raises(ValueError):
        _cpu.layer_norm(y, np.zeros(3, F32), rstd, arr(2, 3), None, None, 1e-5)
    with pytest.raises(ValueError):
        _cpu.layer_norm(y, mean, rstd, arr(2, 3), arr(4), None, 1e-5)
    with pytest.raises(ValueError):
        _cpu.layer_norm(y, mean, rstd, arr(2, 3), None, arr(6)[::2], 1e-5)
    with pytest.raises(ValueError):
        _cpu.layer_norm(y, mean, rstd, arr(3), None, None, 1e-5)
    with pytest.raises(ValueError, match="eps"):
        _cpu.layer_norm(y, mean, rstd, arr(2, 3), None, None, 0.0)
    with pytest.raises(TypeError):
        _cpu.layer_norm(y, mean, rstd, arr(2, 3, dtype=np.float64), None, None, 1e-5)
    assert not y.any() and not mean.any() and not rstd.any()


def test_cpu_layer_norm_backward_rejects_bad_buffers():
    dx, dgamma, dbeta = np.zeros((2, 3), F32), np.zeros(3, F32), np.zeros(3, F32)
    with pytest.raises(ValueError, match="both"):
        _cpu.layer_norm_backward(dx, dgamma, None, arr(2, 3), arr(2, 3), arr(3), arr(2), arr(2))
    with pytest.raises(ValueError):
        _cpu.layer_norm_backward(dx, dgamma, dbeta, arr(2, 4), arr(2, 3), arr(3), arr(2), arr(2))
    with pytest.raises(ValueError):
        _cpu.layer_norm_backward(dx, dgamma, dbeta, arr(2, 3), arr(2, 3), arr(3), arr(2), arr(3))
    with pytest.raises(ValueError):
        _cpu.layer_norm_backward(dx, np.zeros(4, F32), dbeta, arr(2, 3), arr(2, 3), arr(3), arr(2), arr(2))
    assert not dx.any() and not dgamma.any() and not dbeta.any()


def test_cpu_embedding_rejects_bad_buffers():
    y = np.zeros((3, 2), F32)
    with pytest.raises(TypeError, match="int64"):
        _cpu.embedding(y, np.zeros(3, np.int32), arr(5, 2))
    with pytest.raises(ValueError):
        _cpu.embedding(y, np.zeros((3, 1), I64), arr(5, 2))
    with pytest.raises(ValueError):
        _cpu.embedding(y, np.zeros(6, I64)[::2], arr(5, 2))
    with pytest.raises(ValueError):
        _cpu.embedding(y, np.zeros(3, I64), arr(5, 3))
    dweight = np.zeros((5, 2), F32)
    with pytest.raises(ValueError, match="padding_idx"):
        _cpu.embedding_backward(dweight, arr(3, 2), np.zeros(3, I64), 5)
    with pytest.raises(ValueError):
        _cpu.embedding_backward(dweight, arr(4, 2), np.zeros(3, I64), -1)
    assert not y.any() and not dweight.any()
