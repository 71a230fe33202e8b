"""Training for the course zoo: `fit` (progress bars, history, callbacks), `evaluate`, and
plots (learning curves, confusion matrices, reconstructions, optimizer trajectories; these need
matplotlib: pip install 'mdlfast[plot]').

    fit, evaluate, History, TrainState, accuracy_of
    Callback, EarlyStopping, ModelCheckpoint, LRScheduler
    plot_history, plot_confusion_matrix, plot_reconstructions, plot_trajectories
"""
from mdlfast.train.callbacks import Callback, EarlyStopping, LRScheduler, ModelCheckpoint
from mdlfast.train.history import History
from mdlfast.train.loop import TrainState, accuracy_of, evaluate, fit
from mdlfast.train.plot import (plot_confusion_matrix, plot_history, plot_reconstructions,
                                plot_trajectories)

__all__ = [
    "Callback", "EarlyStopping", "History", "LRScheduler", "ModelCheckpoint", "TrainState",
    "accuracy_of", "evaluate", "fit", "plot_confusion_matrix", "plot_history",
    "plot_reconstructions", "plot_trajectories",
]
