"""The error contract of attention and attention_backward (DESIGN.md): TypeError for a wrong dtype,
ValueError naming the argument for a wrong shape, mask or scale, all raised before any kernel runs;
and direct calls of mdlfast._cpu with bad buffers raise instead of crashing.
"""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast import _cpu, kernels
from test_errors import F32, FakeCupyArray, arr, bad_dtypes


def qkv(batch=2, heads=3, tq=4, tk=5, d=6, dv=7):
    return arr(batch, heads, tq, d), arr(batch, heads, tk, d), arr(batch, heads, tk, dv)


def backward_args(**sizes):
    q, k, v = qkv(**sizes)
    out = arr(*q.shape[:3], v.shape[3])
    return dict(dout=out.copy(), q=q, k=k, v=v, out=out, lse=arr(*q.shape[:3]))


def test_wrong_dtype(api):
    for dtype in bad_dtypes(api):
        for name in ("q", "k", "v"):
            args = dict(zip("qkv", qkv()))
            args[name] = args[name].astype(dtype)
            match = r"^q must have dtype" if name == "q" else rf"^{name} must"
            with pytest.raises(TypeError, match=match):
                api.attention(**args)
        for name in ("dout", "out", "lse"):
            args = backward_args()
            args[name] = args[name].astype(dtype)
            with pytest.raises(TypeError, match=rf"^{name} must"):
                api.attention_backward(**args)
    with pytest.raises(TypeError, match=r"^q must be a numpy.ndarray"):
        api.attention([[[[1.0]]]], *qkv()[1:])


def test_dtypes_differ():
    from mdlfast import reference

    q, k, v = qkv()
    with pytest.raises(TypeError, match=r"^k must have the dtype of q"):
        reference.attention(q.astype(np.float64), k, v)
    args = backward_args()
    args["lse"] = args["lse"].astype(np.float64)
    with pytest.raises(TypeError, match=r"^lse must have the dtype of q"):
        reference.attention_backward(**args)


@pytest.mark.parametrize("name, shape, match", [
    ("q", (2, 3, 4), r"^q must have 4 dimensions"),
    ("k", (2, 3, 5, 6, 1), r"^k must have 4 dimensions"),
    ("q", (2, 3, 4, 0), r"^q's last dimension \(d\) must be >= 1"),
    ("k", (2, 3, 5, 5), r"^k must have shape \(2, 3, Tk, 6\)"),
    ("k", (1, 3, 5, 6), r"^k must have shape \(2, 3, Tk, 6\)"),
    ("k", (2, 2, 5, 6), r"^k must have shape \(2, 3, Tk, 6\)"),
    ("v", (2, 3, 4, 7), r"^v must have shape \(2, 3, 5\) \+ \(dv,\)"),
    ("v", (2, 1, 5, 7), r"^v must have shape \(2, 3, 5\) \+ \(dv,\)"),
])
def test_bad_shapes(api, name, shape, match):
    args = dict(zip("qkv", qkv()))
    args[name] = arr(*shape)
    with pytest.raises(ValueError, match=match):
        api.attention(**args)


@pytest.mark.parametrize("name, shape, match", [
    ("dout", (2, 3, 4, 6), r"^dout must have shape \(2, 3, 4, 7\)"),
    ("out", (2, 3, 5, 7), r"^out must have shape \(2, 3, 4, 7\)"),
    ("lse", (2, 3, 4, 1), r"^lse must have shape \(2, 3, 4\)"),
    ("lse", (2, 3), r"^lse must have shape \(2, 3, 4\)"),
])
def test_backward_bad_shapes(api, name, shape, match):
    args = backward_args()
    args[name] = arr(*shape)
    with pytest.raises(ValueError, match=match):
        api.attention_backward(**args)


@pytest.mark.parametrize("shape", [(2, 3, 4, 4), (5, 4), (3, 1, 1, 1), (1, 1, 2, 3, 4, 5), (4,)])
def test_mask_not_broadcastable(api, shape):
    with pytest.raises(ValueError, match=r"^mask must (be broadcastable|have at most 4)"):
        api.attention(*qkv(), mask=np.ones(shape, dtype=bool))
    with pytest.raises(ValueError, match=r"^mask must"):
        api.attention_backward(**backward_args(), mask=np.ones(shape, dtype=bool))


@pytest.mark.parametrize("dtype", [np.float32, np.uint8, np.int64])
def test_mask_must_be_boolean(api, dtype):
    with pytest.raises(TypeError, match=r"^mask must have dtype bool"):
        api.attention(*qkv(), mask=np.ones((4, 5), dtype=dtype))


def test_mask_with_causal(api):
    with pytest.raises(ValueError, match=r"^mask and causal=True cannot be combined"):
        api.attention(*qkv(), causal=True, mask=np.ones((4, 5), dtype=bool))


@pytest.mark.parametrize("scale", [float("nan"), float("inf")])
def test_bad_scale(api, scale):
    with pytest.raises(ValueError, match=r"^scale must be a finite number"):
        api.attention(*qkv(), scale=scale)
    with pytest.raises(TypeError, match=r"^scale must be a real number"):
        api.attention(*qkv(), scale="0.5")


def test_causal_must_be_bool(api):
    with pytest.raises(TypeError, match=r"^causal must be a bool"):
        api.attention(*qkv(), causal=1)


def test_mixed_devices(api):
    q, k, v = qkv()
    with pytest.raises(ValueError, match=r"^arguments are on different devices"):
        api.attention(q, FakeCupyArray(k.shape), v)


def test_cupy_arrays_have_no_kernel_yet():
    q, k, v = (FakeCupyArray(x.shape) for x in qkv())
    with pytest.raises(NotImplementedError, match=r"^attention has no CUDA kernel"):
        kernels.attention(q, k, v)


def test_direct_cpu_calls_with_bad_buffers_raise():
    q, k, v = qkv()
    out, lse = arr(2, 3, 4, 7), arr(2, 3, 4)
    with pytest.raises(ValueError, match="out"):
        _cpu.attention(arr(2, 3, 4, 6), lse, q, k, v, 1.0, False, None)
    with pytest.raises(ValueError, match="lse"):
        _cpu.attention(out, arr(2, 3, 5), q, k, v, 1.0, False, None)
    with pytest.raises(ValueError, match="k"):
        _cpu.attention(out, lse, q, arr(2, 3, 5, 5), v, 1.0, False, None)
    with pytest.raises(ValueError, match="C-contiguous"):
        _cpu.attention(out, lse, np.ones((2, 3, 6, 4), F32).swapaxes(2, 3), k, v, 1.0, False, None)
    with pytest.raises(ValueError, match="mask"):
        _cpu.attention(out, lse, q, k, v, 1.0, False, np.ones((1, 1, 4, 4), bool))
    with pytest.raises(ValueError, match="mask"):
        _cpu.attention(out, lse, q, k, v, 1.0, False, np.ones((4, 5), bool))
    with pytest.raises(TypeError, match="mask"):
        _cpu.attention(out, lse, q, k, v, 1.0, False, np.ones((1, 1, 4, 5), np.uint8))
    with pytest.raises(ValueError, match="causal"):
        _cpu.attention(out, lse, q, k, v, 1.0, True, np.ones((1, 1, 4, 5), bool))
    with pytest.raises(ValueError, match="scale"):
        _cpu.attention(out, lse, q, k, v, float("nan"), False, None)
    with pytest.raises(TypeError, match="float32"):
        _cpu.attention(out, lse, q.astype(np.float64), k, v, 1.0, False, None)
    grads = [arr(*x.shape) for x in (q, k, v)]
    with pytest.raises(ValueError, match="dk"):
        _cpu.attention_backward(grads[0], arr(2, 3, 5, 7), grads[2], out, q, k, v, out, lse, 1.0,
                                False, None)
    with pytest.raises(ValueError, match="lse"):
        _cpu.attention_backward(*grads, out, q, k, v, out, arr(2, 3, 5), 1.0, False, None)
    with pytest.raises(ValueError, match="dout"):
        _cpu.attention_backward(*grads, arr(2, 3, 4, 6), q, k, v, out, lse, 1.0, False, None)
