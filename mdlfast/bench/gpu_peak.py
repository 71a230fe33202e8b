"""The GPU's device-to-device copy bandwidth (GB/s, bytes read plus bytes written), the ceiling of
memory-bound kernels such as the optimizer steps; measured in a child process with CUDA events.

    python -m mdlfast.bench.gpu_peak --megabytes 1024 --repeats 20
"""
from __future__ import annotations

import argparse
import json

from mdlfast.bench.process import run_child


def measure(megabytes=1024, repeats=20):
    """Median GB/s of a cudaMemcpyAsync between two buffers of `megabytes` each."""
    return run_child("mdlfast.bench.gpu_peak", ["--megabytes", megabytes, "--repeats", repeats], 1)["copy_gbps"]


def copy_gbps(megabytes, repeats):
    import cupy as cp
    import numpy as np

    size = megabytes * 2**20
    source = cp.random.standard_normal(size // 4, dtype=cp.float32)  # not zeros: see METHOD notes
    target = cp.empty_like(source)
    stream = cp.cuda.Stream.null
    start, end = cp.cuda.Event(), cp.cuda.Event()
    copy_kind = cp.cuda.runtime.memcpyDeviceToDevice
    samples = []
    for i in range(repeats + 3):  # the first three are the warm-up
        start.record(stream)
        cp.cuda.runtime.memcpyAsync(target.data.ptr, source.data.ptr, source.nbytes, copy_kind, stream.ptr)
        end.record(stream)
        end.synchronize()
        if i >= 3:
            samples.append(cp.cuda.get_elapsed_time(start, end) / 1e3)
    if not bool((target == source).all()):
        raise RuntimeError("the device-to-device copy did not copy")
    return 2 * source.nbytes / float(np.median(samples)) / 1e9


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mdlfast.bench.gpu_peak", description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, required=True)
    parser.add_argument("--repeats", type=int, required=True)
    args = parser.parse_args(argv)
    print(json.dumps({"copy_gbps": copy_gbps(args.megabytes, args.repeats)}))


if __name__ == "__main__":
    main()
