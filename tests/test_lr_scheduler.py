"""Learning-rate schedulers against torch.optim.lr_scheduler: the same lr sequence for every group
(bit for bit: the recursive formulas are PyTorch's), state_dict round trips through mdlfast.save,
and ReduceLROnPlateau's patience, cooldown, threshold modes and min_lr."""
from __future__ import annotations

import math

import numpy as np
import pytest

import mdlfast
from _optim_params import initial_arrays, ours
from mdlfast import optim
from mdlfast.optim import lr_scheduler

torch = pytest.importorskip("torch")

EPOCHS = 25

SCHEDULERS = [
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("StepLR", dict(step_size=1, gamma=0.9)),
    ("ExponentialLR", dict(gamma=0.87)),
    ("CosineAnnealingLR", dict(T_max=7)),
    ("CosineAnnealingLR", dict(T_max=5, eta_min=0.01)),
]


def _pair(lrs=(0.1, 0.03)):
    rng = np.random.default_rng(0)
    arrays = initial_arrays(rng, [(3,), (2,)])
    p = ours(arrays)
    q = [torch.nn.Parameter(torch.from_numpy(a)) for a in arrays]
    ours_opt = optim.SGD([{"params": p[:1], "lr": lrs[0]}, {"params": p[1:], "lr": lrs[1]}], momentum=0.9)
    torch_opt = torch.optim.SGD([{"params": q[:1], "lr": lrs[0]}, {"params": q[1:], "lr": lrs[1]}], momentum=0.9)
    return ours_opt, torch_opt


@pytest.mark.parametrize("name,options", SCHEDULERS, ids=lambda v: str(v))
def test_lr_sequence_matches_torch(name, options):
    ours_opt, torch_opt = _pair()
    ours_sched = getattr(lr_scheduler, name)(ours_opt, **options)
    torch_sched = getattr(torch.optim.lr_scheduler, name)(torch_opt, **options)
    assert ours_sched.get_last_lr() == torch_sched.get_last_lr()
    for _ in range(EPOCHS):
        torch_opt.step()
        ours_sched.step()
        torch_sched.step()
        assert ours_sched.get_last_lr() == torch_sched.get_last_lr()
        assert [g["lr"] for g in ours_opt.param_groups] == [g["lr"] for g in torch_opt.param_groups]
    assert ours_sched.last_epoch == torch_sched.last_epoch == EPOCHS


@pytest.mark.parametrize("name,options", SCHEDULERS[::2], ids=lambda v: str(v))
def test_state_dict_resumes_the_sequence(tmp_path, name, options):
    ours_opt, _ = _pair()
    sched = getattr(lr_scheduler, name)(ours_opt, **options)
    for _ in range(6):
        sched.step()
    mdlfast.save({"optimizer": ours_opt.state_dict(), "scheduler": sched.state_dict()}, tmp_path / "c")
    expected = []
    for _ in range(8):
        sched.step()
        expected.append(sched.get_last_lr())

    fresh_opt, _ = _pair(lrs=(5.0, 5.0))
    checkpoint = mdlfast.load(tmp_path / "c")
    fresh_opt.load_state_dict(checkpoint["optimizer"])
    fresh = getattr(lr_scheduler, name)(fresh_opt, **options)
    fresh.load_state_dict(checkpoint["scheduler"])
    assert [fresh.step() or fresh.get_last_lr() for _ in range(8)] == expected


def test_closed_form_with_explicit_epoch_matches_torch():
    ours_opt, torch_opt = _pair()
    ours_sched = lr_scheduler.CosineAnnealingLR(ours_opt, T_max=10)
    torch_sched = torch.optim.lr_scheduler.CosineAnnealingLR(torch_opt, T_max=10)
    with pytest.warns(UserWarning):
        ours_sched.step(4)
    with pytest.warns(UserWarning):
        torch_sched.step(4)
    assert ours_sched.get_last_lr() == pytest.approx(torch_sched.get_last_lr(), rel=1e-15)


PLATEAU = [
    dict(),
    dict(mode="max", factor=0.5, patience=2, threshold=0.1, threshold_mode="abs"),
    dict(patience=1, cooldown=2, min_lr=[0.005, 0.02], threshold=0.05),
    dict(mode="min", patience=0, factor=0.3, threshold_mode="abs", threshold=0.2, eps=1e-3),
]


@pytest.mark.parametrize("options", PLATEAU, ids=range(len(PLATEAU)))
def test_reduce_on_plateau_matches_torch(options):
    ours_opt, torch_opt = _pair()
    ours_sched = lr_scheduler.ReduceLROnPlateau(ours_opt, **options)
    torch_sched = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_opt, **options)
    rng = np.random.default_rng(1)
    metrics = np.cumsum(rng.standard_normal(60) * 0.3) + np.linspace(3, 0, 60)
    for value in metrics:
        ours_sched.step(float(value))
        torch_sched.step(float(value))
        assert ours_sched.get_last_lr() == torch_sched.get_last_lr()
        assert (ours_sched.best, ours_sched.num_bad_epochs, ours_sched.cooldown_counter) == \
            (torch_sched.best, torch_sched.num_bad_epochs, torch_sched.cooldown_counter)
    assert ours_sched.get_last_lr() != [0.1, 0.03]  # the lr was reduced at least once


def test_reduce_on_plateau_state_round_trip(tmp_path):
    ours_opt, _ = _pair()
    sched = lr_scheduler.ReduceLROnPlateau(ours_opt, patience=1)
    for value in (3.0, 2.0, 2.5, 2.6):
        sched.step(value)
    mdlfast.save(sched.state_dict(), tmp_path / "s")
    restored = lr_scheduler.ReduceLROnPlateau(_pair()[0], patience=1)
    restored.load_state_dict(mdlfast.load(tmp_path / "s"))
    assert restored.state_dict() == sched.state_dict()
    assert math.isinf(lr_scheduler.ReduceLROnPlateau(_pair()[0]).best)


def test_errors():
    ours_opt, _ = _pair()
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        lr_scheduler.ReduceLROnPlateau(ours_opt, factor=1.0)
    with pytest.raises(ValueError, match="mode"):
        lr_scheduler.ReduceLROnPlateau(ours_opt, mode="up")
    with pytest.raises(ValueError, match="expected 2 min_lrs"):
        lr_scheduler.ReduceLROnPlateau(ours_opt, min_lr=[0.1])
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=2)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.ExponentialLR(ours_opt, gamma=0.9, last_epoch=3)
