"""Unit 4's vanishing-gradient study: the norm of each layer's weight gradient, from the input
layer to the output, in a deep sigmoid MLP, a deep ReLU MLP and a deep residual MLP.

With sigmoid (whose derivative is at most 1/4) the gradient shrinks geometrically on its way
back to the first layers; ReLU with He initialisation keeps it of the same order; identity
shortcuts carry it back unchanged.
"""
from __future__ import annotations

import numpy as np

from mdlfast import nn
from mdlfast.autograd import tensor
from mdlfast.models.mlp import DeepMLP
from mdlfast.random import manual_seed

STUDY = {
    "sigmoid": dict(activation="sigmoid", residual=False, init="glorot"),
    "relu": dict(activation="relu", residual=False, init="he"),
    "residual_sigmoid": dict(activation="sigmoid", residual=True, init="glorot"),
}


def layer_gradient_norms(model, X, y):
    """Frobenius norms of the weight gradients of model.hidden_layers() (input first) for one
    cross-entropy backward pass on (X, y)."""
    model.zero_grad()
    loss = nn.functional.cross_entropy(model(tensor(X)), tensor(y))
    loss.backward()
    return np.array([float(np.linalg.norm(layer.weight.grad.numpy()))
                     for layer in model.hidden_layers()])


def vanishing_gradient_study(X, y, *, depth=10, width=32, seed=0, variants=None):
    """Per-layer gradient norms (input layer first) at initialisation for each variant of STUDY
    (or `variants`, a dict name -> DeepMLP keyword arguments): a dict name -> array."""
    X = np.ascontiguousarray(X, dtype=np.float32)
    y = np.asarray(y, dtype=np.int64)
    norms = {}
    for name, options in (variants or STUDY).items():
        manual_seed(seed)
        model = DeepMLP(X.shape[1], int(y.max()) + 1, depth=depth, width=width, **options)
        norms[name] = layer_gradient_norms(model, X, y)
    return norms
