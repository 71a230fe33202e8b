"""Datasets, DataLoader, collate, splits and k-fold cross-validation."""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast.data import (DataLoader, Dataset, KFold, StratifiedKFold, Subset, TensorDataset,
                          default_collate, random_split, train_val_test_split)


class ListDataset(Dataset):
    def __init__(self, items):
        self.items = items

    def __getitem__(self, i):
        return self.items[i]

    def __len__(self):
        return len(self.items)


def _xy(n=23, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)).astype(np.float32), rng.integers(0, 4, n)


def test_tensor_dataset_items_and_length_check():
    X, y = _xy()
    ds = TensorDataset(X, y)
    assert len(ds) == 23
    x5, y5 = ds[5]
    np.testing.assert_array_equal(x5, X[5])
    assert y5 == y[5]
    with pytest.raises(ValueError, match="same first dimension"):
        TensorDataset(X, y[:-1])
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()


@pytest.mark.parametrize("batch_size,drop_last,expected", [(5, False, 5), (5, True, 4),
                                                           (23, False, 1), (30, True, 0),
                                                           (1, False, 23)])
def test_len_matches_torch_convention(batch_size, drop_last, expected):
    X, y = _xy()
    loader = DataLoader(TensorDataset(X, y), batch_size, drop_last=drop_last)
    assert len(loader) == expected
    assert len(list(loader)) == expected


def test_unshuffled_batches_cover_data_in_order():
    X, y = _xy()
    batches = list(DataLoader(TensorDataset(X, y), batch_size=5))
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), X)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), y)
    assert [len(b[1]) for b in batches] == [5, 5, 5, 5, 3]


def test_shuffle_is_a_permutation_reproducible_from_seed_and_differs_between_epochs():
    X, y = _xy()
    ds = TensorDataset(X, np.arange(23))

    def epochs(loader, n=2):
        return [np.concatenate([b[1] for b in loader]) for _ in range(n)]

    a = epochs(DataLoader(ds, 4, shuffle=True, seed=7))
    b = epochs(DataLoader(ds, 4, shuffle=True, generator=np.random.default_rng(7)))
    for first, second in zip(a, b):
        np.testing.assert_array_equal(first, second)
    assert sorted(a[0].tolist()) == list(range(23))
    assert not np.array_equal(a[0], a[1])
    assert not np.array_equal(a[0], np.arange(23))


def test_fast_path_equals_per_item_collate():
    X, y = _xy()
    ds = Subset(TensorDataset(X, y.astype(np.int32)), np.arange(22, -1, -2))
    fast = list(DataLoader(ds, 4, shuffle=True, seed=3))
    slow = list(DataLoader(ds, 4, shuffle=True, seed=3, collate_fn=default_collate))
    assert len(fast) == len(slow)
    for (fx, fy), (sx, sy) in zip(fast, slow):
        np.testing.assert_array_equal(fx, sx)
        np.testing.assert_array_equal(fy, sy)
        assert fy.dtype == sy.dtype == np.int32


def test_default_collate_structures_and_dtypes():
    items = [({"img": np.full((2, 2), i, np.float32), "name": f"n{i}"}, i, float(i), True)
             for i in range(3)]
    batch = default_collate(items)
    assert isinstance(batch, tuple) and len(batch) == 4
    assert batch[0]["img"].shape == (3, 2, 2)
    assert batch[0]["name"] == ["n0", "n1", "n2"]
    assert batch[1].dtype == np.int64 and batch[2].dtype == np.float64 and batch[3].dtype == bool
    with pytest.raises(ValueError, match="same shape"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError, match="same length"):
        default_collate([(1, 2), (1,)])
    with pytest.raises(TypeError):
        default_collate([object()])


def test_generic_dataset_goes_through_collate_and_batch_none_yields_items():
    ds = ListDataset([(np.arange(2) + i, i) for i in range(5)])
    xb, yb = next(iter(DataLoader(ds, batch_size=3)))
    np.testing.assert_array_equal(xb, [[0, 1], [1, 2], [2, 3]])
    np.testing.assert_array_equal(yb, [0, 1, 2])
    items = list(DataLoader(ds, batch_size=None))
    assert len(items) == 5 and items[4][1] == 4


def test_tensor_items_collate_to_tensor_when_autograd_exists():
    mdlfast = pytest.importorskip("mdlfast")
    if not hasattr(mdlfast, "Tensor"):
        pytest.skip("mdlfast.Tensor not on this branch")
    items = [mdlfast.tensor(np.full(3, i, np.float32)) for i in range(4)]
    batch = default_collate(items)
    assert isinstance(batch, mdlfast.Tensor)
    np.testing.assert_array_equal(batch.numpy(), np.repeat(np.arange(4.0), 3).reshape(4, 3))


class _StandInTensor:
    """The slice of mdlfast.Tensor the loader relies on: .data and indexing."""

    def __init__(self, data, device="cpu"):
        self.data = np.asarray(data)
        self.shape = self.data.shape
        self.device = device

    def __getitem__(self, index):
        return _StandInTensor(self.data[index], self.device)


def test_tensor_items_collate_through_mdlfast_tensor(monkeypatch):
    import mdlfast

    monkeypatch.setattr(mdlfast, "Tensor", _StandInTensor, raising=False)
    monkeypatch.setattr(mdlfast, "tensor", _StandInTensor, raising=False)
    X, y = _xy()
    ds = TensorDataset(_StandInTensor(X), _StandInTensor(y))
    for collate_fn in (None, default_collate):
        xb, yb = next(iter(DataLoader(ds, 4, shuffle=True, seed=0, collate_fn=collate_fn)))
        assert isinstance(xb, _StandInTensor) and isinstance(yb, _StandInTensor)
        assert xb.shape == (4, 3)
        order = np.random.default_rng(0).permutation(23)[:4]
        np.testing.assert_array_equal(xb.data, X[order])
        np.testing.assert_array_equal(yb.data, y[order])


def test_loader_errors():
    ds = TensorDataset(*_xy())
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="batch_size"):
            DataLoader(ds, bad)
    with pytest.raises(ValueError, match="not both"):
        DataLoader(ds, 2, seed=1, generator=np.random.default_rng(1))
    with pytest.raises(TypeError, match="Generator"):
        DataLoader(ds, 2, generator=np.random.RandomState(1))


def test_random_split_sizes_disjoint_and_fraction_remainders():
    ds = TensorDataset(np.arange(10)[:, None])
    parts = random_split(ds, [0.5, 0.3, 0.2], seed=0)
    assert [len(p) for p in parts] == [5, 3, 2]
    parts = random_split(ds, [1 / 3, 1 / 3, 1 / 3], seed=0)
    assert [len(p) for p in parts] == [4, 3, 3]
    seen = np.concatenate([p.indices for p in parts])
    assert sorted(seen.tolist()) == list(range(10))
    again = random_split(ds, [1 / 3, 1 / 3, 1 / 3], seed=0)
    assert all(np.array_equal(a.indices, b.indices) for a, b in zip(parts, again))
    assert [len(p) for p in random_split(ds, [7, 3], seed=1)] == [7, 3]
    with pytest.raises(ValueError, match="sum"):
        random_split(ds, [7, 4])
    with pytest.raises(ValueError, match="fractions"):
        random_split(ds, [0.5, 0.6])


def test_stratified_train_val_test_split_keeps_class_balance():
    y = np.repeat([0, 1, 2], [60, 30, 10])
    ds = TensorDataset(np.arange(100)[:, None], y)
    train, val, test = train_val_test_split(ds, 0.2, 0.1, stratify=y, seed=0)
    assert sorted(np.concatenate([train.indices, val.indices, test.indices]).tolist()) == \
        list(range(100))
    for part, fraction in ((train, 0.7), (val, 0.2), (test, 0.1)):
        counts = np.bincount(y[part.indices], minlength=3)
        assert np.all(np.abs(counts - fraction * np.array([60, 30, 10])) <= 1)
    plain = train_val_test_split(ds, 0.2, 0.1, seed=0)
    assert [len(p) for p in plain] == [70, 20, 10]
    with pytest.raises(ValueError, match="< 1"):
        train_val_test_split(ds, 0.6, 0.5)
    with pytest.raises(ValueError, match="one label per item"):
        train_val_test_split(ds, stratify=y[:5])


@pytest.mark.parametrize("n,k", [(10, 3), (7, 7), (23, 5)])
def test_kfold_partitions_like_sklearn(n, k):
    folds = list(KFold(k).split(np.zeros((n, 2))))
    assert len(folds) == k
    tests = [t for _, t in folds]
    assert sorted(np.concatenate(tests).tolist()) == list(range(n))
    for train, test in folds:
        assert np.intersect1d(train, test).size == 0 and len(train) + len(test) == n
    sklearn = pytest.importorskip("sklearn.model_selection")
    for (tr, te), (str_, ste) in zip(folds, sklearn.KFold(k).split(np.zeros((n, 2)))):
        np.testing.assert_array_equal(te, ste)
        np.testing.assert_array_equal(tr, str_)


def test_kfold_shuffle_reproducible():
    a = [t for _, t in KFold(4, shuffle=True, seed=3).split(np.zeros(17))]
    b = [t for _, t in KFold(4, shuffle=True, seed=3).split(np.zeros(17))]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert sorted(np.concatenate(a).tolist()) == list(range(17))
    assert [len(t) for t in a] == [5, 4, 4, 4]
    with pytest.raises(ValueError, match="n_splits"):
        KFold(1)
    with pytest.raises(ValueError, match="larger"):
        list(KFold(5).split(np.zeros(3)))


@pytest.mark.parametrize("shuffle", [False, True])
def test_stratified_kfold_balances_classes(shuffle):
    rng = np.random.default_rng(0)
    y = rng.permutation(np.repeat([0, 1, 2], [31, 17, 9]))
    splitter = StratifiedKFold(4, shuffle=shuffle, seed=1 if shuffle else None)
    folds = list(splitter.split(np.zeros(len(y)), y))
    tests = [t for _, t in folds]
    assert sorted(np.concatenate(tests).tolist()) == list(range(len(y)))
    sizes = [len(t) for t in tests]
    assert max(sizes) - min(sizes) <= 1
    per_class = np.array([np.bincount(y[t], minlength=3) for t in tests])
    assert np.all(per_class.max(0) - per_class.min(0) <= 1)
    sklearn = pytest.importorskip("sklearn.model_selection")
    theirs = [np.bincount(y[t], minlength=3)
              for _, t in sklearn.StratifiedKFold(4).split(np.zeros(len(y)), y)]
    np.testing.assert_array_equal(np.sort(per_class, 0), np.sort(np.array(theirs), 0))


def test_stratified_kfold_warns_on_small_class_and_needs_labels():
    y = np.array([0] * 10 + [1] * 2)
    with pytest.warns(UserWarning, match="least populated"):
        list(StratifiedKFold(3).split(np.zeros(12), y))
    with pytest.raises(ValueError, match="one label per sample"):
        list(StratifiedKFold(3).split(np.zeros(12), y[:5]))
