"""The zoo registry and the `mdlfast zoo`, `mdlfast train` and `mdlfast tour` commands (quick
configs), through main(argv) and one real subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import mdlfast

from mdlfast import cli
from mdlfast.models import registry
from mdlfast.models.registry import Run, ZooEntry

pytest.importorskip("sklearn")  # the zoo trains on scikit-learn's bundled digits


@pytest.fixture(autouse=True)
def _one_thread():
    """These tests check models, not threading: one thread keeps their many tiny kernels from
    waiting on a descheduled second thread on a busy machine."""
    previous = mdlfast.get_num_threads()
    mdlfast.set_num_threads(1)
    try:
        yield
    finally:
        mdlfast.set_num_threads(previous)

EXPECTED = {
    1: {"least_squares"},
    2: {"logistic_regression", "softmax_regression", "one_vs_rest", "one_vs_one"},
    3: {"optimizer_playground"},
    4: {"mlp", "mlp_activations", "vanishing_gradients"},
    5: {"lenet5", "vgg", "inception", "toeplitz", "edge_detection"},
    6: {"resnet", "autoencoder_shallow", "autoencoder_deep", "autoencoder_conv",
        "autoencoder_denoising", "vae", "transfer", "tuning"},
}


def test_registry_lists_every_course_model_once():
    entries = registry.entries()
    names = [e.name for e in entries]
    assert len(names) == len(set(names))
    for unit, expected in EXPECTED.items():
        assert expected <= {e.name for e in entries if e.unit == unit}
    for entry in entries:
        assert entry.summary and entry.quick and entry.full and callable(entry.train)
        assert not entry.datasets or entry.dataset in entry.datasets
    assert [e.unit for e in entries] == sorted(e.unit for e in entries)


def test_registry_errors_and_registration():
    with pytest.raises(ValueError, match="unknown zoo model 'nope'"):
        registry.get("nope")
    with pytest.raises(ValueError, match="already exists"):
        registry.register(ZooEntry("mlp", 4, "dup", "digits", None, lambda *a, **k: None))
    with pytest.raises(ValueError, match="dataset must be one of"):
        registry.get("lenet5").run(quick=True, dataset="iris")


def test_a_later_unit_registers_the_same_way(monkeypatch):
    """What an issue-7 family does: register an entry; zoo, train and tour then know it."""
    calls = []

    def train(entry, config, *, dataset, seed, progress):
        calls.append((config, dataset, seed))
        return Run({"score": 1.5})

    entry = ZooEntry("toy_gan", 7, "a stand-in", "digits", None, train,
                     quick={"epochs": 1}, full={"epochs": 9}, headline="score")
    monkeypatch.setitem(registry._ENTRIES, "toy_gan", entry)
    assert registry.get("toy_gan") is entry
    assert entry.run(quick=True, epochs=4, seed=3).metrics == {"score": 1.5}
    assert calls == [({"epochs": 4}, "digits", 3)]


def test_zoo_command_lists_models_with_units(capsys):
    assert cli.main(["zoo"]) == 0
    out = capsys.readouterr().out
    for unit, names in EXPECTED.items():
        for name in names:
            line = next(line for line in out.splitlines() if f" {name} " in line)
            assert line.split()[0] == str(unit)
    assert cli.main(["zoo", "--unit", "3"]) == 0
    assert "optimizer_playground" in capsys.readouterr().out


def test_train_quick_writes_json(tmp_path, capsys):
    path = tmp_path / "run.json"
    assert cli.main(["train", "softmax_regression", "--quick", "--seed", "1", "--json",
                     str(path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    report = json.loads(path.read_text())
    assert set(report) == {"model", "dataset", "metrics", "seconds"}
    assert report["model"] == "softmax_regression" and report["dataset"] == "digits"
    assert 0.8 < report["metrics"]["test_accuracy"] <= 1.0
    assert f"{report['metrics']['test_accuracy']:.4g}" in out


def test_train_epochs_and_dataset_override(tmp_path):
    path = tmp_path / "mlp.json"
    assert cli.main(["train", "mlp", "--quick", "--epochs", "2", "--dataset", "iris",
                     "--json", str(path), "--no-progress"]) == 0
    report = json.loads(path.read_text())
    assert report["dataset"] == "iris" and report["metrics"]["epochs"] == 2


def test_train_plot(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "lenet.png"
    assert cli.main(["train", "lenet5", "--quick", "--epochs", "1", "--plot", str(path),
                     "--no-progress"]) == 0
    assert path.stat().st_size > 1000


def test_train_errors(capsys):
    assert cli.main(["train", "nope", "--quick"]) == 2
    assert "unknown zoo model" in capsys.readouterr().err
    assert cli.main(["train", "lenet5", "--quick", "--dataset", "wine"]) == 2
    assert "dataset" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["train", "lenet5", "--device", "tpu"])


def test_train_device_cuda_explains_the_missing_backend(capsys):
    try:
        import cupy  # noqa: F401
        from mdlfast import _cuda  # noqa: F401
        pytest.skip("the CUDA backend is present here")
    except ImportError:
        pass
    assert cli.main(["train", "lenet5", "--quick", "--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert "CUDA backend is not available" in err and "--device cpu" in err


def test_tour_prints_one_table(tmp_path, capsys):
    path = tmp_path / "tour.json"
    assert cli.main(["tour", "--units", "1", "3", "5", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    table = out[out.index("unit  model"):].splitlines()
    names = {e.name for e in registry.entries() if e.unit in (1, 3, 5)}
    assert len(table) == 1 + len(names)
    report = json.loads(path.read_text())
    assert set(report) == names and all(r["status"] == "ok" for r in report.values())
    assert report["toeplitz"]["metrics"]["max_abs_difference"] < 1e-4


def test_console_script_runs_train(tmp_path):
    path = tmp_path / "ls.json"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-P", "-m", "mdlfast.cli", "train", "least_squares",
                           "--quick", "--json", str(path)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert "test_accuracy" in done.stdout
    assert json.loads(path.read_text())["metrics"]["test_accuracy"] > 0.5


def test_tuning_objective_is_sane():
    from mdlfast.models.datasets import load_split
    from mdlfast.models.tuning import DIVERGED_LOSS, softmax_regression_objective

    objective = softmax_regression_objective(load_split("digits", seed=0), steps=5)
    good = objective(lr=1.0, momentum=0.5, weight_decay=1e-5)
    tiny = objective(lr=1e-4, momentum=0.0, weight_decay=1e-5)
    # Barely trained, the loss stays near ln(10) (10 classes); well trained, far below.
    assert abs(tiny - np.log10(np.log(10))) < 0.1
    assert good < tiny - 0.3
    assert objective(lr=100.0, momentum=0.99, weight_decay=1.0) <= np.log10(DIVERGED_LOSS)
