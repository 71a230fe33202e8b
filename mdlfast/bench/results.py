"""The JSON record of a benchmark run: which machine, build, commit and date, the measured peaks and
every row. Written atomically, so an interrupted run never leaves a truncated file behind."""
from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import mdlfast

RESULTS_DIRECTORY = Path("bench") / "results"


def utc_now():
    return datetime.now(timezone.utc)


def machine_name(config):
    """A file-name-safe machine label: the host name and the CPU model."""
    text = f"{platform.node()}-{config['cpu']}".lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "machine"


def default_path(config, started, device="cpu"):
    name = machine_name(config)
    if device == "cuda" and config.get("gpus"):  # the GPU's name, as the issue asks of GPU results
        name = re.sub(r"[^a-z0-9]+", "-", config["gpus"][0]["name"].lower()).strip("-")
    return RESULTS_DIRECTORY / f"{name}-{started:%Y%m%dT%H%M%SZ}.json"


def git_commit():
    """(commit, dirty) of the source tree mdlfast runs from; (None, None) outside a git checkout."""
    source = Path(mdlfast.__file__).resolve().parent
    try:
        commit = _git(source, "rev-parse", "HEAD")
        dirty = bool(_git(source, "status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit, dirty


def _git(directory, *arguments):
    done = subprocess.run(["git", *arguments], cwd=directory, capture_output=True, text=True, timeout=30,
                          check=True)
    return done.stdout.strip()


def document(*, config, started, suite, threads, min_time_s, rounds, peaks, rows, device="cpu",
             copy_gbps=None):
    commit, dirty = git_commit()
    return {
        "machine": platform.node(),
        "config": config,
        "commit": commit,
        "commit_dirty": dirty,
        "date": started.isoformat(timespec="seconds"),
        "suite": suite,
        "threads": threads,
        "min_time_s": min_time_s,
        "rounds": rounds,
        "peak_gflops": {str(t): gflops for t, gflops in peaks.items()},
        "device": device,
        "copy_gbps": copy_gbps,
        "rows": [row.as_dict() for row in rows],
    }


def write_atomically(path, record):
    """Writes record as JSON to path through a temporary file in the same directory and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as out:
            json.dump(record, out, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
