"""The attention reference: its backward against central finite differences in float64, fully
masked rows, and forward and gradients against PyTorch's scaled_dot_product_attention.
"""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast import reference
from _attention_cases import qkv, random_mask
from _checks import central_difference, rel_err, rng_for

CASES = [  # (batch, heads, Tq, Tk, d, dv, causal, mask shape or None)
    (1, 1, 1, 1, 1, 1, False, None),
    (2, 3, 5, 5, 4, 4, True, None),
    (1, 2, 3, 6, 5, 2, True, None),
    (1, 2, 6, 3, 3, 4, True, None),
    (2, 1, 4, 7, 3, 3, False, (2, 1, 4, 7)),
    (2, 2, 5, 4, 2, 3, False, (5, 4)),
    (2, 3, 3, 5, 4, 2, False, (1, 3, 1, 5)),
]


def case_inputs(case, dtype=np.float64):
    batch, heads, tq, tk, d, dv, causal, mask_shape = case
    rng = rng_for("attention reference", case)
    q, k, v = qkv(rng, batch, heads, tq, tk, d, dv, dtype)
    mask = None if mask_shape is None else random_mask(rng, mask_shape, empty_rows=1)
    return q, k, v, causal, mask, rng


@pytest.mark.parametrize("scale", [None, 0.37])
@pytest.mark.parametrize("case", CASES)
def test_reference_backward_matches_finite_differences(case, scale):
    q, k, v, causal, mask, rng = case_inputs(case)
    weights = rng.standard_normal(q.shape[:3] + (v.shape[3],))

    def loss():
        out, _ = reference.attention(q, k, v, causal=causal, scale=scale, mask=mask)
        return float((out * weights).sum())

    out, lse = reference.attention(q, k, v, causal=causal, scale=scale, mask=mask)
    grads = reference.attention_backward(weights, q, k, v, out, lse, causal=causal, scale=scale,
                                         mask=mask)
    for grad, x, name in zip(grads, (q, k, v), ("dq", "dk", "dv")):
        numeric = central_difference(loss, x, 1e-6)
        assert rel_err(grad, numeric) <= 1e-7 or np.abs(grad - numeric).max() <= 1e-8, name


def test_reference_lse_is_the_row_logsumexp():
    q, k, v, _, _, _ = case_inputs((2, 2, 5, 6, 3, 3, False, None))
    _, lse = reference.attention(q, k, v, scale=0.5)
    scores = 0.5 * np.einsum("bhid,bhjd->bhij", q, k)
    assert np.allclose(lse, np.log(np.exp(scores).sum(axis=-1)), rtol=1e-13)


def test_reference_huge_logits_stay_finite():
    q, k, v, _, _, _ = case_inputs((1, 1, 4, 5, 3, 3, False, None))
    out, lse = reference.attention(q * 1e3, k * 1e3, v)
    assert np.isfinite(out).all() and np.isfinite(lse).all()


def test_fully_masked_rows_give_zero_output_minus_inf_lse_and_no_gradient():
    rng = rng_for("attention reference empty rows")
    q, k, v = qkv(rng, 2, 2, 4, 5, 3, 3, np.float64)
    mask = random_mask(rng, (2, 2, 4, 5), empty_rows=0)
    mask[:, :, 1, :] = False
    mask[:, :, 2, :] = True
    out, lse = reference.attention(q, k, v, mask=mask)
    assert np.array_equal(out[:, :, 1], np.zeros_like(out[:, :, 1]))
    assert np.all(lse[:, :, 1] == -np.inf) and np.isfinite(lse[:, :, [0, 2, 3]]).all()
    dout = rng.standard_normal(out.shape)
    dq, dk, dv = reference.attention_backward(dout, q, k, v, out, lse, mask=mask)
    assert np.array_equal(dq[:, :, 1], np.zeros_like(dq[:, :, 1]))
    # Row 1 takes no part, so the gradients equal those of the other rows alone.
    rows = [0, 2, 3]
    out_r, lse_r = reference.attention(q[:, :, rows], k, v, mask=mask[:, :, rows])
    dq_r, dk_r, dv_r = reference.attention_backward(dout[:, :, rows], q[:, :, rows], k, v, out_r,
                                                    lse_r, mask=mask[:, :, rows])
    assert np.allclose(dk, dk_r, rtol=1e-13, atol=1e-15)
    assert np.allclose(dv, dv_r, rtol=1e-13, atol=1e-15)
    assert np.allclose(dq[:, :, rows], dq_r, rtol=1e-13, atol=1e-15)


def test_no_keys_at_all():
    rng = rng_for("attention reference Tk=0")
    q, k, v = qkv(rng, 1, 2, 3, 0, 4, 2, np.float64)
    out, lse = reference.attention(q, k, v)
    assert out.shape == (1, 2, 3, 2) and not out.any() and np.all(lse == -np.inf)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reference_keeps_the_dtype(dtype):
    q, k, v, _, _, _ = case_inputs((1, 2, 3, 4, 5, 6, False, None), dtype)
    out, lse = reference.attention(q, k, v, causal=True)
    grads = reference.attention_backward(out, q, k, v, out, lse, causal=True)
    assert all(x.dtype == dtype for x in (out, lse) + tuple(grads))


@pytest.mark.parametrize("case", CASES)
def test_reference_matches_torch(case):
    torch = pytest.importorskip("torch")
    q, k, v, causal, mask, rng = case_inputs(case)
    out, lse = reference.attention(q, k, v, causal=causal, scale=0.7, mask=mask)
    dout = rng.standard_normal(out.shape)
    grads = reference.attention_backward(dout, q, k, v, out, lse, causal=causal, scale=0.7, mask=mask)
    tq, tk, tv = (torch.tensor(x, requires_grad=True) for x in (q, k, v))
    t_mask = None if mask is None else torch.tensor(mask)
    t_out = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=t_mask,
                                                             is_causal=causal, scale=0.7)
    t_out.backward(torch.tensor(dout))
    # PyTorch's math path gives fully masked rows an output of 0 and no gradient, as we do.
    assert rel_err(out, t_out.detach().numpy()) <= 1e-12
    for grad, t in zip(grads, (tq, tk, tv)):
        assert rel_err(grad, t.grad.numpy()) <= 1e-12
