"""`mdlfast bench` end to end: the JSON record's structure, and the error for an unknown kernel.
Timings are only checked to be positive: performance is measured in bench/, never asserted here."""
import importlib.util
import json
import subprocess
import sys

import pytest

from mdlfast._config import PACKAGE_PARENT
from mdlfast.bench import registry


def _bench(*arguments):
    return subprocess.run([sys.executable, "-m", "mdlfast.cli", "bench", *arguments],
                          capture_output=True, text=True, timeout=120, cwd=PACKAGE_PARENT)


@pytest.fixture(scope="module")
def quick_gemm_record(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "gemm.json"
    done = _bench("--quick", "--kernel", "gemm", "--min-time", "0.02", "--json", str(path))
    assert done.returncode == 0, done.stderr
    return json.loads(path.read_text()), done.stdout


def test_record_describes_the_run(quick_gemm_record):
    record, _ = quick_gemm_record
    assert record["config"]["version"]
    assert record["config"]["isa"]
    assert record["suite"] == "quick"
    assert record["threads"] >= 1
    assert record["date"]
    assert "commit" in record
    assert all(gflops > 0 for gflops in record["peak_gflops"].values())
    assert str(record["threads"]) in record["peak_gflops"]


def test_record_has_a_row_per_quick_gemm_case(quick_gemm_record):
    record, _ = quick_gemm_record
    expected = [case.label for case in registry.get("gemm").quick]
    assert [row["shape"] for row in record["rows"]] == expected
    for row in record["rows"]:
        assert row["kernel"] == "gemm"
        assert row["work"] > 0
        assert row["rate"] > 0 and row["rate_unit"] == "GFLOP/s"
        assert row["peak_fraction"] > 0
        assert row["errors"] == {}
        for side in ("mdlfast", "reference", "numpy"):
            timing = row["timings"][side]
            assert timing["median_s"] > 0 and timing["min_s"] > 0 and timing["iqr_s"] >= 0
            assert timing["count"] >= 3
            assert row["speedup"].get(side, 1.0) > 0


def test_torch_is_measured_where_installed_and_null_elsewhere_never_faked(quick_gemm_record):
    record, _ = quick_gemm_record
    installed = importlib.util.find_spec("torch") is not None
    for row in record["rows"]:
        assert (row["timings"]["torch"] is not None) == installed
        assert (row["speedup"]["torch"] is not None) == installed


def test_table_has_a_line_per_row(quick_gemm_record):
    record, stdout = quick_gemm_record
    for row in record["rows"]:
        assert any(line.startswith("gemm") and row["shape"] in line for line in stdout.splitlines())


def test_unknown_kernel_is_a_usage_error_naming_the_known_ones():
    done = _bench("--kernel", "nosuch")
    assert done.returncode == 2
    assert "nosuch" in done.stderr
    for name in registry.benchmarks():
        assert name in done.stderr
