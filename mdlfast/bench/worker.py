"""Child process: times one side of one benchmark case and prints the timing as one JSON line.

    python -m mdlfast.bench.worker --kernel gemm --case 1024x1024x1024 --side mdlfast \
        --threads 2 --min-time 1.0 --min-count 5

The runner starts it with OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS set to
--threads (mdlfast.bench.process); the thread pools that can be resized at run time are set here
as well, after the side's setup has imported its library.
"""
from __future__ import annotations

import argparse
import json
import sys

import mdlfast
from mdlfast.bench import registry, timing


def parse_arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m mdlfast.bench.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--kernel", required=True)
    parser.add_argument("--case", required=True, help="the case label, e.g. 1024x1024x1024")
    parser.add_argument("--side", required=True, help="mdlfast, reference, or a peer such as numpy")
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--min-time", type=float, required=True, help="seconds of timed calls, at least")
    parser.add_argument("--min-count", type=int, required=True, help="timed calls, at least")
    parser.add_argument("--device", choices=registry.DEVICES, default="cpu",
                        help="cuda: the kernel's GPU benchmark, timed with CUDA events")
    return parser.parse_args(argv)


def _set_threads(threads):
    mdlfast.set_num_threads(threads)
    torch = sys.modules.get("torch")  # only where the side's setup imported it
    if torch is not None:
        torch.set_num_threads(threads)


def main(argv=None):
    args = parse_arguments(argv)
    bench = registry.get(args.kernel, args.device)
    if args.side not in bench.sides:
        raise SystemExit(f"{args.kernel} has no side {args.side!r}; it has {', '.join(bench.sides)}")
    function = bench.sides[args.side].setup(bench.case(args.case).params)
    _set_threads(args.threads)
    measure = timing.measure_cuda if args.device == "cuda" else timing.measure
    result = measure(function, min_time=args.min_time, min_count=args.min_count)
    print(json.dumps(result.as_dict()))


if __name__ == "__main__":
    main()
