"""Units 1-2: linear classifiers trained by mdlfast's own gradient descent (full batch) or
mini-batch SGD, and the one-vs-rest / one-vs-one schemes that build multi-class classifiers
from binary ones.

The estimators follow scikit-learn's shape: fit(X, y) -> self, decision_function(X),
predict(X); the trained layer is `.module` (an mdlfast.nn.Linear) and the run's History is
`.history_`.
"""
from __future__ import annotations

import itertools

import numpy as np

from mdlfast import data, nn, optim
from mdlfast.autograd import no_grad, tensor
from mdlfast.random import manual_seed


class _GradientLinearModel:
    """A Linear layer trained by mdlfast.train.fit with SGD (batch_size=None: full-batch GD)."""

    def __init__(self, *, lr=0.1, epochs=100, batch_size=None, weight_decay=0.0, momentum=0.0,
                 seed=0, progress=False):
        if lr <= 0:
            raise ValueError(f"lr must be > 0, got {lr}")
        if epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {epochs}")
        self.lr, self.epochs, self.batch_size = float(lr), int(epochs), batch_size
        self.weight_decay, self.momentum = float(weight_decay), float(momentum)
        self.seed, self.progress = seed, progress
        self.module = None
        self.history_ = None

    def _outputs(self, num_classes):
        raise NotImplementedError

    def _targets(self, y):
        raise NotImplementedError

    def _loss(self):
        raise NotImplementedError

    def _check(self, X, y=None):
        X = np.ascontiguousarray(X, dtype=np.float32)
        if X.ndim != 2:
            raise ValueError(f"X: expected a 2-D array [samples, features], got shape {X.shape}")
        if y is None:
            return X
        y = np.asarray(y).reshape(-1)
        if len(y) != len(X):
            raise ValueError(f"y: expected {len(X)} labels (one per row of X), got {len(y)}")
        return X, y

    def fit(self, X, y, X_val=None, y_val=None):
        """Train on (X, y) (class labels); validation data, if given, is recorded per epoch."""
        from mdlfast.train import fit

        X, y = self._check(X, y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"y: expected at least two classes, got {self.classes_.tolist()}")
        manual_seed(self.seed)
        self.module = nn.Linear(X.shape[1], self._outputs(len(self.classes_)))
        batch = len(X) if self.batch_size is None else int(self.batch_size)
        train = data.DataLoader(data.TensorDataset(X, self._targets(y)), batch_size=batch,
                                shuffle=self.batch_size is not None, seed=self.seed)
        val = None
        if X_val is not None:
            X_val, y_val = self._check(X_val, y_val)
            val = data.DataLoader(data.TensorDataset(X_val, self._targets(y_val)),
                                  batch_size=len(X_val))
        opt = optim.SGD(self.module.parameters(), lr=self.lr, momentum=self.momentum,
                        weight_decay=self.weight_decay)
        self.history_ = fit(self.module, self._loss(), opt, train, val, epochs=self.epochs,
                            progress=self.progress, metrics={})
        return self

    def _scores(self, X):
        if self.module is None:
            raise RuntimeError(f"{type(self).__name__}: call fit before predicting")
        with no_grad():
            return self.module(tensor(self._check(X))).numpy()


class LeastSquaresClassifier(_GradientLinearModel):
    """Least-squares classification: a linear map fitted by gradient descent on the squared
    error to ±1 class indicators (one output per class; one output for two classes);
    the prediction is the class of the largest output (the sign for two classes)."""

    def _outputs(self, num_classes):
        return 1 if num_classes == 2 else num_classes

    def _targets(self, y):
        if len(self.classes_) == 2:
            return np.where(y == self.classes_[1], 1.0, -1.0).astype(np.float32)[:, None]
        codes = -np.ones((len(y), len(self.classes_)), np.float32)
        codes[np.arange(len(y)), np.searchsorted(self.classes_, y)] = 1.0
        return codes

    def _loss(self):
        return nn.MSELoss()

    def decision_function(self, X):
        """Outputs [N, K] (or [N] for two classes)."""
        scores = self._scores(X)
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict(self, X):
        """Predicted class labels."""
        scores = self.decision_function(X)
        index = (scores > 0).astype(np.int64) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[index]


class LogisticRegression(_GradientLinearModel):
    """Binary logistic regression: sigma(w.x + b) = P(y = classes_[1] | x), trained on the
    binary cross-entropy (L2 penalty through weight_decay)."""

    def _outputs(self, num_classes):
        if num_classes != 2:
            raise ValueError(f"LogisticRegression is binary: y must hold two classes, got "
                             f"{num_classes} (use SoftmaxRegression, OneVsRest or OneVsOne)")
        return 1

    def _targets(self, y):
        return (y == self.classes_[1]).astype(np.float32)[:, None]

    def _loss(self):
        return nn.BCEWithLogitsLoss()

    def decision_function(self, X):
        """The logit w.x + b of each row [N]."""
        return self._scores(X)[:, 0]

    def predict_proba(self, X):
        """[N, 2]: P(classes_[0]), P(classes_[1])."""
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X).astype(np.float64)))
        return np.stack([1.0 - p, p], axis=1)

    def predict(self, X):
        """Predicted class labels."""
        index = (self.decision_function(X) > 0).astype(np.int64)
        return self.classes_[index]


class SoftmaxRegression(_GradientLinearModel):
    """Multinomial logistic (softmax) regression trained on the cross-entropy."""

    def _outputs(self, num_classes):
        return num_classes

    def _targets(self, y):
        return np.searchsorted(self.classes_, y).astype(np.int64)

    def _loss(self):
        return nn.CrossEntropyLoss()

    def decision_function(self, X):
        """The logits [N, K]."""
        return self._scores(X)

    def predict_proba(self, X):
        """Class probabilities [N, K]."""
        z = self.decision_function(X).astype(np.float64)
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Predicted class labels."""
        index = self.decision_function(X).argmax(axis=1)
        return self.classes_[index]


def _binary_scores(estimator, X):
    scores = np.asarray(estimator.decision_function(X), dtype=np.float64)
    return scores.reshape(len(X))


class OneVsRest:
    """One binary classifier per class (that class against all others); the prediction is the
    class whose classifier gives the largest decision value, as scikit-learn's
    OneVsRestClassifier. make_estimator() returns a fresh binary estimator with fit and
    decision_function (e.g. `lambda: LogisticRegression(lr=0.5)`)."""

    def __init__(self, make_estimator):
        self.make_estimator = make_estimator

    def fit(self, X, y):
        """Fit one classifier per class on (X, y == class)."""
        y = np.asarray(y).reshape(-1)
        self.classes_ = np.unique(y)
        self.estimators_ = [self.make_estimator().fit(X, (y == c).astype(np.int64))
                            for c in self.classes_]
        return self

    def decision_function(self, X):
        """[N, K]: each class's classifier's decision value."""
        return np.stack([_binary_scores(e, X) for e in self.estimators_], axis=1)

    def predict(self, X):
        """Predicted class labels."""
        return self.classes_[self.decision_function(X).argmax(axis=1)]


class OneVsOne:
    """One binary classifier per pair of classes (i < j, trained on those two classes' samples
    with j as the positive class); the prediction is the class with most votes, ties broken by
    the summed confidences squashed into (-1/3, 1/3), as scikit-learn's OneVsOneClassifier."""

    def __init__(self, make_estimator):
        self.make_estimator = make_estimator

    def fit(self, X, y):
        """Fit a classifier for each pair of classes."""
        X = np.asarray(X)
        y = np.asarray(y).reshape(-1)
        self.classes_ = np.unique(y)
        self.pairs_ = list(itertools.combinations(range(len(self.classes_)), 2))
        self.estimators_ = []
        for i, j in self.pairs_:
            rows = (y == self.classes_[i]) | (y == self.classes_[j])
            target = (y[rows] == self.classes_[j]).astype(np.int64)
            self.estimators_.append(self.make_estimator().fit(X[rows], target))
        return self

    def decision_function(self, X):
        """[N, K]: votes plus squashed summed confidences (scikit-learn's OvO decision)."""
        n, k = len(X), len(self.classes_)
        votes = np.zeros((n, k))
        confidence = np.zeros((n, k))
        for (i, j), estimator in zip(self.pairs_, self.estimators_):
            score = _binary_scores(estimator, X)
            positive = score > 0
            votes[:, i] += ~positive
            votes[:, j] += positive
            confidence[:, i] -= score
            confidence[:, j] += score
        return votes + confidence / (3 * (np.abs(confidence) + 1))

    def predict(self, X):
        """Predicted class labels."""
        return self.classes_[self.decision_function(X).argmax(axis=1)]
