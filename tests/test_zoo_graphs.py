"""Graph networks: the karate club built in code, the stochastic block model, the normalised
adjacency (dense and message passing) and GCN node classification."""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast.autograd import tensor
from mdlfast.models import registry
from mdlfast.models.gcn import GCN, GCNConv, NormalizedAdjacency
from mdlfast.models.graphs import (degrees, karate_club, semi_supervised_split,
                                   stochastic_block_model)


def test_karate_club_has_zacharys_78_edges_and_degree_sequence():
    edges, labels = karate_club()
    assert edges.shape == (78, 2)
    assert len({tuple(e) for e in edges}) == 78 and np.all(edges[:, 0] < edges[:, 1])
    d = degrees(edges, 34)
    assert d[0] == 16 and d[33] == 17 and d[32] == 12 and d[2] == 10 and d[1] == 9
    assert d.min() == 1 and d[11] == 1  # member 12 of the paper knows only the instructor
    assert labels[0] == 0 and labels[33] == 1 and labels.sum() == 17
    # Every member is connected to the rest of the club.
    reached, frontier = {0}, [0]
    while frontier:
        node = frontier.pop()
        for a, b in edges[(edges == node).any(axis=1)]:
            other = b if a == node else a
            if other not in reached:
                reached.add(other)
                frontier.append(other)
    assert len(reached) == 34


def test_stochastic_block_model_densities_and_errors():
    edges, labels = stochastic_block_model([100, 100], 0.2, 0.02, seed=3)
    same = labels[edges[:, 0]] == labels[edges[:, 1]]
    pairs_in, pairs_out = 2 * 100 * 99 / 2, 100 * 100
    assert abs(same.sum() / pairs_in - 0.2) < 0.02
    assert abs((~same).sum() / pairs_out - 0.02) < 0.006
    assert np.all(edges[:, 0] < edges[:, 1])
    with pytest.raises(ValueError, match="p_in"):
        stochastic_block_model([5, 5], 1.5, 0.1)
    with pytest.raises(ValueError, match="sizes"):
        stochastic_block_model([5, 0], 0.5, 0.1)


def test_semi_supervised_split_takes_per_class_labels():
    labels = np.repeat(np.arange(3), 10)
    train, test = semi_supervised_split(labels, 2, seed=0)
    assert np.bincount(labels[train]).tolist() == [2, 2, 2]
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(30))


def _dense_formula(edges, n):
    A = np.eye(n)
    A[edges[:, 0], edges[:, 1]] = A[edges[:, 1], edges[:, 0]] = 1.0
    d = A.sum(1)
    return A / np.sqrt(d[:, None] * d[None, :])


def test_normalized_adjacency_matches_the_formula_dense_and_sparse():
    edges, _ = karate_club()
    expected = _dense_formula(edges, 34)
    dense = NormalizedAdjacency(edges, 34, dense=True)
    np.testing.assert_allclose(dense.matrix.numpy(), expected, rtol=1e-6, atol=1e-7)
    h = np.random.default_rng(0).standard_normal((34, 5)).astype(np.float32)
    sparse = NormalizedAdjacency(edges, 34)
    np.testing.assert_allclose(sparse.propagate(tensor(h)).numpy(), expected @ h, rtol=1e-5,
                               atol=1e-5)
    with pytest.raises(ValueError, match="node indices"):
        NormalizedAdjacency([[0, 40]], 34)


def test_gcn_layer_gradients_agree_between_dense_and_message_passing():
    edges, _ = stochastic_block_model([6, 7], 0.6, 0.1, seed=1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((13, 4)).astype(np.float32)
    grads = []
    for dense in (True, False):
        layer = GCNConv(4, 3)
        layer.weight.data[...] = rng.standard_normal((4, 3)).astype(np.float32) if not grads \
            else grads[0][2]
        inputs = tensor(x, requires_grad=True)
        out = layer(inputs, NormalizedAdjacency(edges, 13, dense=dense))
        (out * out).sum().backward()
        grads.append((inputs.grad.numpy(), layer.weight.grad.numpy(), layer.weight.data.copy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-4, atol=1e-5)


def test_gcn_output_shape_and_parameters():
    model = GCN(34, 2, hidden=(16, 8))
    edges, _ = karate_club()
    out = model(tensor(np.eye(34, dtype=np.float32)), NormalizedAdjacency(edges, 34))
    assert out.shape == (34, 2)
    assert [tuple(p.shape) for p in model.parameters()] == [(34, 16), (16,), (16, 8), (8,),
                                                           (8, 2), (2,)]


def test_gcn_classifies_the_karate_club_from_two_labelled_members():
    metrics = registry.get("gcn_karate").run(quick=True, seed=0).metrics
    assert metrics["train_nodes"] == 2 and metrics["test_nodes"] == 32
    assert metrics["test_accuracy"] >= 0.9
    assert metrics["test_accuracy"] > metrics["features_only_accuracy"]


def test_gcn_on_a_block_model_beats_its_features_alone():
    metrics = registry.get("gcn_sbm").run(quick=True, seed=0).metrics
    assert metrics["test_accuracy"] >= 0.9
    assert metrics["features_only_accuracy"] < 0.8
