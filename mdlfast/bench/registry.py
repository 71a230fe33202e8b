"""How a kernel family declares its benchmark: its cases (shapes and work per shape) and its sides.

A side is one implementation of the kernel: "mdlfast" (mdlfast.kernels), "reference"
(mdlfast.reference) and peers such as "numpy" or "torch". A side's setup builds the inputs for a
case and returns the zero-argument callable that is timed, so input creation is never timed.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional, Tuple

MDLFAST = "mdlfast"
REFERENCE = "reference"
RATE_UNITS = {"flop": "GFLOP/s", "byte": "GB/s"}  # how a case's work per second is reported

# Modules that define BENCHMARKS; imported on first use so that `mdlfast --help` stays cheap.
_FAMILY_MODULES = ("mdlfast.bench.gemm", "mdlfast.bench.optim", "mdlfast.bench.norm", "mdlfast.bench.embedding")
_FAMILY_MODULES += ("mdlfast.bench.attention",)
_FAMILY_MODULES += ("mdlfast.bench.conv",)
_FAMILY_MODULES += ("mdlfast.bench.pool", "mdlfast.bench.batch_norm")
_FAMILY_MODULES += ("mdlfast.bench.optimizers",)
_FAMILY_MODULES += ("mdlfast.bench.pointwise", "mdlfast.bench.softmax", "mdlfast.bench.loss", "mdlfast.bench.dropout")
_FAMILY_MODULES += ("mdlfast.bench.rnn",)


@dataclass(frozen=True)
class Side:
    setup: Callable[[tuple], Callable[[], object]]  # case params -> the callable to time
    requires: Optional[str] = None  # a module that must be importable, e.g. "torch"


@dataclass(frozen=True)
class Case:
    label: str  # the shape as printed; unique within its kernel
    params: tuple  # what the side setups take
    work: float  # flops (unit "flop") or bytes moved (unit "byte") of one call
    threads: Optional[int] = None  # pins the thread count; None runs with the run's count


@dataclass(frozen=True)
class KernelBench:
    name: str  # the mdlfast.kernels function benchmarked
    shape_legend: str  # how to read a case label, e.g. "M x N x K"
    unit: str  # "flop" (rates in GFLOP/s, compared with the FMA peak) or "byte" (GB/s)
    sides: Mapping[str, Side]  # must hold MDLFAST and REFERENCE; the rest are peers
    full: Tuple[Case, ...]
    quick: Tuple[Case, ...]
    peers: Tuple[str, ...] = field(init=False)

    def __post_init__(self):
        missing = {MDLFAST, REFERENCE} - set(self.sides)
        if missing:
            raise ValueError(f"benchmark {self.name!r} lacks the sides {sorted(missing)}")
        if self.unit not in RATE_UNITS:
            raise ValueError(f"benchmark {self.name!r}: unit must be one of {list(RATE_UNITS)}, got {self.unit!r}")
        object.__setattr__(self, "peers", tuple(s for s in self.sides if s not in (MDLFAST, REFERENCE)))

    def cases(self, quick):
        return self.quick if quick else self.full

    def case(self, label):
        for case in self.full + self.quick:
            if case.label == label:
                return case
        raise KeyError(f"benchmark {self.name!r} has no case {label!r}")


def benchmarks():
    """Every declared KernelBench by name, in declaration order."""
    found = {}
    for module_name in _FAMILY_MODULES:
        for bench in importlib.import_module(module_name).BENCHMARKS:
            found[bench.name] = bench
    return found


def get(name):
    """The KernelBench called name; KeyError naming the known ones otherwise."""
    known = benchmarks()
    if name not in known:
        raise KeyError(f"unknown kernel {name!r}; known kernels: {', '.join(known)}")
    return known[name]
