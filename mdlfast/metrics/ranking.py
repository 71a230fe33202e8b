"""ROC curve and the area under it, with scikit-learn's handling of tied scores."""
from __future__ import annotations

import warnings

import numpy as np

from mdlfast.metrics.classification import UndefinedMetricWarning


def _binary_targets(y_true, y_score, pos_label, owner):
    y_true = np.asarray(y_true).reshape(-1) if np.ndim(y_true) else np.asarray(y_true)
    y_score = np.asarray(y_score, dtype=np.float64)
    if y_true.ndim != 1 or y_score.ndim != 1 or len(y_true) != len(y_score):
        raise ValueError(f"{owner}: y_true and y_score must be 1-D of the same length, got "
                         f"shapes {np.shape(y_true)} and {y_score.shape}")
    if not np.all(np.isfinite(y_score)):
        raise ValueError(f"{owner}: y_score must be finite")
    classes = np.unique(y_true)
    if len(classes) > 2:
        raise ValueError(f"{owner}: y_true must be binary, got labels {classes.tolist()}")
    if pos_label is None:
        if not set(classes.tolist()) <= {0, 1} and not set(classes.tolist()) <= {-1, 1}:
            raise ValueError(f"{owner}: y_true labels {classes.tolist()} are not {{0, 1}} or "
                             "{-1, 1}; give pos_label")
        pos_label = 1
    return (y_true == pos_label).astype(np.float64), y_score


def _distinct_threshold_counts(positive, y_score):
    """False and true positive counts at every distinct threshold, scores descending."""
    order = np.argsort(-y_score, kind="stable")
    scores = y_score[order]
    positive = positive[order]
    # A threshold at a tied score admits all of its ties at once: keep the last of each run.
    last_of_run = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    tps = np.cumsum(positive)[last_of_run]
    fps = 1 + last_of_run - tps
    return fps, tps, scores[last_of_run]


def roc_curve(y_true, y_score, *, pos_label=None, drop_intermediate=True):
    """Receiver operating characteristic: (fpr, tpr, thresholds), thresholds decreasing.

    Point i counts the samples with score >= thresholds[i] as positive; the first point is
    (0, 0) with threshold +inf. Tied scores form one point. drop_intermediate drops points on a
    straight segment (they do not change the curve or its area), as scikit-learn does.
    pos_label: the positive class (default 1, for labels in {0, 1} or {-1, 1}).
    """
    positive, y_score = _binary_targets(y_true, y_score, pos_label, "roc_curve")
    if len(positive) == 0:
        raise ValueError("roc_curve: y_true is empty")
    fps, tps, thresholds = _distinct_threshold_counts(positive, y_score)
    if drop_intermediate and len(fps) > 2:
        bends = np.r_[True, (np.diff(fps, 2) != 0) | (np.diff(tps, 2) != 0), True]
        fps, tps, thresholds = fps[bends], tps[bends], thresholds[bends]
    fps = np.r_[0.0, fps]
    tps = np.r_[0.0, tps]
    thresholds = np.r_[np.inf, thresholds]
    return _rate(fps, "negative"), _rate(tps, "positive"), thresholds


def _rate(counts, kind):
    if counts[-1] <= 0:
        warnings.warn(f"no {kind} samples in y_true: the {'false' if kind == 'negative' else 'true'}"
                      " positive rate is undefined (nan)", UndefinedMetricWarning, stacklevel=3)
        return np.full(counts.shape, np.nan)
    return counts / counts[-1]


def auc(x, y):
    """Area under the curve through the points (x, y) by the trapezoidal rule; x must be
    monotonic (increasing or decreasing)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape or len(x) < 2:
        raise ValueError(f"auc: x and y must be 1-D of the same length >= 2, got shapes "
                         f"{x.shape} and {y.shape}")
    dx = np.diff(x)
    if np.all(dx <= 0):
        direction = -1.0
    elif np.all(dx >= 0):
        direction = 1.0
    else:
        raise ValueError("auc: x is neither increasing nor decreasing")
    return float(direction * np.sum(dx * (y[1:] + y[:-1]) / 2.0))


def roc_auc_score(y_true, y_score, *, average="macro", multi_class="raise", labels=None):
    """Area under the ROC curve.

    Binary y_true: y_score holds the positive class's scores ([n], or [n, 2] whose column 1 is
    used). Multi-class: y_score is [n, k] (class scores, columns in `labels` order, default the
    sorted labels) and multi_class="ovr" averages the one-vs-rest AUCs ("macro", or "weighted"
    by class prevalence).
    """
    y_true = np.asarray(y_true).reshape(-1)
    y_score = np.asarray(y_score, dtype=np.float64)
    classes = np.unique(y_true) if labels is None else np.asarray(labels)
    if y_score.ndim == 2 and y_score.shape[1] == 2 and len(classes) <= 2:
        y_score = y_score[:, 1]
    if y_score.ndim == 1:
        if len(np.unique(y_true)) != 2:
            raise ValueError("roc_auc_score: only one class present in y_true; the ROC AUC is "
                             "undefined")
        positive = (y_true == classes[-1]).astype(np.int64)
        fpr, tpr, _ = roc_curve(positive, y_score)
        return auc(fpr, tpr)
    if multi_class != "ovr":
        raise ValueError(f"roc_auc_score: multi-class y_score {y_score.shape} needs "
                         f"multi_class='ovr', got {multi_class!r}")
    if average not in ("macro", "weighted"):
        raise ValueError(f"roc_auc_score: average must be 'macro' or 'weighted', got {average!r}")
    if y_score.shape != (len(y_true), len(classes)):
        raise ValueError(f"roc_auc_score: y_score must be [n_samples, n_classes] = "
                         f"{(len(y_true), len(classes))}, got {y_score.shape}")
    scores, weights = [], []
    for k, cls in enumerate(classes):
        positive = (y_true == cls).astype(np.int64)
        if positive.all() or not positive.any():
            raise ValueError(f"roc_auc_score: class {cls!r} is all or none of y_true; its "
                             "one-vs-rest AUC is undefined")
        fpr, tpr, _ = roc_curve(positive, y_score[:, k])
        scores.append(auc(fpr, tpr))
        weights.append(positive.sum())
    return float(np.average(scores, weights=weights if average == "weighted" else None))
