"""Process-wide settings: the CPU instruction-set path, the thread count, and the build report."""
from __future__ import annotations

import os
import platform

import numpy as np

from mdlfast._version import __version__

try:
    from mdlfast import _cpu
except ImportError as err:
    raise ImportError(
        f"mdlfast's compiled kernels (mdlfast._cpu) are not in {os.path.dirname(__file__)}. If that "
        "is a source checkout, it is shadowing the installed package (Python puts the current "
        "directory first on sys.path): run from another directory, or install with "
        "`pip install -e .` to work in the source tree."
    ) from err

# The directory holding this mdlfast package: child processes started from it import the same
# mdlfast as this process, not a source tree that happens to be their working directory.
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ISA_ENV = "MDLFAST_ISA"
MAX_THREADS = 1024  # far above any core count; beyond it OpenMP would exhaust the process


def _apply_isa_from_environment():
    forced = os.environ.get(ISA_ENV)
    if not forced:
        return
    try:
        _cpu.set_isa(forced.strip().lower())
    except ValueError as err:
        raise ImportError(
            f"{ISA_ENV}={forced!r} cannot be used: {err} "
            f"(supported here: {', '.join(_cpu.supported_isas())})"
        ) from None


def set_num_threads(n):
    """Sets the number of threads every CPU kernel uses (default: OMP_NUM_THREADS or all cores)."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if not 1 <= n <= MAX_THREADS:
        raise ValueError(f"n must be between 1 and {MAX_THREADS}, got {n}")
    _cpu.set_num_threads(n)


def get_num_threads():
    return _cpu.num_threads()


def _cuda_report():
    try:
        from mdlfast import _cuda
    except ImportError:
        return {"cuda_built": False, "gpu_count": 0, "gpus": []}
    info = _cuda.device_info()
    return {"cuda_built": True, "gpu_count": len(info), "gpus": info}


def config():
    """The build and runtime configuration as a dict (what show_config prints)."""
    report = {
        "version": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "cpu": _cpu_name(),
        "isa": _cpu.active_isa(),
        "isas_supported": list(_cpu.supported_isas()),
        "num_threads": _cpu.num_threads(),
        "cores": os.cpu_count(),
    }
    report.update(_cuda_report())
    return report


def show_config():
    """Prints the version, the ISA path in use, the threads, and whether CUDA is built and a GPU
    is visible."""
    report = config()
    gpus = report.pop("gpus")
    width = max(len(k) for k in report)
    for key, value in report.items():
        if isinstance(value, list):
            value = ", ".join(value)
        print(f"{key:<{width}}  {value}")
    for i, gpu in enumerate(gpus):
        print(f"{'gpu ' + str(i):<{width}}  {gpu}")


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


_apply_isa_from_environment()
