"""Graph convolutional networks (Kipf and Welling): each layer mixes every node's features with
its neighbours' through the normalised adjacency with self-loops,

    H' = D^-1/2 (A + I) D^-1/2 H W + b,

built from Tensor ops, either densely (an N x N matrix, fine for small graphs) or as message
passing over index arrays (gather the sender rows, weight them, scatter-add into the receivers)."""
from __future__ import annotations

import numpy as np

from mdlfast import nn
from mdlfast.autograd import tensor
from mdlfast.autograd.ops_shape import IndexAdd
from mdlfast.nn import init
from mdlfast.nn.parameter import Parameter


class NormalizedAdjacency:
    """D^-1/2 (A + I) D^-1/2 of an undirected graph, as message arrays (senders, receivers,
    weights: one entry per direction of each edge and one self-loop per node) and, when
    dense=True, as an N x N matrix that `propagate` multiplies instead."""

    def __init__(self, edges, num_nodes, *, dense=False, dtype=np.float32):
        edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        if edges.size and (edges.min() < 0 or edges.max() >= num_nodes):
            raise ValueError(f"edges must hold node indices in [0, {num_nodes}), got "
                             f"[{edges.min()}, {edges.max()}]")
        loops = np.arange(num_nodes)
        self.senders = np.concatenate([edges[:, 0], edges[:, 1], loops])
        self.receivers = np.concatenate([edges[:, 1], edges[:, 0], loops])
        degree = np.bincount(self.receivers, minlength=num_nodes).astype(np.float64)
        scale = 1.0 / np.sqrt(degree)
        self.weights = (scale[self.senders] * scale[self.receivers]).astype(dtype)
        self.num_nodes = int(num_nodes)
        self.matrix = None
        if dense:
            matrix = np.zeros((num_nodes, num_nodes), dtype)
            np.add.at(matrix, (self.receivers, self.senders), self.weights)
            self.matrix = tensor(matrix)
        self._weights = tensor(self.weights[:, None])

    def propagate(self, h):
        """Â h for node features h [N, F] (a Tensor)."""
        if self.matrix is not None:
            return self.matrix @ h
        messages = h[self.senders] * self._weights
        return IndexAdd.apply(messages, shape=(self.num_nodes, h.shape[1]), dtype=h.dtype,
                              index=self.receivers)


class GCNConv(nn.Module):
    """One graph convolution: Â (x W) + b (Glorot-initialised W [in, out], zero bias)."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.weight = Parameter(np.empty((in_features, out_features), np.float32))
        init.xavier_uniform_(self.weight)
        self.bias = Parameter(np.zeros(out_features, np.float32)) if bias else None

    def forward(self, x, adjacency):
        out = adjacency.propagate(x @ self.weight)
        return out + self.bias if self.bias is not None else out


class GCN(nn.Module):
    """A stack of GCNConv layers with ReLU and dropout between them; returns class logits."""

    def __init__(self, in_features, num_classes, hidden=(16,), dropout=0.5):
        super().__init__()
        widths = [in_features, *hidden, num_classes]
        self.layers = nn.ModuleList([GCNConv(a, b) for a, b in zip(widths[:-1], widths[1:])])
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, adjacency):
        for k, layer in enumerate(self.layers):
            if k:
                x = self.dropout(x.relu())
            x = layer(x, adjacency)
        return x

    def embed(self, x, adjacency):
        """The last hidden layer's node representations (for plots)."""
        for layer in self.layers[:-1]:
            x = layer(x, adjacency).relu()
        return x

