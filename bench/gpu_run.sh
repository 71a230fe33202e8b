#!/usr/bin/env bash
# The one command for a GPU machine without internet (CUDA toolkit, CuPy, PyTorch, pybind11 and
# scikit-build-core preinstalled):
#
#     bench/gpu_run.sh [OUTDIR]          (default OUTDIR: gpu-run-<UTC date>)
#
# builds mdlfast with its CUDA kernels, then runs tests/cuda, compute-sanitizer (memcheck and
# racecheck) on a subset of them, `mdlfast bench --device cuda`, and the whole test suite. Every
# step runs under its own time limit and the whole under ~9 minutes (a device machine allows 10
# per command); a failing step is recorded and the next one runs anyway. OUTDIR gets at most 8
# files (the device tool brings back 8): summary.txt (GPU, versions, each step's exit code and
# seconds), build.log, cuda-tests.log, sanitizer.log, bench.log, bench.json, suite.log.
#
# Environment: MDLFAST_CUDA_ARCHS (default 90: the H100/H200; see cmake/cuda.cmake),
# GPU_RUN_BUDGET_S (default 530), GPU_RUN_BENCH_ARGS (default --quick), PYTHON (default python3).
set -u
OUTDIR=${1:-gpu-run-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
BUDGET_S=${GPU_RUN_BUDGET_S:-530}
export MDLFAST_CUDA_ARCHS=${MDLFAST_CUDA_ARCHS:-90}
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
export PYTHONUNBUFFERED=1
# nvcc and compute-sanitizer live in the toolkit's bin, which may not be on PATH.
for toolkit in /usr/local/cuda/bin /usr/local/cuda-*/bin; do
  [ -d "$toolkit" ] && PATH=$PATH:$toolkit
done
export PATH
SUMMARY=$OUTDIR/summary.txt
START=$(date +%s)

note() { echo "$*" | tee -a "$SUMMARY"; }

# step NAME LIMIT_S LOG COMMAND...: runs COMMAND with at most LIMIT_S seconds (less when the
# overall budget is nearly spent), appending its output to LOG; records exit code and duration.
step() {
  local name=$1 limit=$2 log=$3
  shift 3
  local left=$((BUDGET_S - ($(date +%s) - START)))
  if ((left < 15)); then
    note "step $name: skipped (budget spent)"
    return
  fi
  ((limit > left)) && limit=$left
  local began=$(date +%s)
  echo "=== $name: $* (limit ${limit}s)" >>"$log"
  timeout --kill-after=10 "$limit" "$@" >>"$log" 2>&1
  local rc=$?
  note "step $name: exit $rc in $(($(date +%s) - began))s (limit ${limit}s; 124 = timed out) -> $(basename "$log")"
}

: >"$SUMMARY"
note "mdlfast gpu_run $(date -u +%Y-%m-%dT%H:%M:%SZ) commit $(git rev-parse HEAD 2>/dev/null || echo unknown)"
note "MDLFAST_CUDA_ARCHS=$MDLFAST_CUDA_ARCHS budget ${BUDGET_S}s"
{
  nvidia-smi || echo "nvidia-smi failed"
  nvcc --version | tail -2
  "$PYTHON" --version
  "$PYTHON" -c 'import cupy, torch; print("cupy", cupy.__version__, "torch", torch.__version__, "torch cuda", torch.version.cuda)'
} >>"$SUMMARY" 2>&1

step build 240 "$OUTDIR/build.log" \
  "$PYTHON" -m pip install -v --no-build-isolation --no-deps -Cbuild-dir=/tmp/mdlfast-gpu-build .
step config 30 "$OUTDIR/build.log" "$PYTHON" -P -m mdlfast.cli info

# A hung test costs its step, not the run: pytest-timeout where installed (it is on the device image).
PYTEST_TIMEOUT=()
"$PYTHON" -c 'import pytest_timeout' 2>/dev/null && PYTEST_TIMEOUT=(--timeout=60)

step cuda-tests 120 "$OUTDIR/cuda-tests.log" "$PYTHON" -P -m pytest -q --no-header -p no:cacheprovider "${PYTEST_TIMEOUT[@]}" tests/cuda

# memcheck: one test of each kernel family; racecheck: the kernels that share memory in a block.
MEMCHECK_TESTS=(tests/cuda -p no:cacheprovider -q -k
  "13-17-31 or multi_tensor or embedding_forward or layer_norm_forward or same_mask or pool2d_forward or training_forward or test_forward or test_linear_backward")
RACECHECK_TESTS=(tests/cuda -p no:cacheprovider -q -k "layer_norm_forward or softmax or training_forward or test_linear_backward")
if command -v compute-sanitizer >/dev/null; then
  step memcheck 120 "$OUTDIR/sanitizer.log" \
    compute-sanitizer --tool memcheck --error-exitcode 99 "$PYTHON" -P -m pytest "${MEMCHECK_TESTS[@]}"
  step racecheck 90 "$OUTDIR/sanitizer.log" \
    compute-sanitizer --tool racecheck --error-exitcode 99 "$PYTHON" -P -m pytest "${RACECHECK_TESTS[@]}"
else
  note "compute-sanitizer not on PATH: sanitizer steps skipped"
fi

# shellcheck disable=SC2086  # GPU_RUN_BENCH_ARGS is a list of words
step bench 150 "$OUTDIR/bench.log" \
  "$PYTHON" -P -m mdlfast.cli bench --device cuda ${GPU_RUN_BENCH_ARGS:---quick} --json "$OUTDIR/bench.json"

step suite 200 "$OUTDIR/suite.log" "$PYTHON" -P -m pytest -q --no-header -p no:cacheprovider "${PYTEST_TIMEOUT[@]}" tests
tail -3 "$OUTDIR/suite.log" >>"$SUMMARY" 2>/dev/null
note "total $(($(date +%s) - START))s"
