"""How a kernel family declares its benchmark: its cases (shapes and work per shape) and its sides.

A side is one implementation of the kernel: "mdlfast" (mdlfast.kernels), "reference"
(mdlfast.reference) and peers such as "numpy" or "torch". A side's setup builds the inputs for a
case and returns the zero-argument callable that is timed, so input creation is never timed.

A family module lists its CPU benchmarks in BENCHMARKS and, optionally, its GPU benchmarks in
CUDA_BENCHMARKS (KernelBench with device="cuda"): there every side queues its work on the legacy
default stream (CuPy's and PyTorch's default), times come from CUDA events around each call, and
the "reference" side is optional (the NumPy reference runs on the CPU).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional, Tuple

MDLFAST = "mdlfast"
REFERENCE = "reference"
RATE_UNITS = {"flop": "GFLOP/s", "byte": "GB/s"}  # how a case's work per second is reported
DEVICES = ("cpu", "cuda")
_DECLARATIONS = {"cpu": "BENCHMARKS", "cuda": "CUDA_BENCHMARKS"}  # the module attribute per device

# Modules that define BENCHMARKS; imported on first use so that `mdlfast --help` stays cheap.
_FAMILY_MODULES = (
    "mdlfast.bench.gemm",
    "mdlfast.bench.optim",
    "mdlfast.bench.norm",
    "mdlfast.bench.embedding",
    "mdlfast.bench.conv",
    "mdlfast.bench.attention",
    "mdlfast.bench.pointwise",
    "mdlfast.bench.softmax",
    "mdlfast.bench.loss",
    "mdlfast.bench.dropout",
    "mdlfast.bench.rnn",
    "mdlfast.bench.pool",
    "mdlfast.bench.batch_norm",
    "mdlfast.bench.optimizers",
)


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
    sides: Mapping[str, Side]  # must hold MDLFAST (and REFERENCE on the CPU); the rest are peers
    full: Tuple[Case, ...]
    quick: Tuple[Case, ...]
    device: str = "cpu"  # "cpu" or "cuda": where the sides run and how they are timed
    peers: Tuple[str, ...] = field(init=False)

    def __post_init__(self):
        if self.device not in DEVICES:
            raise ValueError(f"benchmark {self.name!r}: device must be one of {list(DEVICES)}, got {self.device!r}")
        required = {MDLFAST, REFERENCE} if self.device == "cpu" else {MDLFAST}
        missing = required - set(self.sides)
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


def benchmarks(device="cpu"):
    """Every KernelBench declared for device ("cpu" or "cuda") by name, in declaration order."""
    found = {}
    for module_name in _FAMILY_MODULES:
        for bench in getattr(importlib.import_module(module_name), _DECLARATIONS[device], ()):
            found[bench.name] = bench
    return found


def get(name, device="cpu"):
    """The KernelBench called name on device; KeyError naming the known ones otherwise."""
    known = benchmarks(device)
    if name not in known:
        raise KeyError(f"unknown kernel {name!r} for --device {device}; known kernels: {', '.join(known)}")
    return known[name]
