"""Training recipes shared by zoo entries: a network classifier trained with fit on a dataset
split, and the helpers for configs (optimizer, subsampling, parameters count)."""
from __future__ import annotations

import numpy as np

from mdlfast import data, metrics, nn, optim
from mdlfast.models.datasets import load_split
from mdlfast.models.registry import Run
from mdlfast.random import manual_seed


def limit_train(split, limit, seed):
    """Keep a stratified random `limit` training rows (None keeps all): quick configs train on
    a few hundred digits."""
    if limit is None or limit >= len(split.y_train):
        return split
    rng = np.random.default_rng(seed)
    per_class = max(1, limit // split.num_classes)
    keep = np.concatenate([rng.permutation(np.flatnonzero(split.y_train == c))[:per_class]
                           for c in range(split.num_classes)])
    keep = rng.permutation(keep)
    split.X_train, split.y_train = split.X_train[keep], split.y_train[keep]
    return split


def make_optimizer(name, params, lr, weight_decay=0.0, momentum=0.9):
    """'adam', 'adamw' or 'sgd' (with momentum) over params."""
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    raise ValueError(f"optimizer: expected 'adam', 'adamw' or 'sgd', got {name!r}")


def count_parameters(model):
    """Number of trainable scalars."""
    return int(sum(int(np.prod(p.shape)) for p in model.parameters() if p.requires_grad))


def predict(model, X, batch_size=512):
    """Class predictions of `model` on X (eval mode, no gradients)."""
    from mdlfast.autograd import no_grad, tensor

    model.eval()
    out = []
    with no_grad():
        for start in range(0, len(X), batch_size):
            out.append(model(tensor(X[start:start + batch_size])).numpy().argmax(axis=1))
    return np.concatenate(out)


def _train_loader(split, batch, seed, shift):
    """The shuffled training loader; shift=k augments images by random shifts of up to k
    pixels."""
    if not shift:
        return split.loader("train", batch, shuffle=True, seed=seed)
    augmented = data.TransformDataset(data.TensorDataset(split.X_train, split.y_train),
                                      data.RandomShift(shift), seed=seed)
    return data.DataLoader(augmented, batch_size=batch, shuffle=True, seed=seed)


def train_network(entry, config, *, dataset, seed, progress):
    """Train entry.build(**config["model"]) as a classifier on `dataset`: fit with the config's
    optimizer, epochs, batch size, cosine learning-rate decay, (shift) random-shift
    augmentation and (patience) early stopping on the validation accuracy; metrics on the held-out test split."""
    from mdlfast.train import EarlyStopping, LRScheduler, evaluate, fit

    images = config.get("images", False)
    split = limit_train(load_split(dataset, seed=seed, images=images), config.get("limit"), seed)
    manual_seed(seed)
    kwargs = dict(config.get("model", {}))
    if images:
        kwargs.setdefault("in_channels", split.X_train.shape[1])
    else:
        kwargs.setdefault("in_features", split.num_features)
    model = entry.build(num_classes=split.num_classes, **kwargs) if images else \
        entry.build(out_features=split.num_classes, **kwargs)
    opt = make_optimizer(config.get("optimizer", "adam"), model.parameters(), config["lr"],
                         config.get("weight_decay", 0.0))
    epochs = config["epochs"]
    callbacks = [LRScheduler(optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(epochs, 1)))]
    if config.get("patience") is not None:
        callbacks.append(EarlyStopping(monitor="val_accuracy", patience=config["patience"]))
    loss_fn = nn.CrossEntropyLoss()
    batch = config.get("batch_size", 32)
    history = fit(model, loss_fn, opt, _train_loader(split, batch, seed, config.get("shift")),
                  split.loader("val", 256), epochs=epochs, callbacks=callbacks,
                  progress=progress)
    test = evaluate(model, split.loader("test", 256), loss_fn)
    predicted = predict(model, split.X_test)
    confusion = metrics.confusion_matrix(split.y_test, predicted)
    result = {"test_accuracy": test["accuracy"], "test_loss": test["loss"],
              "macro_f1": float(metrics.f1_score(split.y_test, predicted, average="macro",
                                          zero_division=0)),
              "epochs": history.epochs, "parameters": count_parameters(model)}
    if history.epochs:
        result["val_accuracy"] = history["val_accuracy"][-1]

    def plot(path):
        from mdlfast.train.plot import plot_confusion_matrix, plot_history, pyplot

        fig, axes = pyplot().subplots(1, 2, figsize=(11, 4.5))
        plot_history(history, ax=axes[0])
        plot_confusion_matrix(confusion, ax=axes[1])
        axes[0].set_title(f"{entry.name} on {dataset}")
        fig.tight_layout()
        fig.savefig(path)
        pyplot().close(fig)

    return Run(result, history=history, plot=plot)
