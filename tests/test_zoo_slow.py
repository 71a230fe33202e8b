"""The zoo's full runs (minutes each) reaching the issue's figures on the held-out stratified
test split of digits, seed 0. Marked slow: run them with `pytest -m slow tests/test_zoo_slow.py`
(or MDLFAST_SLOW=1); otherwise they are skipped."""
from __future__ import annotations

import os

import numpy as np
import pytest

from mdlfast.models import registry

pytest.importorskip("sklearn")
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _only_when_asked(request):
    expression = request.config.getoption("markexpr") or ""
    if "slow" not in expression.replace("not slow", "") and not os.environ.get("MDLFAST_SLOW"):
        pytest.skip("full zoo run: select it with -m slow (or MDLFAST_SLOW=1)")


@pytest.mark.parametrize("name, threshold", [
    ("softmax_regression", 0.95), ("mlp", 0.97), ("lenet5", 0.98), ("resnet", 0.98),
])
def test_classifier_reaches_its_figure(name, threshold):
    metrics = registry.get(name).run(seed=0).metrics
    assert metrics["test_accuracy"] >= threshold


@pytest.mark.parametrize("name", ["autoencoder_deep", "autoencoder_denoising"])
def test_autoencoder_beats_pca_at_the_same_code_size(name):
    metrics = registry.get(name).run(seed=0).metrics
    assert metrics["test_mse"] < metrics["pca_mse"]


def test_bayesian_optimisation_beats_random_search_over_seeds():
    metrics = registry.get("tuning").run(seed=0).metrics
    assert metrics["bayes_mean_best"] < metrics["random_mean_best"]
    assert metrics["bayes_wins"] > metrics["seeds"] / 2


def test_vanishing_gradients_at_depth_20():
    metrics = registry.get("vanishing_gradients").run(seed=0).metrics
    assert metrics["relu_over_sigmoid_first_layer"] > 1e4
    assert np.isfinite(metrics["residual_sigmoid_first_layer"])
