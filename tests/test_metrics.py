"""Classification metrics against scikit-learn (the oracle, where installed) and against cases
whose answers follow from the definitions."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from mdlfast import metrics as M

ZERO_DIVISIONS = ["warn", 0.0, 1.0, np.nan]


def _random_labels(rng, n_max=14, k_max=5):
    k = int(rng.integers(2, k_max))
    n = int(rng.integers(1, n_max))
    return rng.integers(0, k, n), rng.integers(0, k, n)


def _same(a, b):
    if a is None or b is None:
        return a is None and b is None
    return np.allclose(np.asarray(a, float), np.asarray(b, float), equal_nan=True)


def test_hand_computed_binary_case():
    y_true = np.array([1, 1, 1, 0, 0, 0, 0, 1])
    y_pred = np.array([1, 0, 1, 1, 0, 0, 0, 1])
    # tp = 3, fp = 1, fn = 1, tn = 3
    np.testing.assert_array_equal(M.confusion_matrix(y_true, y_pred), [[3, 1], [1, 3]])
    assert M.accuracy_score(y_true, y_pred) == 0.75
    assert M.accuracy_score(y_true, y_pred, normalize=False) == 6
    assert M.precision_score(y_true, y_pred) == 0.75
    assert M.recall_score(y_true, y_pred) == 0.75
    assert M.f1_score(y_true, y_pred) == 0.75
    # F2 = 5 tp / (5 tp + 4 fn + fp) = 15 / 20
    assert M.fbeta_score(y_true, y_pred, beta=2.0) == 0.75
    assert M.precision_score(y_true, y_pred, pos_label=0) == 0.75


def test_zero_division_values_and_warning():
    y_true, y_pred = np.array([0, 0, 1]), np.array([0, 0, 0])
    with pytest.warns(M.UndefinedMetricWarning):
        assert M.precision_score(y_true, y_pred) == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert M.precision_score(y_true, y_pred, zero_division=1.0) == 1.0
        assert np.isnan(M.precision_score(y_true, y_pred, zero_division=np.nan))
        # recall = 0 / 1 is defined, so zero_division does not apply
        assert M.recall_score(y_true, y_pred, zero_division=1.0) == 0.0
    with pytest.raises(ValueError, match="zero_division"):
        M.precision_score(y_true, y_pred, zero_division=2)


def test_prfs_matches_sklearn_on_random_labels():
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    for _ in range(10):
        y_true, y_pred = _random_labels(rng)
        for average in (None, "micro", "macro", "weighted"):
            for zero_division in ZERO_DIVISIONS:
                for extra in ({}, {"labels": [0, 1, 5]}, {"beta": 2.0}):
                    kwargs = dict(average=average, zero_division=zero_division, **extra)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        ours = M.precision_recall_fscore_support(y_true, y_pred, **kwargs)
                        theirs = skm.precision_recall_fscore_support(y_true, y_pred, **kwargs)
                    assert all(_same(a, b) for a, b in zip(ours, theirs)), (y_true, y_pred, kwargs)


def test_binary_average_matches_sklearn():
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(1)
    for _ in range(15):
        y_true, y_pred = rng.integers(0, 2, (2, int(rng.integers(1, 12)))) * 2 - 1
        for zero_division in ZERO_DIVISIONS:
            for name in ("precision_score", "recall_score", "f1_score"):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ours = getattr(M, name)(y_true, y_pred, pos_label=-1,
                                            zero_division=zero_division)
                    theirs = getattr(skm, name)(y_true, y_pred, pos_label=-1,
                                                zero_division=zero_division)
                assert _same(ours, theirs)


def test_confusion_matrix_matches_sklearn():
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(2)
    for _ in range(40):
        y_true, y_pred = _random_labels(rng)
        for labels in (None, [3, 0, 1], [4, 2]):
            if labels is not None and not np.isin(labels, y_true).any():
                with pytest.raises(ValueError, match="none of labels"):
                    M.confusion_matrix(y_true, y_pred, labels=labels)
                continue
            for normalize in (None, "true", "pred", "all"):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    theirs = skm.confusion_matrix(y_true, y_pred, labels=labels,
                                                  normalize=normalize)
                ours = M.confusion_matrix(y_true, y_pred, labels=labels, normalize=normalize)
                np.testing.assert_allclose(ours, theirs)


def test_string_labels_and_errors():
    y_true = np.array(["cat", "dog", "dog", "bird"])
    y_pred = np.array(["cat", "cat", "dog", "dog"])
    np.testing.assert_array_equal(M.confusion_matrix(y_true, y_pred),
                                  [[0, 0, 1], [0, 1, 0], [0, 1, 1]])
    assert M.f1_score(y_true, y_pred, average="micro") == 0.5
    with pytest.raises(ValueError, match="binary"):
        M.f1_score(y_true, y_pred)
    with pytest.raises(ValueError, match="pos_label"):
        M.f1_score([0, 1], [1, 0], pos_label=2)
    with pytest.raises(ValueError, match="average"):
        M.f1_score([0, 1], [1, 0], average="samples")
    with pytest.raises(ValueError, match="same length"):
        M.accuracy_score([0, 1], [1])
    with pytest.raises(ValueError, match="normalize"):
        M.confusion_matrix([0], [0], normalize="rows")


def test_roc_curve_hand_case_with_ties():
    y = np.array([0, 0, 1, 1])
    scores = np.array([0.1, 0.4, 0.4, 0.8])
    fpr, tpr, thresholds = M.roc_curve(y, scores)
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 1])
    np.testing.assert_allclose(tpr, [0, 0.5, 1, 1])
    np.testing.assert_allclose(thresholds, [np.inf, 0.8, 0.4, 0.1])
    # AUC = P(score+ > score-) + 1/2 P(tie) = (3 + 0.5) / 4
    assert M.roc_auc_score(y, scores) == pytest.approx(0.875)
    assert M.auc(fpr, tpr) == pytest.approx(0.875)


def test_roc_matches_sklearn_including_ties_and_dropped_points():
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    for trial in range(100):
        n = int(rng.integers(2, 20))
        y = rng.integers(0, 2, n)
        scores = rng.integers(0, 5, n) / 4.0 if trial % 2 else rng.normal(size=n)
        for drop in (True, False):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ours = M.roc_curve(y, scores, drop_intermediate=drop)
                theirs = skm.roc_curve(y, scores, drop_intermediate=drop)
            for a, b in zip(ours, theirs):
                assert a.shape == b.shape
                np.testing.assert_allclose(a, b)
        if len(np.unique(y)) == 2:
            assert M.roc_auc_score(y, scores) == pytest.approx(skm.roc_auc_score(y, scores))


def test_roc_auc_against_pairwise_definition_and_multiclass():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 50)
    scores = rng.integers(0, 6, 50).astype(float)
    pos, neg = scores[y == 1], scores[y == 0]
    pairwise = ((pos[:, None] > neg).mean() + 0.5 * (pos[:, None] == neg).mean())
    assert M.roc_auc_score(y, scores) == pytest.approx(pairwise)
    assert M.roc_auc_score(y, np.stack([-scores, scores], 1)) == pytest.approx(pairwise)
    labels = rng.integers(0, 3, 80)
    probs = rng.random((80, 3))
    probs /= probs.sum(1, keepdims=True)
    skm = pytest.importorskip("sklearn.metrics")
    for average in ("macro", "weighted"):
        assert M.roc_auc_score(labels, probs, multi_class="ovr", average=average) == \
            pytest.approx(skm.roc_auc_score(labels, probs, multi_class="ovr", average=average))
    with pytest.raises(ValueError, match="ovr"):
        M.roc_auc_score(labels, probs)
    with pytest.raises(ValueError, match="one class"):
        M.roc_auc_score([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="pos_label"):
        M.roc_curve([2, 3], [0.1, 0.2])
    with pytest.raises(ValueError, match="increasing nor decreasing"):
        M.auc([0, 1, 0.5], [0, 1, 1])


def _tokens(text):
    """Report text as rows of tokens, numbers as floats (scikit-learn sometimes prints an
    integer support as 5.0)."""
    rows = []
    for line in text.split("\n"):
        row = []
        for token in line.split():
            try:
                row.append(float(token))
            except ValueError:
                row.append(token)
        rows.append(row)
    return rows


def test_classification_report_text_layout():
    y_true = [0, 1, 2, 2, 2]
    y_pred = [0, 0, 2, 2, 1]
    text = M.classification_report(y_true, y_pred, target_names=["class 0", "class 1", "class 2"])
    lines = text.split("\n")
    assert lines[0].split() == ["precision", "recall", "f1-score", "support"]
    assert lines[2].split() == ["class", "0", "0.50", "1.00", "0.67", "1"]
    assert lines[6].split() == ["accuracy", "0.60", "5"]
    assert all(len(line) == len(lines[0]) for line in lines if line and "accuracy" not in line)


def test_classification_report_matches_sklearn():
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(5)
    for _ in range(8):
        y_true, y_pred = _random_labels(rng, n_max=30)
        names = ["a", "bb", "c", "a long class name"][:len(np.unique(np.r_[y_true, y_pred]))]
        for kwargs in ({}, {"digits": 4}, {"labels": [0, 1]}, {"target_names": names},
                       {"zero_division": 1.0}):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ours = M.classification_report(y_true, y_pred, **kwargs)
                theirs = skm.classification_report(y_true, y_pred, **kwargs)
                assert _tokens(ours) == _tokens(theirs)
                assert M.classification_report(y_true, y_pred, output_dict=True, **kwargs) == \
                    skm.classification_report(y_true, y_pred, output_dict=True, **kwargs)
