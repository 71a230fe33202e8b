"""The optimizer steps' error contract: TypeError for a wrong type or dtype, ValueError naming the
argument for a shape mismatch, a hyper-parameter torch.optim rejects, a missing state array, an
array that cannot be updated in place, or arrays that alias; all before any kernel runs. Direct
calls of mdlfast._cpu with bad buffers raise rather than crash.
"""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast import _cpu, kernels, reference

F32 = np.float32


def arr(*shape, dtype=F32):
    return np.ones(shape, dtype=dtype)


def adam(api, p=None, g=None, m=None, v=None, **options):
    """adam_step on fresh (3, 4) arrays, with any of them or of the options replaced."""
    options = {"step": 1, "lr": 0.1, **options}
    api.adam_step(arr(3, 4) if p is None else p, arr(3, 4) if g is None else g,
                  arr(3, 4) if m is None else m, arr(3, 4) if v is None else v, **options)


@pytest.mark.parametrize("name", ["p", "g", "m", "v"])
def test_wrong_dtype(api, name):
    dtypes = [np.int32, np.float16] + ([np.float64] if api is kernels else [])
    for dtype in dtypes:
        with pytest.raises(TypeError, match=rf"^{name} must have"):
            adam(api, **{name: arr(3, 4, dtype=dtype)})


def test_dtypes_differ_in_the_reference():
    with pytest.raises(TypeError, match=r"^m must have the dtype of the parameters"):
        adam(reference, p=arr(3, 4, dtype=np.float64), g=arr(3, 4, dtype=np.float64),
             v=arr(3, 4, dtype=np.float64))


@pytest.mark.parametrize("value", [[1.0, 2.0], None, 3.0])
def test_not_an_array(api, value):
    with pytest.raises(TypeError, match=r"^g must be"):
        api.sgd_step(arr(2), value, lr=0.1)


@pytest.mark.parametrize("name", ["g", "m", "v"])
def test_shape_mismatch(api, name):
    with pytest.raises(ValueError, match=rf"^{name} must have the shape of p"):
        adam(api, **{name: arr(4, 3)})


@pytest.mark.parametrize("option, value, message", [
    ("lr", -0.1, "lr must be >= 0"),
    ("lr", float("nan"), "lr must be >= 0"),
    ("eps", -1e-8, "eps must be >= 0"),
    ("weight_decay", -0.01, "weight_decay must be >= 0"),
    ("beta1", 1.0, r"beta1 must be in \[0, 1\)"),
    ("beta1", -0.1, r"beta1 must be in \[0, 1\)"),
    ("beta2", 1.5, r"beta2 must be in \[0, 1\)"),
    ("step", 0, "step must be >= 1"),
])
def test_adam_bad_hyper_parameter(api, option, value, message):
    with pytest.raises(ValueError, match=rf"^{message}"):
        adam(api, **{option: value})


@pytest.mark.parametrize("option, value", [("step", 1.0), ("step", True), ("lr", "0.1"),
                                           ("decoupled", 1)])
def test_adam_wrong_option_type(api, option, value):
    with pytest.raises(TypeError, match=rf"^{option} must be"):
        adam(api, **{option: value})


def test_sgd_checks(api):
    with pytest.raises(ValueError, match=r"^momentum must be >= 0"):
        api.sgd_step(arr(2), arr(2), lr=0.1, momentum=-0.5, buf=arr(2))
    with pytest.raises(ValueError, match=r"^buf is required when momentum"):
        api.sgd_step(arr(2), arr(2), lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"^nesterov requires momentum > 0 and dampening == 0"):
        api.sgd_step(arr(2), arr(2), lr=0.1, momentum=0.9, dampening=0.1, nesterov=True, buf=arr(2))
    with pytest.raises(ValueError, match=r"^nesterov requires"):
        api.sgd_step(arr(2), arr(2), lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match=r"^buf must have the shape of p"):
        api.sgd_step(arr(2), arr(2), lr=0.1, momentum=0.9, buf=arr(3))


def test_rmsprop_checks(api):
    sq = arr(2)
    with pytest.raises(ValueError, match=r"^alpha must be >= 0"):
        api.rmsprop_step(arr(2), arr(2), sq, lr=0.1, alpha=-0.9)
    with pytest.raises(ValueError, match=r"^buf is required when momentum > 0"):
        api.rmsprop_step(arr(2), arr(2), sq, lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"^grad_avg is required when centered"):
        api.rmsprop_step(arr(2), arr(2), sq, lr=0.1, centered=True)
    with pytest.raises(TypeError, match=r"^square_avg must be an array"):
        api.rmsprop_step(arr(2), arr(2), None, lr=0.1)


def test_adagrad_checks(api):
    with pytest.raises(ValueError, match=r"^eps must be >= 0"):
        api.adagrad_step(arr(2), arr(2), arr(2), lr=0.1, eps=-1.0)
    with pytest.raises(ValueError, match=r"^sum_sq must have the shape of p"):
        api.adagrad_step(arr(2), arr(2), arr(1), lr=0.1)


def test_not_updatable_in_place(api):
    with pytest.raises(ValueError, match=r"^p must be C-contiguous"):
        adam(api, p=arr(4, 3).T)
    read_only = arr(3, 4)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match=r"^v must be writeable"):
        adam(api, v=read_only)


def test_aliasing(api):
    shared = arr(3, 4)
    with pytest.raises(ValueError, match=r"^v shares memory with m"):
        adam(api, m=shared, v=shared)
    with pytest.raises(ValueError, match=r"shares memory with"):
        adam(api, p=shared, g=shared)
    buffer = arr(20)
    with pytest.raises(ValueError, match=r"shares memory with"):  # overlapping windows
        api.adagrad_step(buffer[:10], arr(10), buffer[5:15], lr=0.1)


@pytest.mark.parametrize("module", [kernels, reference], ids=["kernels", "reference"])
def test_a_gradient_may_be_shared(module):
    """Gradients are only read: two parameters may take the same one."""
    g = arr(3, 4)
    params = [arr(3, 4), arr(3, 4)]
    module.sgd_step_multi(params, [g, g], lr=0.5)
    assert all(np.array_equal(p, np.full((3, 4), 0.5, F32)) for p in params)


def test_multi_checks(api):
    params = [arr(2), arr(3)]
    with pytest.raises(TypeError, match=r"^params must be a list or tuple"):
        api.sgd_step_multi(arr(2), [arr(2)], lr=0.1)
    with pytest.raises(ValueError, match=r"^grads must have one array per parameter"):
        api.sgd_step_multi(params, [arr(2)], lr=0.1)
    with pytest.raises(ValueError, match=r"^grads\[1\] must have the shape of params\[1\]"):
        api.sgd_step_multi(params, [arr(2), arr(2)], lr=0.1)
    with pytest.raises(ValueError, match=r"^params\[1\] shares memory with params\[0\]"):
        api.sgd_step_multi([params[0], params[0]], [arr(2), arr(2)], lr=0.1)
    with pytest.raises(ValueError, match=r"^bufs is required"):
        api.sgd_step_multi(params, [arr(2), arr(3)], lr=0.1, momentum=0.9)
    with pytest.raises(TypeError, match=r"^vs must be a list of arrays"):
        api.adam_step_multi(params, [arr(2), arr(3)], [arr(2), arr(3)], None, step=1, lr=0.1)


def test_cpu_rejects_bad_buffers():
    """Direct calls of mdlfast._cpu (no validation) raise instead of reading out of bounds."""
    p, g, m, v = arr(5), arr(5), arr(5), arr(5)
    with pytest.raises(ValueError, match="grad"):
        _cpu.adam_step([p], [arr(4)], [m], [v], 1, 0.1, 0.9, 0.999, 1e-8, 0.0, False)
    with pytest.raises(ValueError, match="one array per parameter"):
        _cpu.adam_step([p], [g], [m], [], 1, 0.1, 0.9, 0.999, 1e-8, 0.0, False)
    with pytest.raises(ValueError, match="step"):
        _cpu.adam_step([p], [g], [m], [v], 0, 0.1, 0.9, 0.999, 1e-8, 0.0, False)
    with pytest.raises(ValueError, match="bufs are required"):
        _cpu.sgd_step([p], [g], [], 0.1, 0.9, 0.0, False, 0.0, False)
    with pytest.raises(TypeError, match="float32"):
        _cpu.adagrad_step([p], [g], [arr(5, dtype=np.float64)], 0.1, 1e-10, 0.0)
    with pytest.raises(ValueError, match="C-contiguous"):
        _cpu.rmsprop_step([arr(5, 2).T], [arr(2, 5)], [arr(2, 5)], [], [], 0.1, 0.99, 1e-8, 0.0, 0.0, False)


def test_optimizer_arguments_on_two_devices_are_refused():
    """A CuPy parameter with a NumPy gradient (or the reverse) is a ValueError naming the argument,
    raised before any kernel runs."""
    from test_errors import FakeCupyArray

    p = FakeCupyArray((4,))
    with pytest.raises(ValueError, match=r"g is a numpy array but the parameters are cupy arrays"):
        kernels.sgd_step(p, np.ones(4, np.float32), lr=0.1)
    with pytest.raises(ValueError, match=r"params\[1\] is a numpy array but the parameters are cupy arrays"):
        kernels.sgd_step_multi([FakeCupyArray((4,)), np.ones(4, np.float32)],
                               [FakeCupyArray((4,)), np.ones(4, np.float32)], lr=0.1)
