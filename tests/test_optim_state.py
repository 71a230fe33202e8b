"""Optimizer state: state_dict in torch.optim's structure, load_state_dict, resuming through
mdlfast.save/load bit for bit, zero_grad, parameter groups, and the constructor errors PyTorch
raises (with its messages)."""
from __future__ import annotations

import numpy as np
import pytest

import mdlfast
from _optim_params import SHAPES, initial_arrays, ours, require_tensor
from mdlfast import optim

FIRST_ORDER = [
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)),
    (optim.Adam, dict(lr=1e-2, weight_decay=1e-2)),
    (optim.AdamW, dict(lr=1e-2)),
    (optim.RMSprop, dict(lr=1e-2, momentum=0.5, centered=True)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01)),
]


def _gradient_of(params, step):
    """A deterministic gradient that depends on the parameters (a quadratic's), so any difference
    in the trajectory shows."""
    return [np.asarray(np.float32(0.5) * p.data - np.float32(0.1 * (step % 3)) + np.float32(0.01) * p.data ** 3,
                       dtype=np.float32) for p in params]


def _train(opt, params, steps, first_step=0):
    for step in range(first_step, first_step + steps):
        for p, g in zip(params, _gradient_of(params, step)):
            p.grad = mdlfast.tensor(g)
        opt.step()


def _make(cls, options, arrays):
    params = ours(arrays)
    groups = [{"params": params[:2]}, {"params": params[2:], "lr": options["lr"] / 2}]
    return params, cls(groups, **options)


@pytest.mark.parametrize("cls,options", FIRST_ORDER, ids=lambda v: getattr(v, "__name__", ""))
def test_resume_from_checkpoint_is_bit_identical(tmp_path, cls, options):
    arrays = initial_arrays(np.random.default_rng(3))
    params, opt = _make(cls, options, arrays)
    _train(opt, params, 10)
    expected = [p.data.copy() for p in params]

    params, opt = _make(cls, options, arrays)
    _train(opt, params, 4)
    mdlfast.save({"params": [p.data for p in params], "optimizer": opt.state_dict(), "epoch": 4},
                  tmp_path / "ckpt")
    checkpoint = mdlfast.load(tmp_path / "ckpt")
    fresh, fresh_opt = _make(cls, options, [a * 0 + 7 for a in arrays])
    for p, saved in zip(fresh, checkpoint["params"]):
        p.data[...] = saved
    fresh_opt.load_state_dict(checkpoint["optimizer"])
    _train(fresh_opt, fresh, 10 - checkpoint["epoch"], first_step=checkpoint["epoch"])
    for got, want in zip(fresh, expected):
        assert got.data.tobytes() == want.tobytes()


def test_state_dict_structure_is_torch_like():
    params, opt = _make(optim.Adam, dict(lr=1e-3), initial_arrays(np.random.default_rng(0)))
    _train(opt, params, 2)
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2, 3, 4]]
    assert sd["param_groups"][1]["lr"] == 5e-4 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert sorted(sd["state"]) == [0, 1, 2, 3, 4]
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"} and sd["state"][0]["step"] == 2


def test_state_dict_matches_torch_keys():
    torch = pytest.importorskip("torch")
    arrays = initial_arrays(np.random.default_rng(0))
    for cls, options in FIRST_ORDER:
        params, opt = _make(cls, options, arrays)
        q = [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in arrays]
        topt = getattr(torch.optim, cls.__name__)([{"params": q[:2]}, {"params": q[2:], "lr": options["lr"] / 2}],
                                                  **options)
        _train(opt, params, 1)
        for p in q:
            p.grad = torch.ones_like(p)
        topt.step()
        ours_sd, torch_sd = opt.state_dict(), topt.state_dict()
        assert {k: set(v) for k, v in ours_sd["state"].items()} == {k: set(v) for k, v in torch_sd["state"].items()}
        for g, h in zip(ours_sd["param_groups"], torch_sd["param_groups"]):
            assert g["params"] == h["params"]
            assert set(g) <= set(h), cls.__name__


def test_load_state_dict_copies_and_checks_sizes():
    arrays = initial_arrays(np.random.default_rng(0))
    params, opt = _make(optim.SGD, dict(lr=0.1, momentum=0.9), arrays)
    _train(opt, params, 1)
    sd = opt.state_dict()
    other_params, other = _make(optim.SGD, dict(lr=0.1, momentum=0.9), arrays)
    other.load_state_dict(sd)
    buf = other.state[other_params[0]]["momentum_buffer"]
    assert buf is not sd["state"][0]["momentum_buffer"]
    np.testing.assert_array_equal(buf, sd["state"][0]["momentum_buffer"])
    one_group = optim.SGD(ours(arrays), lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        one_group.load_state_dict(sd)
    mismatched = optim.SGD([{"params": ours(arrays)[:3]}, {"params": ours(arrays)[3:]}], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size"):
        mismatched.load_state_dict(sd)


def test_zero_grad():
    params, opt = _make(optim.SGD, dict(lr=0.1), initial_arrays(np.random.default_rng(0)))
    for p in params:
        p.grad = mdlfast.tensor(np.ones_like(p.data))
    grad = params[0].grad
    opt.zero_grad(set_to_none=False)
    assert params[0].grad is grad and not grad.data.any()
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_parameters_without_gradients_are_untouched():
    arrays = initial_arrays(np.random.default_rng(0))
    params, opt = _make(optim.Adam, dict(lr=0.1), arrays)
    params[0].grad = mdlfast.tensor(np.ones_like(params[0].data))
    opt.step()
    assert params[1].data.tobytes() == arrays[1].tobytes() and params[1] not in opt.state
    assert params[0].data.tobytes() != arrays[0].tobytes()


def test_step_returns_the_closure_loss():
    params, opt = _make(optim.Adam, dict(lr=0.1), initial_arrays(np.random.default_rng(0)))

    def closure():
        for p in params:
            p.grad = mdlfast.tensor(np.ones_like(p.data))
        return 1.25

    assert opt.step(closure) == 1.25
    assert opt.step() is None


ERRORS = [
    (optim.SGD, dict(lr=-0.1), "Invalid learning rate: -0.1"),
    (optim.SGD, dict(lr=0.1, momentum=-1.0), "Invalid momentum value: -1.0"),
    (optim.SGD, dict(lr=0.1, weight_decay=-1e-3), "Invalid weight_decay value"),
    (optim.SGD, dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov momentum requires"),
    (optim.Adam, dict(lr=float("nan")), "Invalid learning rate: nan"),
    (optim.Adam, dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (optim.Adam, dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (optim.Adam, dict(eps=-1e-8), "Invalid epsilon value"),
    (optim.Adam, dict(amsgrad=True), "amsgrad"),
    (optim.AdamW, dict(weight_decay=-1.0), "Invalid weight_decay value"),
    (optim.RMSprop, dict(alpha=-0.5), "Invalid alpha value"),
    (optim.RMSprop, dict(momentum=-0.5), "Invalid momentum value"),
    (optim.Adagrad, dict(lr_decay=-1.0), "Invalid lr_decay value"),
    (optim.Adagrad, dict(initial_accumulator_value=-1.0), "Invalid initial_accumulator_value value"),
    (optim.LBFGS, dict(lr=-1.0), "Invalid learning rate"),
    (optim.Newton, dict(hessian="bfgs"), "hessian must be one of"),
]


@pytest.mark.parametrize("cls,options,message", ERRORS, ids=[m for _, _, m in ERRORS])
def test_bad_hyper_parameters_raise_value_error(cls, options, message):
    params = ours(initial_arrays(np.random.default_rng(0)))
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        cls(params, **options)


def test_bad_hyper_parameter_in_a_group_raises():
    params = ours(initial_arrays(np.random.default_rng(0)))
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.Adam([{"params": params[:2]}, {"params": params[2:], "lr": -1}])


def test_bad_parameter_lists():
    Parameter = require_tensor()
    params = ours(initial_arrays(np.random.default_rng(0)))
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got"):
        optim.SGD(params[0], lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the params is ndarray"):
        optim.Adam([np.zeros(3, np.float32)])
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": params[:2]}, {"params": params[1:]}], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": set(params)}], lr=0.1)
    assert isinstance(params[0], Parameter)


@pytest.mark.parametrize("cls,options", FIRST_ORDER[:2], ids=lambda v: getattr(v, "__name__", ""))
def test_model_checkpoint_resumes_training_bit_for_bit(tmp_path, cls, options):
    """An nn model trained by backward(): k steps, save model+optimizer+epoch, load into a fresh
    model and optimizer, continue; the result equals the uninterrupted run's bytes."""
    require_tensor()
    from mdlfast import nn

    rng = np.random.default_rng(4)
    x = mdlfast.tensor(rng.standard_normal((16, 5)).astype(np.float32))
    y = mdlfast.tensor(rng.standard_normal((16, 2)).astype(np.float32))

    def fresh():
        mdlfast.manual_seed(0)
        model = nn.Sequential(nn.Linear(5, 8), nn.Linear(8, 2))
        return model, cls(model.parameters(), **options)

    def train(model, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()

    model, opt = fresh()
    train(model, opt, 7)
    expected = {k: v.copy() for k, v in model.state_dict().items()}

    model, opt = fresh()
    train(model, opt, 3)
    mdlfast.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, tmp_path / "m")
    model, opt = fresh()
    train(model, opt, 1)  # the fresh model differs from the checkpoint before loading
    checkpoint = mdlfast.load(tmp_path / "m")
    model.load_state_dict(checkpoint["model"])
    opt.load_state_dict(checkpoint["optimizer"])
    train(model, opt, 7 - checkpoint["epoch"])
    got = model.state_dict()
    assert list(got) == list(expected)
    for key in expected:
        assert got[key].tobytes() == expected[key].tobytes(), key


def test_a_torch_state_dict_as_arrays_continues_the_torch_run():
    """torch.optim's state_dict, its tensors turned into NumPy arrays, loads into the mdlfast
    optimizer, which then continues exactly as torch does."""
    torch = pytest.importorskip("torch")
    from _optim_params import assert_params_close, set_grads, theirs

    rng = np.random.default_rng(9)
    arrays = initial_arrays(rng)
    q = theirs(arrays)
    topt = torch.optim.Adam([{"params": q[:2]}, {"params": q[2:], "lr": 5e-3}], lr=1e-2, foreach=False)
    p = ours(arrays)
    opt = optim.Adam([{"params": p[:2]}, {"params": p[2:], "lr": 5e-3}], lr=1e-2)

    def step(both):
        set_grads(p, q, [rng.standard_normal(s).astype(np.float32) for s in SHAPES])
        if both:
            opt.step()
        topt.step()

    for _ in range(3):
        step(both=False)
    for a, b in zip(p, q):
        a.data[...] = b.detach().numpy()
    sd = topt.state_dict()
    opt.load_state_dict({"state": {k: {n: v.numpy() for n, v in s.items()} for k, s in sd["state"].items()},
                         "param_groups": sd["param_groups"]})
    assert opt.state[p[0]]["step"] == 3
    for _ in range(3):
        step(both=True)
    assert_params_close(p, q)


def test_a_failed_first_step_leaves_no_half_made_state():
    params, opt = _make(optim.SGD, dict(lr=0.1, momentum=0.9), initial_arrays(np.random.default_rng(0)))
    for p in params:
        p.grad = mdlfast.tensor(np.ones_like(p.data))
    params[0].grad = mdlfast.tensor(np.ones(3, np.float32))  # the wrong shape
    with pytest.raises(ValueError, match="shape"):
        opt.step()
    assert all("momentum_buffer" not in opt.state.get(p, {}) for p in params[:2])
