"""Zoo entries of units 1-2: linear classifiers and the multi-class schemes."""
from __future__ import annotations

import numpy as np

from mdlfast import metrics
from mdlfast.models.datasets import load_split
from mdlfast.models.linear import (LeastSquaresClassifier, LogisticRegression, OneVsOne,
                                   OneVsRest, SoftmaxRegression)
from mdlfast.models.registry import Run, ZooEntry, register

MULTICLASS = ("digits", "iris", "wine", "spirals")
BINARY = ("breast_cancer", "moons")


def _estimator_options(config, seed, progress):
    return dict(lr=config["lr"], epochs=config["epochs"], batch_size=config.get("batch_size"),
                weight_decay=config.get("weight_decay", 0.0), seed=seed, progress=progress)


def _train_estimator(entry, config, *, dataset, seed, progress):
    split = load_split(dataset, seed=seed)
    options = _estimator_options(config, seed, progress)
    scheme = config.get("scheme")
    if scheme is None:
        model = entry.build(**options)
        model.fit(split.X_train, split.y_train, split.X_val, split.y_val)
    else:
        # The per-class binary classifiers run silently: one bar per classifier would flood.
        options["progress"] = False
        model = entry.build(lambda: LogisticRegression(**options)).fit(split.X_train,
                                                                       split.y_train)
    predicted = model.predict(split.X_test)
    result = {"test_accuracy": float(np.mean(predicted == split.y_test)),
              "train_accuracy": float(np.mean(model.predict(split.X_train) == split.y_train)),
              "macro_f1": float(metrics.f1_score(split.y_test, predicted, average="macro",
                                          zero_division=0))}
    if scheme is not None:
        result["binary_classifiers"] = len(model.estimators_)
    confusion = metrics.confusion_matrix(split.y_test, predicted)

    def plot(path):
        from mdlfast.train.plot import plot_confusion_matrix, plot_history, pyplot

        history = getattr(model, "history_", None)
        fig, axes = pyplot().subplots(1, 2 if history is not None else 1, figsize=(11, 4.5),
                                      squeeze=False)
        if history is not None:
            plot_history(history, ax=axes[0, 0])
        plot_confusion_matrix(confusion, ax=axes[0, -1])
        fig.suptitle(f"{entry.name} on {dataset}")
        fig.tight_layout()
        fig.savefig(path)
        pyplot().close(fig)

    return Run(result, history=getattr(model, "history_", None), plot=plot)


register(ZooEntry(
    name="least_squares", unit=1, summary="least-squares classifier (+-1 targets), full-batch GD",
    dataset="digits", datasets=MULTICLASS + BINARY, build=LeastSquaresClassifier,
    train=_train_estimator,
    quick={"lr": 0.05, "epochs": 100}, full={"lr": 0.05, "epochs": 300}))
register(ZooEntry(
    name="logistic_regression", unit=2, summary="binary logistic regression, full-batch GD",
    dataset="breast_cancer", datasets=BINARY, build=LogisticRegression, train=_train_estimator,
    quick={"lr": 0.5, "epochs": 100}, full={"lr": 0.5, "epochs": 300, "weight_decay": 1e-3}))
register(ZooEntry(
    name="softmax_regression", unit=2, summary="multinomial logistic regression, mini-batch SGD",
    dataset="digits", datasets=MULTICLASS + BINARY, build=SoftmaxRegression,
    train=_train_estimator,
    quick={"lr": 0.05, "epochs": 5, "batch_size": 32, "weight_decay": 1e-3},
    full={"lr": 0.05, "epochs": 40, "batch_size": 32, "weight_decay": 1e-3}))
register(ZooEntry(
    name="one_vs_rest", unit=2, summary="one-vs-rest over binary logistic regressions",
    dataset="digits", datasets=MULTICLASS, build=OneVsRest, train=_train_estimator,
    quick={"lr": 0.5, "epochs": 20, "scheme": "ovr"},
    full={"lr": 0.5, "epochs": 200, "weight_decay": 1e-4, "scheme": "ovr"}))
register(ZooEntry(
    name="one_vs_one", unit=2, summary="one-vs-one (voting) over binary logistic regressions",
    dataset="digits", datasets=MULTICLASS, build=OneVsOne, train=_train_estimator,
    quick={"lr": 0.5, "epochs": 10, "scheme": "ovo"},
    full={"lr": 0.5, "epochs": 100, "weight_decay": 1e-4, "scheme": "ovo"}))
