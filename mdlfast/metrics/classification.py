"""Accuracy, the confusion matrix, and precision / recall / F-beta with scikit-learn's
averaging (binary, micro, macro, weighted, per class) and zero_division conventions."""
from __future__ import annotations

import warnings

import numpy as np

from mdlfast.metrics._labels import check_pair, present_labels

_AVERAGES = (None, "binary", "micro", "macro", "weighted")


class UndefinedMetricWarning(UserWarning):
    """A metric divided by zero and was set to 0 (zero_division="warn")."""


def accuracy_score(y_true, y_pred, *, normalize=True):
    """The fraction (or, with normalize=False, the number) of exactly matching labels."""
    y_true, y_pred = check_pair(y_true, y_pred, "accuracy_score")
    correct = int(np.count_nonzero(y_true == y_pred))
    if not normalize:
        return correct
    return correct / len(y_true) if len(y_true) else float("nan")


def confusion_matrix(y_true, y_pred, *, labels=None, normalize=None):
    """C[i, j] = the number of samples of true label labels[i] predicted as labels[j].

    labels: the row/column order (default: the sorted labels that occur); samples whose labels
    are not listed are ignored. normalize: None, "true" (rows sum to 1), "pred" (columns) or
    "all"; an all-zero row/column stays 0.
    """
    y_true, y_pred = check_pair(y_true, y_pred, "confusion_matrix")
    labels = present_labels(y_true, y_pred) if labels is None else np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"confusion_matrix: labels must be a non-empty 1-D list, got {labels!r}")
    if len(np.unique(labels)) != len(labels):
        raise ValueError(f"confusion_matrix: labels must be distinct, got {labels.tolist()}")
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"confusion_matrix: normalize must be None, 'true', 'pred' or 'all', "
                         f"got {normalize!r}")
    if len(y_true) and not np.isin(labels, y_true).any():
        raise ValueError(f"confusion_matrix: none of labels {labels.tolist()} occurs in y_true")
    k = len(labels)
    order = np.argsort(labels, kind="stable")
    t = _positions(y_true, labels, order)
    p = _positions(y_pred, labels, order)
    keep = (t >= 0) & (p >= 0)
    cm = np.bincount(t[keep] * k + p[keep], minlength=k * k).reshape(k, k).astype(np.int64)
    if normalize is None:
        return cm
    axis = {"true": 1, "pred": 0, "all": None}[normalize]
    total = cm.sum(axis=axis, keepdims=axis is not None)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.nan_to_num(cm / total)


def _positions(values, labels, order):
    """Index of each value in labels, or -1 when it is not one of them."""
    sorted_labels = labels[order]
    at = np.clip(np.searchsorted(sorted_labels, values), 0, len(labels) - 1)
    found = sorted_labels[at] == values
    return np.where(found, order[at], -1)


def per_label_counts(y_true, y_pred, labels):
    """Per label: true positives, predicted positives (tp + fp), actual positives (support)."""
    true_hits = y_true[:, None] == labels[None, :]
    pred_hits = y_pred[:, None] == labels[None, :]
    return ((true_hits & pred_hits).sum(0).astype(np.int64), pred_hits.sum(0).astype(np.int64),
            true_hits.sum(0).astype(np.int64))


def precision_recall_fscore_support(y_true, y_pred, *, beta=1.0, labels=None, pos_label=1,
                                    average=None, zero_division="warn"):
    """Precision tp/(tp+fp), recall tp/(tp+fn), F-beta and support, as scikit-learn.

    average: None (per-label arrays, in `labels` order), "binary" (the pos_label class only;
    y must hold at most two labels), "micro" (from the summed counts), "macro" (unweighted mean
    over labels), "weighted" (mean weighted by support). zero_division: the value of an
    undefined ratio (0.0, 1.0 or nan); "warn" uses 0 and warns. F-beta is
    (1+b^2) tp / ((1+b^2) tp + b^2 fn + fp), undefined only when tp + fn + fp == 0.
    Returns per-label arrays (precision, recall, fbeta, support) when average is None, else
    three floats and None, as scikit-learn.
    """
    y_true, y_pred = check_pair(y_true, y_pred, "precision_recall_fscore_support")
    if average not in _AVERAGES:
        raise ValueError(f"average must be one of {_AVERAGES}, got {average!r}")
    if not beta >= 0:
        raise ValueError(f"beta must be >= 0, got {beta}")
    zero_value = _zero_division_value(zero_division)
    present = present_labels(y_true, y_pred)
    if average == "binary":
        if len(present) > 2:
            raise ValueError(f"average='binary' needs at most two labels, got {present.tolist()}; "
                             "choose average in ('micro', 'macro', 'weighted', None)")
        if pos_label not in present and len(present) == 2:
            raise ValueError(f"pos_label={pos_label!r} is not a valid label: {present.tolist()}")
        labels = np.asarray([pos_label])
    elif labels is None:
        labels = present
    else:
        labels = np.asarray(labels)

    tp, pred_pos, true_pos = per_label_counts(y_true, y_pred, labels)
    if average == "micro":
        tp, pred_pos, true_pos = tp.sum(keepdims=True), pred_pos.sum(keepdims=True), \
            true_pos.sum(keepdims=True)
    warn = zero_division == "warn"
    precision = _ratio(tp, pred_pos, zero_value, warn, "Precision", "predicted")
    recall = _ratio(tp, true_pos, zero_value, warn, "Recall", "true")
    b2 = beta * beta
    f_denominator = (1 + b2) * tp + b2 * (true_pos - tp) + (pred_pos - tp)
    f_score = _ratio((1 + b2) * tp, f_denominator, zero_value, warn, "F-score",
                     "true nor predicted")

    if average is None:
        return precision, recall, f_score, true_pos
    weights = true_pos if average == "weighted" else None
    return (_mean(precision, weights), _mean(recall, weights), _mean(f_score, weights), None)


def precision_score(y_true, y_pred, *, labels=None, pos_label=1, average="binary",
                    zero_division="warn"):
    """tp / (tp + fp); see precision_recall_fscore_support for the arguments."""
    return precision_recall_fscore_support(y_true, y_pred, labels=labels, pos_label=pos_label,
                                           average=average, zero_division=zero_division)[0]


def recall_score(y_true, y_pred, *, labels=None, pos_label=1, average="binary",
                 zero_division="warn"):
    """tp / (tp + fn); see precision_recall_fscore_support for the arguments."""
    return precision_recall_fscore_support(y_true, y_pred, labels=labels, pos_label=pos_label,
                                           average=average, zero_division=zero_division)[1]


def fbeta_score(y_true, y_pred, *, beta, labels=None, pos_label=1, average="binary",
                zero_division="warn"):
    """The F-beta score; see precision_recall_fscore_support for the arguments."""
    return precision_recall_fscore_support(y_true, y_pred, beta=beta, labels=labels,
                                           pos_label=pos_label, average=average,
                                           zero_division=zero_division)[2]


def f1_score(y_true, y_pred, *, labels=None, pos_label=1, average="binary", zero_division="warn"):
    """The harmonic mean of precision and recall; see precision_recall_fscore_support."""
    return fbeta_score(y_true, y_pred, beta=1.0, labels=labels, pos_label=pos_label,
                       average=average, zero_division=zero_division)


def _zero_division_value(zero_division):
    if zero_division == "warn":
        return 0.0
    if isinstance(zero_division, (int, float)) and (zero_division in (0, 1)
                                                    or np.isnan(zero_division)):
        return float(zero_division)
    raise ValueError(f"zero_division must be 'warn', 0, 1 or nan, got {zero_division!r}")


def _ratio(numerator, denominator, zero_value, warn, metric, kind):
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    undefined = denominator == 0
    if warn and undefined.any():
        warnings.warn(f"{metric} is ill-defined and set to 0.0 for labels with no {kind} "
                      "samples; use zero_division to control this", UndefinedMetricWarning,
                      stacklevel=4)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(undefined, zero_value, numerator / np.where(undefined, 1, denominator))


def _mean(values, weights):
    """Average ignoring nan entries (nan only when all are nan), as scikit-learn does; weights
    that sum to zero over the kept entries fall back to the plain mean."""
    keep = ~np.isnan(values)
    if not keep.any():
        return float("nan")
    w = None if weights is None else np.asarray(weights, dtype=np.float64)[keep]
    if w is None or w.sum() == 0:
        return float(values[keep].mean())
    return float(np.average(values[keep], weights=w))
