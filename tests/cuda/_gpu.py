"""What the tests in tests/cuda share: skipping cleanly without CuPy, the CUDA module or a GPU, and
moving arrays between NumPy and CuPy. Import it first in each test module:

    from _gpu import cp, to_gpu, to_cpu, poisoned  # skips the module where no GPU is present
"""
import numpy as np
import pytest

cp = pytest.importorskip("cupy")
_cuda = pytest.importorskip("mdlfast._cuda")
if not _cuda.device_info():
    pytest.skip("no GPU is visible", allow_module_level=True)


def to_gpu(x):
    return None if x is None else cp.asarray(x)


def to_cpu(x):
    return cp.asnumpy(x) if isinstance(x, cp.ndarray) else np.asarray(x)


def poisoned(shape, dtype=np.float32):
    """A device array full of NaN (of a large sentinel for integer dtypes): an element a kernel
    fails to write stays visible."""
    if np.dtype(dtype).kind == "f":
        return cp.full(shape, cp.nan, dtype=dtype)
    return cp.full(shape, np.iinfo(dtype).max, dtype=dtype)
