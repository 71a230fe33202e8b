"""A per-class precision / recall / F1 / support table, as scikit-learn's
classification_report (text or dict)."""
from __future__ import annotations

import numpy as np

from mdlfast.metrics._labels import check_pair, present_labels
from mdlfast.metrics.classification import accuracy_score, precision_recall_fscore_support

_HEADERS = ("precision", "recall", "f1-score", "support")


def classification_report(y_true, y_pred, *, labels=None, target_names=None, digits=2,
                          output_dict=False, zero_division="warn"):
    """Precision, recall, F1 and support per class, then the averages.

    The averages are "accuracy" (when the report covers every label that occurs; otherwise a
    "micro avg" row), "macro avg" and "weighted avg". output_dict=True returns
    {name: {"precision", "recall", "f1-score", "support"}, "accuracy": float, ...} with
    unrounded values; otherwise a text table with `digits` decimals.
    """
    y_true, y_pred = check_pair(y_true, y_pred, "classification_report")
    present = present_labels(y_true, y_pred)
    labels = present if labels is None else np.asarray(labels)
    if target_names is None:
        target_names = [str(label) for label in labels]
    elif len(target_names) != len(labels):
        raise ValueError(f"classification_report: {len(labels)} labels but "
                         f"{len(target_names)} target_names")
    show_accuracy = set(present.tolist()) <= set(labels.tolist())

    per_label = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=None,
                                                zero_division=zero_division)
    rows = {name: _row(*(column[i] for column in per_label))
            for i, name in enumerate(target_names)}
    total = int(per_label[3].sum())
    for average in ("micro", "macro", "weighted"):
        if average == "micro" and show_accuracy:
            rows["accuracy"] = accuracy_score(y_true, y_pred)
            continue
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=labels,
                                                     average=average, zero_division=zero_division)
        rows[f"{average} avg"] = _row(p, r, f, total)
    return rows if output_dict else _format(rows, list(target_names), digits, total)


def _row(precision, recall, f1, support):
    return {"precision": float(precision), "recall": float(recall), "f1-score": float(f1),
            "support": int(support)}


def _format(rows, target_names, digits, total):
    width = max([len(name) for name in target_names] + [len("weighted avg"), digits])
    lines = [" " * width + " " + "".join(f" {h:>9}" for h in _HEADERS), ""]

    def line(name, values):
        cells = "".join(f" {v:>9.{digits}f}" for v in values[:3])
        return f"{name:>{width}} {cells} {values[3]:>9}"

    for name in target_names:
        row = rows[name]
        lines.append(line(name, [row[h] for h in _HEADERS]))
    lines.append("")
    for name, row in rows.items():
        if name in target_names:
            continue
        if name == "accuracy":
            lines.append(f"{name:>{width}} " + " " * 20 + f" {row:>9.{digits}f} {total:>9}")
        else:
            lines.append(line(name, [row[h] for h in _HEADERS]))
    return "\n".join(lines) + "\n"
