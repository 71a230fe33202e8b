"""Classification metrics with scikit-learn's semantics (NumPy only).

    accuracy_score, confusion_matrix, precision_recall_fscore_support, precision_score,
    recall_score, f1_score, fbeta_score, roc_curve, auc, roc_auc_score, classification_report
"""
from mdlfast.metrics.classification import (UndefinedMetricWarning, accuracy_score,
                                            confusion_matrix, f1_score, fbeta_score,
                                            precision_recall_fscore_support, precision_score,
                                            recall_score)
from mdlfast.metrics.ranking import auc, roc_auc_score, roc_curve
from mdlfast.metrics.report import classification_report

__all__ = [
    "UndefinedMetricWarning", "accuracy_score", "auc", "classification_report",
    "confusion_matrix", "f1_score", "fbeta_score", "precision_recall_fscore_support",
    "precision_score", "recall_score", "roc_auc_score", "roc_curve",
]
