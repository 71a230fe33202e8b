"""conv2d's Winograd F(4×4, 3×3) path (3×3, stride 1, 16 or more channels, 16 or more tiles,
AVX-512 or AVX2) against the
float64 reference on every ISA path and on 1 and 2 threads, with NaN-poisoned outputs: partial
tiles at the right and bottom edges, images smaller than a tile, blocks of tiles spanning images,
paddings 0 to 2, channel counts that fill no whole panel; the input gradient (a stride-1
convolution with flipped weights) through the same path; infinities and NaN reaching exactly the
outputs the direct convolution gives them; the result the same bit for bit on 1 and 2 threads.
"""
from __future__ import annotations

import numpy as np
import pytest

import mdlfast
from mdlfast import _cpu, kernels, reference
from _checks import assert_close, rng_for, using_isa

# (N, C, H, W, O, padding)
CASES = [
    (2, 16, 9, 9, 16, 1),  # a partial tile at the right and bottom edges
    (3, 16, 14, 14, 16, 1),  # 48 tiles: a block spanning images, then a half-empty block
    (16, 17, 3, 2, 19, 1),  # images smaller than one tile; channels that fill no vector
    (16, 16, 1, 1, 16, 1),  # a single output pixel per image
    (3, 16, 7, 11, 20, 0),  # no padding
    (4, 20, 5, 6, 33, 2),  # padding 2 (the input gradient of an unpadded layer)
    (2, 40, 13, 10, 24, (1, 0)),  # padding on the rows only
    (4, 16, 5, 5, 16, 3),  # padding past the kernel's reach: whole patches in the padding
    (2, 64, 32, 32, 64, 1),  # ResNet's 64-channel layer
    (2, 128, 16, 16, 128, 1),  # ResNet's 128-channel layer
]
IDS = [str(case) for case in CASES]
_WINOGRAD_ISAS = ("avx512", "avx2")


def _pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


def _inputs(case, tag):
    n, c, h, w, o, _ = case
    rng = rng_for(tag, case)
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    wt = rng.standard_normal((o, c, 3, 3)).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32)
    return rng, x, wt, b


def _uses_winograd(x, w, padding):
    return _cpu.conv2d_uses_winograd(x, w, (1, 1), _pair(padding), (1, 1), 1)


def poisoned_conv2d(x, w, b, padding):
    ph, pw = _pair(padding)
    y = np.full((x.shape[0], w.shape[0], x.shape[2] + 2 * ph - 2, x.shape[3] + 2 * pw - 2), np.nan,
                dtype=np.float32)
    _cpu.conv2d(y, x, w, b, (1, 1), (ph, pw), (1, 1), 1)
    return y


def _as64(*arrays):
    return [a.astype(np.float64) for a in arrays]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_matches_reference(case, isa, threads):
    _, x, w, b = _inputs(case, "winograd-fwd")
    padding = case[-1]
    assert _uses_winograd(x, w, padding) == (isa in _WINOGRAD_ISAS)
    expected = reference.conv2d(*_as64(x, w, b), padding=padding)
    k = case[1] * 9
    assert_close(poisoned_conv2d(x, w, b, padding), expected, k, name="y")
    assert_close(poisoned_conv2d(x, w, None, padding), expected - b[:, None, None], k, name="y without bias")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_backward_matches_reference(case, isa, threads):
    rng, x, w, _ = _inputs(case, "winograd-bwd")
    padding = case[-1]
    dy = rng.standard_normal(reference.conv2d(x, w, padding=padding).shape).astype(np.float32)
    # dx is the convolution of dy with the flipped, transposed weights and padding 2 − p (for
    # p <= 2; beyond, it is a GEMM and col2im).
    flipped = np.ascontiguousarray(w[:, :, ::-1, ::-1].swapaxes(0, 1))
    ph, pw = _pair(padding)
    if max(ph, pw) <= 2:
        assert _uses_winograd(dy, flipped, (2 - ph, 2 - pw)) == (isa in _WINOGRAD_ISAS)
    expected = reference.conv2d_backward(*_as64(dy, x, w), padding=padding)
    dx, dw, db = (np.full(a.shape, np.nan, dtype=np.float32) for a in (x, w, w[:, 0, 0, 0]))
    _cpu.conv2d_backward(dx, dw, db, dy, x, w, (1, 1), (ph, pw), (1, 1), 1)
    n, c, h, wd, o, _ = case
    for name, out, ref, k in zip(("dx", "dw", "db"), (dx, dw, db), expected, (o * 9, n * h * wd, n * h * wd)):
        assert_close(out, ref, k, name=name)


def _non_finite_input(case, tag):
    """Inputs with infinities of both signs and NaN scattered over the batch, two of them close
    enough to meet in one output's window, one in a corner."""
    rng, x, w, b = _inputs(case, tag)
    n, c, h, wd, *_ = case
    x[0, 0, 0, 0] = np.inf
    x[-1, c // 2, h // 2, wd // 2] = np.nan
    x[-1, c - 1, h - 1, max(wd - 3, 0)] = -np.inf
    x[0, 1, h - 1, wd - 1] = np.inf
    x[0, 2, max(h - 2, 0), wd - 1] = -np.inf
    return x, w, b


@pytest.mark.parametrize("case", [CASES[0], CASES[1], CASES[4], CASES[6]], ids=str)
def test_non_finite_inputs_reach_the_outputs_the_direct_convolution_gives_them(case, isa, threads):
    x, w, b = _non_finite_input(case, "winograd-nonfinite")
    padding = case[-1]
    assert _uses_winograd(x, w, padding) == (isa in _WINOGRAD_ISAS)
    with np.errstate(invalid="ignore"):  # inf − inf in the reference's sums: NaN, as intended
        expected = reference.conv2d(*_as64(x, w, b), padding=padding)
    assert np.isnan(expected).any() and np.isinf(expected).any() and np.isfinite(expected).any()
    assert_close(poisoned_conv2d(x, w, b, padding), expected, case[1] * 9, name="y")


def test_huge_finite_inputs_that_overflow_the_transform_are_computed_directly(isa):
    """Values near float32's limit overflow Bᵀ d B (coefficients up to 100) while the direct sums,
    with small weights, stay finite: those tiles must not come out as infinities."""
    case = (1, 16, 9, 9, 16, 1)
    _, x, w, b = _inputs(case, "winograd-huge")
    x[0, :, 2:6, 3:7] *= np.float32(1e37)
    w *= np.float32(1e-3)
    expected = reference.conv2d(*_as64(x, w, b), padding=1)
    assert np.isfinite(expected).all()
    assert_close(poisoned_conv2d(x, w, b, 1), expected, case[1] * 9, name="y")


def test_non_finite_weights_take_the_direct_path(isa):
    case = (2, 16, 9, 9, 16, 1)
    _, x, w, b = _inputs(case, "winograd-weights")
    w[3, 5, 1, 2] = np.nan
    w[7, 0, 0, 0] = np.inf
    assert not _uses_winograd(x, w, 1)
    with np.errstate(invalid="ignore"):
        expected = reference.conv2d(*_as64(x, w, b), padding=1)
    assert_close(poisoned_conv2d(x, w, b, 1), expected, case[1] * 9, name="y")


def test_shapes_outside_the_path_do_not_take_it():
    x = np.zeros((4, 16, 8, 8), np.float32)  # 16 tiles of 4×4 outputs
    w = np.zeros((16, 16, 3, 3), np.float32)
    best = next((name for name in _WINOGRAD_ISAS if name in _cpu.supported_isas()), _cpu.active_isa())
    with using_isa(best):
        expected = best in _WINOGRAD_ISAS
        assert _uses_winograd(x, w, 1) == expected
        assert not _cpu.conv2d_uses_winograd(x, w, (2, 2), (1, 1), (1, 1), 1)  # stride
        assert not _cpu.conv2d_uses_winograd(x, w, (1, 1), (2, 2), (2, 2), 1)  # dilation
        assert not _cpu.conv2d_uses_winograd(x, np.ascontiguousarray(w[:, :8]), (1, 1), (1, 1), (1, 1), 2)  # groups
        assert not _uses_winograd(x[:, :15], np.ascontiguousarray(w[:, :15]), 1)  # too few input channels
        assert not _uses_winograd(x, w[:15], 1)  # too few output channels
        assert not _uses_winograd(x, np.zeros((16, 16, 5, 5), np.float32), 2)  # 5×5
        assert not _uses_winograd(x[:0], w, 1)  # empty batch
        assert not _uses_winograd(x[:3], w, 1)  # fewer tiles than a vector
        wide = np.zeros((2048, 16, 3, 3), np.float32)  # 32768 weight planes: 32 tiles pay for them
        assert _uses_winograd(np.zeros((8, 16, 8, 8), np.float32), wide, 1) == expected
        assert not _uses_winograd(x, wide, 1)


def test_same_result_on_one_and_two_threads(isa):
    _, x, w, b = _inputs((5, 24, 15, 13, 20, 1), "winograd-threads")
    previous = mdlfast.get_num_threads()
    try:
        results = []
        for n in (1, 2):
            mdlfast.set_num_threads(n)
            results.append(kernels.conv2d(x, w, b, padding=1))
    finally:
        mdlfast.set_num_threads(previous)
    assert np.array_equal(results[0], results[1])


def test_matches_torch():
    torch = pytest.importorskip("torch")
    case = (2, 32, 11, 9, 24, 1)
    rng, x, w, b = _inputs(case, "winograd-torch")
    tx, tw, tb = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb, padding=1)
    dy = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
    ty.backward(torch.tensor(dy, dtype=torch.float64))
    assert_close(kernels.conv2d(x, w, b, padding=1), ty.detach().numpy(), case[1] * 9)
    dx, *_ = kernels.conv2d_backward(dy, x, w, padding=1)
    assert_close(dx, tx.grad.numpy(), case[4] * 9, name="dx")


def _random_case(rng):
    """A random geometry on the path: 16 to 40 channels each way, any image size, padding 0 to 2,
    and enough images for 16 tiles."""
    c, o = (int(v) for v in rng.integers(16, 41, size=2))
    padding = tuple(int(v) for v in rng.integers(0, 3, size=2))
    h, w = (int(rng.integers(max(1, 3 - 2 * p), 15)) for p in padding)
    tiles = -(-(h + 2 * padding[0] - 2) // 4) * -(-(w + 2 * padding[1] - 2) // 4)
    return (-(-16 // tiles) + int(rng.integers(0, 3)), c, h, w, o, padding)


@pytest.mark.parametrize("seed", range(8))
def test_random_geometries_match_reference(seed, isa):
    case = _random_case(rng_for("winograd-random", seed))
    rng, x, w, b = _inputs(case, "winograd-random")
    padding = case[-1]
    assert _uses_winograd(x, w, padding) == (isa in _WINOGRAD_ISAS)
    expected = reference.conv2d(*_as64(x, w, b), padding=padding)
    assert_close(poisoned_conv2d(x, w, b, padding), expected, case[1] * 9, name=f"y {case}")
    dy = rng.standard_normal(expected.shape).astype(np.float32)
    dx, *_ = kernels.conv2d_backward(dy, x, w, padding=padding)
    assert_close(dx, reference.conv2d_backward(*_as64(dy, x, w), padding=padding)[0], case[4] * 9,
                 name=f"dx {case}")
