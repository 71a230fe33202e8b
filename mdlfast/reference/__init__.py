"""NumPy reference implementations: the same names, signatures and semantics as mdlfast.kernels,
in plain NumPy, float32 or float64. They are the ground truth of the tests and the baseline of the
benchmarks; clarity beats speed here.
"""
from mdlfast.reference.gemm import gemm, linear, linear_backward

__all__ = ["gemm", "linear", "linear_backward"]
