"""The fused optimizer steps against the NumPy reference on every ISA path (odd sizes, several
steps, every option set of _optim_cases), the *_multi variants against per-tensor calls, and
untouched memory around and beside what a step may write.
"""
from __future__ import annotations

import numpy as np
import pytest

from _checks import randn, rng_for
from _optim_cases import CASES
from mdlfast import kernels, reference

SIZES = (1, 7, 1023, 100003)
STEPS = 3


def _assert_matches(out, ref, name):
    """float32 results that follow the same operations: equal up to a few roundings, where an
    element that cancels to near zero may keep the rounding error of the array's largest terms."""
    scale = max(float(np.nanmax(np.abs(ref), initial=0.0)), 1.0)
    atol = 8 * np.finfo(np.float32).eps * scale
    np.testing.assert_allclose(out, ref, rtol=4e-6, atol=atol, equal_nan=True, err_msg=name)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@pytest.mark.parametrize("size", SIZES)
def test_matches_reference(case, size, isa):
    rng = rng_for(case.name, size)
    p = randn(rng, size)
    p_ref, state, state_ref = p.copy(), case.new_state(size), case.new_state(size)
    for step in range(1, STEPS + 1):
        g = randn(rng, size)
        case.call(kernels, p, g, state, step)
        case.call(reference, p_ref, g, state_ref, step)
    _assert_matches(p, p_ref, "p")
    for name in case.states:
        _assert_matches(state[name], state_ref[name], name)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_writes_only_its_elements(case, isa):
    """Each array is a window in a larger, poisoned buffer: the step must leave the rest as it was."""
    size, pad = 37, 19
    rng = rng_for(case.name, "bounds")

    def window(values):
        buffer = np.full(size + 2 * pad, np.nan, np.float32)
        buffer[pad:pad + size] = values
        return buffer, buffer[pad:pad + size]

    p_buffer, p = window(randn(rng, size))
    state_buffers, state = {}, {}
    for name in case.states:
        state_buffers[name], state[name] = window(np.zeros(size, np.float32))
    p_ref, state_ref = p.copy(), case.new_state(size)
    g = randn(rng, size)
    case.call(kernels, p, g, state, 1)
    case.call(reference, p_ref, g, state_ref, 1)
    _assert_matches(p, p_ref, "p")
    for buffer in (p_buffer, *state_buffers.values()):
        assert np.isnan(buffer[:pad]).all() and np.isnan(buffer[pad + size:]).all()


def _optional_states(case):
    return {"sgd_step": ("buf",), "rmsprop_step": ("buf", "grad_avg")}.get(case.function, ())


@pytest.mark.parametrize("case", [c for c in CASES if set(_optional_states(c)) - set(c.states)],
                         ids=lambda c: c.name)
def test_unused_state_is_ignored(case, isa):
    """A buffer passed where the options do not use it (no momentum, not centered) is neither read
    nor written: poisoned with NaN, it stays NaN and the parameters stay finite."""
    size = 100
    rng = rng_for(case.name, "unused")
    p, g = randn(rng, size), randn(rng, size)
    state = case.new_state(size)
    unused = {name: np.full(size, np.nan, np.float32)
              for name in _optional_states(case) if name not in case.states}
    options = dict(case.options, **unused)
    kwargs = {name: state[name] for name in case.keyword_states}
    getattr(kernels, case.function)(p, g, *(state[n] for n in case.positional_states), **options, **kwargs)
    assert np.isfinite(p).all()
    for values in unused.values():
        assert np.isnan(values).all()


def test_nan_gradient_propagates(isa):
    p, m, v = np.ones(33, np.float32), np.zeros(33, np.float32), np.zeros(33, np.float32)
    g = np.ones(33, np.float32)
    g[[0, 16, 32]] = np.nan
    kernels.adam_step(p, g, m, v, step=1, lr=0.1)
    assert np.array_equal(np.isnan(p), np.isnan(g))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_multi_equals_per_tensor(case, threads):
    """One *_multi call over tensors whose total spans the threads' shares updates every tensor
    exactly as per-tensor calls do."""
    rng = rng_for(case.name, "multi")
    shapes = [(1,), (7,), (31, 33), (5000,), (300, 250)]
    params = [randn(rng, s) for s in shapes]
    singles = [p.copy() for p in params]
    states = {name: [np.zeros(s, np.float32) for s in shapes] for name in case.states}
    single_states = [case.new_state(s) for s in shapes]
    for step in (1, 2):
        grads = [randn(rng, s) for s in shapes]
        case.call_multi(kernels, params, grads, states, step)
        for p, g, state in zip(singles, grads, single_states):
            case.call(kernels, p, g, state, step)
    for k in range(len(shapes)):
        assert np.array_equal(params[k], singles[k])
        for name in case.states:
            assert np.array_equal(states[name][k], single_states[k][name])


@pytest.mark.parametrize("case", CASES[::3], ids=lambda c: c.name)
def test_reference_multi_equals_per_tensor(case):
    rng = rng_for(case.name, "reference multi")
    shapes = [(3,), (4, 5)]
    params = [randn(rng, s, np.float64) for s in shapes]
    singles = [p.copy() for p in params]
    states = {name: [np.zeros(s) for s in shapes] for name in case.states}
    single_states = [case.new_state(s, np.float64) for s in shapes]
    grads = [randn(rng, s, np.float64) for s in shapes]
    case.call_multi(reference, params, grads, states, 1)
    for p, g, state in zip(singles, grads, single_states):
        case.call(reference, p, g, state, 1)
    for k in range(len(shapes)):
        assert np.array_equal(params[k], singles[k])


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_zero_dimensional_tensor(case):
    """A scalar parameter, as PyTorch allows."""
    p, g = np.array(0.5, np.float32), np.array(-0.25, np.float32)
    p_ref, state, state_ref = p.copy(), case.new_state(()), case.new_state(())
    for step in (1, 2):
        case.call(kernels, p, g, state, step)
        case.call(reference, p_ref, g, state_ref, step)
    _assert_matches(p, p_ref, "p")


def test_empty_lists_and_tensors():
    kernels.adam_step_multi([], [], [], [], step=1, lr=0.1)
    empty = np.zeros((0, 3), np.float32)
    kernels.adam_step(empty, empty.copy(), empty.copy(), empty.copy(), step=1, lr=0.1)


def test_non_contiguous_gradient():
    rng = rng_for("strided gradient")
    p, m, v = randn(rng, (8, 5)), np.zeros((8, 5), np.float32), np.zeros((8, 5), np.float32)
    g = randn(rng, (5, 8)).T
    p_ref, m_ref, v_ref = p.copy(), m.copy(), v.copy()
    kernels.adam_step(p, g, m, v, step=1, lr=0.1)
    reference.adam_step(p_ref, g, m_ref, v_ref, step=1, lr=0.1)
    _assert_matches(p, p_ref, "p")
