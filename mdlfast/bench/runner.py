"""Runs the selected benchmarks: one child process per (case, side), the FMA peak once per thread
count, a table per kernel printed row by row, and optionally the JSON record."""
from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

import mdlfast
from mdlfast.bench import peak, registry, results
from mdlfast.bench.process import ChildFailed, run_child
from mdlfast.bench.row import Row
from mdlfast.bench.table import KernelTable, threads_text
from mdlfast.bench.timing import Timing


@dataclass(frozen=True)
class Options:
    kernels: Tuple[str, ...]  # empty: every kernel
    quick: bool
    threads: int
    min_time: float  # seconds of timed calls per side and round, at least
    min_count: int  # timed calls per side and round, at least
    rounds: int  # each side runs once per round, the sides alternating; its best round is kept
    peak_seconds: float
    json_path: Optional[Path]


def run(options, out=sys.stdout):
    """Prints the tables; returns 0, or 1 when a side that is installed failed to run."""
    started = results.utc_now()
    config = mdlfast.config()
    benches = [registry.get(name) for name in options.kernels] or list(registry.benchmarks().values())
    plan = [(bench, bench.cases(options.quick)) for bench in benches]
    thread_counts = sorted({_threads(case, options) for _, cases in plan for case in cases}, reverse=True)
    peaks = {threads: _measure_peak(threads, options.peak_seconds) for threads in thread_counts}

    print(_introduction(config, options, peaks), file=out, flush=True)
    rows = []
    for bench, cases in plan:
        table = KernelTable(bench, cases)
        print("\n" + table.header(), file=out, flush=True)
        for case in cases:
            row = _measure_row(bench, case, options, peaks)
            print(table.format(row), file=out, flush=True)
            rows.append(row)

    if options.json_path is not None:
        record = results.document(config=config, started=started, suite=_suite(options), threads=options.threads,
                                  min_time_s=options.min_time, rounds=options.rounds, peaks=peaks, rows=rows)
        results.write_atomically(options.json_path, record)
        print(f"\nwrote {options.json_path}", file=out)
    return 1 if any(row.errors for row in rows) else 0


def _suite(options):
    return "quick" if options.quick else "full"


def _threads(case, options):
    return case.threads or options.threads


def _measure_peak(threads, seconds):
    try:
        return peak.measure(threads, seconds)
    except ChildFailed as failure:
        print(f"warning: measuring the peak on {threads} threads failed: {failure}", file=sys.stderr)
        return None


def _measure_row(bench, case, options, peaks):
    threads = _threads(case, options)
    row = Row(bench.name, case.label, threads, case.work, bench.unit, peaks.get(threads))
    sides = {}
    for side_name, side in bench.sides.items():
        row.timings[side_name] = None  # a peer that is not installed is shown, never faked
        if not side.requires or importlib.util.find_spec(side.requires) is not None:
            sides[side_name] = side
    for _ in range(options.rounds):
        for side_name in list(sides):
            arguments = ["--kernel", bench.name, "--case", case.label, "--side", side_name, "--threads", threads,
                         "--min-time", options.min_time, "--min-count", options.min_count]
            try:
                timing = Timing(**run_child("mdlfast.bench.worker", arguments, threads))
            except ChildFailed as failure:
                row.timings[side_name] = None
                row.errors[side_name] = str(failure)
                del sides[side_name]
                print(f"warning: {bench.name} {case.label} {side_name} failed: {failure}", file=sys.stderr)
                continue
            best = row.timings[side_name]
            if best is None or timing.median_s < best.median_s:
                row.timings[side_name] = timing
    return row


def _introduction(config, options, peaks):
    peak_text = ", ".join(
        f"{threads_text(threads)}: " + ("-" if gflops is None else f"{gflops:.1f} GFLOP/s")
        for threads, gflops in peaks.items()
    )
    return (
        f"mdlfast {config['version']} bench ({_suite(options)}): {config['cpu']}, {config['cores']} cores, "
        f"ISA {config['isa']}; FMA peak {peak_text}\n"
        f"best of {options.rounds} round(s) per side, the sides alternating; each round is the median of "
        f">= {options.min_count} calls and >= {options.min_time:g} s in a process of its own"
    )
