"""The C++ conv2d, conv2d_backward and im2col kernels against the float64 reference on every ISA
path and on 1 and 2 threads, with NaN-poisoned outputs; conv2d_matrix in the kernel API; dw the
same bit for bit on 1 and 2 threads; PyTorch parity of the kernels.
"""
from __future__ import annotations

import numpy as np
import pytest

import mdlfast
from mdlfast import _cpu, kernels, reference
from _checks import assert_close, rng_for

# (N, C, H, W, O, kh, kw, stride, padding, dilation, groups)
CASES = [
    (2, 3, 9, 8, 4, 3, 3, 1, 1, 1, 1),
    (1, 1, 28, 28, 6, 5, 5, 1, 0, 1, 1),  # LeNet's first layer: one input channel
    (3, 6, 14, 13, 16, 5, 5, 1, 0, 1, 1),
    (2, 5, 6, 7, 7, 1, 1, 1, 0, 1, 1),  # 1x1
    (2, 5, 6, 7, 9, 1, 1, 2, 1, 1, 1),  # 1x1 with stride and padding
    (3, 8, 11, 7, 8, 3, 3, 2, (1, 0), (1, 2), 2),
    (2, 4, 10, 10, 4, 3, 3, 1, 1, 1, 4),  # depthwise
    (2, 4, 9, 10, 8, 3, 3, 2, 1, 1, 4),  # depthwise, channel multiplier 2, stride 2
    (1, 3, 5, 5, 2, 3, 3, 1, 3, 1, 1),  # padding larger than the kernel's reach
    (2, 40, 9, 9, 33, 3, 3, 1, 1, 1, 1),  # several micro-kernel panels, K over one panel
    (1, 2, 3, 37, 3, 2, 4, (1, 3), (0, 2), (2, 1), 1),
    (5, 1, 4, 4, 1, 4, 4, 1, 0, 1, 1),  # a single output pixel
    (1, 3, 5, 4, 70, 3, 2, 1, (1, 0), (2, 1), 1),  # channel blocks of 64 + 6, rows of 3 pixels
    (2, 32, 8, 8, 32, 3, 3, 1, 1, 1, 2),  # two groups of 16 channels
    (2, 8, 11, 9, 24, 3, 3, 2, 1, 1, 1),  # stride 2 with vectors of output channels
    (1, 4, 17, 19, 20, 3, 3, 1, 1, 1, 1),  # one image: its pixels are shared out among threads
]
IDS = [str(case) for case in CASES]


def _hyper(case):
    *_, stride, padding, dilation, groups = case
    return dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


def _pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


def _inputs(case, tag):
    n, c, h, w, o, kh, kw, *_ = case
    rng = rng_for(tag, case)
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    wt = rng.standard_normal((o, c // case[-1], kh, kw)).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32)
    return rng, x, wt, b


def _reduction(case):
    """K of the forward product and the largest reduction of the backward ones."""
    n, c, h, w, o, kh, kw, *_ = case
    groups = case[-1]
    return max(c // groups * kh * kw, o // groups * kh * kw, n * h * w)


def poisoned_conv2d(x, w, b, stride, padding, dilation, groups):
    y_shape = reference.conv2d(x[:, :, :, :], w, b, stride=stride, padding=padding,
                               dilation=dilation, groups=groups).shape
    y = np.full(y_shape, np.nan, dtype=np.float32)
    _cpu.conv2d(y, x, w, b, _pair(stride), _pair(padding), _pair(dilation), groups)
    return y


def poisoned_conv2d_backward(dy, x, w, stride, padding, dilation, groups):
    dx = np.full(x.shape, np.nan, dtype=np.float32)
    dw = np.full(w.shape, np.nan, dtype=np.float32)
    db = np.full(w.shape[:1], np.nan, dtype=np.float32)
    _cpu.conv2d_backward(dx, dw, db, dy, x, w, _pair(stride), _pair(padding), _pair(dilation), groups)
    return dx, dw, db


def _as64(*arrays):
    return [a.astype(np.float64) for a in arrays]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_conv2d_matches_reference(case, isa, threads):
    rng, x, w, b = _inputs(case, "fwd")
    hyper = _hyper(case)
    expected = reference.conv2d(*_as64(x, w, b), **hyper)
    assert_close(poisoned_conv2d(x, w, b, **hyper), expected, _reduction(case), name="y")
    assert_close(poisoned_conv2d(x, w, None, **hyper), expected - b[:, None, None], _reduction(case),
                 name="y without bias")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_conv2d_backward_matches_reference(case, isa, threads):
    rng, x, w, _ = _inputs(case, "bwd")
    hyper = _hyper(case)
    dy = rng.standard_normal(reference.conv2d(x, w, **hyper).shape).astype(np.float32)
    expected = reference.conv2d_backward(*_as64(dy, x, w), **hyper)
    got = poisoned_conv2d_backward(dy, x, w, **hyper)
    for name, out, ref in zip(("dx", "dw", "db"), got, expected):
        assert_close(out, ref, _reduction(case), name=name)


def test_non_contiguous_inputs_and_empty_batch():
    rng = rng_for("strided")
    x = rng.standard_normal((3, 4, 12, 10)).astype(np.float32)[::2, ::2, :, ::-1]
    w = np.asfortranarray(rng.standard_normal((5, 2, 3, 3)).astype(np.float32))
    b = rng.standard_normal(10).astype(np.float32)[::2]
    hyper = dict(stride=(1, 2), padding=1)
    assert_close(kernels.conv2d(x, w, b, **hyper), reference.conv2d(*_as64(x, w, b), **hyper), 18)
    dy = np.swapaxes(rng.standard_normal((2, 5, 5, 12)).astype(np.float32), 2, 3)
    assert not dy.flags.c_contiguous
    for name, out, ref in zip(("dx", "dw", "db"), kernels.conv2d_backward(dy, x, w, **hyper),
                              reference.conv2d_backward(*_as64(dy, x, w), **hyper)):
        assert_close(out, ref, 120, name=name)
    empty = np.zeros((0, 2, 5, 5), np.float32)
    assert kernels.conv2d(empty, w).shape == (0, 5, 3, 3)
    dx, dw, db = kernels.conv2d_backward(np.zeros((0, 5, 3, 3), np.float32), empty, w)
    assert dx.shape == empty.shape and not dw.any() and not db.any()


def test_weight_gradient_is_the_same_on_one_and_two_threads():
    rng = rng_for("deterministic")
    x = rng.standard_normal((13, 8, 12, 12)).astype(np.float32)
    w = rng.standard_normal((16, 8, 3, 3)).astype(np.float32)
    dy = rng.standard_normal((13, 16, 12, 12)).astype(np.float32)
    previous = mdlfast.get_num_threads()
    try:
        results = []
        for n in (1, 2):
            mdlfast.set_num_threads(n)
            results.append(kernels.conv2d_backward(dy, x, w, padding=1))
    finally:
        mdlfast.set_num_threads(previous)
    for one, two in zip(*results):
        assert np.array_equal(one, two)


@pytest.mark.parametrize("kernel_size,stride,padding,dilation",
                         [(3, 1, 1, 1), ((2, 3), (2, 1), (1, 0), (1, 2)), (1, 1, 0, 1), (1, 3, 2, 1)])
def test_im2col_matches_reference(kernel_size, stride, padding, dilation, isa):
    x = rng_for("im2col", kernel_size, stride).standard_normal((2, 3, 7, 8)).astype(np.float32)
    expected = reference.im2col(x, kernel_size, stride=stride, padding=padding, dilation=dilation)
    cols = np.full(expected.shape, np.nan, dtype=np.float32)
    _cpu.im2col(cols, x, _pair(kernel_size), _pair(stride), _pair(padding), _pair(dilation))
    assert np.array_equal(cols, expected)
    strided = np.asfortranarray(x)
    assert np.array_equal(kernels.im2col(strided, kernel_size, stride=stride, padding=padding,
                                         dilation=dilation), expected)


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), ((1, 2), (2, 0))])
def test_conv2d_matrix_times_vec_is_conv2d(stride, padding):
    """The kernel API's Toeplitz matrix: conv2d(x) == T · vec(x) with the C-order vec."""
    rng = rng_for("toeplitz-kernel", stride, padding)
    x = rng.standard_normal((3, 2, 7, 6)).astype(np.float32)
    w = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    t = kernels.conv2d_matrix(w, (7, 6), stride=stride, padding=padding)
    assert t.dtype == np.float32
    y = kernels.conv2d(x, w, stride=stride, padding=padding)
    vec = x.reshape(3, -1).astype(np.float64)  # vec(x[n]): index (c·H + h)·W + w
    assert_close(y.reshape(3, -1), vec @ t.T.astype(np.float64), 18)


@pytest.mark.parametrize("case", [CASES[2], CASES[5], CASES[7]], ids=str)
def test_kernels_match_torch(case):
    torch = pytest.importorskip("torch")
    rng, x, w, b = _inputs(case, "torch")
    hyper = _hyper(case)
    tx, tw, tb = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb, **hyper)
    dy = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
    ty.backward(torch.tensor(dy, dtype=torch.float64))
    assert_close(kernels.conv2d(x, w, b, **hyper), ty.detach().numpy(), _reduction(case))
    for name, out, ref in zip(("dx", "dw", "db"), kernels.conv2d_backward(dy, x, w, **hyper),
                              (tx.grad, tw.grad, tb.grad)):
        assert_close(out, ref.numpy(), _reduction(case), name=name)
    unfold = torch.nn.functional.unfold(torch.tensor(x), (3, 2), padding=1, stride=2).numpy()
    assert np.array_equal(kernels.im2col(x, (3, 2), padding=1, stride=2), unfold)


def _random_case(rng):
    """A random valid geometry: any of the hyper-parameters, groups dividing both channel counts."""
    groups = int(rng.choice([1, 1, 2, 3]))
    c = groups * int(rng.integers(1, 5))
    o = groups * int(rng.integers(1, 21))
    if rng.random() < 0.2:  # depthwise, with a channel multiplier
        groups, o = c, c * int(rng.integers(1, 3))
    kh, kw = (int(v) for v in rng.integers(1, 4, size=2))
    stride = tuple(int(v) for v in rng.integers(1, 3, size=2))
    dilation = tuple(int(v) for v in rng.integers(1, 3, size=2))
    padding = tuple(int(v) for v in rng.integers(0, 3, size=2))
    h = int(rng.integers(dilation[0] * (kh - 1) + 1, 14))
    w = int(rng.integers(dilation[1] * (kw - 1) + 1, 14))
    return (int(rng.integers(1, 4)), c, h, w, o, kh, kw, stride, padding, dilation, groups)


@pytest.mark.parametrize("seed", range(12))
def test_random_geometries_match_reference(seed, isa):
    case = _random_case(rng_for("random-geometry", seed))
    rng, x, w, b = _inputs(case, "random")
    hyper = _hyper(case)
    expected = reference.conv2d(*_as64(x, w, b), **hyper)
    assert_close(poisoned_conv2d(x, w, b, **hyper), expected, _reduction(case), name=f"y {case}")
    dy = rng.standard_normal(expected.shape).astype(np.float32)
    for name, out, ref in zip(("dx", "dw", "db"), poisoned_conv2d_backward(dy, x, w, **hyper),
                              reference.conv2d_backward(*_as64(dy, x, w), **hyper)):
        assert_close(out, ref, _reduction(case), name=f"{name} {case}")
