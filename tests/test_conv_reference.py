"""The conv reference: backward against central finite differences (float64), conv2d_matrix and
im2col against conv2d, and everything against PyTorch (conv2d, its autograd gradients, unfold).
"""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast import reference
from _checks import central_difference, rel_err, rng_for

# (N, C, H, W, O, kh, kw, stride, padding, dilation, groups)
SMALL_CASES = [
    (1, 1, 5, 4, 2, 3, 2, 1, 0, 1, 1),
    (2, 3, 6, 5, 4, 3, 3, (2, 1), (1, 2), 1, 1),
    (2, 4, 7, 6, 6, 2, 3, 1, 1, (2, 1), 2),
    (1, 4, 5, 5, 4, 3, 3, 2, 1, 1, 4),  # depthwise
    (2, 2, 4, 4, 8, 3, 3, 1, 1, 1, 2),  # depthwise with channel multiplier 4
    (2, 3, 3, 4, 5, 1, 1, 1, 0, 1, 1),  # 1x1
]


def _hyper(case):
    *_, stride, padding, dilation, groups = case
    return dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


def _inputs(case, dtype=np.float64, tag="in"):
    n, c, h, w, o, kh, kw, *_rest = case
    groups = case[-1]
    rng = rng_for(tag, case)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((o, c // groups, kh, kw)).astype(dtype)
    b = rng.standard_normal(o).astype(dtype)
    return rng, x, wt, b


@pytest.mark.parametrize("case", SMALL_CASES, ids=str)
def test_reference_backward_matches_finite_differences(case):
    rng, x, w, b = _inputs(case, tag="fd")
    hyper = _hyper(case)
    y = reference.conv2d(x, w, b, **hyper)
    dy = rng.standard_normal(y.shape)

    def loss():
        return float(np.sum(dy * reference.conv2d(x, w, b, **hyper)))

    h = 1e-6
    expected = {"dx": central_difference(loss, x, h), "dw": central_difference(loss, w, h),
                "db": central_difference(loss, b, h)}
    dx, dw, db = reference.conv2d_backward(dy, x, w, **hyper)
    for name, got in (("dx", dx), ("dw", dw), ("db", db)):
        assert got.dtype == np.float64 and got.shape == expected[name].shape
        assert rel_err(got, expected[name]) <= 1e-7, f"{name}: {rel_err(got, expected[name]):.3g}"


@pytest.mark.parametrize("case", SMALL_CASES, ids=str)
def test_reference_conv2d_matches_a_direct_sum(case):
    """The defining sum, term by term, in float64."""
    _, x, w, b = _inputs(case, tag="direct")
    hyper = _hyper(case)
    y = reference.conv2d(x, w, b, **hyper)
    (sh, sw), (ph, pw), (dh, dw) = (np.broadcast_to(hyper[k], 2) for k in ("stride", "padding", "dilation"))
    groups = hyper["groups"]
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    og = o // groups
    expected = np.zeros_like(y)
    for oc in range(o):
        for ci in range(cg):
            cin = oc // og * cg + ci
            for i in range(kh):
                for j in range(kw):
                    for r in range(y.shape[2]):
                        for s in range(y.shape[3]):
                            hh, ww = r * sh - ph + i * dh, s * sw - pw + j * dw
                            if 0 <= hh < h and 0 <= ww < wd:
                                expected[:, oc, r, s] += w[oc, ci, i, j] * x[:, cin, hh, ww]
    expected += b[:, None, None]
    assert rel_err(y, expected) <= 1e-13


@pytest.mark.parametrize("stride,padding", [(1, 0), (1, 1), ((2, 1), (0, 2)), (3, 2)])
def test_conv2d_matrix_applies_the_convolution(stride, padding):
    rng = rng_for("toeplitz", stride, padding)
    x = rng.standard_normal((3, 2, 6, 5))
    w = rng.standard_normal((4, 2, 3, 2))
    t = reference.conv2d_matrix(w, (6, 5), stride=stride, padding=padding)
    y = reference.conv2d(x, w, stride=stride, padding=padding)
    assert t.shape == (y[0].size, x[0].size)
    assert rel_err(x.reshape(3, -1) @ t.T, y.reshape(3, -1)) <= 1e-13
    # A Toeplitz structure: each row is a shifted copy of w (at most kh·kw·C non-zeros, all taps).
    assert (np.count_nonzero(t, axis=1) <= w[0].size).all()


def test_conv2d_matrix_is_block_toeplitz():
    """Stride 1, no padding, 1 channel: T[(oh, ow), (h, w)] depends only on (h − oh, w − ow)."""
    w = rng_for("bt").standard_normal((1, 1, 2, 3))
    t = reference.conv2d_matrix(w, (4, 5)).reshape(3, 3, 4, 5)
    for oh in range(3):
        for ow in range(3):
            for h in range(4):
                for wc in range(5):
                    i, j = h - oh, wc - ow
                    inside = 0 <= i < 2 and 0 <= j < 3
                    assert t[oh, ow, h, wc] == (w[0, 0, i, j] if inside else 0.0)


def test_im2col_columns_give_conv2d():
    rng = rng_for("im2col")
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((5, 3, 3, 2))
    cols = reference.im2col(x, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2))
    y = reference.conv2d(x, w, stride=(2, 1), padding=1, dilation=(1, 2))
    assert cols.shape == (2, 3 * 3 * 2, y.shape[2] * y.shape[3])
    assert rel_err(w.reshape(5, -1) @ cols, y.reshape(2, 5, -1)) <= 1e-13


def test_reference_keeps_float32():
    _, x, w, b = _inputs(SMALL_CASES[1], dtype=np.float32)
    y = reference.conv2d(x, w, b, **_hyper(SMALL_CASES[1]))
    dx, dw, db = reference.conv2d_backward(np.ones_like(y), x, w, **_hyper(SMALL_CASES[1]))
    assert y.dtype == dx.dtype == dw.dtype == db.dtype == np.float32
    assert reference.im2col(x, 2).dtype == np.float32


# ---------------------------------------------------------------- PyTorch parity

TORCH_CASES = SMALL_CASES + [
    (3, 6, 9, 11, 6, 3, 3, 2, (1, 0), (1, 2), 6),
    (2, 1, 12, 10, 4, 5, 5, 1, 2, 1, 1),
]


@pytest.mark.parametrize("case", TORCH_CASES, ids=str)
def test_reference_matches_torch(case):
    torch = pytest.importorskip("torch")
    rng, x, w, b = _inputs(case, tag="torch")
    hyper = _hyper(case)
    y = reference.conv2d(x, w, b, **hyper)
    dy = rng.standard_normal(y.shape)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb, **hyper)
    ty.backward(torch.tensor(dy))
    assert rel_err(y, ty.detach().numpy()) <= 1e-12
    dx, dw, db = reference.conv2d_backward(dy, x, w, **hyper)
    for name, got, want in (("dx", dx, tx.grad), ("dw", dw, tw.grad), ("db", db, tb.grad)):
        assert rel_err(got, want.numpy()) <= 1e-12, name


@pytest.mark.parametrize("kernel_size,stride,padding,dilation",
                         [(3, 1, 0, 1), ((2, 3), (2, 1), (1, 0), (1, 2)), (1, 2, 0, 1)])
def test_im2col_matches_torch_unfold(kernel_size, stride, padding, dilation):
    torch = pytest.importorskip("torch")
    x = rng_for("unfold", kernel_size, stride).standard_normal((2, 3, 7, 8))
    cols = reference.im2col(x, kernel_size, stride=stride, padding=padding, dilation=dilation)
    want = torch.nn.functional.unfold(torch.tensor(x), kernel_size, dilation=dilation,
                                      padding=padding, stride=stride).numpy()
    assert cols.shape == want.shape
    assert np.array_equal(cols, want)
