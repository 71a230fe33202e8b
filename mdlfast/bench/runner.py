"""Runs the selected benchmarks: one child process per (case, side), the FMA peak once per thread
count, a table per kernel printed row by row, and optionally the JSON record."""
from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

import mdlfast
from mdlfast.bench import gpu_peak, peak, registry, results
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
    device: str = "cpu"  # "cuda": the GPU benchmarks (CUDA_BENCHMARKS), timed with CUDA events


class NoGpu(RuntimeError):
    """--device cuda where CuPy, mdlfast._cuda or a GPU is missing."""


def check_gpu(config):
    """Raises NoGpu saying what is missing for --device cuda."""
    if importlib.util.find_spec("cupy") is None:
        raise NoGpu("--device cuda needs CuPy: install mdlfast[cuda] (or the cupy-cudaXXx wheel that matches "
                    "your CUDA driver)")
    if not config["cuda_built"]:
        raise NoGpu("--device cuda needs mdlfast's CUDA kernels (mdlfast._cuda), which this build lacks: "
                    "reinstall mdlfast where nvcc is on PATH")
    if not config["gpu_count"]:
        raise NoGpu("--device cuda found no GPU (mdlfast._cuda.device_info() lists none)")


def run(options, out=sys.stdout):
    """Prints the tables; returns 0, 1 when a side that is installed failed to run, or 2 when
    --device cuda finds no GPU to run on."""
    started = results.utc_now()
    config = mdlfast.config()
    cuda = options.device == "cuda"
    if cuda:
        try:
            check_gpu(config)
        except NoGpu as missing:
            print(f"error: {missing}", file=sys.stderr)
            return 2
    benches = ([registry.get(name, options.device) for name in options.kernels]
               or list(registry.benchmarks(options.device).values()))
    plan = [(bench, bench.cases(options.quick)) for bench in benches]
    if cuda:
        peaks, copy_gbps = {}, _measure_copy_bandwidth()
    else:
        thread_counts = sorted({_threads(case, options) for _, cases in plan for case in cases}, reverse=True)
        peaks, copy_gbps = {threads: _measure_peak(threads, options.peak_seconds) for threads in thread_counts}, None

    print(_introduction(config, options, peaks, copy_gbps), file=out, flush=True)
    rows = []
    for bench, cases in plan:
        table = KernelTable(bench, cases)
        print("\n" + table.header(), file=out, flush=True)
        for case in cases:
            row = _measure_row(bench, case, options, peaks, copy_gbps)
            print(table.format(row), file=out, flush=True)
            rows.append(row)

    if options.json_path is not None:
        record = results.document(config=config, started=started, suite=_suite(options), threads=options.threads,
                                  min_time_s=options.min_time, rounds=options.rounds, peaks=peaks, rows=rows,
                                  device=options.device, copy_gbps=copy_gbps)
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


def _measure_copy_bandwidth():
    try:
        return gpu_peak.measure()
    except ChildFailed as failure:
        print(f"warning: measuring the GPU copy bandwidth failed: {failure}", file=sys.stderr)
        return None


def _measure_row(bench, case, options, peaks, copy_gbps=None):
    threads = _threads(case, options)
    row = Row(bench.name, case.label, threads, case.work, bench.unit, peaks.get(threads), copy_gbps)
    sides = {}
    for side_name, side in bench.sides.items():
        row.timings[side_name] = None  # a peer that is not installed is shown, never faked
        if not side.requires or importlib.util.find_spec(side.requires) is not None:
            sides[side_name] = side
    for _ in range(options.rounds):
        for side_name in list(sides):
            arguments = ["--kernel", bench.name, "--case", case.label, "--side", side_name, "--threads", threads,
                         "--min-time", options.min_time, "--min-count", options.min_count,
                         "--device", options.device]
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


def _introduction(config, options, peaks, copy_gbps=None):
    if options.device == "cuda":
        gpu = config["gpus"][0]
        copy_text = "-" if copy_gbps is None else f"{copy_gbps:.0f} GB/s"
        return (
            f"mdlfast {config['version']} bench --device cuda ({_suite(options)}): {gpu['name']} "
            f"(compute capability {gpu['compute_capability']}, {gpu['multiprocessors']} SMs); "
            f"device-to-device copy {copy_text} (the % peak of byte-bound rows)\n"
            f"best of {options.rounds} round(s) per side, the sides alternating; each round is the median of "
            f">= {options.min_count} calls and >= {options.min_time:g} s of CUDA-event times, after a warm-up, "
            f"in a process of its own"
        )
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
