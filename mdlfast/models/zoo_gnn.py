"""Zoo entries of the graph networks (book chapter 8): GCN node classification on Zachary's
karate club (one labelled member per faction) and on a stochastic block model (a few labelled
nodes per block, noisy features), full-batch and semi-supervised."""
from __future__ import annotations

import numpy as np

from mdlfast import optim
from mdlfast.autograd import no_grad, tensor
from mdlfast.models.gcn import GCN, NormalizedAdjacency
from mdlfast.models.graphs import (ADMINISTRATOR, INSTRUCTOR, karate_club,
                                   semi_supervised_split, stochastic_block_model)
from mdlfast.models.registry import Run, ZooEntry, register
from mdlfast.nn import functional as F
from mdlfast.random import manual_seed


def fit_gcn(model, features, adjacency, labels, train, *, epochs, lr, weight_decay=5e-4):
    """Full-batch Adam on the cross-entropy of the labelled nodes `train`; returns the losses."""
    opt = optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    x, targets = tensor(features), labels[train]
    losses = []
    model.train()
    for _ in range(int(epochs)):
        loss = F.cross_entropy(model(x, adjacency)[train], targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    return losses


def node_accuracy(model, features, adjacency, labels, nodes):
    """Accuracy of the model's predictions on `nodes`."""
    model.eval()
    with no_grad():
        predicted = model(tensor(features), adjacency).data.argmax(axis=1)
    return float(np.mean(predicted[nodes] == labels[nodes]))


def _train_and_score(config, edges, labels, features, train, test, seed, dense):
    n, classes = len(labels), int(labels.max()) + 1
    scores = {}
    for name, graph_edges in (("gcn", edges), ("no_edges", np.zeros((0, 2), np.int64))):
        adjacency = NormalizedAdjacency(graph_edges, n, dense=dense)
        manual_seed(seed)
        model = GCN(features.shape[1], classes, hidden=tuple(config["hidden"]),
                    dropout=config["dropout"])
        losses = fit_gcn(model, features, adjacency, labels, train, epochs=config["epochs"],
                         lr=config["lr"], weight_decay=config["weight_decay"])
        scores[name] = (node_accuracy(model, features, adjacency, labels, test), losses)
    accuracy, losses = scores["gcn"]
    return {"test_accuracy": accuracy, "features_only_accuracy": scores["no_edges"][0],
            "train_nodes": int(len(train)), "test_nodes": int(len(test)),
            "final_loss": losses[-1], "epochs": int(config["epochs"])}


def _train_karate(entry, config, *, dataset, seed, progress):
    """The standard semi-supervised setting: only the instructor (0) and the administrator (33)
    are labelled, members have one-hot features, the 32 others are held out."""
    edges, labels = karate_club()
    train = np.array([INSTRUCTOR, ADMINISTRATOR])
    test = np.setdiff1d(np.arange(len(labels)), train)
    features = np.eye(len(labels), dtype=np.float32)
    metrics = _train_and_score(config, edges, labels, features, train, test, seed,
                               dense=config.get("dense", True))
    return Run(metrics)


def _train_sbm(entry, config, *, dataset, seed, progress):
    """A stochastic block model whose node features are each block's mean plus noise strong
    enough that features alone misclassify many nodes; `per_class` labelled nodes per block."""
    sizes = [config["block_size"]] * config["blocks"]
    edges, labels = stochastic_block_model(sizes, config["p_in"], config["p_out"], seed=seed)
    rng = np.random.default_rng(seed)
    means = rng.normal(0.0, 1.0, (config["blocks"], config["features"]))
    features = (means[labels] + rng.normal(0.0, config["noise"], (len(labels),
                                                                   config["features"])))
    train, test = semi_supervised_split(labels, config["per_class"], seed=seed)
    metrics = _train_and_score(config, edges, labels, features.astype(np.float32), train, test,
                               seed, dense=config.get("dense", False))
    metrics["edges"] = int(len(edges))
    return Run(metrics)


register(ZooEntry(
    name="gcn_karate", unit=8,
    summary="GCN node classification on Zachary's karate club (2 labelled members)",
    dataset="karate", datasets=("karate",), build=GCN, train=_train_karate,
    quick={"epochs": 100, "lr": 0.01, "weight_decay": 5e-4, "hidden": (16,), "dropout": 0.5},
    full={"epochs": 200, "lr": 0.01, "weight_decay": 5e-4, "hidden": (16,), "dropout": 0.5}))

_SBM = {"blocks": 4, "block_size": 60, "p_in": 0.1, "p_out": 0.01, "features": 16,
        "noise": 2.0, "per_class": 5, "lr": 0.01, "weight_decay": 5e-4, "hidden": (32,),
        "dropout": 0.5}
register(ZooEntry(
    name="gcn_sbm", unit=8,
    summary="GCN (sparse message passing) on a 4-block stochastic block model, 5 labels/block",
    dataset="sbm", datasets=("sbm",), build=GCN, train=_train_sbm,
    quick={**_SBM, "epochs": 100}, full={**_SBM, "epochs": 200}))
