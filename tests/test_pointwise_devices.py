"""The activation, softmax, loss and dropout families have C++ kernels only: CuPy arguments pass
validation and then raise NotImplementedError; NumPy and CuPy arguments mixed raise ValueError."""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast import kernels


class FakeCupyArray:
    """Just enough of a cupy.ndarray for validation, which looks at the type's module."""

    def __init__(self, shape, dtype=np.float32, fill=0):
        self._a = np.full(shape, fill, dtype=dtype)
        self.shape, self.dtype, self.ndim, self.size = self._a.shape, self._a.dtype, self._a.ndim, self._a.size

    def reshape(self, *shape):
        return FakeCupyArray(self._a.reshape(*shape).shape, self.dtype)

    # cross_entropy's label checks compare the labels (CuPy answers with CuPy arrays; NumPy's do).
    def __ne__(self, other):
        return self._a != other

    def __lt__(self, other):
        return self._a < other

    def __ge__(self, other):
        return self._a >= other


FakeCupyArray.__module__ = "cupy._core.core"


def cupy_x():
    return FakeCupyArray((3, 4))


CUPY_CALLS = {
    "activation": lambda: kernels.activation(cupy_x(), "relu"),
    "activation_backward": lambda: kernels.activation_backward(cupy_x(), cupy_x(), None, "gelu"),
    "softmax": lambda: kernels.softmax(cupy_x()),
    "log_softmax": lambda: kernels.log_softmax(cupy_x(), 0),
    "softmax_backward": lambda: kernels.softmax_backward(cupy_x(), cupy_x()),
    "log_softmax_backward": lambda: kernels.log_softmax_backward(cupy_x(), cupy_x()),
    "cross_entropy": lambda: kernels.cross_entropy(cupy_x(), FakeCupyArray((3,), np.int64)),
    "cross_entropy_backward": lambda: kernels.cross_entropy_backward(cupy_x(), FakeCupyArray((3,), np.int64)),
    "mse": lambda: kernels.mse(cupy_x(), cupy_x()),
    "mse_backward": lambda: kernels.mse_backward(1.0, cupy_x(), cupy_x()),
    "bce_with_logits": lambda: kernels.bce_with_logits(cupy_x(), cupy_x()),
    "bce_with_logits_backward": lambda: kernels.bce_with_logits_backward(1.0, cupy_x(), cupy_x()),
    "dropout": lambda: kernels.dropout(cupy_x(), 0.5, seed=1),
    "dropout_backward": lambda: kernels.dropout_backward(cupy_x(), FakeCupyArray((3, 4), np.bool_), 0.5),
}


@pytest.mark.parametrize("name", list(CUPY_CALLS))
def test_cupy_arrays_have_no_cuda_kernel_yet(name):
    with pytest.raises(NotImplementedError, match=f"{name} has no CUDA kernel"):
        CUPY_CALLS[name]()


@pytest.mark.parametrize("call", [
    lambda x: kernels.activation_backward(x, cupy_x(), None, "gelu"),
    lambda x: kernels.softmax_backward(x, cupy_x()),
    lambda x: kernels.cross_entropy(x, FakeCupyArray((3,), np.int64)),
    lambda x: kernels.mse(x, cupy_x()),
    lambda x: kernels.bce_with_logits(x, x, pos_weight=FakeCupyArray((4,))),
    lambda x: kernels.dropout_backward(x, FakeCupyArray((3, 4), np.bool_), 0.5),
], ids=["activation_backward", "softmax_backward", "cross_entropy", "mse", "bce_pos_weight", "dropout_backward"])
def test_mixed_devices(call):
    with pytest.raises(ValueError, match="different devices"):
        call(np.ones((3, 4), np.float32))
