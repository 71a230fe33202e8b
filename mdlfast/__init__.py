"""mdlfast: fast C++/CUDA kernels and a small autodiff layer for The Mathematical Engineering of
Deep Learning.

    mdlfast.kernels     validated kernels on NumPy (C++) or CuPy (CUDA) float32 arrays
    mdlfast.reference   the same kernels in plain NumPy: the ground truth
"""
from mdlfast._version import __version__
from mdlfast._config import config, get_num_threads, set_num_threads, show_config
from mdlfast import kernels, reference
from mdlfast.serialization import CheckpointError, load, save

__all__ = [
    "CheckpointError",
    "load",
    "save",
    "__version__",
    "config",
    "get_num_threads",
    "kernels",
    "reference",
    "set_num_threads",
    "show_config",
]
