"""The error contract of conv2d, conv2d_backward, im2col and conv2d_matrix (DESIGN.md): TypeError
for a wrong dtype or a non-integer hyper-parameter, ValueError naming the argument for wrong
shapes and bad hyper-parameters, all before any kernel runs (the `api` fixture cuts the kernels
off); CuPy arrays without a CUDA kernel; direct calls of mdlfast._cpu with bad buffers raise.
"""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast import _cpu, kernels
from test_errors import FakeCupyArray, arr, bad_dtypes


def test_wrong_dtypes(api):
    for dtype in bad_dtypes(api):
        with pytest.raises(TypeError, match=r"^x must have dtype"):
            api.conv2d(arr(1, 2, 5, 5, dtype=dtype), arr(3, 2, 3, 3))
        with pytest.raises(TypeError, match=r"^x must have dtype"):
            api.im2col(arr(1, 2, 5, 5, dtype=dtype), 3)
        with pytest.raises(TypeError, match=r"^w must have dtype"):
            api.conv2d_matrix(arr(3, 2, 3, 3, dtype=dtype), (5, 5))
    with pytest.raises(TypeError, match=r"^x must be a numpy.ndarray"):
        api.conv2d([[[[1.0]]]], arr(1, 1, 1, 1))


def test_operand_dtypes_differ():
    from mdlfast import reference

    with pytest.raises(TypeError, match=r"^w must have the dtype of x"):
        reference.conv2d(arr(1, 2, 5, 5), arr(3, 2, 3, 3, dtype=np.float64))
    with pytest.raises(TypeError, match=r"^b must have the dtype of x"):
        reference.conv2d(arr(1, 2, 5, 5), arr(3, 2, 3, 3), arr(3, dtype=np.float64))
    with pytest.raises(TypeError, match=r"^dy must have the dtype of x"):
        reference.conv2d_backward(arr(1, 3, 3, 3, dtype=np.float64), arr(1, 2, 5, 5), arr(3, 2, 3, 3))


def test_wrong_ndim(api):
    with pytest.raises(ValueError, match=r"^x must have 4 dimensions"):
        api.conv2d(arr(2, 5, 5), arr(3, 2, 3, 3))
    with pytest.raises(ValueError, match=r"^w must have 4 dimensions"):
        api.conv2d(arr(1, 2, 5, 5), arr(3, 2, 9))
    with pytest.raises(ValueError, match=r"^dy must have 4 dimensions"):
        api.conv2d_backward(arr(3, 3, 3), arr(1, 2, 5, 5), arr(3, 2, 3, 3))
    with pytest.raises(ValueError, match=r"^x must be \[N, C, H, W\] with C, H, W >= 1"):
        api.conv2d(arr(1, 2, 0, 5), arr(3, 2, 3, 3))


def test_mismatched_shapes(api):
    with pytest.raises(ValueError, match=r"^w must have C/groups = 2 input channels"):
        api.conv2d(arr(1, 2, 5, 5), arr(3, 4, 3, 3))
    with pytest.raises(ValueError, match=r"^x's channels \(3\) must be divisible by groups \(2\)"):
        api.conv2d(arr(1, 3, 5, 5), arr(4, 1, 3, 3), groups=2)
    with pytest.raises(ValueError, match=r"^w's output channels \(3\) must be divisible by groups \(2\)"):
        api.conv2d(arr(1, 4, 5, 5), arr(3, 2, 3, 3), groups=2)
    with pytest.raises(ValueError, match=r"^b must have shape \(3,\)"):
        api.conv2d(arr(1, 2, 5, 5), arr(3, 2, 3, 3), arr(4))
    with pytest.raises(ValueError, match=r"^dy must have the output's shape \(1, 3, 3, 3\)"):
        api.conv2d_backward(arr(1, 3, 4, 3), arr(1, 2, 5, 5), arr(3, 2, 3, 3))


def test_kernel_larger_than_the_padded_input(api):
    with pytest.raises(ValueError, match=r"larger than the padded input along H"):
        api.conv2d(arr(1, 2, 2, 5), arr(3, 2, 3, 3))
    with pytest.raises(ValueError, match=r"dilation 3: span 7\) is larger than the padded input along W"):
        api.conv2d(arr(1, 2, 9, 5), arr(3, 2, 3, 3), dilation=(1, 3), padding=(0, 0))
    with pytest.raises(ValueError, match=r"larger than the padded input"):
        api.im2col(arr(1, 2, 4, 4), 5, padding=0)
    with pytest.raises(ValueError, match=r"larger than the padded input"):
        api.conv2d_matrix(arr(3, 2, 3, 3), (2, 2))


@pytest.mark.parametrize("name,value,error,message", [
    ("stride", 0, ValueError, r"^stride must be >= 1, got 0"),
    ("stride", (1, -2), ValueError, r"^stride must be >= 1"),
    ("dilation", 0, ValueError, r"^dilation must be >= 1"),
    ("padding", -1, ValueError, r"^padding must be >= 0, got -1"),
    ("padding", (1, 2, 3), TypeError, r"^padding must be an int or a pair of ints"),
    ("stride", 1.5, TypeError, r"^stride must be an int or a pair of ints"),
    ("dilation", True, TypeError, r"^dilation must be an int or a pair of ints"),
    ("groups", 0, ValueError, r"^groups must be >= 1, got 0"),
    ("groups", 2.0, TypeError, r"^groups must be an int"),
])
def test_bad_hyper_parameters(api, name, value, error, message):
    with pytest.raises(error, match=message):
        api.conv2d(arr(1, 2, 5, 5), arr(2, 2, 3, 3), **{name: value})
    with pytest.raises(error, match=message):
        api.conv2d_backward(arr(1, 2, 3, 3), arr(1, 2, 5, 5), arr(2, 2, 3, 3), **{name: value})
    if name != "groups":
        with pytest.raises(error, match=message):
            api.im2col(arr(1, 2, 5, 5), 3, **{name: value})
    if name in ("stride", "padding"):
        with pytest.raises(error, match=message):
            api.conv2d_matrix(arr(2, 2, 3, 3), (5, 5), **{name: value})


def test_bad_kernel_size_and_input_hw(api):
    with pytest.raises(ValueError, match=r"^kernel_size must be >= 1"):
        api.im2col(arr(1, 2, 5, 5), (0, 3))
    with pytest.raises(TypeError, match=r"^kernel_size must be an int or a pair"):
        api.im2col(arr(1, 2, 5, 5), "3")
    with pytest.raises(ValueError, match=r"^input_hw must be >= 1"):
        api.conv2d_matrix(arr(2, 2, 1, 1), (0, 4))


def test_mixed_devices_and_cupy_arrays():
    with pytest.raises(ValueError, match=r"different devices"):
        kernels.conv2d(arr(1, 2, 5, 5), FakeCupyArray((3, 2, 3, 3)))
    fake = FakeCupyArray((1, 2, 5, 5))
    with pytest.raises(NotImplementedError, match=r"conv2d has no CUDA kernel"):
        kernels.conv2d(fake, FakeCupyArray((3, 2, 3, 3)))
    with pytest.raises(NotImplementedError, match=r"im2col has no CUDA kernel"):
        kernels.im2col(fake, 3)


def test_direct_cpu_calls_check_their_buffers():
    x, w = arr(1, 2, 5, 5), arr(3, 2, 3, 3)
    with pytest.raises(ValueError, match=r"y"):
        _cpu.conv2d(arr(1, 3, 3, 4), x, w, None, (1, 1), (0, 0), (1, 1), 1)
    with pytest.raises(ValueError, match=r"geometry"):
        _cpu.conv2d(arr(1, 3, 3, 3), x, w, None, (0, 1), (0, 0), (1, 1), 1)
    with pytest.raises(ValueError, match=r"geometry"):
        _cpu.conv2d(arr(1, 3, 3, 3), x, w, None, (1, 1), (-1, 0), (1, 1), 1)
    with pytest.raises(ValueError, match=r"input channels"):
        _cpu.conv2d(arr(1, 3, 3, 3), x, w, None, (1, 1), (0, 0), (1, 1), 2)
    with pytest.raises(ValueError, match=r"b"):
        _cpu.conv2d(arr(1, 3, 3, 3), x, w, arr(2), (1, 1), (0, 0), (1, 1), 1)
    with pytest.raises(TypeError):
        _cpu.conv2d(arr(1, 3, 3, 3), x.astype(np.float64), w, None, (1, 1), (0, 0), (1, 1), 1)
    with pytest.raises(ValueError, match=r"dw"):
        _cpu.conv2d_backward(arr(1, 2, 5, 5), arr(3, 2, 3, 2), arr(3), arr(1, 3, 3, 3), x, w,
                             (1, 1), (0, 0), (1, 1), 1)
    with pytest.raises(ValueError, match=r"cols"):
        _cpu.im2col(arr(1, 18, 8), x, (3, 3), (1, 1), (0, 0), (1, 1))
    with pytest.raises(ValueError):
        _cpu.im2col(arr(1, 18, 9), x, (0, 3), (1, 1), (0, 0), (1, 1))
