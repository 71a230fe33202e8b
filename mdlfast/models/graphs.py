"""Small graphs built in code for node classification: Zachary's karate club and a stochastic
block model. Edges are undirected pairs (i, j), i < j, 0-based."""
from __future__ import annotations

import numpy as np

# Zachary (1977), the 78 friendships of the 34 members, 1-based as in the paper: member k is
# friends with every member in _FRIENDS[k] (each edge listed once, from its lower end).
_FRIENDS = {
    1: (2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 18, 20, 22, 32),
    2: (3, 4, 8, 14, 18, 20, 22, 31),
    3: (4, 8, 9, 10, 14, 28, 29, 33),
    4: (8, 13, 14),
    5: (7, 11),
    6: (7, 11, 17),
    7: (17,),
    9: (31, 33, 34),
    10: (34,),
    14: (34,),
    15: (33, 34),
    16: (33, 34),
    19: (33, 34),
    20: (34,),
    21: (33, 34),
    23: (33, 34),
    24: (26, 28, 30, 33, 34),
    25: (26, 28, 32),
    26: (32,),
    27: (30, 34),
    28: (34,),
    29: (32, 34),
    30: (33, 34),
    31: (33, 34),
    32: (33, 34),
    33: (34,),
}

# The faction each member joined after the split (0: the instructor "Mr. Hi", member 0;
# 1: the administrator "Officer", member 33), 0-based.
_OFFICER = {9, 14, 15, 18, 20} | set(range(22, 34))
INSTRUCTOR, ADMINISTRATOR = 0, 33


def karate_club():
    """(edges [78, 2] int64, 0-based, i < j; labels [34] int64: 0 = the instructor's faction,
    1 = the administrator's)."""
    edges = np.array([(a - 1, b - 1) for a, friends in _FRIENDS.items() for b in friends],
                     dtype=np.int64)
    labels = np.array([int(k in _OFFICER) for k in range(34)], dtype=np.int64)
    return edges, labels


def stochastic_block_model(sizes, p_in, p_out, *, seed=0):
    """A graph whose nodes fall in blocks of the given sizes; each pair is joined independently
    with probability p_in inside a block and p_out across blocks. Returns (edges [E, 2], labels)."""
    sizes = [int(s) for s in sizes]
    if not sizes or min(sizes) < 1:
        raise ValueError(f"sizes must be positive block sizes, got {sizes}")
    for name, p in (("p_in", p_in), ("p_out", p_out)):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1], got {p}")
    labels = np.repeat(np.arange(len(sizes)), sizes).astype(np.int64)
    rng = np.random.default_rng(seed)
    i, j = np.triu_indices(len(labels), k=1)
    p = np.where(labels[i] == labels[j], p_in, p_out)
    keep = rng.random(len(i)) < p
    return np.stack([i[keep], j[keep]], axis=1).astype(np.int64), labels


def degrees(edges, num_nodes):
    """Number of neighbours of each node."""
    edges = np.asarray(edges)
    return np.bincount(edges.ravel(), minlength=num_nodes)


def semi_supervised_split(labels, per_class, *, seed=0):
    """(train, test) node indices: `per_class` random labelled nodes of each class, the rest
    held out."""
    rng = np.random.default_rng(seed)
    train = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:per_class]
                            for c in np.unique(labels)])
    test = np.setdiff1d(np.arange(len(labels)), train)
    return np.sort(train), test
