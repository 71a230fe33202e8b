"""Reverse-mode automatic differentiation: Tensor, Function, grad, no_grad."""
from mdlfast.autograd.backend import current_backend, use_backend
from mdlfast.autograd.factories import arange, full, ones, ones_like, rand, randn, zeros, zeros_like
from mdlfast.autograd.function import Function
from mdlfast.autograd.grad import grad
from mdlfast.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from mdlfast.autograd.tensor import Tensor, as_tensor, cat, concatenate, stack, tensor, where

__all__ = [
    "Function", "Tensor", "as_tensor", "cat", "concatenate", "current_backend", "enable_grad",
    "grad", "is_grad_enabled", "no_grad", "set_grad_enabled", "stack", "tensor", "use_backend",
    "where", "arange", "full", "ones", "ones_like", "rand", "randn", "zeros", "zeros_like",
]
