"""Runs a benchmark module in a child Python process with a fixed thread count and reads the JSON
it prints. The thread variables must be in the child's environment before NumPy (OpenBLAS or
MKL), OpenMP or PyTorch load, which is why they are set here and not in the child."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from mdlfast._config import PACKAGE_PARENT

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

# A child that runs longer than this is stuck; no case is meant to take more than a few seconds.
CHILD_TIMEOUT_S = 600


class ChildFailed(RuntimeError):
    pass


def thread_environment(threads):
    env = dict(os.environ)
    env.update({name: str(threads) for name in THREAD_VARIABLES})
    return env


def run_child(module, arguments, threads):
    """Runs `python -m module arguments...` on `threads` threads; returns the last line of its
    standard output, parsed as JSON. Raises ChildFailed with the child's last error line."""
    command = [sys.executable, "-m", module, *map(str, arguments)]
    try:
        done = subprocess.run(command, env=thread_environment(threads), capture_output=True, text=True,
                              timeout=CHILD_TIMEOUT_S, cwd=PACKAGE_PARENT)
    except subprocess.TimeoutExpired:
        raise ChildFailed(f"{module} did not finish within {CHILD_TIMEOUT_S} s") from None
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit code {done.returncode}"]
        raise ChildFailed(lines[-1])
    lines = done.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        raise ChildFailed(f"{module} printed no JSON result") from None
