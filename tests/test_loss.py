"""cross_entropy, mse and bce_with_logits with their backwards: the kernels against the float64
reference for every reduction, with ignore_index, label smoothing and pos_weight, on every ISA path
and thread count (the sums the same on 1 and 2 threads), with NaN-poisoned outputs, huge logits,
and the error cases. The reference is checked against finite differences and PyTorch in
test_pointwise_reference.py."""
from __future__ import annotations

import numpy as np
import pytest

import mdlfast
from mdlfast import _cpu, kernels, reference
from _checks import rng_for

REDUCTIONS = ["mean", "sum", "none"]
CE_SHAPES = [(1, 1), (1, 7), (5, 3), (33, 1000), (130, 257)]  # 130×257: several row tasks
PAIR_SHAPES = [(1,), (7,), (3, 5), (100, 333)]  # 33300: several tasks
RTOL = 2e-5


def assert_loss_close(out, ref, scale, *, name):
    """|out - ref| <= RTOL·scale elementwise, scale being the magnitude of the summed terms."""
    out = np.asarray(out)
    assert out.dtype == np.float32 and out.shape == np.shape(ref), f"{name}: {out.dtype} {out.shape}"
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref), err_msg=f"{name}: NaNs differ")
    finite = np.isfinite(ref)
    err = np.abs(out[finite].astype(np.float64) - np.asarray(ref)[finite])
    bound = RTOL * np.broadcast_to(scale, np.shape(ref))[finite] + 1e-30
    assert np.all(err <= bound), f"{name}: error {np.max(err):.3g}, bound {np.min(bound):.3g}"


def labels_for(rng, rows, classes):
    labels = rng.integers(0, classes, size=rows)
    labels[rng.uniform(size=rows) < 0.2] = -100
    return labels


def reduced_scale(per_element, reduction, count):
    total = np.abs(per_element).sum()
    return {"none": np.abs(per_element), "sum": total, "mean": total / max(count, 1)}[reduction]


@pytest.mark.parametrize("smoothing", [0.0, 0.15])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", CE_SHAPES)
def test_cross_entropy_matches_reference(isa, threads, shape, reduction, smoothing):
    rows, classes = shape
    rng = rng_for("ce", isa, threads, shape, reduction, smoothing)
    logits = (rng.standard_normal(shape) * 4).astype(np.float32)
    labels = labels_for(rng, rows, classes)
    kwargs = {"reduction": reduction, "label_smoothing": smoothing}
    loss_ref, probs_ref = reference.cross_entropy(logits.astype(np.float64), labels, **kwargs)
    loss, probs = kernels.cross_entropy(logits, labels, **kwargs)
    per_row_ref, _ = reference.cross_entropy(logits.astype(np.float64), labels, reduction="none",
                                             label_smoothing=smoothing)
    # Each row's loss is computed from logits of size |x|: float32 rounds it at that scale.
    row_scale = np.abs(per_row_ref) + np.abs(logits).max(axis=1) * (labels != -100)
    count = int((labels != -100).sum())
    assert_loss_close(loss, loss_ref, reduced_scale(row_scale, reduction, count), name="loss")
    assert_loss_close(probs, probs_ref, probs_ref, name="probs")

    dloss = rng.standard_normal(rows).astype(np.float32) if reduction == "none" else 0.7
    dloss64 = dloss.astype(np.float64) if reduction == "none" else dloss
    dref = reference.cross_entropy_backward(probs.astype(np.float64), labels, dloss=dloss64, **kwargs)
    dlogits = kernels.cross_entropy_backward(probs, labels, dloss=dloss, **kwargs)
    # Each element is (p - ε/C - (1-ε)·onehot)·s: float32 rounds it at the scale of its terms.
    row_factor = np.abs(dloss) if reduction == "none" else np.full(rows, 0.7 / (max(count, 1) if reduction == "mean" else 1))
    row_factor = np.where(labels != -100, row_factor, 0.0)
    onehot = np.zeros(shape)
    onehot[np.arange(rows), np.where(labels != -100, labels, 0)] = 1 - smoothing
    grad_scale = (probs_ref + smoothing / classes + onehot) * row_factor[:, None]
    assert_loss_close(dlogits, dref, grad_scale, name="dlogits")

    # Poisoned direct calls: every output element is written (ignored rows too).
    probs_p = np.full(shape, np.nan, np.float32)
    rows_p = np.full(rows, np.nan, np.float32)
    _cpu.cross_entropy(probs_p, rows_p, logits, labels, -100, smoothing)
    np.testing.assert_array_equal(probs_p, probs)
    assert not np.isnan(rows_p).any()
    d_p = np.full(shape, np.nan, np.float32)
    per_row = dloss if reduction == "none" else None
    scale = 0.0 if reduction == "none" else (0.7 / count if reduction == "mean" and count else 0.7)
    _cpu.cross_entropy_backward(d_p, probs, labels, per_row, scale, -100, smoothing)
    if reduction != "mean" or count:
        np.testing.assert_array_equal(d_p, dlogits)


def test_cross_entropy_huge_logits_and_thread_independence():
    logits = np.array([[1e30, -1e30, 0.0], [-np.inf, 0.0, 1.0], [5.0, 5.0, 5.0]], np.float32)
    labels = np.array([0, 2, 1])
    loss, probs = kernels.cross_entropy(logits, labels, reduction="none")
    ref, ref_probs = reference.cross_entropy(logits.astype(np.float64), labels, reduction="none")
    np.testing.assert_allclose(loss, ref, rtol=1e-6)
    np.testing.assert_allclose(probs, ref_probs, rtol=1e-6)
    loss, _ = kernels.cross_entropy(logits, np.array([1, 0, 1]), reduction="none")
    assert loss[0] == np.float32(2e30) and loss[1] == np.inf
    rng = rng_for("ce threads")
    big = (rng.standard_normal((3000, 37)) * 3).astype(np.float32)
    labels = rng.integers(0, 37, size=3000)
    results, previous = [], mdlfast.get_num_threads()
    for n in (1, 2):
        mdlfast.set_num_threads(n)
        try:
            results.append(kernels.cross_entropy(big, labels)[0])
        finally:
            mdlfast.set_num_threads(previous)
    assert results[0] == results[1]


@pytest.mark.parametrize("api", [kernels, reference], ids=["kernels", "reference"])
def test_cross_entropy_backward_into_probs(api):
    """out=probs overwrites the probabilities with the gradient, which equals a fresh one."""
    rng = rng_for("ce out", api.__name__)
    logits = (rng.standard_normal((37, 29)) * 3).astype(np.float32)
    labels = labels_for(rng, 37, 29)
    _, probs = api.cross_entropy(logits, labels, label_smoothing=0.1)
    expected = api.cross_entropy_backward(probs, labels, label_smoothing=0.1)
    out = api.cross_entropy_backward(probs, labels, label_smoothing=0.1, out=probs)
    assert out is probs
    np.testing.assert_array_equal(out, expected)
    with pytest.raises(ValueError):
        api.cross_entropy_backward(probs, labels, out=np.empty((37, 28), np.float32))
    with pytest.raises(ValueError):
        api.cross_entropy_backward(probs, labels, out=np.empty((29, 37), np.float32).T)
    with pytest.raises(TypeError):
        api.cross_entropy_backward(probs, labels, out=np.empty((37, 29), np.float64))


def test_cross_entropy_all_ignored():
    logits = np.ones((3, 4), np.float32)
    labels = np.full(3, -100)
    for api in (kernels, reference):
        loss, probs = api.cross_entropy(logits, labels)
        assert np.isnan(loss)  # 0/0, as PyTorch
        assert api.cross_entropy(logits, labels, reduction="sum")[0] == 0
        np.testing.assert_array_equal(api.cross_entropy_backward(probs, labels, reduction="sum"), 0)
    loss, _ = kernels.cross_entropy(logits, np.array([1, -7, 2]), ignore_index=-7, reduction="none")
    assert loss[1] == 0 and loss[0] > 0


def pair_inputs(rng, shape, name):
    x = (rng.standard_normal(shape) * 3).astype(np.float32)
    target = (rng.uniform(size=shape) if name != "mse" else rng.standard_normal(shape)).astype(np.float32)
    return x, target


@pytest.mark.parametrize("name,pos_weight", [("mse", False), ("bce_with_logits", False),
                                             ("bce_with_logits", True)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", PAIR_SHAPES)
def test_pair_losses_match_reference(isa, threads, shape, name, reduction, pos_weight):
    rng = rng_for("pair", isa, threads, shape, name, reduction, pos_weight)
    x, target = pair_inputs(rng, shape, name)
    kwargs = {"reduction": reduction}
    if pos_weight:
        kwargs["pos_weight"] = rng.uniform(0.2, 4.0, size=shape[-1]).astype(np.float32)
    ref_kwargs = {k: (v.astype(np.float64) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}
    forward, backward = getattr(kernels, name), getattr(kernels, name + "_backward")
    rforward, rbackward = getattr(reference, name), getattr(reference, name + "_backward")
    x64, t64 = x.astype(np.float64), target.astype(np.float64)
    per_element = rforward(x64, t64, **{**ref_kwargs, "reduction": "none"})
    element_scale = np.abs(per_element) + np.abs(x64) * (1 + np.abs(t64))
    loss = forward(x, target, **kwargs)
    assert_loss_close(loss, rforward(x64, t64, **ref_kwargs), reduced_scale(element_scale, reduction, x.size),
                      name=f"{name} loss")

    dloss = rng.standard_normal(shape).astype(np.float32) if reduction == "none" else 1.3
    dref = rbackward(np.float64(dloss) if reduction != "none" else dloss.astype(np.float64), x64, t64, **ref_kwargs)
    grad_scale = np.abs(dref) + np.abs(dloss) * (1 + np.abs(t64)) * (np.abs(x64) if name == "mse" else 1) / (
        x.size if reduction == "mean" else 1)
    assert_loss_close(backward(dloss, x, target, **kwargs), dref, grad_scale, name=f"{name} backward")

    # Poisoned direct calls.
    flat = x.reshape(-1), target.reshape(-1)
    pw = kwargs.get("pos_weight")
    classes = shape[-1] if pw is not None else x.size
    out = np.full(x.size, np.nan, np.float32)
    grad = np.full(x.size, np.nan, np.float32)
    per = dloss.reshape(-1) if reduction == "none" else None
    scale = 0.0 if reduction == "none" else (1.3 / x.size if reduction == "mean" else 1.3)
    if name == "mse":
        _cpu.mse(out, *flat)
        _cpu.mse_backward(grad, *flat, per, scale)
    else:
        _cpu.bce_with_logits(out, *flat, pw, classes)
        _cpu.bce_with_logits_backward(grad, *flat, pw, per, scale, classes)
    assert_loss_close(out.reshape(shape), per_element, element_scale, name="poisoned loss")
    assert_loss_close(grad.reshape(shape), dref, grad_scale, name="poisoned backward")


def test_pair_loss_sums_do_not_depend_on_threads():
    rng = rng_for("pair threads")
    x = (rng.standard_normal((300, 501)) * 3).astype(np.float32)
    target = rng.uniform(size=x.shape).astype(np.float32)
    pos_weight = rng.uniform(0.5, 2.0, size=501).astype(np.float32)
    results, previous = [], mdlfast.get_num_threads()
    for n in (1, 2):
        mdlfast.set_num_threads(n)
        try:
            results.append((kernels.mse(x, target), kernels.bce_with_logits(x, target, pos_weight=pos_weight)))
        finally:
            mdlfast.set_num_threads(previous)
    assert results[0] == results[1]


def test_bce_with_logits_extreme_logits():
    x = np.array([200.0, -200.0, 1e30, -1e30, 0.0], np.float32)
    t = np.array([0.0, 1.0, 0.0, 1.0, 0.5], np.float32)
    loss = kernels.bce_with_logits(x, t, reduction="none")
    np.testing.assert_allclose(loss, reference.bce_with_logits(x.astype(np.float64), t.astype(np.float64),
                                                               reduction="none"), rtol=1e-6)
    grad = kernels.bce_with_logits_backward(1.0, x, t, reduction="sum")
    np.testing.assert_allclose(grad, [1, -1, 1, -1, 0], atol=1e-7)


def test_empty_losses_match_reference():
    empty = np.ones((0, 3), np.float32)
    for api in (kernels, reference):
        assert np.isnan(api.mse(empty, empty))
        assert api.bce_with_logits(empty, empty, reduction="sum") == 0
        assert api.mse(empty, empty, reduction="none").shape == (0, 3)
        loss, probs = api.cross_entropy(empty, np.zeros(0, np.int64), reduction="sum")
        assert loss == 0 and probs.shape == (0, 3)


@pytest.mark.parametrize("call,error", [
    (lambda api, x, y: api.cross_entropy(x, np.array([0, 4, 1])), ValueError),
    (lambda api, x, y: api.cross_entropy(x, np.array([0, -1, 1])), ValueError),
    (lambda api, x, y: api.cross_entropy(x, np.array([0, 1, 1], np.int32)), TypeError),
    (lambda api, x, y: api.cross_entropy(x, np.array([0.0, 1.0, 1.0])), TypeError),
    (lambda api, x, y: api.cross_entropy(x, np.array([0, 1])), ValueError),
    (lambda api, x, y: api.cross_entropy(x[0], np.array([0])), ValueError),
    (lambda api, x, y: api.cross_entropy(x, np.array([0, 1, 1]), reduction="avg"), ValueError),
    (lambda api, x, y: api.cross_entropy(x, np.array([0, 1, 1]), label_smoothing=1.5), ValueError),
    (lambda api, x, y: api.cross_entropy(x, np.array([0, 1, 1]), ignore_index=1.0), TypeError),
    (lambda api, x, y: api.cross_entropy(np.ones((3, 0), np.float32), np.array([0, 1, 1])), ValueError),
    (lambda api, x, y: api.cross_entropy_backward(x, np.array([0, 1, 9])), ValueError),
    (lambda api, x, y: api.cross_entropy_backward(x, np.array([0, 1, 1]), reduction="none", dloss=1.0), TypeError),
    (lambda api, x, y: api.cross_entropy_backward(x, np.array([0, 1, 1]), dloss=np.ones(3, np.float32)), ValueError),
    (lambda api, x, y: api.mse(x, y[:, :2]), ValueError),
    (lambda api, x, y: api.mse(x, y.astype(np.float64)), TypeError),
    (lambda api, x, y: api.mse(x, y, reduction=None), ValueError),
    (lambda api, x, y: api.mse_backward(np.ones(2, np.float32), x, y, reduction="none"), ValueError),
    (lambda api, x, y: api.mse_backward("1", x, y), TypeError),
    (lambda api, x, y: api.bce_with_logits(x, y, pos_weight=np.ones(3, np.float32)), ValueError),
    (lambda api, x, y: api.bce_with_logits(x, y, pos_weight=np.ones(4, np.float64)), TypeError),
    (lambda api, x, y: api.bce_with_logits_backward(1.0, x, y, reduction="max"), ValueError),
], ids=["label-too-big", "label-negative", "labels-int32", "labels-float", "labels-length", "logits-1d",
        "reduction", "smoothing", "ignore-index-float", "no-classes", "backward-label", "dloss-none-scalar",
        "dloss-mean-array", "mse-shape", "mse-dtype", "mse-reduction", "mse-dloss-shape", "mse-dloss-str",
        "pos-weight-shape", "pos-weight-dtype", "bce-reduction"])
def test_loss_errors(api, call, error):
    x = np.ones((3, 4), np.float32)
    with pytest.raises(error):
        call(api, x, x.copy())


def test_direct_call_checks_labels():
    x = np.ones((3, 4), np.float32)
    with pytest.raises(ValueError):
        _cpu.cross_entropy(np.empty((3, 4), np.float32), np.empty(3, np.float32), x, np.array([0, 4, 1]), -100, 0.0)
    with pytest.raises(ValueError):
        _cpu.cross_entropy_backward(np.empty((3, 4), np.float32), x, np.array([0, 1, -5]), None, 1.0, -100, 0.0)
    with pytest.raises(ValueError):
        _cpu.bce_with_logits(None, x.reshape(-1), x.reshape(-1), np.ones(5, np.float32), 5)
