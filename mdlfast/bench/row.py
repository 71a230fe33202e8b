"""One measured benchmark row (a kernel at one shape, every side) and the numbers derived from it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional

from mdlfast.bench.registry import MDLFAST, RATE_UNITS
from mdlfast.bench.timing import Timing


@dataclass
class Row:
    kernel: str
    shape: str
    threads: int
    work: float  # flops or bytes of one call
    unit: str  # "flop" or "byte"
    peak_gflops: Optional[float]  # the FMA peak on `threads` threads; None where not measured
    copy_gbps: Optional[float] = None  # the GPU's device-to-device copy bandwidth (--device cuda)
    timings: Dict[str, Optional[Timing]] = field(default_factory=dict)  # None: missing or failed
    errors: Dict[str, str] = field(default_factory=dict)  # why a side failed

    def median_s(self, side):
        timing = self.timings.get(side)
        return None if timing is None else timing.median_s

    def speedup(self, side):
        """side's time / mdlfast's time: above 1 means mdlfast is faster."""
        ours, theirs = self.median_s(MDLFAST), self.median_s(side)
        return None if ours is None or theirs is None else theirs / ours

    def rate(self):
        """mdlfast's GFLOP/s (unit "flop") or GB/s (unit "byte")."""
        ours = self.median_s(MDLFAST)
        return None if ours is None else self.work / ours / 1e9

    def peak_fraction(self):
        """mdlfast's GFLOP/s as a fraction of the FMA peak, or its GB/s as a fraction of the GPU's
        copy bandwidth; None where that ceiling was not measured."""
        rate = self.rate()
        if rate is None:
            return None
        if self.unit == "flop" and self.peak_gflops:
            return rate / self.peak_gflops
        if self.unit == "byte" and self.copy_gbps:
            return rate / self.copy_gbps
        return None

    def as_dict(self):
        sides = list(self.timings)
        return {
            "kernel": self.kernel,
            "shape": self.shape,
            "threads": self.threads,
            "work": self.work,
            "unit": self.unit,
            "timings": {s: None if t is None else t.as_dict() for s, t in self.timings.items()},
            "speedup": {s: self.speedup(s) for s in sides if s != MDLFAST},
            "rate": self.rate(),
            "rate_unit": RATE_UNITS[self.unit],
            "peak_gflops": self.peak_gflops,
            "copy_gbps": self.copy_gbps,
            "peak_fraction": self.peak_fraction(),
            "errors": self.errors,
        }
