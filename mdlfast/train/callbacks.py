"""Callbacks of mdlfast.train.fit: early stopping, checkpointing and learning-rate scheduling.

A callback sees the run through four hooks, each given the Trainer state (model, optimizer,
history, epoch) and, at epoch end, that epoch's record; setting `state.stop = True` ends training
after the current epoch.
"""
from __future__ import annotations

import math

import numpy as np


class Callback:
    """Base class: override any of the hooks."""

    def on_train_begin(self, state):
        """Called once before the first epoch."""

    def on_epoch_begin(self, state):
        """Called before each epoch."""

    def on_epoch_end(self, state, record):
        """Called after each epoch with its record (name -> value)."""

    def on_train_end(self, state):
        """Called once after the last epoch."""


def _monitor_mode(monitor, mode):
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode: expected 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":
        return "max" if "acc" in monitor else "min"
    return mode


def _monitored(record, monitor, owner):
    if monitor not in record:
        raise ValueError(f"{owner}: monitor {monitor!r} is not among this run's values "
                         f"{sorted(record)} (val_* values need a val_loader)")
    return record[monitor]


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved by more than `min_delta` for `patience` epochs.

    restore_best_weights=True puts back the parameters (and buffers) of the best epoch at the end.
    """

    def __init__(self, monitor="val_loss", patience=5, min_delta=0.0, mode="auto",
                 restore_best_weights=True):
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        if min_delta < 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {min_delta}")
        self.monitor = monitor
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.mode = _monitor_mode(monitor, mode)
        self.restore_best_weights = restore_best_weights
        self.best = None
        self.best_epoch = None
        self.stopped_epoch = None
        self._wait = 0
        self._best_state = None

    def _improved(self, value):
        if self.best is None:
            return not math.isnan(value)
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_train_begin(self, state):
        self.best, self.best_epoch, self.stopped_epoch, self._wait = None, None, None, 0
        self._best_state = None

    def on_epoch_end(self, state, record):
        value = float(_monitored(record, self.monitor, "EarlyStopping"))
        if self._improved(value):
            self.best, self.best_epoch, self._wait = value, state.epoch, 0
            if self.restore_best_weights:
                self._best_state = {k: np.array(v, copy=True)
                                    for k, v in state.model.state_dict().items()}
            return
        self._wait += 1
        if self._wait > self.patience:
            self.stopped_epoch = state.epoch
            state.stop = True

    def on_train_end(self, state):
        if self.restore_best_weights and self._best_state is not None:
            state.model.load_state_dict(self._best_state)


class ModelCheckpoint(Callback):
    """Save the model's state_dict with mdlfast.save after each epoch (save_best_only: only when
    `monitor` improves). `path` may hold "{epoch}" (1-based), formatted per save."""

    def __init__(self, path, monitor="val_loss", mode="auto", save_best_only=True):
        self.path = str(path)
        self.monitor = monitor
        self.mode = _monitor_mode(monitor, mode)
        self.save_best_only = save_best_only
        self.best = None
        self.saved = []

    def on_train_begin(self, state):
        self.best = None

    def on_epoch_end(self, state, record):
        from mdlfast.serialization import save

        if self.save_best_only:
            value = float(_monitored(record, self.monitor, "ModelCheckpoint"))
            better = self.best is None or (value < self.best if self.mode == "min"
                                           else value > self.best)
            if not better:
                return
            self.best = value
        path = self.path.format(epoch=state.epoch + 1)
        save(state.model.state_dict(), path)
        self.saved.append(path)


class LRScheduler(Callback):
    """Step a learning-rate scheduler (mdlfast.optim.lr_scheduler) once per epoch; a
    ReduceLROnPlateau is stepped with the value of `monitor`."""

    def __init__(self, scheduler, monitor="val_loss"):
        self.scheduler = scheduler
        self.monitor = monitor

    def on_epoch_end(self, state, record):
        from mdlfast.optim.lr_scheduler import ReduceLROnPlateau

        if isinstance(self.scheduler, ReduceLROnPlateau):
            self.scheduler.step(float(_monitored(record, self.monitor, "LRScheduler")))
        else:
            self.scheduler.step()
