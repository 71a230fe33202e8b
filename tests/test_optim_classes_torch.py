"""mdlfast.optim's first-order optimizers step for step against torch.optim (foreach=False) from
identical weights and gradients: every option set, two parameter groups with their own options,
parameters that miss a gradient on some steps, float64 parameters (the NumPy reference path), and
the state tensors PyTorch keeps."""
from __future__ import annotations

import numpy as np
import pytest

from _checks import rng_for
from _optim_params import SHAPES, assert_params_close, initial_arrays, ours, require_tensor, set_grads, theirs
from mdlfast import optim

torch = pytest.importorskip("torch")

STEPS = 6

# (name, class name, options for both, state names shared by both)
CASES = [
    ("sgd", "SGD", dict(lr=0.1), []),
    ("sgd_wd", "SGD", dict(lr=0.05, weight_decay=0.1), []),
    ("sgd_momentum", "SGD", dict(lr=0.05, momentum=0.9), ["momentum_buffer"]),
    ("sgd_dampening", "SGD", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01), ["momentum_buffer"]),
    ("sgd_nesterov", "SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.02), ["momentum_buffer"]),
    ("sgd_maximize", "SGD", dict(lr=0.05, momentum=0.5, maximize=True), ["momentum_buffer"]),
    ("adam", "Adam", dict(lr=1e-2), ["exp_avg", "exp_avg_sq"]),
    ("adam_options", "Adam", dict(lr=3e-2, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1), ["exp_avg", "exp_avg_sq"]),
    ("adam_maximize", "Adam", dict(lr=1e-2, maximize=True), ["exp_avg", "exp_avg_sq"]),
    ("adamw", "AdamW", dict(lr=1e-2), ["exp_avg", "exp_avg_sq"]),
    ("adamw_options", "AdamW", dict(lr=2e-2, betas=(0.85, 0.99), weight_decay=0.3), ["exp_avg", "exp_avg_sq"]),
    ("rmsprop", "RMSprop", dict(lr=1e-2), ["square_avg"]),
    ("rmsprop_momentum", "RMSprop", dict(lr=1e-2, momentum=0.9, weight_decay=0.05), ["square_avg", "momentum_buffer"]),
    ("rmsprop_centered", "RMSprop", dict(lr=1e-2, alpha=0.9, centered=True), ["square_avg", "grad_avg"]),
    ("rmsprop_all", "RMSprop", dict(lr=5e-3, momentum=0.5, centered=True, eps=1e-4), ["square_avg", "momentum_buffer", "grad_avg"]),
    ("adagrad", "Adagrad", dict(lr=0.1), ["sum"]),
    ("adagrad_options", "Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.3,
                                        eps=1e-6), ["sum"]),
]


def _groups(params, options, split):
    """One group with `options`, or two where the second overrides lr (and weight decay)."""
    if not split:
        return [{"params": params}]
    second = {"params": params[2:], "lr": options["lr"] * 0.3}
    if "weight_decay" in options:
        second["weight_decay"] = options["weight_decay"] * 2
    return [{"params": params[:2]}, second]


def _run(case, split, dtype, drop):
    name, cls, options, states = case
    rng = rng_for(name, "classes", split, str(dtype), drop)
    arrays = initial_arrays(rng, dtype=dtype)
    p_ours, p_torch = ours(arrays), theirs(arrays)
    opt_ours = getattr(optim, cls)(_groups(p_ours, options, split), **options)
    opt_torch = getattr(torch.optim, cls)(_groups(p_torch, options, split), foreach=False, **options)
    for step in range(STEPS):
        grads = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
        if drop and step % 2 == 1:
            grads[1] = None  # a parameter without a gradient this step is left alone
        set_grads(p_ours, p_torch, grads)
        opt_ours.step()
        opt_torch.step()
        assert_params_close(p_ours, p_torch)
    for k, (p, q) in enumerate(zip(p_ours, p_torch)):
        for state_name in states:
            np.testing.assert_allclose(opt_ours.state[p][state_name], opt_torch.state[q][state_name].numpy(),
                                       rtol=1e-5, atol=1e-6, err_msg=f"{state_name} of param {k}")
        if "step" in opt_torch.state[q]:
            assert opt_ours.state[p]["step"] == int(opt_torch.state[q]["step"])


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(case):
    _run(case, split=False, dtype=np.float32, drop=False)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matches_torch_with_groups_and_missing_gradients(case):
    _run(case, split=True, dtype=np.float32, drop=True)


@pytest.mark.parametrize("case", [c for c in CASES if c[0] in ("sgd_nesterov", "adam_options", "adamw",
                                                                 "rmsprop_all", "adagrad_options")],
                         ids=lambda c: c[0])
def test_float64_parameters_match_torch(case):
    _run(case, split=True, dtype=np.float64, drop=False)


def test_one_fused_call_per_group_and_step(monkeypatch):
    """The whole group goes through one *_step_multi call (the kernels' validation runs once, on
    the first step over a given set of arrays)."""
    require_tensor()
    import mdlfast
    from mdlfast import kernels
    from mdlfast.optim import _fused

    calls = {"validated": 0, "direct": 0}
    validated, direct = kernels.adam_step_multi, _fused._KERNELS["adam_step"][1]

    def count_validated(*args, **kwargs):
        calls["validated"] += 1
        return validated(*args, **kwargs)

    def count_direct(a):
        calls["direct"] += 1
        return direct(a)

    monkeypatch.setattr(kernels, "adam_step_multi", count_validated)
    monkeypatch.setitem(_fused._KERNELS, "adam_step", (_fused.step_args.AdamArgs, count_direct))
    rng = np.random.default_rng(0)
    params = ours(initial_arrays(rng))
    opt = optim.Adam(params, lr=1e-3)
    for _ in range(4):
        for p in params:
            p.grad = mdlfast.tensor(rng.standard_normal(p.data.shape).astype(np.float32))
        opt.step()
    assert calls == {"validated": 1, "direct": 3}
