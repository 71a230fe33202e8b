"""The printed table of one kernel's rows. Column widths are fixed from the kernel's declaration,
so each row can be printed as soon as it is measured. A missing or failed side shows as "-"."""
from __future__ import annotations

from mdlfast.bench.registry import MDLFAST, RATE_UNITS, REFERENCE

MISSING = "-"


def threads_text(threads):
    return f"{threads} thread{'s' if threads != 1 else ''}"


def _milliseconds(seconds):
    return MISSING if seconds is None else f"{seconds * 1e3:.3f}"


def _ratio(value):
    return MISSING if value is None else f"{value:.2f}x"


def _number(value, scale=1.0):
    return MISSING if value is None else f"{value * scale:.1f}"


class KernelTable:
    def __init__(self, bench, cases):
        compared = ((REFERENCE,) if REFERENCE in bench.sides else ()) + bench.peers
        self.title = f"{bench.name}  (shape: {bench.shape_legend}; vs X = X's time / mdlfast's time, > 1: mdlfast is faster)"
        self._columns = [
            ("kernel", len(bench.name), lambda row: row.kernel),
            ("shape", max(len(case.label) for case in cases), lambda row: row.shape),
            ("threads", 0, lambda row: str(row.threads)),
            (f"{MDLFAST} ms", 0, lambda row: _milliseconds(row.median_s(MDLFAST))),
            *[(f"{side} ms", 0, _side_time(side)) for side in compared],
            *[(f"vs {side}", 0, _side_speedup(side)) for side in compared],
            (RATE_UNITS[bench.unit], 8, lambda row: _number(row.rate())),
            ("% peak", 0, lambda row: _number(row.peak_fraction(), 100)),
        ]
        self._widths = [max(len(name), width) for name, width, _ in self._columns]

    def header(self):
        names = [name for name, _, _ in self._columns]
        return "\n".join([self.title, self._line(names), self._line(["-" * w for w in self._widths])])

    def format(self, row):
        return self._line([cell(row) for _, _, cell in self._columns])

    def _line(self, cells):
        # Text columns (kernel, shape) are left-aligned, numbers right-aligned.
        return "  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                         for i, (cell, w) in enumerate(zip(cells, self._widths)))


def _side_time(side):
    return lambda row: _milliseconds(row.median_s(side))


def _side_speedup(side):
    return lambda row: _ratio(row.speedup(side))
