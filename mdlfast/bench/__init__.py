"""Benchmarks of mdlfast's kernels against their NumPy reference and against peer libraries.

    registry   how a kernel family declares its cases and the sides that run them
    gemm       the gemm, linear and linear_backward cases
    timing     warm-up, repeats, median / min / IQR
    process    starting a child process with a fixed thread count
    worker     child process: times one side of one case (`python -m mdlfast.bench.worker`)
    peak       child process: the machine's float32 FMA peak
    row        one kernel at one shape, every side, and the speed-ups and rates derived from it
    table      the printed table
    results    the JSON record in bench/results/, written atomically
    runner     one child per (case, side), the tables, the record
    command    the `mdlfast bench` subcommand

Each side runs in its own process because NumPy's, PyTorch's and mdlfast's thread pools slow each
other down when they share one.
"""
