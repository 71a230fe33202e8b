"""The CUDA optimizer steps (one launch per call, over a device table of tensors) against the NumPy
reference and the CPU kernels: every option set of _optim_cases, sizes around the 8192-element
chunks, misaligned and strided arrays, the multi-tensor launch over tensors of every size, and
untouched memory around each array. Runs only where CuPy and a GPU are present."""
from __future__ import annotations

import numpy as np
import pytest

from _gpu import cp, to_cpu, to_gpu  # skips this module without a GPU
from _checks import randn, rng_for
from _optim_cases import CASES
from mdlfast import kernels, reference

pytestmark = pytest.mark.cuda

SIZES = (1, 7, 8191, 8192, 8193, 100003)  # around one chunk (csrc/cuda/optim.cuh)
STEPS = 3


def _assert_matches(out, ref, name):
    """The tolerance of tests/test_optim_kernels.py: the same operations, a few roundings apart."""
    out = to_cpu(out)
    scale = max(float(np.nanmax(np.abs(ref), initial=0.0)), 1.0)
    atol = 8 * np.finfo(np.float32).eps * scale
    np.testing.assert_allclose(out, ref, rtol=4e-6, atol=atol, equal_nan=True, err_msg=name)


def _gpu_state(state):
    return {name: to_gpu(x) for name, x in state.items()}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@pytest.mark.parametrize("size", SIZES)
def test_matches_reference_and_cpu_kernel(case, size):
    rng = rng_for("cuda", case.name, size)
    p = randn(rng, size)
    p_gpu, p_cpu, p_ref = to_gpu(p), p.copy(), p.copy()
    state_gpu, state_cpu, state_ref = _gpu_state(case.new_state(size)), case.new_state(size), case.new_state(size)
    for step in range(1, STEPS + 1):
        g = randn(rng, size)
        case.call(kernels, p_gpu, to_gpu(g), state_gpu, step)
        case.call(kernels, p_cpu, g, state_cpu, step)
        case.call(reference, p_ref, g, state_ref, step)
    _assert_matches(p_gpu, p_ref, "p vs reference")
    _assert_matches(p_gpu, p_cpu, "p vs CPU kernel")
    for name in case.states:
        _assert_matches(state_gpu[name], state_ref[name], name)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@pytest.mark.parametrize("offset", [0, 1, 3])
def test_misaligned_windows_leave_their_surroundings(case, offset):
    """Each array is a window, starting `offset` floats past a 16-byte boundary (the scalar path
    for offset != 0), in a larger NaN-filled buffer that the step must leave as it was."""
    size, pad = 9000, 8
    rng = rng_for("cuda bounds", case.name, offset)

    def window(values):
        buffer = cp.full(size + 2 * pad + offset, cp.nan, dtype=cp.float32)
        start = pad + offset
        buffer[start:start + size] = to_gpu(values)
        return buffer, buffer[start:start + size], start

    p = randn(rng, size)
    p_buffer, p_gpu, start = window(p)
    buffers, state_gpu = [p_buffer], {}
    for name in case.states:
        buffer, state_gpu[name], _ = window(np.zeros(size, np.float32))
        buffers.append(buffer)
    p_ref, state_ref = p.copy(), case.new_state(size)
    g = randn(rng, size)
    case.call(kernels, p_gpu, to_gpu(g), state_gpu, 1)
    case.call(reference, p_ref, g, state_ref, 1)
    _assert_matches(p_gpu, p_ref, "p")
    for buffer in buffers:
        host = to_cpu(buffer)
        assert np.isnan(host[:start]).all() and np.isnan(host[start + size:]).all()


MULTI_SHAPES = [(0,), (1,), (), (5,), (8192,), (0, 3), (8193,), (3, 7), (20000,), (1,)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_multi_tensor_launch_equals_the_reference_per_tensor(case):
    rng = rng_for("cuda multi", case.name)
    params = [randn(rng, shape) for shape in MULTI_SHAPES]
    params_gpu = [to_gpu(p) for p in params]
    states_gpu = {name: [cp.zeros(s, cp.float32) for s in MULTI_SHAPES] for name in case.states}
    state_refs = [case.new_state(s) for s in MULTI_SHAPES]
    for step in (1, 2):
        grads = [randn(rng, shape) for shape in MULTI_SHAPES]
        case.call_multi(kernels, params_gpu, [to_gpu(g) for g in grads], states_gpu, step)
        for p, g, state in zip(params, grads, state_refs):
            case.call(reference, p, g, state, step)
    for k, p in enumerate(params):
        _assert_matches(params_gpu[k], p, f"params[{k}]")
        for name in case.states:
            _assert_matches(states_gpu[name][k], state_refs[k][name], f"{name}[{k}]")


def test_non_contiguous_gradient():
    rng = rng_for("cuda strided gradient")
    p, g = randn(rng, (8, 5)), randn(rng, (5, 8)).T
    m, v = np.zeros((8, 5), np.float32), np.zeros((8, 5), np.float32)
    p_gpu, m_gpu, v_gpu = to_gpu(p), to_gpu(m), to_gpu(v)
    kernels.adam_step(p_gpu, to_gpu(np.ascontiguousarray(g.T)).T, m_gpu, v_gpu, step=1, lr=0.1)
    reference.adam_step(p, g, m, v, step=1, lr=0.1)
    _assert_matches(p_gpu, p, "p")
    _assert_matches(v_gpu, v, "v")


def test_runs_on_the_current_stream():
    rng = rng_for("cuda stream")
    p, g = randn(rng, 50000), randn(rng, 50000)
    p_ref, m_ref, v_ref = p.copy(), np.zeros_like(p), np.zeros_like(p)
    reference.adam_step(p_ref, g, m_ref, v_ref, step=1, lr=0.1)
    with cp.cuda.Stream(non_blocking=True) as stream:
        p_gpu, g_gpu = to_gpu(p), to_gpu(g)
        m_gpu, v_gpu = cp.zeros_like(p_gpu), cp.zeros_like(p_gpu)
        kernels.adam_step(p_gpu, g_gpu, m_gpu, v_gpu, step=1, lr=0.1)
        stream.synchronize()
    _assert_matches(p_gpu, p_ref, "p")


def test_aliased_device_arrays_are_refused():
    p = cp.ones(10, cp.float32)
    with pytest.raises(ValueError, match="alias"):
        kernels.adam_step(p, cp.ones(10, cp.float32), p, cp.zeros(10, cp.float32), step=1, lr=0.1)


def test_mixed_devices_are_refused():
    with pytest.raises(ValueError, match="one device"):
        kernels.adagrad_step(cp.ones(4, cp.float32), np.ones(4, np.float32), cp.zeros(4, cp.float32), lr=0.1)
