"""Configuration: show_config / config(), the `mdlfast info` command, MDLFAST_ISA at import, and
set_num_threads / get_num_threads."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import mdlfast
from mdlfast import _cpu, kernels
from mdlfast._config import PACKAGE_PARENT

SUPPORTED = list(_cpu.supported_isas())
ALL_ISAS = ["generic", "avx2", "avx512"]


def run_python(code, **env_overrides):
    env = dict(os.environ)
    env.pop("MDLFAST_ISA", None)
    env.update(env_overrides)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                          cwd=PACKAGE_PARENT)


def run_cli(*args):
    env = dict(os.environ)
    env.pop("MDLFAST_ISA", None)
    return subprocess.run([sys.executable, "-m", "mdlfast.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120, cwd=PACKAGE_PARENT)


def test_config_contents():
    report = mdlfast.config()
    assert report["version"] == mdlfast.__version__
    assert report["isa"] == _cpu.active_isa()
    assert report["isa"] in report["isas_supported"]
    assert report["isas_supported"] == SUPPORTED
    assert "generic" in SUPPORTED  # the baseline path runs everywhere
    assert set(SUPPORTED) <= set(ALL_ISAS)
    assert report["num_threads"] == mdlfast.get_num_threads() >= 1
    assert isinstance(report["cuda_built"], bool)
    assert report["gpu_count"] == len(report["gpus"])
    json.dumps(report)  # serialisable, as `mdlfast info --json` needs


def test_config_follows_the_active_isa(isa):
    assert mdlfast.config()["isa"] == isa


def test_show_config(capsys):
    mdlfast.show_config()
    lines = capsys.readouterr().out.splitlines()
    fields = {line.split()[0]: line.split(None, 1)[1].strip() for line in lines if line.strip()}
    assert fields["version"] == mdlfast.__version__
    assert fields["isa"] == _cpu.active_isa()
    assert fields["num_threads"] == str(mdlfast.get_num_threads())
    assert fields["cuda_built"] in ("True", "False")
    assert "gpu_count" in fields
    assert fields["isas_supported"] == ", ".join(SUPPORTED)


def test_cli_info():
    result = run_cli("info")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for key in ("version", "isa", "num_threads", "cuda_built", "gpu_count"):
        assert any(line.split()[:1] == [key] for line in out.splitlines()), f"no {key} line in:\n{out}"
    assert mdlfast.__version__ in out


def test_cli_info_json():
    result = run_cli("info", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["version"] == mdlfast.__version__
    assert report["isa"] == SUPPORTED[-1]  # with no MDLFAST_ISA, the best path the CPU has
    assert report["isas_supported"] == SUPPORTED
    assert report["num_threads"] >= 1
    assert isinstance(report["cuda_built"], bool)


def test_cli_without_a_command_fails_cleanly():
    result = run_cli()
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "usage" in result.stderr.lower()


@pytest.mark.parametrize("name", SUPPORTED)
def test_mdlfast_isa_forces_a_path(name):
    """MDLFAST_ISA picks the path at import; kernels run on it and give correct results."""
    code = (
        "import json, numpy as np, mdlfast\n"
        "rng = np.random.default_rng(7)\n"
        "a = rng.standard_normal((37, 53)).astype(np.float32)\n"
        "b = rng.standard_normal((53, 29)).astype(np.float32)\n"
        "out = mdlfast.kernels.gemm(a, b).astype(np.float64)\n"
        "ref = a.astype(np.float64) @ b.astype(np.float64)\n"
        "err = float(np.linalg.norm(out - ref) / np.linalg.norm(ref))\n"
        "print(json.dumps({'isa': mdlfast.config()['isa'], 'err': err}))\n"
    )
    result = run_python(code, MDLFAST_ISA=name)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["isa"] == name
    assert report["err"] <= 1e-5 * np.sqrt(53)


@pytest.mark.parametrize("value", ["bogus", "avx1024", "sse2"])
def test_mdlfast_isa_unknown_fails_at_import(value):
    result = run_python("import mdlfast", MDLFAST_ISA=value)
    assert result.returncode != 0
    assert "ImportError" in result.stderr
    assert "MDLFAST_ISA" in result.stderr
    assert value in result.stderr


@pytest.mark.parametrize("name", [n for n in ALL_ISAS if n not in SUPPORTED] or
                         [pytest.param("none", marks=pytest.mark.skip("this CPU supports every ISA path"))])
def test_mdlfast_isa_unsupported_fails_at_import(name):
    result = run_python("import mdlfast", MDLFAST_ISA=name)
    assert result.returncode != 0
    assert "ImportError" in result.stderr and "MDLFAST_ISA" in result.stderr


def test_mdlfast_isa_empty_means_automatic():
    result = run_python("import mdlfast; print(mdlfast.config()['isa'])", MDLFAST_ISA="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == SUPPORTED[-1]


def test_set_num_threads_roundtrip():
    previous = mdlfast.get_num_threads()
    try:
        for n in (1, 3, 2):
            mdlfast.set_num_threads(n)
            assert mdlfast.get_num_threads() == n
            assert mdlfast.config()["num_threads"] == n
    finally:
        mdlfast.set_num_threads(previous)
    assert mdlfast.get_num_threads() == previous


def test_set_num_threads_more_than_cores_still_correct():
    """Oversubscription is allowed and changes nothing but speed."""
    previous = mdlfast.get_num_threads()
    rng = np.random.default_rng(11)
    a = rng.standard_normal((131, 97)).astype(np.float32)
    b = rng.standard_normal((97, 173)).astype(np.float32)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    try:
        mdlfast.set_num_threads(2 * (os.cpu_count() or 1) + 1)
        out = kernels.gemm(a, b)
    finally:
        mdlfast.set_num_threads(previous)
    assert np.linalg.norm(out - ref) / np.linalg.norm(ref) <= 1e-5 * np.sqrt(97)


@pytest.mark.parametrize("omp", ["1", "3"])
def test_default_threads_follow_omp_num_threads(omp):
    result = run_python("import mdlfast; print(mdlfast.get_num_threads())", OMP_NUM_THREADS=omp)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == omp
