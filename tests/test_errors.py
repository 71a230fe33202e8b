"""The error contract of gemm, linear, linear_backward and set_num_threads (DESIGN.md):
every public entry point validates before any kernel runs; a wrong dtype or type raises TypeError,
a wrong ndim, mismatched shapes or a bad hyper-parameter raises ValueError, each naming the
argument; arrays on different devices raise ValueError; nothing crashes the interpreter, including
direct calls of mdlfast._cpu with bad buffers.
"""
from __future__ import annotations

import numpy as np
import pytest

import mdlfast
from mdlfast import _cpu, kernels, reference
from mdlfast._kernels import common as kernel_backends
from _checks import Tripwire

F32 = np.float32


def arr(*shape, dtype=F32):
    return np.ones(shape, dtype=dtype)


def bad_dtypes(api):
    """dtypes the module must reject (the reference also runs float64)."""
    common = [np.int32, np.float16, np.complex64, np.bool_]
    return common + ([np.float64] if api is kernels else [])


class FakeCupyArray:
    """Just enough of a cupy.ndarray for the device check: validation looks at the type's module."""

    def __init__(self, shape, dtype=F32):
        self._a = np.ones(shape, dtype=dtype)
        self.shape, self.dtype, self.ndim = self._a.shape, self._a.dtype, self._a.ndim

    def swapaxes(self, i, j):
        return FakeCupyArray(self._a.swapaxes(i, j).shape, self.dtype)

    def reshape(self, *shape):
        return FakeCupyArray(self._a.reshape(*shape).shape, self.dtype)


FakeCupyArray.__module__ = "cupy._core.core"


def test_tripwire_is_wired(monkeypatch):
    """The kernels fixture really intercepts kernel calls, so the tests below can fail."""
    monkeypatch.setattr(kernel_backends, "_cpu", Tripwire())
    with pytest.raises(AssertionError, match="reached"):
        kernels.gemm(arr(3, 4), arr(4, 5))
    with pytest.raises(AssertionError, match="reached"):
        kernels.linear(arr(2, 3), arr(4, 3))
    with pytest.raises(AssertionError, match="reached"):
        kernels.linear_backward(arr(2, 4), arr(2, 3), arr(4, 3))


# ---------------------------------------------------------------------------------------- gemm


def test_gemm_wrong_dtype(api):
    for dtype in bad_dtypes(api):
        with pytest.raises(TypeError, match=r"^a must have dtype"):
            api.gemm(arr(3, 4, dtype=dtype), arr(4, 5))
        with pytest.raises(TypeError, match=r"^b must have dtype"):
            api.gemm(arr(3, 4), arr(4, 5, dtype=dtype))
        with pytest.raises(TypeError, match=r"^c must have"):
            api.gemm(arr(3, 4), arr(4, 5), beta=1.0, c=arr(3, 5, dtype=dtype))


def test_gemm_not_an_array(api):
    with pytest.raises(TypeError, match=r"^a must be a numpy.ndarray"):
        api.gemm([[1.0, 2.0]], arr(2, 2))
    with pytest.raises(TypeError, match=r"^b must be a numpy.ndarray"):
        api.gemm(arr(2, 2), ((1.0, 2.0), (3.0, 4.0)))
    with pytest.raises(TypeError, match=r"^b must be"):
        api.gemm(arr(2, 2), None)


def test_gemm_c_not_an_array(api):
    """A list for c is a wrong type: TypeError naming c (not a device mismatch)."""
    with pytest.raises(TypeError, match=r"\bc must be a numpy.ndarray"):
        api.gemm(arr(2, 2), arr(2, 2), beta=1.0, c=[[1.0, 2.0], [3.0, 4.0]])


def test_gemm_operand_dtypes_differ():
    with pytest.raises(TypeError, match=r"a and b must have the same dtype"):
        reference.gemm(arr(3, 4), arr(4, 5, dtype=np.float64))
    with pytest.raises(TypeError, match=r"^c must have the dtype"):
        reference.gemm(arr(3, 4), arr(4, 5), beta=1.0, c=arr(3, 5, dtype=np.float64))


@pytest.mark.parametrize("shape", [(4,), (2, 3, 4, 5), ()])
def test_gemm_wrong_ndim(api, shape):
    with pytest.raises(ValueError, match=r"^a must have 2 or 3 dimensions"):
        api.gemm(arr(*shape), arr(4, 5))
    with pytest.raises(ValueError, match=r"^b must have 2 or 3 dimensions"):
        api.gemm(arr(3, 4), arr(*shape))


@pytest.mark.parametrize("trans_a,trans_b,a_shape,b_shape", [
    (False, False, (3, 4), (5, 6)),
    (True, False, (3, 4), (4, 5)),
    (False, True, (3, 4), (4, 5)),
    (True, True, (4, 3), (4, 5)),
    (False, False, (2, 3, 4), (2, 5, 6)),
    (False, False, (3, 0), (1, 5)),
])
def test_gemm_inner_dimensions_differ(api, trans_a, trans_b, a_shape, b_shape):
    with pytest.raises(ValueError, match=r"inner dimensions.*op\(a\).*op\(b\)"):
        api.gemm(arr(*a_shape), arr(*b_shape), trans_a=trans_a, trans_b=trans_b)


@pytest.mark.parametrize("a_shape,b_shape", [((3, 2, 4), (4, 4, 5)), ((2, 2, 4), (3, 4, 5)), ((5, 2, 4), (2, 4, 5))])
def test_gemm_batch_mismatch(api, a_shape, b_shape):
    with pytest.raises(ValueError, match=r"batch sizes differ.*\ba\b.*\bb\b"):
        api.gemm(arr(*a_shape), arr(*b_shape))


@pytest.mark.parametrize("a_shape,c_shape", [
    ((3, 4), (4, 5)),
    ((3, 4), (3, 4)),
    ((3, 4), (5, 3)),
    ((3, 4), (6,)),
    ((3, 4), (2, 3, 5)),
    ((3, 4), (1, 1, 1)),
    ((2, 3, 4), (3, 3, 5)),
    ((2, 3, 4), (2, 3, 1, 5)),
])
def test_gemm_c_not_broadcastable(api, a_shape, c_shape):
    with pytest.raises(ValueError, match=r"^c must broadcast to the output shape"):
        api.gemm(arr(*a_shape), arr(4, 5), beta=1.0, c=arr(*c_shape))


def test_gemm_beta_without_c(api):
    for beta in (1.0, -0.5, 1e-30, float("nan")):
        with pytest.raises(ValueError, match=r"\bc is required when beta"):
            api.gemm(arr(3, 4), arr(4, 5), beta=beta)


@pytest.mark.parametrize("name", ["trans_a", "trans_b"])
@pytest.mark.parametrize("value", [1, 0, "yes", None, 1.0, [True]])
def test_gemm_bad_trans_flag(api, name, value):
    with pytest.raises(TypeError, match=rf"^{name} must be a bool"):
        api.gemm(arr(3, 3), arr(3, 3), **{name: value})


@pytest.mark.parametrize("name", ["alpha", "beta"])
@pytest.mark.parametrize("value", ["2", None, 1j, True, [1.0], np.ones(1, F32)])
def test_gemm_scalar_not_a_number(api, name, value):
    with pytest.raises(TypeError, match=rf"^{name} must be a real number"):
        api.gemm(arr(3, 3), arr(3, 3), c=arr(3, 3), **{name: value})


def test_gemm_mixed_devices(api):
    with pytest.raises(ValueError, match=r"different devices.*\ba is a numpy.*\bb is a cupy"):
        api.gemm(arr(3, 4), FakeCupyArray((4, 5)))
    with pytest.raises(ValueError, match=r"different devices.*\bb is a numpy"):
        api.gemm(FakeCupyArray((3, 4)), arr(4, 5))
    with pytest.raises(ValueError, match=r"different devices.*\bc is a cupy"):
        api.gemm(arr(3, 4), arr(4, 5), beta=1.0, c=FakeCupyArray((3, 5)))


# -------------------------------------------------------------------------------------- linear


def test_linear_wrong_dtype(api):
    for dtype in bad_dtypes(api):
        with pytest.raises(TypeError, match=r"^x must have dtype"):
            api.linear(arr(2, 3, dtype=dtype), arr(4, 3))
        with pytest.raises(TypeError, match=r"^w must have dtype"):
            api.linear(arr(2, 3), arr(4, 3, dtype=dtype))
        with pytest.raises(TypeError, match=r"^b must have"):
            api.linear(arr(2, 3), arr(4, 3), arr(4, dtype=dtype))


def test_linear_dtypes_differ():
    with pytest.raises(TypeError, match=r"x and w must have the same dtype"):
        reference.linear(arr(2, 3), arr(4, 3, dtype=np.float64))
    with pytest.raises(TypeError, match=r"^b must have the dtype of w"):
        reference.linear(arr(2, 3), arr(4, 3), arr(4, dtype=np.float64))


def test_linear_not_an_array(api):
    with pytest.raises(TypeError, match=r"^x must be a numpy.ndarray"):
        api.linear([[1.0, 2.0, 3.0]], arr(4, 3))
    with pytest.raises(TypeError, match=r"^w must be a numpy.ndarray"):
        api.linear(arr(2, 3), [[1.0, 2.0, 3.0]])
    with pytest.raises(TypeError, match=r"^b must be a numpy.ndarray"):
        api.linear(arr(2, 3), arr(4, 3), [0.0] * 4)


def test_linear_wrong_ndim(api):
    with pytest.raises(ValueError, match=r"^x must have at least 1 dimension"):
        api.linear(arr(), arr(4, 3))
    for shape in ((3,), (4, 3, 1), ()):
        with pytest.raises(ValueError, match=r"^w must have 2 dimensions"):
            api.linear(arr(2, 3), arr(*shape))
    for shape in ((1, 4), ()):
        with pytest.raises(ValueError, match=r"^b must have 1 dimensions"):
            api.linear(arr(2, 3), arr(4, 3), arr(*shape))


def test_linear_shape_mismatch(api):
    for x_shape in ((2, 4), (4,), (2, 3, 2)):
        with pytest.raises(ValueError, match=r"^x's last dimension .* in_features"):
            api.linear(arr(*x_shape), arr(4, 3))
    for b_len in (3, 5, 0):
        with pytest.raises(ValueError, match=r"^b must have shape \(4,\)"):
            api.linear(arr(2, 3), arr(4, 3), arr(b_len))


@pytest.mark.parametrize("activation", ["softmax", "none", "ReLU", "", 0, ["relu"]])
def test_linear_unknown_activation(api, activation):
    with pytest.raises(ValueError, match=r"^activation must be one of"):
        api.linear(arr(2, 3), arr(4, 3), None, activation)


def test_linear_mixed_devices(api):
    with pytest.raises(ValueError, match=r"different devices.*\bw is a cupy"):
        api.linear(arr(2, 3), FakeCupyArray((4, 3)))
    with pytest.raises(ValueError, match=r"different devices.*\bb is a cupy"):
        api.linear(arr(2, 3), arr(4, 3), FakeCupyArray((4,)))
    with pytest.raises(ValueError, match=r"different devices.*\bx is a cupy"):
        api.linear(FakeCupyArray((2, 3)), arr(4, 3))


# ----------------------------------------------------------------------------- linear_backward


def test_linear_backward_wrong_dtype(api):
    for dtype in bad_dtypes(api):
        with pytest.raises(TypeError, match=r"^dy must have dtype"):
            api.linear_backward(arr(2, 4, dtype=dtype), arr(2, 3), arr(4, 3))
        with pytest.raises(TypeError, match=r"^x must have dtype"):
            api.linear_backward(arr(2, 4), arr(2, 3, dtype=dtype), arr(4, 3))
        with pytest.raises(TypeError, match=r"^w must have dtype"):
            api.linear_backward(arr(2, 4), arr(2, 3), arr(4, 3, dtype=dtype))
        with pytest.raises(TypeError, match=r"^y must have dtype"):
            api.linear_backward(arr(2, 4), arr(2, 3), arr(4, 3), arr(2, 4, dtype=dtype), "relu")
        with pytest.raises(TypeError, match=r"^z must have dtype"):
            api.linear_backward(arr(2, 4), arr(2, 3), arr(4, 3), None, "gelu", z=arr(2, 4, dtype=dtype))


def test_linear_backward_dtypes_differ():
    with pytest.raises(TypeError, match=r"^dy must have the dtype of w"):
        reference.linear_backward(arr(2, 4, dtype=np.float64), arr(2, 3), arr(4, 3))
    with pytest.raises(TypeError, match=r"^y must have the dtype of w"):
        reference.linear_backward(arr(2, 4), arr(2, 3), arr(4, 3), arr(2, 4, dtype=np.float64), "relu")


def test_linear_backward_not_an_array(api):
    with pytest.raises(TypeError, match=r"^dy must be a numpy.ndarray"):
        api.linear_backward([[0.0] * 4] * 2, arr(2, 3), arr(4, 3))
    with pytest.raises(TypeError, match=r"^y must be a numpy.ndarray"):
        api.linear_backward(arr(2, 4), arr(2, 3), arr(4, 3), [[0.0] * 4] * 2, "relu")


def test_linear_backward_shape_mismatch(api):
    for dy_shape in ((2, 3), (3, 4), (8,), (2, 4, 1), (4,)):
        with pytest.raises(ValueError, match=r"^dy must have the output's shape \(2, 4\)"):
            api.linear_backward(arr(*dy_shape), arr(2, 3), arr(4, 3))
    with pytest.raises(ValueError, match=r"^y must have the output's shape"):
        api.linear_backward(arr(2, 4), arr(2, 3), arr(4, 3), arr(2, 3), "tanh")
    with pytest.raises(ValueError, match=r"^z must have the output's shape"):
        api.linear_backward(arr(2, 4), arr(2, 3), arr(4, 3), None, "gelu", z=arr(4, 2))
    with pytest.raises(ValueError, match=r"^x's last dimension"):
        api.linear_backward(arr(2, 4), arr(2, 5), arr(4, 3))
    with pytest.raises(ValueError, match=r"^w must have 2 dimensions"):
        api.linear_backward(arr(2, 4), arr(2, 3), arr(12))


def test_linear_backward_missing_saved_tensors(api):
    with pytest.raises(ValueError, match=r"activation='gelu' needs z"):
        api.linear_backward(arr(2, 4), arr(2, 3), arr(4, 3), arr(2, 4), "gelu")
    for activation in ("relu", "sigmoid", "tanh", "gelu"):
        with pytest.raises(ValueError, match=rf"activation='{activation}' needs .*\bz\b"):
            api.linear_backward(arr(2, 4), arr(2, 3), arr(4, 3), None, activation)


def test_linear_backward_unknown_activation(api):
    with pytest.raises(ValueError, match=r"^activation must be one of"):
        api.linear_backward(arr(2, 4), arr(2, 3), arr(4, 3), arr(2, 4), "elu")


def test_linear_backward_mixed_devices(api):
    with pytest.raises(ValueError, match=r"different devices.*\bdy is a cupy"):
        api.linear_backward(FakeCupyArray((2, 4)), arr(2, 3), arr(4, 3))
    with pytest.raises(ValueError, match=r"different devices.*\by is a cupy"):
        api.linear_backward(arr(2, 4), arr(2, 3), arr(4, 3), FakeCupyArray((2, 4)), "relu")


# ----------------------------------------------------------------------------- set_num_threads


@pytest.fixture
def restore_threads():
    previous = mdlfast.get_num_threads()
    yield
    mdlfast.set_num_threads(previous)


@pytest.mark.parametrize("n", [1.5, 2.0, "2", None, True, [2]])
def test_set_num_threads_type(restore_threads, n):
    before = mdlfast.get_num_threads()
    with pytest.raises(TypeError, match=r"^n must be an int"):
        mdlfast.set_num_threads(n)
    assert mdlfast.get_num_threads() == before


@pytest.mark.parametrize("n", [0, -1, -(2**40), mdlfast._config.MAX_THREADS + 1])
def test_set_num_threads_value(restore_threads, n):
    before = mdlfast.get_num_threads()
    with pytest.raises(ValueError, match=rf"^n must be between 1 and {mdlfast._config.MAX_THREADS}, got {n}$"):
        mdlfast.set_num_threads(n)
    assert mdlfast.get_num_threads() == before


def test_set_num_threads_too_large(restore_threads):
    """A count no C int can hold is a bad value: ValueError naming n, not a binding TypeError."""
    with pytest.raises(ValueError, match=r"\bn\b"):
        mdlfast.set_num_threads(2**40)


# --------------------------------------------------- mdlfast._cpu: the last line of defence


def _gemm_call(**overrides):
    kw = dict(out=np.zeros((1, 3, 5), F32), a=arr(1, 3, 4), b=arr(1, 4, 5), alpha=1.0, beta=0.0, c=None)
    kw.update(overrides)
    return _cpu.gemm(kw["out"], kw["a"], kw["b"], kw["alpha"], kw["beta"], kw["c"])


@pytest.mark.parametrize("overrides,exc", [
    (dict(out=np.zeros((3, 5), F32)), ValueError),
    (dict(out=np.zeros((1, 3, 6), F32)), ValueError),
    (dict(out=np.zeros((1, 5, 3), F32).transpose(0, 2, 1)), ValueError),
    (dict(out=np.zeros((1, 3, 5), np.float64)), TypeError),
    (dict(out=np.broadcast_to(np.zeros(5, F32), (1, 3, 5))), ValueError),
    (dict(a=arr(3, 4)), ValueError),
    (dict(a=arr(1, 3, 4, dtype=np.float64)), TypeError),
    (dict(b=arr(1, 5, 4)), ValueError),
    (dict(b=arr(2, 4, 5)), ValueError),
    (dict(b=arr(1, 4, 5, dtype=np.int32)), TypeError),
    (dict(beta=1.0, c=None), ValueError),
    (dict(beta=1.0, c=arr(1, 3, 4)), ValueError),
    (dict(beta=1.0, c=arr(3, 5)), ValueError),
])
def test_cpu_gemm_rejects_bad_buffers(overrides, exc):
    with pytest.raises(exc):
        _gemm_call(**overrides)


def test_cpu_gemm_rejects_read_only_out():
    out = np.zeros((1, 3, 5), F32)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        _gemm_call(out=out)
    assert not out.any()


def test_cpu_linear_rejects_bad_buffers():
    y = np.zeros((2, 4), F32)
    with pytest.raises(ValueError):
        _cpu.linear(np.zeros((2, 5), F32), None, arr(2, 3), arr(4, 3), None, "none")
    with pytest.raises(ValueError):
        _cpu.linear(y, np.zeros((4, 2), F32), arr(2, 3), arr(4, 3), None, "none")
    with pytest.raises(ValueError):
        _cpu.linear(y, None, arr(2, 3), arr(4, 2), None, "none")
    with pytest.raises(ValueError):
        _cpu.linear(y, None, arr(2, 3), arr(4, 3), arr(5), "none")
    with pytest.raises(ValueError):
        _cpu.linear(y, None, arr(2, 3), arr(4, 3), arr(8)[::2], "none")
    with pytest.raises(ValueError, match="activation"):
        _cpu.linear(y, None, arr(2, 3), arr(4, 3), None, "softmax")
    with pytest.raises(ValueError):
        _cpu.linear(y, None, arr(3), arr(4, 3), None, "none")
    with pytest.raises(TypeError):
        _cpu.linear(y, None, arr(2, 3, dtype=np.float64), arr(4, 3), None, "none")
    assert not y.any()


def test_cpu_linear_backward_rejects_bad_buffers():
    def call(**overrides):
        kw = dict(dx=np.zeros((2, 3), F32), dw=np.zeros((4, 3), F32), db=np.zeros(4, F32), dy=arr(2, 4),
                  x=arr(2, 3), w=arr(4, 3), y=None, z=None, activation="none")
        kw.update(overrides)
        return _cpu.linear_backward(**kw)

    call()  # the well-formed call works
    for overrides in (dict(dx=np.zeros((3, 2), F32)), dict(dw=np.zeros((3, 4), F32)), dict(db=np.zeros(3, F32)),
                      dict(dy=arr(2, 3)), dict(dy=arr(4, 2).T), dict(y=arr(2, 3), activation="relu"),
                      dict(activation="relu"), dict(activation="gelu", y=arr(2, 4)), dict(activation="elu"),
                      dict(x=arr(2, 3, 1))):
        with pytest.raises(ValueError):
            call(**overrides)
    with pytest.raises(TypeError):
        call(dy=arr(2, 4, dtype=np.float64))


def test_cpu_set_isa_and_threads_reject_bad_values():
    before_isa, before_threads = _cpu.active_isa(), _cpu.num_threads()
    with pytest.raises(ValueError, match="ISA"):
        _cpu.set_isa("bogus")
    with pytest.raises(ValueError):
        _cpu.set_num_threads(0)
    assert _cpu.active_isa() == before_isa and _cpu.num_threads() == before_threads
