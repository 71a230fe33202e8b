"""The CUDA backend builds wherever nvcc is found, and loads on machines without a GPU.

These run in CI without a GPU: where nvcc is on PATH the build includes mdlfast._cuda, so a CUDA
compile or link failure shows up here rather than on the first GPU machine.
"""
import importlib.util
import shutil

import pytest

import mdlfast

needs_nvcc = pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc is not on PATH")


@needs_nvcc
def test_cuda_module_is_built_and_loads_without_a_gpu():
    from mdlfast import _cuda

    info = _cuda.device_info()
    assert isinstance(info, list)
    for gpu in info:
        assert set(gpu) == {"name", "compute_capability", "total_memory_bytes", "multiprocessors"}


@needs_nvcc
def test_config_reports_the_cuda_build():
    report = mdlfast.config()
    assert report["cuda_built"] is True
    assert report["gpu_count"] == len(report["gpus"])


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed")
def test_cupy_arrays_without_cupy_ask_for_the_cuda_extra():
    from mdlfast import _cuda_dispatch

    with pytest.raises(ImportError, match=r"mdlfast\[cuda\]"):
        _cuda_dispatch.cupy()
