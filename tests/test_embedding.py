"""embedding and embedding_backward: the C++ kernels against the reference on every ISA path (and
through mdlfast._cpu with NaN-poisoned outputs) with repeated indices and padding rows, the
reference backward against central finite differences, the gradient bit-for-bit the same on 1 and
2 threads, and bad indices rejected before anything is written.
"""
from __future__ import annotations

import numpy as np
import pytest

import mdlfast
from mdlfast import _cpu, kernels, reference
from _checks import (
    assert_close,
    central_difference,
    poisoned_embedding,
    poisoned_embedding_backward,
    randn,
    rng_for,
)

NUM_EMBEDDINGS = 11
INDEX_SHAPES = [(0,), (1,), (7,), (4, 6), (2, 3, 5)]
DIMS = [1, 7, 64]
PADDING = [None, 0, 3, -1]


def repeated_indices(rng, shape, num_embeddings=NUM_EMBEDDINGS, dtype=np.int64):
    """Indices drawn from a few rows only, so most rows repeat and some never appear."""
    rows = rng.choice(num_embeddings, size=max(1, num_embeddings // 2), replace=False)
    return rng.choice(rows, size=shape).astype(dtype)


@pytest.mark.parametrize("padding_idx", PADDING, ids=lambda p: f"pad{p}")
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("shape", INDEX_SHAPES, ids=str)
def test_embedding_matches_reference(isa, shape, dim, padding_idx):
    rng = rng_for("embedding", isa, shape, dim, padding_idx)
    indices = repeated_indices(rng, shape)
    if padding_idx is not None and indices.size:
        indices.flat[0] = padding_idx % NUM_EMBEDDINGS  # the padding row is looked up too
    weight = randn(rng, (NUM_EMBEDDINGS, dim))
    dy = randn(rng, shape + (dim,))

    y = kernels.embedding(indices, weight, padding_idx=padding_idx)
    assert np.array_equal(y, reference.embedding(indices, weight, padding_idx=padding_idx))
    assert y.shape == shape + (dim,)
    flat = indices.reshape(-1)
    assert np.array_equal(poisoned_embedding(flat, weight), weight[flat])

    dweight_ref = reference.embedding_backward(dy.astype(np.float64), indices, NUM_EMBEDDINGS,
                                               padding_idx=padding_idx)
    dweight = kernels.embedding_backward(dy, indices, NUM_EMBEDDINGS, padding_idx=padding_idx)
    assert_close(dweight, dweight_ref, max(1, indices.size), name="dweight")
    pad = -1 if padding_idx is None else padding_idx % NUM_EMBEDDINGS
    poisoned = poisoned_embedding_backward(dy.reshape(-1, dim), flat, NUM_EMBEDDINGS, pad)
    assert_close(poisoned, dweight_ref, max(1, indices.size), name="poisoned dweight")
    if padding_idx is not None:
        assert not dweight[padding_idx].any()


def test_embedding_int32_indices(isa):
    rng = rng_for("embedding_int32", isa)
    indices = repeated_indices(rng, (3, 4), dtype=np.int32)
    weight, dy = randn(rng, (NUM_EMBEDDINGS, 5)), randn(rng, (3, 4, 5))
    assert np.array_equal(kernels.embedding(indices, weight), weight[indices])
    assert np.array_equal(kernels.embedding_backward(dy, indices, NUM_EMBEDDINGS),
                          kernels.embedding_backward(dy, indices.astype(np.int64), NUM_EMBEDDINGS))


def test_embedding_gradient_same_on_any_thread_count(isa):
    rng = rng_for("embedding_threads", isa)
    indices = repeated_indices(rng, (64, 33), num_embeddings=97)
    dy = randn(rng, (64, 33, 40))
    previous = mdlfast.get_num_threads()
    try:
        grads = []
        for n in (1, 2):
            mdlfast.set_num_threads(n)
            grads.append(kernels.embedding_backward(dy, indices, 97, padding_idx=5))
    finally:
        mdlfast.set_num_threads(previous)
    assert np.array_equal(grads[0], grads[1])


@pytest.mark.parametrize("bad", [-1, NUM_EMBEDDINGS, 2**40], ids=["negative", "num_embeddings", "huge"])
def test_cpu_embedding_checks_indices_before_writing(bad):
    """A direct call of mdlfast._cpu with a bad index raises and leaves the output unwritten."""
    weight = np.ones((NUM_EMBEDDINGS, 3), dtype=np.float32)
    indices = np.array([0, 1, bad, 2], dtype=np.int64)
    y = np.full((4, 3), np.nan, dtype=np.float32)
    with pytest.raises(ValueError, match="indices"):
        _cpu.embedding(y, indices, weight)
    assert np.isnan(y).all()
    dweight = np.full((NUM_EMBEDDINGS, 3), np.nan, dtype=np.float32)
    with pytest.raises(ValueError, match="indices"):
        _cpu.embedding_backward(dweight, np.ones((4, 3), dtype=np.float32), indices, -1)
    assert np.isnan(dweight).all()


@pytest.mark.parametrize("padding_idx", [None, 2, -1], ids=lambda p: f"pad{p}")
def test_reference_backward_matches_finite_differences(padding_idx):
    rng = rng_for("embedding_fd", padding_idx)
    indices = np.array([[0, 2, 2], [4, 0, 2]], dtype=np.int64)
    weight = rng.standard_normal((5, 3))
    dy = rng.standard_normal((2, 3, 3))

    def loss():
        return float(np.sum(dy * reference.embedding(indices, weight)))

    expected = central_difference(loss, weight, 1e-6)
    if padding_idx is not None:
        expected[padding_idx] = 0.0  # PyTorch's convention: the padding row never learns
    dweight = reference.embedding_backward(dy, indices, 5, padding_idx=padding_idx)
    np.testing.assert_allclose(dweight, expected, rtol=1e-7, atol=1e-9)
