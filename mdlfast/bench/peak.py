"""The machine's float32 FMA peak (GFLOP/s) on the active ISA path, measured in a child process
so that no other thread pool competes with it.

    python -m mdlfast.bench.peak --threads 2 --seconds 0.5
"""
from __future__ import annotations

import argparse
import json

from mdlfast import _cpu
from mdlfast.bench.process import run_child


def measure(threads, seconds):
    """GFLOP/s of the FMA peak on `threads` threads, measured for `seconds` in a child process."""
    return run_child("mdlfast.bench.peak", ["--threads", threads, "--seconds", seconds], threads)["gflops"]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mdlfast.bench.peak", description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    args = parser.parse_args(argv)
    print(json.dumps({"gflops": _cpu.measure_peak_gflops(args.threads, args.seconds)}))


if __name__ == "__main__":
    main()
