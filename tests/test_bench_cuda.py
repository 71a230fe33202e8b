"""`mdlfast bench --device cuda` where it can be checked without a GPU: the GPU declarations, the
argument handling, the clear error where CuPy, mdlfast._cuda or a GPU is missing, and the copy-
bandwidth ceiling of byte-bound rows. The timing itself runs on a GPU machine (bench/gpu_run.sh)."""
import importlib.util
import subprocess
import sys

import pytest

from mdlfast._config import PACKAGE_PARENT
from mdlfast.bench import registry, runner, worker
from mdlfast.bench.registry import MDLFAST, REFERENCE, Case, KernelBench, Side
from mdlfast.bench.row import Row

HAS_CUPY = importlib.util.find_spec("cupy") is not None


def _bench(*arguments):
    return subprocess.run([sys.executable, "-m", "mdlfast.cli", "bench", *arguments],
                          capture_output=True, text=True, timeout=120, cwd=PACKAGE_PARENT)


def test_gpu_declarations_are_cuda_benches_with_an_mdlfast_side():
    benches = registry.benchmarks("cuda")
    assert {"gemm", "adam_step", "layer_norm", "embedding", "conv2d_backward",
            "attention_forward_backward", "lstm_backward"} <= set(benches)
    for bench in benches.values():
        assert bench.device == "cuda" and MDLFAST in bench.sides and bench.peers
        assert bench.full and bench.quick
    assert all(bench.device == "cpu" for bench in registry.benchmarks().values())


def test_cuda_bench_needs_no_reference_side_but_a_cpu_bench_does():
    case = Case("1", (1,), 1.0)
    KernelBench("k", "n", "byte", {MDLFAST: Side(lambda p: None)}, (case,), (case,), device="cuda")
    with pytest.raises(ValueError, match="lacks the sides"):
        KernelBench("k", "n", "byte", {MDLFAST: Side(lambda p: None)}, (case,), (case,))
    with pytest.raises(ValueError, match="device"):
        KernelBench("k", "n", "byte", {MDLFAST: Side(lambda p: None), REFERENCE: Side(lambda p: None)},
                    (case,), (case,), device="tpu")


def test_list_shows_the_gpu_cases_and_peers():
    done = _bench("--device", "cuda", "--list")
    assert done.returncode == 0, done.stderr
    assert "gemm  (M x N x K (float32, TF32 off); sides: mdlfast, cupy, torch)" in done.stdout
    assert "4096x4096x4096" in done.stdout
    assert "reference" not in done.stdout


def test_a_kernel_without_a_gpu_benchmark_is_a_usage_error():
    cpu_only = next(name for name in registry.benchmarks() if name not in registry.benchmarks("cuda"))
    done = _bench("--device", "cuda", "--kernel", cpu_only, "--list")
    assert done.returncode != 0
    assert f"unknown kernel {cpu_only!r} for --device cuda" in done.stderr


@pytest.mark.skipif(HAS_CUPY, reason="CuPy is installed")
def test_without_cupy_the_run_stops_with_a_clear_error():
    done = _bench("--device", "cuda", "--quick", "--kernel", "adam_step")
    assert done.returncode == 2
    assert "--device cuda needs CuPy: install mdlfast[cuda]" in done.stderr


def test_check_gpu_names_what_is_missing(monkeypatch):
    monkeypatch.setattr(runner.importlib.util, "find_spec", lambda name: object())  # "CuPy is there"
    with pytest.raises(runner.NoGpu, match="lacks"):
        runner.check_gpu({"cuda_built": False, "gpu_count": 0})
    with pytest.raises(runner.NoGpu, match="found no GPU"):
        runner.check_gpu({"cuda_built": True, "gpu_count": 0})
    runner.check_gpu({"cuda_built": True, "gpu_count": 1})


def test_worker_takes_the_device():
    args = worker.parse_arguments(["--kernel", "gemm", "--case", "1024x1024x1024", "--side", "cupy",
                                   "--threads", "1", "--min-time", "0.1", "--min-count", "3", "--device", "cuda"])
    assert args.device == "cuda"
    assert worker.parse_arguments(["--kernel", "gemm", "--case", "c", "--side", "s", "--threads", "1",
                                   "--min-time", "0.1", "--min-count", "3"]).device == "cpu"


def test_byte_rows_on_the_gpu_are_a_fraction_of_the_copy_bandwidth():
    from mdlfast.bench.timing import Timing

    row = Row("adam_step", "10M", 1, 2.8e8, "byte", None, copy_gbps=2800.0)
    row.timings[MDLFAST] = Timing(median_s=2e-4, min_s=2e-4, iqr_s=0.0, count=5)  # 1400 GB/s
    assert row.rate() == pytest.approx(1400.0)
    assert row.peak_fraction() == pytest.approx(0.5)
    assert row.as_dict()["copy_gbps"] == 2800.0
    assert Row("gemm", "s", 1, 1e9, "flop", None, copy_gbps=2800.0).peak_fraction() is None
