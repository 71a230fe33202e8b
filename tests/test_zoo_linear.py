"""Units 1-2 of the zoo: least-squares, logistic and softmax regression trained by mdlfast's own
GD / SGD, and the one-vs-rest / one-vs-one schemes, checked against scikit-learn."""
from __future__ import annotations

import numpy as np
import pytest

import mdlfast

from mdlfast.models import (LeastSquaresClassifier, LogisticRegression, OneVsOne, OneVsRest,
                            SoftmaxRegression)


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


def _separable(n_per_class=30, classes=4, seed=0):
    """Well-separated Gaussian blobs on a circle: every sensible linear scheme gets them all."""
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(classes) / classes
    centres = 4.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    y = np.repeat(np.arange(classes), n_per_class)
    X = centres[y] + 0.4 * rng.standard_normal((len(y), 2))
    return X.astype(np.float32), y.astype(np.int64)


def test_softmax_regression_full_batch_gd_reduces_loss_and_separates():
    X, y = _separable()
    model = SoftmaxRegression(lr=0.5, epochs=60).fit(X, y)
    losses = model.history_["loss"]
    assert losses[-1] < 0.2 * losses[0]
    assert np.all(np.diff(losses) <= 1e-6)  # full-batch GD at a safe step size descends
    np.testing.assert_array_equal(model.predict(X), y)
    probs = model.predict_proba(X)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)


def test_mini_batch_sgd_and_validation_history():
    X, y = _separable(seed=1)
    Xv, yv = _separable(10, seed=2)
    model = SoftmaxRegression(lr=0.1, epochs=5, batch_size=16).fit(X, y, Xv, yv)
    assert model.history_.epochs == 5 and "val_loss" in model.history_
    assert np.mean(model.predict(Xv) == yv) == 1.0


def test_least_squares_classifier_binary_and_multiclass():
    X, y = _separable(classes=4)
    model = LeastSquaresClassifier(lr=0.05, epochs=200).fit(X, y)
    assert np.mean(model.predict(X) == y) == 1.0
    X2 = np.concatenate([X[y == 0], X[y == 2]])
    y2 = np.concatenate([np.full((y == 0).sum(), 3), np.full((y == 2).sum(), 7)])
    binary = LeastSquaresClassifier(lr=0.05, epochs=100).fit(X2, y2)
    assert binary.decision_function(X2).shape == (len(X2),)
    np.testing.assert_array_equal(binary.predict(X2), y2)


def test_logistic_regression_is_binary_and_matches_scikit_learn_on_separable_data():
    sklearn = pytest.importorskip("sklearn.linear_model")
    X, y = _separable(classes=2, seed=3)
    model = LogisticRegression(lr=0.5, epochs=100).fit(X, y)
    reference = sklearn.LogisticRegression().fit(X, y)
    np.testing.assert_array_equal(model.predict(X), reference.predict(X))
    assert model.predict_proba(X).shape == (len(X), 2)
    X3, y3 = _separable(classes=3)
    with pytest.raises(ValueError, match="two classes"):
        LogisticRegression().fit(X3, y3)


@pytest.mark.parametrize("scheme", ["ovr", "ovo"])
def test_schemes_equal_scikit_learn_with_the_same_base_estimator(scheme):
    """Our scheme logic around scikit-learn's own binary classifier gives exactly
    scikit-learn's OneVsRestClassifier / OneVsOneClassifier decisions, on data where the classes
    overlap (so votes and confidences matter)."""
    linear_model = pytest.importorskip("sklearn.linear_model")
    multiclass = pytest.importorskip("sklearn.multiclass")
    rng = np.random.default_rng(4)
    X = rng.standard_normal((200, 3))
    y = rng.integers(0, 4, 200)
    X[:, 0] += y  # weak signal: many ties broken by confidences
    base = lambda: linear_model.LogisticRegression(C=0.5)  # noqa: E731
    ours = (OneVsRest if scheme == "ovr" else OneVsOne)(base).fit(X, y)
    theirs = (multiclass.OneVsRestClassifier if scheme == "ovr"
              else multiclass.OneVsOneClassifier)(base()).fit(X, y)
    np.testing.assert_allclose(ours.decision_function(X), theirs.decision_function(X),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


@pytest.mark.parametrize("scheme", ["ovr", "ovo"])
def test_schemes_with_our_logistic_regression_match_scikit_learn_on_separable_data(scheme):
    linear_model = pytest.importorskip("sklearn.linear_model")
    multiclass = pytest.importorskip("sklearn.multiclass")
    X, y = _separable(classes=4, seed=5)
    labels = np.array([10, 20, 30, 40])[y]
    ours = (OneVsRest if scheme == "ovr" else OneVsOne)(
        lambda: LogisticRegression(lr=0.5, epochs=80)).fit(X, labels)
    theirs = (multiclass.OneVsRestClassifier if scheme == "ovr"
              else multiclass.OneVsOneClassifier)(linear_model.LogisticRegression()).fit(X, labels)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_array_equal(ours.predict(X), labels)
    expected = 4 if scheme == "ovr" else 6
    assert len(ours.estimators_) == expected


def test_errors():
    with pytest.raises(ValueError, match="lr"):
        SoftmaxRegression(lr=0)
    with pytest.raises(ValueError, match="2-D"):
        SoftmaxRegression().fit(np.zeros(5), np.zeros(5))
    with pytest.raises(ValueError, match="labels"):
        SoftmaxRegression().fit(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(RuntimeError, match="fit"):
        SoftmaxRegression().predict(np.zeros((2, 2)))
