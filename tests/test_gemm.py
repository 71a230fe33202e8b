"""mdlfast.kernels.gemm against the float64 NumPy reference, on every ISA path.

Shapes cover 1s, primes, the micro-tile edges (14 x 32 on AVX-512, 6 x 16 on AVX2, 4 x 8
generic), the cache-blocking edges (K > 384, M > 336, N > 4096), large K and empty dimensions;
every transpose; batched and broadcast operands; alpha, beta and a broadcast c. Each case is also
run through mdlfast._cpu.gemm with a NaN-poisoned output buffer.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from mdlfast import kernels, reference
from _checks import assert_close, poisoned_gemm, randn, rng_for

TRANSPOSES = list(itertools.product((False, True), repeat=2))
TRANS_IDS = [f"{'T' if ta else 'N'}{'T' if tb else 'N'}" for ta, tb in TRANSPOSES]

# (m, n, k)
SHAPES = [
    (1, 1, 1),
    (1, 13, 1),
    (13, 1, 37),
    (1, 1, 97),
    (2, 3, 5),
    (13, 37, 97),
    (97, 131, 13),
    (4, 8, 3),  # generic tile
    (5, 9, 3),
    (6, 16, 7),  # AVX2 tile
    (7, 17, 11),
    (14, 32, 16),  # AVX-512 tile
    (15, 33, 17),
    (13, 31, 2),
    (28, 64, 5),
    (29, 65, 385),  # K just past one packed block
    (37, 20, 768),
    (337, 7, 11),  # M just past one row block
    (341, 35, 390),
    (3, 4, 4099),  # large K, small m and n
    (1, 1, 5003),
    (5, 7, 3001),
    (2, 4100, 3),  # N past one column slab
]


def stored(rng, rows, cols, trans, batch=None):
    """A random operand whose op() has shape [rows, cols] (stored transposed when trans)."""
    shape = (cols, rows) if trans else (rows, cols)
    if batch is not None:
        shape = (batch,) + shape
    return randn(rng, shape)


def reference64(a, b, **kwargs):
    c = kwargs.pop("c", None)
    c64 = None if c is None else c.astype(np.float64)
    return reference.gemm(a.astype(np.float64), b.astype(np.float64), c=c64, **kwargs)


def check_gemm(a, b, k, **kwargs):
    ref = reference64(a, b, **kwargs)
    out = kernels.gemm(a, b, **kwargs)
    assert_close(out, ref, k)
    assert_close(poisoned_gemm(a, b, **kwargs), ref, k, name="poisoned out")
    return out


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES, ids=TRANS_IDS)
@pytest.mark.parametrize("m,n,k", SHAPES, ids=[f"{m}x{n}x{k}" for m, n, k in SHAPES])
def test_gemm_2d(isa, m, n, k, trans_a, trans_b):
    rng = rng_for("gemm_2d", isa, m, n, k, trans_a, trans_b)
    a = stored(rng, m, k, trans_a)
    b = stored(rng, k, n, trans_b)
    out = check_gemm(a, b, k, trans_a=trans_a, trans_b=trans_b)
    assert np.isfinite(out).all()


@pytest.mark.parametrize("m,n,k", [(97, 131, 37), (341, 35, 390), (130, 140, 150), (33, 4200, 5)])
@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, True), (False, True)])
def test_gemm_threads(isa, threads, m, n, k, trans_a, trans_b):
    """Big enough that the driver splits the work over the team."""
    rng = rng_for("gemm_threads", isa, threads, m, n, k, trans_a, trans_b)
    a = stored(rng, m, k, trans_a)
    b = stored(rng, k, n, trans_b)
    c = randn(rng, (1, n))
    check_gemm(a, b, k, trans_a=trans_a, trans_b=trans_b, alpha=-1.25, beta=0.5, c=c)


@pytest.mark.parametrize(
    "batch,m,n,k",
    [(5, 64, 64, 64), (3, 41, 53, 131), (2, 130, 130, 130), (7, 1, 13, 3)],
)
def test_gemm_batched_threads(isa, threads, batch, m, n, k):
    """Many small items (one item per thread) and items big enough for a whole team."""
    rng = rng_for("gemm_batched_threads", isa, threads, batch, m, n, k)
    a = randn(rng, (batch, m, k))
    b = randn(rng, (batch, k, n))
    c = randn(rng, (batch, 1, n))
    check_gemm(a, b, k)
    check_gemm(a, b, k, alpha=0.75, beta=-2.0, c=c)


BATCH_CASES = [
    # (a's batch or None for 2-D, b's batch or None)
    (4, 4),
    (3, None),
    (None, 3),
    (1, 5),
    (5, 1),
    (1, 1),
    (1, None),
]


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES, ids=TRANS_IDS)
@pytest.mark.parametrize("batch_a,batch_b", BATCH_CASES)
@pytest.mark.parametrize("m,n,k", [(1, 1, 1), (13, 7, 37), (15, 33, 17)])
def test_gemm_batched_broadcast(isa, m, n, k, batch_a, batch_b, trans_a, trans_b):
    rng = rng_for("gemm_batched", isa, m, n, k, batch_a, batch_b, trans_a, trans_b)
    a = stored(rng, m, k, trans_a, batch_a)
    b = stored(rng, k, n, trans_b, batch_b)
    out = check_gemm(a, b, k, trans_a=trans_a, trans_b=trans_b)
    batch = max(x for x in (batch_a, batch_b) if x is not None)
    assert out.shape == (batch, m, n)
    # Every item is the 2-D product of that item's operands.
    for i in range(batch):
        ai = a[i if batch_a not in (None, 1) else 0] if batch_a is not None else a
        bi = b[i if batch_b not in (None, 1) else 0] if batch_b is not None else b
        assert_close(out[i], reference64(ai, bi, trans_a=trans_a, trans_b=trans_b), k)


def _layouts(rng, rows, cols):
    """The same logical [rows, cols] operand in several memory layouts, as (name, view)."""
    base = randn(rng, (rows, cols))
    big = randn(rng, (2 * rows + 1, 3 * cols + 2))
    return [
        ("c_order", base),
        ("fortran", np.asfortranarray(base)),
        ("transposed_view", np.ascontiguousarray(base.T).T),
        ("step_slice", big[1::2, 2::3][:rows, :cols]),
        ("negative_strides", big[::-2, ::-3][:rows, :cols]),
        ("row_broadcast", np.broadcast_to(randn(rng, (1, cols)), (rows, cols))),
        ("col_broadcast", np.broadcast_to(randn(rng, (rows, 1)), (rows, cols))),
    ]


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES, ids=TRANS_IDS)
@pytest.mark.parametrize("m,n,k", [(13, 37, 29), (15, 33, 390)])
def test_gemm_strided_inputs(isa, m, n, k, trans_a, trans_b):
    rng = rng_for("gemm_strided", isa, m, n, k, trans_a, trans_b)
    a_rows, a_cols = (k, m) if trans_a else (m, k)
    b_rows, b_cols = (n, k) if trans_b else (k, n)
    for (name_a, a), (name_b, b) in zip(_layouts(rng, a_rows, a_cols), _layouts(rng, b_rows, b_cols)[::-1]):
        assert a.shape == (a_rows, a_cols) and b.shape == (b_rows, b_cols), (name_a, name_b)
        check_gemm(a, b, k, trans_a=trans_a, trans_b=trans_b)


def test_gemm_strided_batched(isa):
    rng = rng_for("gemm_strided_batched", isa)
    big_a = randn(rng, (7, 30, 20))
    a = big_a[::-2, 1::2, ::3]  # (4, 15, 7): negative batch stride, stepped rows and columns
    b = np.asfortranarray(randn(rng, (4, 7, 11)))
    b_t = randn(rng, (11, 7)).T[None]  # (1, 7, 11) transposed view, broadcast over the batch
    check_gemm(a, b, 7)
    check_gemm(a, b_t, 7)
    check_gemm(a, b.swapaxes(1, 2), 7, trans_b=True)


def test_gemm_unaligned_inputs(isa):
    """Data that is not float32-aligned, and strides that are not a whole number of elements."""
    rng = rng_for("gemm_unaligned", isa)
    m, k, n = 9, 13, 17
    raw = np.zeros(4 * m * k + 1, dtype=np.uint8)
    a = np.frombuffer(raw.data, dtype=np.float32, count=m * k, offset=1).reshape(m, k)
    assert not a.flags.aligned
    a_values = randn(rng, (m, k))
    raw[1:] = a_values.view(np.uint8).ravel()
    row_bytes = 4 * n + 2  # rows start 2 bytes apart from a float32 boundary
    raw_b = np.zeros(row_bytes * k, dtype=np.uint8)
    b_values = randn(rng, (k, n))
    for i in range(k):
        raw_b[i * row_bytes:i * row_bytes + 4 * n] = b_values[i].view(np.uint8)
    b = np.ndarray(shape=(k, n), dtype=np.float32, buffer=raw_b, strides=(row_bytes, 4))
    np.testing.assert_array_equal(b, b_values)
    np.testing.assert_array_equal(a, a_values)
    ref = reference64(a_values, b_values)
    assert_close(kernels.gemm(a, b), ref, k)
    assert_close(poisoned_gemm(a, b), ref, k, name="poisoned out")
    assert_close(kernels.gemm(b, a, trans_a=True, trans_b=True), ref.T, k)
    c_ref = reference64(a_values, b_values, beta=0.5, c=b_values[:m])
    assert_close(kernels.gemm(a, b, beta=0.5, c=b[:m]), c_ref, k)
    # linear, whose x and w take the same path
    y = kernels.linear(a, b.T, None, "tanh")
    assert_close(y, reference.linear(a_values.astype(np.float64), b_values.T.astype(np.float64), None, "tanh"), k)


ALPHAS = (1.0, 0.0, -0.5, 2.5)
BETAS = (1.0, -1.5, 0.25)


def _c_shapes(batch, m, n):
    shapes = [(m, n), (1, n), (n,), (m, 1), (1, 1), (1,), ()]
    if batch:
        shapes += [(batch, m, n), (batch, 1, n), (1, m, n), (batch, m, 1), (1, 1, 1)]
    return shapes


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("batch,m,n,k", [(None, 13, 37, 5), (3, 7, 17, 29), (None, 15, 33, 390)])
def test_gemm_alpha_beta_c(isa, batch, m, n, k, alpha, beta):
    rng = rng_for("gemm_abc", isa, batch, m, n, k, alpha, beta)
    a = randn(rng, (m, k) if batch is None else (batch, m, k))
    b = randn(rng, (n, k)).T  # a transposed view
    for c_shape in _c_shapes(batch, m, n):
        c = randn(rng, c_shape)
        out = check_gemm(a, b, k, alpha=alpha, beta=beta, c=c)
        assert out.shape == ((m, n) if batch is None else (batch, m, n))


def test_gemm_c_strided(isa):
    rng = rng_for("gemm_c_strided", isa)
    m, n, k = 14, 33, 7
    a, b = randn(rng, (m, k)), randn(rng, (k, n))
    for c in (np.asfortranarray(randn(rng, (m, n))), randn(rng, (2 * m, 3 * n))[::-2, ::3],
              randn(rng, (n, m)).T):
        check_gemm(a, b, k, alpha=0.5, beta=2.0, c=c)


@pytest.mark.parametrize("batch", [None, 2])
def test_gemm_beta_zero_ignores_c(isa, batch):
    """beta == 0 ignores c entirely: NaN and inf in c never reach the output (as BLAS/PyTorch)."""
    rng = rng_for("gemm_beta0", isa, batch)
    m, n, k = 15, 33, 17
    a = randn(rng, (m, k) if batch is None else (batch, m, k))
    b = randn(rng, (k, n))
    c = randn(rng, (m, n))
    c[::2] = np.nan
    c[1::4] = np.inf
    for alpha in (1.0, -0.5):
        out = check_gemm(a, b, k, alpha=alpha, beta=0.0, c=c)
        assert np.isfinite(out).all()
        assert_close(out, reference64(a, b, alpha=alpha), k)


def test_gemm_nan_in_c_propagates_only_where_used(isa):
    rng = rng_for("gemm_nan_c", isa)
    m, n, k = 15, 33, 17
    a, b = randn(rng, (m, k)), randn(rng, (k, n))
    c = randn(rng, (m, n))
    c[3, 5] = np.nan
    out = check_gemm(a, b, k, beta=1.0, c=c)
    assert np.isnan(out[3, 5])
    assert np.isfinite(np.delete(out.ravel(), 3 * n + 5)).all()


@pytest.mark.parametrize("batch", [None, 3])
@pytest.mark.parametrize("m,n", [(1, 1), (13, 37), (15, 33)])
def test_gemm_k_zero(isa, batch, m, n):
    """K = 0: the product is empty, so the result is beta · c, or zeros."""
    rng = rng_for("gemm_k0", isa, batch, m, n)
    a = randn(rng, (m, 0) if batch is None else (batch, m, 0))
    b = randn(rng, (0, n))
    out_shape = (m, n) if batch is None else (batch, m, n)
    out = kernels.gemm(a, b, alpha=2.0)
    assert out.shape == out_shape
    assert not out.any()
    assert not poisoned_gemm(a, b, alpha=2.0).any()
    c = randn(rng, (1, n))
    expected = np.broadcast_to(-1.5 * c.astype(np.float64), out_shape)
    assert_close(kernels.gemm(a, b, alpha=3.0, beta=-1.5, c=c), expected, 1)
    assert_close(poisoned_gemm(a, b, alpha=3.0, beta=-1.5, c=c), expected, 1, name="poisoned out")
    assert_close(reference.gemm(a, b, alpha=3.0, beta=-1.5, c=c), expected, 1, name="reference")


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES, ids=TRANS_IDS)
@pytest.mark.parametrize("m,n,k", [(0, 5, 3), (5, 0, 3), (0, 0, 3), (0, 0, 0), (0, 7, 0)])
def test_gemm_empty_output(isa, m, n, k, trans_a, trans_b):
    rng = rng_for("gemm_empty", isa, m, n, k, trans_a, trans_b)
    a = stored(rng, m, k, trans_a)
    b = stored(rng, k, n, trans_b)
    out = kernels.gemm(a, b, trans_a=trans_a, trans_b=trans_b)
    assert out.shape == (m, n) and out.dtype == np.float32
    c = randn(rng, (1, n))
    assert kernels.gemm(a, b, trans_a=trans_a, trans_b=trans_b, beta=1.0, c=c).shape == (m, n)
    batched = kernels.gemm(np.stack([a, a]), b, trans_a=trans_a, trans_b=trans_b)
    assert batched.shape == (2, m, n)


def test_gemm_empty_batch(isa):
    """A batch of 0 items gives an empty [0, m, n] result, as numpy.matmul and torch.bmm do."""
    rng = rng_for("gemm_empty_batch", isa)
    a = randn(rng, (0, 3, 4))
    b = randn(rng, (0, 4, 5))
    assert np.matmul(a, b).shape == (0, 3, 5)
    assert kernels.gemm(a, b).shape == (0, 3, 5)
    assert kernels.gemm(a, randn(rng, (4, 5))).shape == (0, 3, 5)
    assert kernels.gemm(randn(rng, (1, 3, 4)), b).shape == (0, 3, 5)
    assert reference.gemm(a, b).shape == (0, 3, 5)


def test_gemm_returns_fresh_float32_arrays(isa):
    rng = rng_for("gemm_fresh", isa)
    a, b = randn(rng, (5, 7)), randn(rng, (7, 3))
    c = randn(rng, (5, 3))
    a0, b0, c0 = a.copy(), b.copy(), c.copy()
    out = kernels.gemm(a, b, beta=1.0, c=c)
    assert out.dtype == np.float32 and out.flags.c_contiguous and out.flags.writeable
    assert not np.shares_memory(out, c)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)
    np.testing.assert_array_equal(c, c0)


def test_gemm_large_values_no_spurious_nan(isa):
    """Finite inputs give finite outputs; large magnitudes that stay in range do not overflow."""
    rng = rng_for("gemm_large", isa)
    m, n, k = 15, 33, 391
    a = randn(rng, (m, k)) * np.float32(1e15)
    b = randn(rng, (k, n)) * np.float32(1e15)
    out = check_gemm(a, b, k)
    assert np.isfinite(out).all()


def test_gemm_scalar_and_flag_types(isa):
    """alpha and beta may be any real scalar (Python or NumPy); flags may be NumPy bools."""
    rng = rng_for("gemm_scalar_types", isa)
    a, b, c = randn(rng, (7, 5)), randn(rng, (7, 3)), randn(rng, (5, 3))
    ref = reference64(a, b, trans_a=True, alpha=0.5, beta=-2.0, c=c)
    for alpha, beta in ((np.float32(0.5), np.int64(-2)), (0.5, -2), (np.float64(0.5), np.float32(-2.0))):
        out = kernels.gemm(a, b, trans_a=np.True_, trans_b=np.False_, alpha=alpha, beta=beta, c=c)
        assert_close(out, ref, 7)
