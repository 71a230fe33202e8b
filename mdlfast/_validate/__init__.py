"""Argument checking shared by mdlfast.kernels and mdlfast.reference.

Every public kernel validates here before anything runs: a wrong dtype raises TypeError, a wrong
ndim, shape, hyper-parameter or a mix of devices raises ValueError, each naming the argument.
Each kernel family has its own module (gemm.py, ...); common.py holds the shared helpers.
"""
