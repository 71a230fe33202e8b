"""Timing one zero-argument callable: warm up, then repeat until both a minimum time and a minimum
count are reached, and summarise with robust statistics (the machine is shared and noisy, so the
median, not the mean, is the headline)."""
from __future__ import annotations

import gc
import time
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Timing:
    median_s: float
    min_s: float
    iqr_s: float  # interquartile range: the spread of the middle half of the samples
    count: int

    def as_dict(self):
        return asdict(self)


def measure(function, *, min_time, min_count, warmup_time=None):
    """Times function() once per sample. The warm-up (by default a fifth of min_time, and at least
    two calls) lets thread pools start, caches fill and outputs' pages get mapped before timing."""
    if warmup_time is None:
        warmup_time = min_time / 5
    _run_for(function, warmup_time, min_calls=2)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a collection inside one sample would be timed as kernel time
    try:
        samples = _run_for(function, min_time, min_calls=min_count)
    finally:
        if gc_was_enabled:
            gc.enable()
    q25, median, q75 = np.percentile(samples, [25, 50, 75])
    return Timing(float(median), float(min(samples)), float(q75 - q25), len(samples))


def _run_for(function, seconds, *, min_calls):
    """Calls function until `seconds` have passed and it ran at least min_calls times; returns the
    duration of each call."""
    clock = time.perf_counter
    samples = []
    deadline = clock() + seconds
    while True:
        start = clock()
        function()
        end = clock()
        samples.append(end - start)
        if end >= deadline and len(samples) >= min_calls:
            return samples


def measure_cuda(function, *, min_time, min_count, warmup_time=None):
    """As measure(), for a callable that queues GPU work on the legacy default stream (CuPy's and
    PyTorch's default): each sample is the time between two CUDA events recorded around one call,
    waited for before the next call, so the device's time is measured rather than the launches'.
    The warm-up also loads modules, compiles and creates library handles outside the samples."""
    import cupy as cp

    if warmup_time is None:
        warmup_time = min_time / 5
    stream = cp.cuda.Stream.null
    start, end = cp.cuda.Event(), cp.cuda.Event()

    def timed():
        start.record(stream)
        function()
        end.record(stream)
        end.synchronize()
        return cp.cuda.get_elapsed_time(start, end) / 1e3

    _collect(timed, warmup_time, min_calls=2)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        samples = _collect(timed, min_time, min_calls=min_count)
    finally:
        if gc_was_enabled:
            gc.enable()
    q25, median, q75 = np.percentile(samples, [25, 50, 75])
    return Timing(float(median), float(min(samples)), float(q75 - q25), len(samples))


def _collect(sample, seconds, *, min_calls):
    """Takes sample() (a duration) until `seconds` of them are summed and min_calls were taken."""
    samples = []
    while True:
        samples.append(sample())
        if sum(samples) >= seconds and len(samples) >= min_calls:
            return samples
