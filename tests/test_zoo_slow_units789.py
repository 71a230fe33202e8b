"""The units 7-9 zoo's full runs (minutes each) reaching the issue's figures, seed 0. Marked slow:
run them with `pytest -m slow tests/test_zoo_slow_units789.py` (or MDLFAST_SLOW=1); otherwise
they are skipped."""
from __future__ import annotations

import os

import pytest

from mdlfast.models import registry

pytest.importorskip("sklearn")
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _only_when_asked(request):
    expression = request.config.getoption("markexpr") or ""
    if "slow" not in expression.replace("not slow", "") and not os.environ.get("MDLFAST_SLOW"):
        pytest.skip("full zoo run: select it with -m slow (or MDLFAST_SLOW=1)")


@pytest.mark.parametrize("name", ["gan", "dcgan", "ddpm_digits"])
def test_generated_digits_are_confident_and_cover_every_class(name):
    metrics = registry.get(name).run(seed=0).metrics
    assert metrics["mean_confidence"] >= 0.8
    assert metrics["classes_covered"] == 10


def test_wgan_gp_covers_every_digit():
    metrics = registry.get("wgan_gp").run(seed=0).metrics
    assert metrics["classes_covered"] == 10


@pytest.mark.parametrize("dataset", ["moons", "spirals"])
def test_ddpm_2d_is_closer_to_the_data_than_a_gaussian(dataset):
    metrics = registry.get("ddpm_2d").run(dataset=dataset, seed=0).metrics
    assert metrics["mmd"] < 0.5 * metrics["gaussian_mmd"]


@pytest.mark.parametrize("name", ["gcn_karate", "gcn_sbm"])
def test_gcn_full_runs(name):
    assert registry.get(name).run(seed=0).metrics["test_accuracy"] >= 0.9


def test_dqn_solves_cartpole():
    pytest.importorskip("gymnasium")
    metrics = registry.get("dqn_cartpole").run(seed=0).metrics
    assert metrics["eval_episodes"] == 100
    assert metrics["eval_mean_return"] >= 475
