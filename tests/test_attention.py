"""attention and attention_backward: the C++ kernels against the float64 reference on every ISA
path (publicly and through mdlfast._cpu with NaN-poisoned outputs): T = 1, odd sizes, Tq != Tk,
causal and not, broadcast masks with fully masked rows, custom scales, non-contiguous inputs;
results identical on 1 and 2 threads; forward and gradients against PyTorch's SDPA.
"""
from __future__ import annotations

import numpy as np
import pytest

import mdlfast
from mdlfast import _cpu, kernels, reference
from _attention_cases import qkv, random_mask
from _checks import assert_close, randn, rng_for

CASES = [  # (batch, heads, Tq, Tk, d, dv, causal, mask shape or None)
    (1, 1, 1, 1, 1, 1, False, None),
    (1, 1, 1, 1, 1, 1, True, None),
    (2, 3, 67, 67, 13, 13, True, None),
    (1, 2, 130, 70, 64, 64, False, None),
    (1, 2, 70, 130, 32, 17, True, None),
    (1, 2, 130, 70, 24, 40, True, None),
    (2, 2, 65, 129, 8, 8, False, (2, 2, 65, 129)),
    (2, 3, 33, 47, 16, 16, False, (47,)),
    (2, 3, 33, 47, 16, 16, False, (2, 1, 1, 47)),
    (2, 3, 33, 47, 5, 3, False, (33, 47)),
    (1, 2, 5, 0, 4, 4, False, None),
    (1, 2, 0, 5, 4, 4, True, None),
]


def case_id(case):
    batch, heads, tq, tk, d, dv, causal, mask = case
    return f"{batch}x{heads}-q{tq}-k{tk}-d{d}-v{dv}" + ("-causal" if causal else "") + (
        f"-mask{'x'.join(map(str, mask))}" if mask else "")


def f64(*arrays):
    return [None if a is None else a.astype(np.float64) for a in arrays]


def mask4(mask):
    return None if mask is None else mask.reshape((1,) * (4 - mask.ndim) + mask.shape)


def poisoned_attention(q, k, v, scale, causal, mask):
    """mdlfast._cpu.attention called directly, out and lse NaN-filled first."""
    out = np.full(q.shape[:3] + (v.shape[3],), np.nan, np.float32)
    lse = np.full(q.shape[:3], np.nan, np.float32)
    _cpu.attention(out, lse, q, k, v, scale, causal, mask4(mask))
    return out, lse


def poisoned_attention_backward(dout, q, k, v, out, lse, scale, causal, mask):
    """mdlfast._cpu.attention_backward called directly, the gradients NaN-filled first."""
    grads = [np.full(x.shape, np.nan, np.float32) for x in (q, k, v)]
    _cpu.attention_backward(*grads, dout, q, k, v, out, lse, scale, causal, mask4(mask))
    return grads


def check_attention(q, k, v, dout, *, causal=False, scale=None, mask=None):
    """Kernels (public and poisoned direct calls) against the float64 reference."""
    size = max(q.shape[2], k.shape[2], q.shape[3], v.shape[3], 1)
    kw = dict(causal=causal, scale=scale, mask=mask)
    out_ref, lse_ref = reference.attention(*f64(q, k, v), **kw)
    grads_ref = reference.attention_backward(*f64(dout, q, k, v), out_ref, lse_ref, **kw)
    out, lse = kernels.attention(q, k, v, **kw)
    assert_close(out, out_ref, size, name="out")
    assert_close(lse, lse_ref, size, name="lse")
    grads = kernels.attention_backward(dout, q, k, v, out, lse, **kw)
    for grad, ref, name in zip(grads, grads_ref, ("dq", "dk", "dv")):
        assert_close(grad, ref, size, name=name)

    s = 1.0 / np.sqrt(q.shape[3]) if scale is None else scale
    contiguous = [np.ascontiguousarray(x) for x in (dout, q, k, v)]
    m = None if mask is None else np.ascontiguousarray(mask)
    p_out, p_lse = poisoned_attention(*contiguous[1:], s, causal, m)
    assert_close(p_out, out_ref, size, name="poisoned out")
    assert_close(p_lse, lse_ref, size, name="poisoned lse")
    p_grads = poisoned_attention_backward(*contiguous, out, lse, s, causal, m)
    for grad, ref, name in zip(p_grads, grads_ref, ("dq", "dk", "dv")):
        assert_close(grad, ref, size, name=f"poisoned {name}")
    return out, lse, grads


def case_inputs(case, *tags):
    batch, heads, tq, tk, d, dv, causal, mask_shape = case
    rng = rng_for("attention", case, *tags)
    q, k, v = qkv(rng, batch, heads, tq, tk, d, dv)
    mask = None if mask_shape is None else random_mask(rng, mask_shape, empty_rows=1)
    dout = randn(rng, (batch, heads, tq, dv))
    return q, k, v, dout, causal, mask


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_attention_matches_reference(isa, case):
    q, k, v, dout, causal, mask = case_inputs(case, isa)
    check_attention(q, k, v, dout, causal=causal, mask=mask)


@pytest.mark.parametrize("scale", [0.05, -0.7, 2.0])
def test_custom_scale(isa, scale):
    q, k, v, dout, _, _ = case_inputs((2, 2, 70, 66, 16, 16, True, None), isa, scale)
    check_attention(q, k, v, dout, causal=True, scale=scale)
    check_attention(q, k, v, dout, causal=False, scale=scale)


def test_large_logits_stay_finite(isa):
    q, k, v, dout, _, _ = case_inputs((1, 2, 40, 90, 8, 8, False, None), isa)
    out, lse, grads = check_attention(q * 30, k * 30, v, dout)
    assert np.isfinite(out).all() and np.isfinite(lse).all()


def test_fully_masked_rows(isa):
    rng = rng_for("attention empty rows", isa)
    q, k, v = qkv(rng, 2, 2, 70, 80, 8, 8)
    mask = random_mask(rng, (2, 2, 70, 80))
    mask[:, :, [0, 33, 69], :] = False
    mask[1, 0, 5, :] = False
    dout = randn(rng, q.shape)
    out, lse, (dq, dk, dv) = check_attention(q, k, v, dout, mask=mask)
    empty = ~mask.any(axis=-1)
    assert np.array_equal(out[empty], np.zeros_like(out[empty]))
    assert np.all(lse[empty] == -np.inf) and np.isfinite(lse[~empty]).all()
    assert np.array_equal(dq[empty], np.zeros_like(dq[empty]))
    # Keys that no query sees get no gradient at all.
    mask[..., 7] = False
    out, lse, (dq, dk, dv) = check_attention(q, k, v, dout, mask=mask)
    assert not dk[..., 7, :].any() and not dv[..., 7, :].any()


def test_non_contiguous_inputs(isa):
    rng = rng_for("attention strided", isa)
    # [B, T, heads, d] viewed as [B, heads, T, d], as a multi-head projection produces.
    q, k, v, dout = (randn(rng, (2, t, 3, 16)).transpose(0, 2, 1, 3) for t in (37, 41, 41, 37))
    mask = random_mask(rng, (41, 37), empty_rows=1).T  # a transposed [Tq, Tk] view
    assert not q.flags.c_contiguous and not mask.flags.c_contiguous
    check_attention(q, k, v, dout, mask=mask)
    check_attention(q, k, v, dout, causal=True)


@pytest.mark.parametrize("case", [(2, 3, 150, 150, 32, 32, True, None),
                                  (1, 1, 300, 333, 16, 16, True, None),
                                  (4, 5, 70, 130, 16, 8, True, None)], ids=case_id)
def test_same_result_on_one_and_two_threads(threads, case):
    """Also where few (batch, head) items split the backward by key blocks."""
    q, k, v, dout, _, _ = case_inputs(case)
    results = []
    for n in (1, threads):
        previous = mdlfast.get_num_threads()
        mdlfast.set_num_threads(n)
        try:
            out, lse = kernels.attention(q, k, v, causal=True)
            results.append((out, lse) + kernels.attention_backward(dout, q, k, v, out, lse, causal=True))
        finally:
            mdlfast.set_num_threads(previous)
    for a, b in zip(*results):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("case", [CASES[2], CASES[4], CASES[5], CASES[6], CASES[8]], ids=case_id)
def test_attention_matches_torch(case):
    torch = pytest.importorskip("torch")
    q, k, v, dout, causal, mask = case_inputs(case, "torch")
    out, lse = kernels.attention(q, k, v, causal=causal, mask=mask, scale=0.3)
    grads = kernels.attention_backward(dout, q, k, v, out, lse, causal=causal, mask=mask, scale=0.3)
    tq, tk, tv = (torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in (q, k, v))
    t_out = torch.nn.functional.scaled_dot_product_attention(
        tq, tk, tv, attn_mask=None if mask is None else torch.tensor(mask), is_causal=causal,
        scale=0.3)
    t_out.backward(torch.tensor(dout, dtype=torch.float64))
    size = max(q.shape[2], k.shape[2], q.shape[3])
    assert_close(out, t_out.detach().numpy(), size, name="out")
    for grad, t, name in zip(grads, (tq, tk, tv), ("dq", "dk", "dv")):
        assert_close(grad, t.grad.numpy(), size, name=name)


def test_nan_propagates_as_in_the_reference(isa):
    rng = rng_for("attention nan", isa)
    q, k, v = qkv(rng, 1, 3, 70, 75, 16, 16)
    q[0, 0, 3, 2] = np.nan
    k[0, 1, 5, 0] = np.nan
    v[0, 2, 66, 1] = np.nan
    dout = randn(rng, q.shape)
    out, lse, _ = check_attention(q, k, v, dout)
    assert np.isnan(out[0, 0, 3]).all() and np.isnan(lse[0, 1]).all() and np.isnan(out[0, 2, :, 1]).all()


def test_nan_under_the_causal_mask(isa):
    """A NaN score reaches the lse of exactly the rows that see it (masked scores are replaced, not
    added); a NaN value reaches at least those rows' outputs (as in the reference, where the dense
    product spreads it through 0 · NaN, it may reach more)."""
    rng = rng_for("attention causal nan", isa)
    q, k, v = qkv(rng, 1, 2, 70, 75, 16, 16)
    q[0, 0, 3, 2] = np.nan
    k[0, 1, 5, 0] = np.nan
    v[0, 0, 66, 1] = np.nan
    out, lse = kernels.attention(q, k, v, causal=True)
    nan_rows = np.zeros((2, 70), dtype=bool)
    nan_rows[0, 3] = nan_rows[1, 5:] = True
    assert np.array_equal(np.isnan(lse[0]), nan_rows)
    assert np.isnan(out[0][nan_rows]).all() and np.isnan(out[0, 0, 66:, 1]).all()
