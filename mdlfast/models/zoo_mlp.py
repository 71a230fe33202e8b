"""Zoo entries of unit 4: the MLP (dropout, batch norm, L2, early stopping), an activation
comparison, and the vanishing-gradient study."""
from __future__ import annotations

import numpy as np

from mdlfast.models.datasets import load_split
from mdlfast.models.mlp import ACTIVATIONS, MLP
from mdlfast.models.recipes import train_network
from mdlfast.models.registry import Run, ZooEntry, register
from mdlfast.models.vanishing import vanishing_gradient_study

VECTOR = ("digits", "iris", "wine", "breast_cancer", "moons", "spirals")


def _train_activations(entry, config, *, dataset, seed, progress):
    """The same MLP trained once per activation; test accuracy of each."""
    result, runs = {}, {}
    for name in sorted(ACTIVATIONS):
        options = dict(config, model=dict(config.get("model", {}), activation=name,
                                          init="he" if "relu" in name else "glorot"))
        run = train_network(entry, options, dataset=dataset, seed=seed, progress=False)
        result[f"{name}_accuracy"] = run.metrics["test_accuracy"]
        runs[name] = run.history
        if progress:
            print(f"  {name:<11} test accuracy {run.metrics['test_accuracy']:.4f}")
    best = max(result, key=result.get)
    result["best_activation"] = best[:-len("_accuracy")]
    result["best_accuracy"] = result[best]

    def plot(path):
        from mdlfast.train.plot import pyplot

        fig, ax = pyplot().subplots(figsize=(7, 4.5))
        for name, history in runs.items():
            ax.plot(np.arange(1, history.epochs + 1), history["val_accuracy"], label=name)
        ax.set_xlabel("epoch")
        ax.set_ylabel("validation accuracy")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(path)
        pyplot().close(fig)

    return Run(result, plot=plot)


def _train_vanishing(entry, config, *, dataset, seed, progress):
    split = load_split(dataset, seed=seed)
    norms = vanishing_gradient_study(split.X_train[:config["batch_size"]],
                                     split.y_train[:config["batch_size"]],
                                     depth=config["depth"], width=config["width"], seed=seed)
    result = {}
    for name, values in norms.items():
        result[f"{name}_first_layer"] = float(values[0])
        result[f"{name}_last_layer"] = float(values[-1])
    result["relu_over_sigmoid_first_layer"] = float(norms["relu"][0] / norms["sigmoid"][0])
    if progress:
        for name, values in norms.items():
            print(f"  {name:<17} " + " ".join(f"{v:.1e}" for v in values))

    def plot(path):
        from mdlfast.train.plot import pyplot

        fig, ax = pyplot().subplots(figsize=(7, 4.5))
        for name, values in norms.items():
            ax.semilogy(np.arange(1, len(values) + 1), values, "o-", label=name)
        ax.set_xlabel("layer (1 = input)")
        ax.set_ylabel("weight-gradient norm")
        ax.legend()
        fig.tight_layout()
        fig.savefig(path)
        pyplot().close(fig)

    return Run(result, plot=plot)


_MLP_FULL = {"epochs": 60, "batch_size": 32, "lr": 1e-3, "weight_decay": 1e-4, "patience": 15,
             "model": {"hidden": (256, 128), "dropout": 0.2, "batch_norm": True}}
register(ZooEntry(
    name="mlp", unit=4,
    summary="MLP: He init, batch norm, dropout, L2, cosine LR, early stopping",
    dataset="digits", datasets=VECTOR, build=MLP, train=train_network,
    quick={"epochs": 3, "batch_size": 32, "lr": 2e-3,
           "model": {"hidden": (64,), "dropout": 0.1, "batch_norm": True}},
    full=_MLP_FULL))
register(ZooEntry(
    name="mlp_activations", unit=4, summary="the same MLP with every activation",
    dataset="digits", datasets=VECTOR, build=MLP, train=_train_activations,
    quick={"epochs": 3, "batch_size": 32, "lr": 3e-3, "limit": 600, "model": {"hidden": (32,)}},
    full={"epochs": 20, "batch_size": 32, "lr": 1e-3, "model": {"hidden": (128, 64)}},
    headline="best_accuracy"))
register(ZooEntry(
    name="vanishing_gradients", unit=4,
    summary="per-layer gradient norms: deep sigmoid vs ReLU vs residual MLP",
    dataset="digits", datasets=VECTOR, build=None, train=_train_vanishing,
    quick={"depth": 8, "width": 32, "batch_size": 128},
    full={"depth": 20, "width": 64, "batch_size": 512},
    headline="relu_over_sigmoid_first_layer"))
