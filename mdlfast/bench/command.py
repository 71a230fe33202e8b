"""The `mdlfast bench` subcommand: its arguments, and the translation into runner options."""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import NamedTuple

import mdlfast
from mdlfast.bench import registry, results, runner
from mdlfast.bench.table import threads_text


class Settings(NamedTuple):
    min_time: float  # seconds of timed calls per side and round, at least
    min_count: int  # timed calls per side and round, at least
    rounds: int  # rounds per case, the sides alternating within each
    peak_seconds: float  # length of the FMA peak measurement


# --quick is a smoke test that finishes in seconds; the full run takes minutes.
FULL = Settings(min_time=0.5, min_count=5, rounds=3, peak_seconds=0.5)
QUICK = Settings(min_time=0.2, min_count=3, rounds=1, peak_seconds=0.2)


def add_parser(commands):
    bench = commands.add_parser(
        "bench",
        help="time the kernels against their NumPy reference and peer libraries",
        description="Times each kernel at each shape: mdlfast, the NumPy reference and the peers "
                    "(NumPy @ for GEMM, PyTorch where installed), each in its own process.",
    )
    bench.add_argument("--quick", action="store_true", help="fewer, smaller shapes and shorter timing")
    bench.add_argument("--kernel", dest="kernels", metavar="NAME", nargs="+", action="extend", type=_kernel_name,
                       default=[], help="benchmark only these kernels (default: all; see --list)")
    bench.add_argument("--json", metavar="FILE", nargs="?", const="", type=str,
                       help="write the results as JSON to FILE (default with no FILE: "
                            "bench/results/<machine>-<date>.json under the current directory)")
    bench.add_argument("--threads", metavar="N", type=_positive(int), default=_available_cores(),
                       help="threads for every side (default: the cores available, here %(default)s)")
    bench.add_argument("--min-time", type=_positive(float), metavar="SECONDS",
                       help=f"timed seconds per side and round, at least (default {FULL.min_time:g}, "
                            f"{QUICK.min_time:g} with --quick)")
    bench.add_argument("--rounds", type=_positive(int), metavar="R",
                       help=f"rounds per case; each side runs once per round, the sides alternating, and "
                            f"keeps its best round median, so a burst of load from a neighbour spoils one "
                            f"round rather than the ratio (default {FULL.rounds}, {QUICK.rounds} with --quick)")
    bench.add_argument("--device", choices=registry.DEVICES, default="cpu",
                       help="cuda: the GPU benchmarks on CuPy arrays against CuPy (cuBLAS, TF32 off) and PyTorch "
                            "(cuBLAS, cuDNN, fused Adam, SDPA), timed with CUDA events (default: %(default)s)")
    bench.add_argument("--list", action="store_true", help="list the kernels and their shapes, and exit")
    bench.set_defaults(run=_run)


def _run(args):
    for name in args.kernels:  # --kernel was checked against the CPU list, before --device was known
        try:
            registry.get(name, args.device)
        except KeyError as err:
            raise SystemExit(f"mdlfast bench: error: {err.args[0]}") from None
    if args.list:
        _print_list(registry.benchmarks(args.device).values())
        return 0
    settings = QUICK if args.quick else FULL
    options = runner.Options(
        kernels=tuple(dict.fromkeys(args.kernels)),  # in the order given, each once
        quick=args.quick,
        threads=args.threads,
        min_time=args.min_time or settings.min_time,
        min_count=settings.min_count,
        rounds=args.rounds or settings.rounds,
        peak_seconds=settings.peak_seconds,
        json_path=_json_path(args.json, args.device),
        device=args.device,
    )
    return runner.run(options)


def _json_path(argument, device="cpu"):
    if argument is None:
        return None
    if argument:
        return Path(argument)
    return results.default_path(mdlfast.config(), results.utc_now(), device)


def _print_list(benches):
    for bench in benches:
        print(f"{bench.name}  ({bench.shape_legend}; sides: {', '.join(bench.sides)})")
        for suite, cases in (("full", bench.full), ("quick", bench.quick)):
            labels = [c.label + (f" ({threads_text(c.threads)})" if c.threads else "") for c in cases]
            print(f"  {suite:5}  {'; '.join(labels)}")


def _kernel_name(text):
    """A kernel benchmarked on some device; whether on the one chosen is checked after parsing."""
    if not any(text in registry.benchmarks(device) for device in registry.DEVICES):
        known = ", ".join(dict.fromkeys(n for d in registry.DEVICES for n in registry.benchmarks(d)))
        raise argparse.ArgumentTypeError(f"unknown kernel {text!r}; known kernels: {known}")
    return text


def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__}, got {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    return parse


def _available_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
