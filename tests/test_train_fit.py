"""mdlfast.train: fit (history, metrics, progress with and without tqdm), evaluate, the callbacks
(early stopping with best-weight restore, checkpointing through mdlfast.save, LR scheduling) and
the plots."""
from __future__ import annotations

import sys

import numpy as np
import pytest

import mdlfast
from mdlfast import data, nn, optim
from mdlfast import train
from mdlfast.train import progress as progress_module


@pytest.fixture(autouse=True)
def _one_thread():
    """These tests check models, not threading: one thread keeps their many tiny kernels from
    waiting on a descheduled second thread on a busy machine."""
    previous = mdlfast.get_num_threads()
    mdlfast.set_num_threads(1)
    try:
        yield
    finally:
        mdlfast.set_num_threads(previous)


def _blobs(n=120, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]], np.float32)
    y = rng.integers(0, 3, n).astype(np.int64)
    X = (centres[y] + 0.5 * rng.standard_normal((n, 2))).astype(np.float32)
    return X, y


def _setup(lr=0.1, seed=0):
    mdlfast.manual_seed(seed)
    X, y = _blobs(seed=seed)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    opt = optim.SGD(model.parameters(), lr=lr)
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=16, shuffle=True, seed=seed)
    val = data.DataLoader(data.TensorDataset(*_blobs(60, seed + 1)), batch_size=32)
    return model, opt, loader, val


def test_fit_reduces_loss_and_records_history():
    model, opt, loader, val = _setup()
    history = train.fit(model, nn.CrossEntropyLoss(), opt, loader, val, epochs=8, progress=False)
    assert history.epochs == 8
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"):
        assert len(history[key]) == 8
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["val_accuracy"][-1] > 0.9
    assert history.best("val_accuracy")[1] == max(history["val_accuracy"])
    assert not model.training


def test_evaluate_matches_a_manual_pass_and_restores_mode():
    model, opt, loader, val = _setup()
    train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=2, progress=False)
    model.train()
    result = train.evaluate(model, val, nn.CrossEntropyLoss())
    assert model.training
    X, y = val.dataset.arrays
    with mdlfast.no_grad():
        logits = model(mdlfast.tensor(X)).numpy()
    assert result["accuracy"] == pytest.approx(np.mean(logits.argmax(1) == y))
    manual = nn.functional.cross_entropy(mdlfast.tensor(logits), mdlfast.tensor(y)).item()
    assert result["loss"] == pytest.approx(manual, rel=1e-5)


def test_early_stopping_stops_and_restores_best_weights():
    model, opt, loader, val = _setup(lr=0.05)
    seen = {}

    class Spy(train.Callback):
        def on_epoch_end(self, state, record):
            seen[state.epoch] = {k: v.copy() for k, v in state.model.state_dict().items()}

    # A patience of 0 with a huge min_delta: epoch 2 can never improve on epoch 1.
    stopper = train.EarlyStopping(monitor="val_loss", patience=0, min_delta=1e9)
    history = train.fit(model, nn.CrossEntropyLoss(), opt, loader, val, epochs=10,
                        callbacks=[Spy(), stopper], progress=False)
    assert history.epochs == 2
    assert stopper.best_epoch == 0 and stopper.stopped_epoch == 1
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, seen[0][key])


def test_early_stopping_needs_the_monitored_value():
    model, opt, loader, _ = _setup()
    with pytest.raises(ValueError, match="val_loss"):
        train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=1,
                  callbacks=[train.EarlyStopping()], progress=False)
    with pytest.raises(ValueError, match="patience"):
        train.EarlyStopping(patience=-1)


def test_checkpoint_saves_the_best_state(tmp_path):
    model, opt, loader, val = _setup()
    path = tmp_path / "best.mdl"
    checkpoint = train.ModelCheckpoint(path, monitor="val_accuracy")
    history = train.fit(model, nn.CrossEntropyLoss(), opt, loader, val, epochs=4,
                        callbacks=[checkpoint], progress=False)
    assert checkpoint.saved and checkpoint.best == max(history["val_accuracy"])
    state = mdlfast.load(path)
    fresh = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    fresh.load_state_dict(state)
    X, y = val.dataset.arrays
    with mdlfast.no_grad():
        accuracy = np.mean(fresh(mdlfast.tensor(X)).numpy().argmax(1) == y)
    assert accuracy == pytest.approx(checkpoint.best)


def test_checkpoint_every_epoch_formats_the_path(tmp_path):
    model, opt, loader, _ = _setup()
    checkpoint = train.ModelCheckpoint(tmp_path / "e{epoch}.mdl", save_best_only=False)
    train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=3, callbacks=[checkpoint],
              progress=False)
    assert [p.split("/")[-1] for p in checkpoint.saved] == ["e1.mdl", "e2.mdl", "e3.mdl"]


def test_lr_scheduler_callback_steps_once_per_epoch():
    model, opt, loader, _ = _setup(lr=0.1)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=3,
                        callbacks=[train.LRScheduler(scheduler)], progress=False)
    assert history["lr"] == pytest.approx([0.1, 0.05, 0.025])


def test_plateau_scheduler_gets_the_monitored_value():
    model, opt, loader, val = _setup(lr=0.1)
    scheduler = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    calls = []
    original = scheduler.step
    scheduler.step = lambda value: (calls.append(value), original(value))
    history = train.fit(model, nn.CrossEntropyLoss(), opt, loader, val, epochs=3,
                        callbacks=[train.LRScheduler(scheduler)], progress=False)
    assert calls == history["val_loss"]


def test_autoencoder_batches_without_targets():
    mdlfast.manual_seed(0)
    X = np.random.default_rng(0).standard_normal((64, 4)).astype(np.float32)
    model = nn.Sequential(nn.Linear(4, 2), nn.Linear(2, 4))
    opt = optim.Adam(model.parameters(), lr=0.02)
    loader = data.DataLoader(data.TensorDataset(X), batch_size=16)
    history = train.fit(model, nn.MSELoss(), opt, loader, epochs=20, progress=False)
    assert "accuracy" not in history
    assert history["loss"][-1] < 0.8 * history["loss"][0]


def test_progress_with_tqdm_and_without(monkeypatch, capsys):
    model, opt, loader, _ = _setup()
    monkeypatch.setattr(progress_module, "_tqdm", lambda: None)
    train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=2, progress=True)
    lines = [line for line in capsys.readouterr().err.splitlines() if line]
    assert len(lines) == 2 and lines[0].startswith("epoch 1/2") and "loss" in lines[0]
    monkeypatch.undo()
    pytest.importorskip("tqdm")
    train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=1, progress=True)
    assert "epoch 1/1" in capsys.readouterr().err


def test_accuracy_of_binary_and_multiclass():
    assert train.accuracy_of(np.array([[0.1, 2.0], [3.0, 0.0]]), np.array([1, 1])) == 0.5
    assert train.accuracy_of(np.array([[0.5], [-1.0]]), np.array([[1.0], [1.0]])) == 0.5
    assert train.accuracy_of(np.array([0.5, 1.2]), np.array([0.3, 2.0])) is None


def test_fit_rejects_bad_epochs():
    model, opt, loader, _ = _setup()
    with pytest.raises(ValueError, match="epochs"):
        train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=-1, progress=False)


def test_plots_draw(tmp_path):
    pytest.importorskip("matplotlib")
    from mdlfast.train.plot import save_figure

    model, opt, loader, val = _setup()
    history = train.fit(model, nn.CrossEntropyLoss(), opt, loader, val, epochs=2, progress=False)
    save_figure(train.plot_history(history), tmp_path / "h.png")
    save_figure(train.plot_confusion_matrix(np.array([[3, 1], [0, 4]]), normalize=True),
                tmp_path / "c.png")
    images = np.random.default_rng(0).random((4, 64))
    save_figure(train.plot_reconstructions(images, images, image_shape=(8, 8)), tmp_path / "r.png")
    for name in ("h", "c", "r"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="square"):
        train.plot_confusion_matrix(np.ones((2, 3)))


def test_plots_name_the_missing_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    from mdlfast.train.plot import pyplot

    with pytest.raises(ImportError, match=r"mdlfast\[plot\]"):
        pyplot()
