"""Property-based tests (hypothesis): softmax along any axis of arbitrary small shapes with logits
of any scale sums to 1 and matches the reference; the fused cross-entropy's loss equals
-log_softmax at the label, and its gradient rows sum to 0."""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mdlfast import kernels, reference

SETTINGS = settings(max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def logits_and_axis(draw):
    shape = tuple(draw(st.lists(st.integers(1, 9), min_size=1, max_size=4)))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    scale = draw(st.sampled_from([1e-3, 1.0, 30.0, 1e4, 1e30]))
    seed = draw(st.integers(0, 2**32 - 1))
    x = (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)
    return x, axis


@SETTINGS
@given(case=logits_and_axis())
def test_softmax_is_a_distribution_matching_the_reference(case):
    x, axis = case
    y = kernels.softmax(x, axis)
    assert np.all(y >= 0) and np.all(y <= 1)
    np.testing.assert_allclose(y.sum(axis=axis, dtype=np.float64), 1.0, rtol=1e-5)
    np.testing.assert_allclose(y, reference.softmax(x.astype(np.float64), axis), rtol=1e-4, atol=1e-6)
    log_y = kernels.log_softmax(x, axis)
    ref = reference.log_softmax(x.astype(np.float64), axis)
    # log_softmax is x - max - log Σ: rounded at the scale of the logits.
    np.testing.assert_allclose(log_y, ref, rtol=1e-5, atol=1e-6 * (1 + np.abs(x).max()))


@SETTINGS
@given(case=logits_and_axis(), label_seed=st.integers(0, 2**32 - 1))
def test_cross_entropy_is_log_softmax_at_the_label(case, label_seed):
    x, _ = case
    logits = x.reshape(x.shape[0], -1)
    rows, classes = logits.shape
    labels = np.random.default_rng(label_seed).integers(0, classes, size=rows)
    loss, probs = kernels.cross_entropy(logits, labels, reduction="none")
    log_p = reference.log_softmax(logits.astype(np.float64), -1)
    expected = -log_p[np.arange(rows), labels]
    np.testing.assert_allclose(loss, expected, rtol=1e-5, atol=1e-6 * (1 + np.abs(logits).max()))
    grad = kernels.cross_entropy_backward(probs, labels, reduction="sum")
    np.testing.assert_allclose(grad.sum(axis=1, dtype=np.float64), 0.0, atol=1e-5)
