"""mdlfast: fast C++/CUDA kernels and a small autodiff layer for The Mathematical Engineering of
Deep Learning.

    mdlfast.kernels     validated kernels on NumPy (C++) or CuPy (CUDA) float32 arrays
    mdlfast.reference   the same kernels in plain NumPy: the ground truth
    mdlfast.Tensor      arrays with reverse-mode autodiff; mdlfast.nn: modules, losses, init
"""
from mdlfast._version import __version__
from mdlfast._config import config, get_num_threads, set_num_threads, show_config
from mdlfast import kernels, reference
from mdlfast.random import manual_seed
from mdlfast.autograd import (
    Tensor, cat, concatenate, enable_grad, is_grad_enabled, no_grad, set_grad_enabled, stack,
    tensor, use_backend, where, arange, full, ones, ones_like, rand, randn, zeros, zeros_like)
from mdlfast import autograd, nn, testing
from mdlfast.serialization import CheckpointError, load, save
from mdlfast import optim

__all__ = [
    "Tensor", "autograd", "cat", "concatenate", "enable_grad", "is_grad_enabled", "manual_seed",
    "nn", "no_grad", "set_grad_enabled", "stack", "tensor", "testing", "use_backend", "where",
    "arange", "full", "ones", "ones_like", "rand", "randn", "zeros", "zeros_like",
    "CheckpointError", "load", "save",
    "optim",
    "__version__",
    "config",
    "get_num_threads",
    "kernels",
    "reference",
    "set_num_threads",
    "show_config",
]
