"""fit and evaluate: the training loop of the course zoo over mdlfast.data loaders."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from mdlfast.train.history import History
from mdlfast.train.progress import Progress


@dataclass
class TrainState:
    """What callbacks see: the model, optimizer, history, the current epoch (0-based), and
    `stop`, which a callback sets to end training after this epoch."""
    model: object
    optimizer: object
    history: History = field(default_factory=History)
    epoch: int = 0
    stop: bool = False


def _as_tensor(value):
    from mdlfast.autograd import Tensor, tensor

    if isinstance(value, Tensor):
        return value
    return tensor(np.asarray(value))


def split_batch(batch):
    """(input, target) of a loader batch: a pair (x, y) or a bare input (its target is None)."""
    if isinstance(batch, (tuple, list)):
        if len(batch) == 2:
            return batch[0], batch[1]
        if len(batch) == 1:
            return batch[0], None
        raise ValueError(f"fit: a batch must be (input, target) or (input,), got {len(batch)} items")
    return batch, None


def _array(value):
    data = getattr(value, "data", value)
    return np.asarray(data.get() if hasattr(data, "get") else data)


def accuracy_of(output, target):
    """Fraction of correct predictions: argmax of [N, C] logits against int class ids, or the
    sign of [N] / [N, 1] logits against {0, 1} targets; None when the pair is neither."""
    if target is None or isinstance(output, (tuple, list)):
        return None
    out, y = _array(output), _array(target)
    if out.ndim == 2 and out.shape[1] > 1 and y.ndim == 1 and np.issubdtype(y.dtype, np.integer):
        return float(np.mean(out.argmax(axis=1) == y))
    if out.size == y.size and out.ndim <= 2 and (out.ndim < 2 or out.shape[1] == 1):
        values = np.unique(y)
        if values.size <= 2 and np.all(np.isin(values, (0, 1))):
            return float(np.mean((out.reshape(-1) > 0) == (y.reshape(-1) > 0.5)))
    return None


def _run_epoch(model, loss_fn, loader, optimizer, progress, metrics):
    """One pass over loader; trains when optimizer is given. Returns averages by name."""
    totals, count = {}, 0
    for batch in loader:
        x, y = split_batch(batch)
        x = _as_tensor(x)
        target = None if y is None else _as_tensor(y)
        output = model(x)
        loss = loss_fn(output, target if target is not None else x)
        if optimizer is not None:
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        n = int(x.shape[0])
        count += n
        values = {"loss": float(loss.item())}
        for name, metric in metrics.items():
            value = metric(output, target)
            if value is not None:
                values[name] = float(value)
        for name, value in values.items():
            totals[name] = totals.get(name, 0.0) + value * n
        if progress is not None:
            progress.update(values["loss"])
    if count == 0:
        raise ValueError("fit: the loader yielded no batches")
    return {name: total / count for name, total in totals.items()}


def _metrics(metrics):
    if metrics == "auto":
        return {"accuracy": accuracy_of}
    return dict(metrics or {})


def evaluate(model, loader, loss_fn, *, metrics="auto"):
    """Average loss (and metrics: "auto" = accuracy where it applies, or a dict name ->
    fn(output, target)) of `model` over `loader`, in eval mode without gradients; the model's
    train/eval mode is restored afterwards."""
    from mdlfast.autograd import no_grad

    was_training = model.training
    model.eval()
    try:
        with no_grad():
            return _run_epoch(model, loss_fn, loader, None, None, _metrics(metrics))
    finally:
        model.train(was_training)


def _current_lr(optimizer):
    groups = getattr(optimizer, "param_groups", None)
    return float(groups[0]["lr"]) if groups and "lr" in groups[0] else None


def fit(model, loss_fn, optimizer, train_loader, val_loader=None, epochs=10, callbacks=(),
        progress=True, *, metrics="auto"):
    """Train `model` for up to `epochs` passes over `train_loader`; returns a History.

    Each batch is (input, target) (or a bare input, whose target is then the input itself, as
    for an autoencoder); the loss is loss_fn(model(input), target). Per epoch the history records
    the training loss and metrics (averaged over the epoch's batches, as the parameters moved),
    "val_loss" and "val_<metric>" on val_loader (evaluated in eval mode), "lr" and "seconds".
    metrics: "auto" (accuracy where the outputs are class logits) or a dict name ->
    fn(output, target) returning a float or None. callbacks: Callback objects (EarlyStopping,
    ModelCheckpoint, LRScheduler, ...). progress: tqdm bars (plain lines without tqdm) on stderr.
    """
    if int(epochs) < 0:
        raise ValueError(f"fit: epochs must be >= 0, got {epochs}")
    metric_fns = _metrics(metrics)
    callbacks = list(callbacks or ())
    state = TrainState(model, optimizer)
    for callback in callbacks:
        callback.on_train_begin(state)
    for epoch in range(int(epochs)):
        state.epoch = epoch
        for callback in callbacks:
            callback.on_epoch_begin(state)
        start = time.perf_counter()
        model.train()
        bar = Progress(progress, epoch, int(epochs), _length(train_loader))
        record = _run_epoch(model, loss_fn, train_loader, optimizer, bar, metric_fns)
        if val_loader is not None:
            val = evaluate(model, val_loader, loss_fn, metrics=metric_fns)
            record.update({f"val_{name}": value for name, value in val.items()})
        lr = _current_lr(optimizer)
        if lr is not None:
            record["lr"] = lr
        record["seconds"] = time.perf_counter() - start
        state.history.append(record)
        bar.close(record)
        for callback in callbacks:
            callback.on_epoch_end(state, record)
        if state.stop:
            break
    for callback in callbacks:
        callback.on_train_end(state)
    model.eval()
    return state.history


def _length(loader):
    try:
        return len(loader)
    except TypeError:
        return None
