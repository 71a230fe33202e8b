"""pytest-benchmark suite for gemm, linear and linear_backward: mdlfast and its NumPy reference on
the shapes of `mdlfast bench` (declared once, in mdlfast.bench.gemm), one group per shape so the
two sides sit next to each other.

Both sides run in this one process, where OpenMP's and OpenBLAS's thread pools can get in each
other's way; quote ratios from `mdlfast bench`, which runs each side in its own process and adds
the peers.
"""
import pytest

from mdlfast.bench import registry

KERNELS = ("gemm", "linear", "linear_backward")
SIDES = (registry.MDLFAST, registry.REFERENCE)


def _cases():
    for name in KERNELS:
        bench = registry.get(name)
        # A pinned thread count needs the thread variables set before NumPy loads, so those cases
        # run only under `mdlfast bench`; here every side uses this process's threads.
        for case in (c for c in bench.full if c.threads is None):
            for side in SIDES:
                yield pytest.param(bench, case, side, id=f"{name}-{case.label.replace(' ', '-')}-{side}")


@pytest.mark.parametrize("bench, case, side", list(_cases()))
def test_kernel(benchmark, bench, case, side):
    function = bench.sides[side].setup(case.params)
    benchmark.group = f"{bench.name} {case.label}"
    benchmark.extra_info.update(work=case.work, unit=bench.unit)
    benchmark(function)
