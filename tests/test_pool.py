"""The pooling kernels against the reference on every ISA path and on 1 and 2 threads: max pooling
bit for bit (values and indices, against the float32 reference), average and adaptive pooling and
every backward against the float64 reference; direct mdlfast._cpu calls with poisoned outputs;
non-contiguous inputs; 1-d pools.
"""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast import _cpu, kernels, reference
from _checks import assert_close, randn, rng_for

# (shape, kernel_size, stride, padding): the vectorised rows' three column strides (1: plain
# loads, 2: a permute, more: a gather) at widths around their 16-lane blocks, odd sizes, N=1,
# stride != kernel, overlapping windows, padding.
CASES = [
    ((2, 3, 8, 8), 2, None, 0),
    ((1, 2, 7, 33), 2, 2, 0),
    ((2, 1, 4, 64), 2, None, 0),
    ((1, 1, 3, 65), (2, 2), 2, 0),
    ((2, 3, 9, 11), 3, 2, 1),
    ((1, 2, 5, 6), (2, 3), (1, 2), (1, 1)),
    ((3, 2, 11, 4), (3, 1), 1, (1, 0)),
    ((1, 1, 1, 1), 1, None, 0),
    ((2, 1, 10, 7), (4, 2), (3, 5), (2, 1)),
    ((3, 6, 6), 2, 1, 1),
    ((1, 2, 5, 40), 3, 1, 1),
    ((1, 1, 4, 70), (2, 3), 3, 1),
    ((2, 1, 6, 51), 3, 2, 1),
]


def poison_indices(shape):
    return np.full(shape, -7, dtype=np.int64)


def planes(a):
    return np.ascontiguousarray(a.reshape((-1,) + a.shape[-2:]))


def window(case):
    _, k, s, p = case
    kh, kw = (k, k) if isinstance(k, int) else k
    sh, sw = (kh, kw) if s is None else ((s, s) if isinstance(s, int) else s)
    ph, pw = (p, p) if isinstance(p, int) else p
    return kh, kw, sh, sw, ph, pw


@pytest.mark.parametrize("case", CASES, ids=str)
def test_max_pool2d_matches_reference(isa, threads, case):
    shape, k, s, p = case
    rng = rng_for("max_pool", isa, threads, case)
    x = randn(rng, shape)
    y_ref, indices_ref = reference.max_pool2d(x, k, stride=s, padding=p)
    y, indices = kernels.max_pool2d(x, k, stride=s, padding=p)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(indices, indices_ref)

    y_direct = np.full(planes(y_ref).shape, np.nan, np.float32)
    indices_direct = poison_indices(y_direct.shape)
    _cpu.max_pool2d(y_direct, indices_direct, planes(x), *window(case))
    np.testing.assert_array_equal(y_direct, planes(y_ref))
    np.testing.assert_array_equal(indices_direct, planes(indices_ref))

    dy = randn(rng, y.shape)
    dx_ref = reference.max_pool2d_backward(dy.astype(np.float64), indices, x.shape)
    assert_close(kernels.max_pool2d_backward(dy, indices, x.shape), dx_ref, 4, name="dx")
    dx_direct = np.full(planes(x).shape, np.nan, np.float32)
    _cpu.max_pool2d_backward(dx_direct, planes(dy), planes(indices))
    assert_close(dx_direct, planes(dx_ref), 4, name="poisoned dx")


def test_max_pool2d_special_values(isa):
    """Ties, NaN, ±inf in and across the fast path's 16-lane blocks: the same rule as the reference."""
    rng = rng_for("max_pool_special", isa)
    x = rng.integers(-1, 2, size=(3, 2, 6, 70)).astype(np.float32)
    flat = x.reshape(-1)
    flat[rng.choice(flat.size, 40, replace=False)] = np.nan
    flat[rng.choice(flat.size, 40, replace=False)] = -np.inf
    flat[rng.choice(flat.size, 10, replace=False)] = np.inf
    x[1, 1, :2, :8] = -np.inf
    for k, s, p in ((2, None, 0), (3, 2, 1), (2, 1, 1)):
        y_ref, indices_ref = reference.max_pool2d(x, k, stride=s, padding=p)
        y, indices = kernels.max_pool2d(x, k, stride=s, padding=p)
        np.testing.assert_array_equal(y, y_ref)
        np.testing.assert_array_equal(indices, indices_ref)


def _pair_indices(rng, shape):
    """Indices from 2×2 pooling at stride 2 of a random x of `shape`."""
    return kernels.max_pool2d(randn(rng, shape), 2)[1]


@pytest.mark.parametrize("shape", [(2, 3, 32, 32), (1, 2, 9, 35), (3, 1, 2, 2)], ids=str)
def test_max_pool2d_backward_takes_any_indices(isa, threads, shape):
    """The backward knows only the sizes: where they fit 2×2 windows at stride 2 it tries a
    scatter-free path, which must give way to the general scatter for indices from overlapping
    3×3 windows, for indices outside their window in one late plane only, and for arbitrary
    (repeated) positions; an odd last row or column gets zeros."""
    rng = rng_for("max_pool_backward_indices", isa, threads, shape)
    n, c, h, w = shape
    out_shape = (n, c, h // 2, w // 2)
    # 3×3 windows at stride 2, padding 1 give the same output sizes on even planes.
    even = h > 2 and h % 2 == 0 and w % 2 == 0
    overlapping = kernels.max_pool2d(randn(rng, shape), 3, stride=2, padding=1)[1] if even else None
    late = _pair_indices(rng, shape).copy()
    late[-1, -1, -1, 0] = 0 if late[-1, -1, -1, 0] != 0 else h * w - 1
    arbitrary = rng.integers(0, h * w, size=out_shape)
    for label, indices in (("pairs", _pair_indices(rng, shape)), ("overlapping", overlapping),
                           ("one plane off", late), ("arbitrary", arbitrary)):
        if indices is None:
            continue
        assert indices.shape == out_shape, label
        dy = randn(rng, out_shape)
        dx_ref = reference.max_pool2d_backward(dy.astype(np.float64), indices, shape)
        assert_close(kernels.max_pool2d_backward(dy, indices, shape), dx_ref, 25, name=label)
        dx_direct = np.full(planes(np.empty(shape)).shape, np.nan, np.float32)
        _cpu.max_pool2d_backward(dx_direct, planes(dy), planes(indices))
        assert_close(dx_direct, planes(dx_ref), 25, name=f"poisoned dx, {label}")


def test_max_pool2d_backward_of_negative_zero(isa):
    """dx starts at +0 and gains dy (PyTorch's zeros + scatter-add): a −0 gradient lands as +0."""
    x = randn(rng_for("max_pool_negative_zero", isa), (2, 2, 8, 34))
    indices = kernels.max_pool2d(x, 2)[1]
    dy = np.full(indices.shape, -0.0, np.float32)
    dx = kernels.max_pool2d_backward(dy, indices, x.shape)
    expected = reference.max_pool2d_backward(dy, indices, x.shape)
    np.testing.assert_array_equal(np.signbit(dx), np.signbit(expected))
    assert not np.signbit(dx).any()


@pytest.mark.parametrize("count_include_pad", [True, False], ids=["include_pad", "exclude_pad"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_avg_pool2d_matches_reference(isa, threads, case, count_include_pad):
    shape, k, s, p = case
    rng = rng_for("avg_pool", isa, threads, case, count_include_pad)
    x = randn(rng, shape)
    kw = dict(stride=s, padding=p, count_include_pad=count_include_pad)
    y_ref = reference.avg_pool2d(x.astype(np.float64), k, **kw)
    area = window(case)[0] * window(case)[1]
    assert_close(kernels.avg_pool2d(x, k, **kw), y_ref, area, name="y")
    y_direct = np.full(planes(y_ref).shape, np.nan, np.float32)
    _cpu.avg_pool2d(y_direct, planes(x), *window(case), count_include_pad)
    assert_close(y_direct, planes(y_ref), area, name="poisoned y")

    dy = randn(rng, y_ref.shape)
    dx_ref = reference.avg_pool2d_backward(dy.astype(np.float64), x.shape, k, **kw)
    assert_close(kernels.avg_pool2d_backward(dy, x.shape, k, **kw), dx_ref, area, name="dx")
    dx_direct = np.full(planes(x).shape, np.nan, np.float32)
    _cpu.avg_pool2d_backward(dx_direct, planes(dy), *window(case), count_include_pad)
    assert_close(dx_direct, planes(dx_ref), area, name="poisoned dx")


@pytest.mark.parametrize("size", [(3, 4), 1, (5, 2), (9, 11), (None, 3)], ids=str)
@pytest.mark.parametrize("shape", [(2, 3, 7, 5), (1, 1, 9, 11), (4, 1, 1)], ids=str)
def test_adaptive_avg_pool2d_matches_reference(isa, threads, shape, size):
    rng = rng_for("adaptive", isa, threads, shape, size)
    x = randn(rng, shape)
    y_ref = reference.adaptive_avg_pool2d(x.astype(np.float64), size)
    k = shape[-1] * shape[-2]
    assert_close(kernels.adaptive_avg_pool2d(x, size), y_ref, k, name="y")
    y_direct = np.full(planes(y_ref).shape, np.nan, np.float32)
    _cpu.adaptive_avg_pool2d(y_direct, planes(x))
    assert_close(y_direct, planes(y_ref), k, name="poisoned y")

    dy = randn(rng, y_ref.shape)
    dx_ref = reference.adaptive_avg_pool2d_backward(dy.astype(np.float64), x.shape)
    assert_close(kernels.adaptive_avg_pool2d_backward(dy, x.shape), dx_ref, k, name="dx")
    dx_direct = np.full(planes(x).shape, np.nan, np.float32)
    _cpu.adaptive_avg_pool2d_backward(dx_direct, planes(dy))
    assert_close(dx_direct, planes(dx_ref), k, name="poisoned dx")


@pytest.mark.parametrize("shape", [(2, 3, 7, 9), (1, 2, 56, 56), (3, 1, 1)], ids=str)
def test_global_avg_pool2d_matches_reference(isa, threads, shape):
    rng = rng_for("global", isa, threads, shape)
    x = randn(rng, shape)
    y_ref = reference.global_avg_pool2d(x.astype(np.float64))
    y = kernels.global_avg_pool2d(x)
    assert y.shape == shape[:-2] + (1, 1)
    assert_close(y, y_ref, shape[-1] * shape[-2], name="y")
    dy = randn(rng, y.shape)
    dx_ref = reference.global_avg_pool2d_backward(dy.astype(np.float64), shape)
    assert_close(kernels.global_avg_pool2d_backward(dy, shape), dx_ref, 1, name="dx")


def test_pools_take_non_contiguous_input(isa):
    rng = rng_for("pool_strided", isa)
    base = randn(rng, (4, 6, 18, 22))
    x = base[::2, 1::2, ::-1, 3:19]  # every axis strided or offset, one reversed
    assert not x.flags.c_contiguous
    y, indices = kernels.max_pool2d(x, 2)
    y_ref, indices_ref = reference.max_pool2d(np.ascontiguousarray(x), 2)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(indices, indices_ref)
    dy = randn(rng, (2, 3, 9, 16))[..., ::2]
    assert_close(kernels.max_pool2d_backward(dy, np.asfortranarray(indices), x.shape),
                 reference.max_pool2d_backward(dy.astype(np.float64), indices, x.shape), 1)
    assert_close(kernels.avg_pool2d(x, 3, stride=2, padding=1),
                 reference.avg_pool2d(x.astype(np.float64), 3, stride=2, padding=1), 9)
    assert_close(kernels.avg_pool2d_backward(dy, x.shape, 2),
                 reference.avg_pool2d_backward(dy.astype(np.float64), x.shape, 2), 4)
    assert_close(kernels.adaptive_avg_pool2d(x, (4, 5)),
                 reference.adaptive_avg_pool2d(x.astype(np.float64), (4, 5)), 30)
    assert_close(kernels.global_avg_pool2d(x), reference.global_avg_pool2d(x.astype(np.float64)), 300)


@pytest.mark.parametrize("case", [((2, 3, 10), 2, None, 0), ((1, 2, 9), 3, 2, 1), ((4, 7), 4, 1, 2),
                                  ((1, 1, 40), 2, 2, 0)], ids=str)
def test_pool1d_matches_reference(isa, case):
    shape, k, s, p = case
    rng = rng_for("pool1d", isa, case)
    x = randn(rng, shape)
    y_ref, indices_ref = reference.max_pool1d(x, k, stride=s, padding=p)
    y, indices = kernels.max_pool1d(x, k, stride=s, padding=p)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(indices, indices_ref)
    dy = randn(rng, y.shape)
    assert_close(kernels.max_pool1d_backward(dy, indices, x.shape),
                 reference.max_pool1d_backward(dy.astype(np.float64), indices, x.shape), k)
    a_ref = reference.avg_pool1d(x.astype(np.float64), k, stride=s, padding=p, count_include_pad=False)
    assert_close(kernels.avg_pool1d(x, k, stride=s, padding=p, count_include_pad=False), a_ref, k)
    assert_close(kernels.avg_pool1d_backward(dy, x.shape, k, stride=s, padding=p),
                 reference.avg_pool1d_backward(dy.astype(np.float64), x.shape, k, stride=s, padding=p), k)


def test_empty_batch(isa):
    x = np.zeros((0, 3, 4, 4), np.float32)
    y, indices = kernels.max_pool2d(x, 2)
    assert y.shape == (0, 3, 2, 2) and indices.shape == (0, 3, 2, 2)
    assert kernels.max_pool2d_backward(y, indices, x.shape).shape == x.shape
    assert kernels.avg_pool2d(x, 2).shape == (0, 3, 2, 2)
    assert kernels.avg_pool2d_backward(y, x.shape, 2).shape == x.shape
    assert kernels.global_avg_pool2d(x).shape == (0, 3, 1, 1)


def random_geometries(rng, count):
    """(shape, kernel, stride, padding) drawn over small planes, every legal combination likely."""
    found = []
    while len(found) < count:
        h, w = (int(v) for v in rng.integers(1, 41, size=2))
        k = tuple(int(v) for v in rng.integers(1, 6, size=2))
        s = tuple(int(v) for v in rng.integers(1, 5, size=2))
        p = tuple(int(rng.integers(0, ki // 2 + 1)) for ki in k)
        if h + 2 * p[0] >= k[0] and w + 2 * p[1] >= k[1]:
            found.append(((int(rng.integers(1, 3)), int(rng.integers(1, 3)), h, w), k, s, p))
    return found


def test_pools_match_reference_on_random_geometries(isa):
    rng = rng_for("pool_random", isa)
    for shape, k, s, p in random_geometries(rng, 60):
        x = randn(rng, shape)
        label = f"{shape} k={k} s={s} p={p}"
        y_ref, indices_ref = reference.max_pool2d(x, k, stride=s, padding=p)
        y, indices = kernels.max_pool2d(x, k, stride=s, padding=p)
        np.testing.assert_array_equal(y, y_ref, err_msg=label)
        np.testing.assert_array_equal(indices, indices_ref, err_msg=label)
        dy = randn(rng, y.shape)
        assert_close(kernels.max_pool2d_backward(dy, indices, shape),
                     reference.max_pool2d_backward(dy.astype(np.float64), indices, shape), 25, name=label)
        for include in (True, False):
            kw = dict(stride=s, padding=p, count_include_pad=include)
            assert_close(kernels.avg_pool2d(x, k, **kw), reference.avg_pool2d(x.astype(np.float64), k, **kw),
                         25, name=label)
            assert_close(kernels.avg_pool2d_backward(dy, shape, k, **kw),
                         reference.avg_pool2d_backward(dy.astype(np.float64), shape, k, **kw), 25, name=label)
