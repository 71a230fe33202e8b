"""scikit-learn's bundled sets, MNIST IDX files and CIFAR-10 pickle batches (small files the
tests write)."""
from __future__ import annotations

import gzip
import os
import pickle
import struct

import numpy as np
import pytest

from mdlfast.data import (load_breast_cancer, load_cifar10, load_digits, load_fashion_mnist,
                          load_iris, load_mnist, load_wine, read_idx)


@pytest.mark.parametrize("loader,shape,n_classes", [
    (load_digits, (1797, 64), 10), (load_iris, (150, 4), 3),
    (load_breast_cancer, (569, 30), 2), (load_wine, (178, 13), 3)])
def test_sklearn_sets_match_sklearn(loader, shape, n_classes):
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = loader()
    assert X.shape == shape and X.dtype == np.float32 and y.dtype == np.int64
    assert set(np.unique(y).tolist()) == set(range(n_classes))
    theirs = getattr(datasets, loader.__name__)()
    np.testing.assert_array_equal(X, theirs.data.astype(np.float32))
    np.testing.assert_array_equal(y, theirs.target)


def test_digits_as_images():
    pytest.importorskip("sklearn")
    X, y = load_digits(images=True)
    flat, _ = load_digits()
    assert X.shape == (1797, 1, 8, 8)
    np.testing.assert_array_equal(X.reshape(1797, 64), flat)


def _idx_bytes(array, type_code=0x08):
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write_mnist(root, n, prefix="train", compress=False, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    for name, array in ((f"{prefix}-images-idx3-ubyte", images),
                        (f"{prefix}-labels-idx1-ubyte", labels)):
        data = _idx_bytes(array)
        if compress:
            data = gzip.compress(data)
            name += ".gz"
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
    return images, labels


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_round_trip(tmp_path, compress):
    images, labels = _write_mnist(tmp_path, 7, compress=compress)
    X, y = load_mnist(tmp_path)
    assert X.shape == (7, 1, 28, 28) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(X[:, 0], images / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)
    raw, _ = load_fashion_mnist(tmp_path, scale=False)
    np.testing.assert_array_equal(raw[:, 0], images)


def test_mnist_test_split_and_missing_files(tmp_path):
    _, labels = _write_mnist(tmp_path, 3, prefix="t10k", seed=1)
    np.testing.assert_array_equal(load_mnist(tmp_path, train=False)[1], labels)
    with pytest.raises(FileNotFoundError, match="train-images"):
        load_mnist(tmp_path)


@pytest.mark.parametrize("dtype,code", [(np.int16, 0x0B), (np.int32, 0x0C),
                                        (np.float32, 0x0D), (np.float64, 0x0E)])
def test_read_idx_types(tmp_path, dtype, code):
    array = (np.arange(24).reshape(2, 3, 4) - 7).astype(dtype)
    path = tmp_path / "a.idx"
    path.write_bytes(_idx_bytes(array, code))
    out = read_idx(path)
    assert out.dtype == np.dtype(dtype) and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, array)


def test_read_idx_rejects_bad_files(tmp_path):
    good = _idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4))
    cases = {
        "truncated": good[:-1],
        "trailing bytes": good + b"\0",
        "magic": b"\x01" + good[1:],
        "type code": good[:2] + b"\x07" + good[3:],
        "header": good[:6],
        "shorter than": b"\0\0",
    }
    for message, data in cases.items():
        path = tmp_path / "bad.idx"
        path.write_bytes(data)
        with pytest.raises(ValueError, match=message):
            read_idx(path)
    path.write_bytes(gzip.compress(good)[:-6])
    with pytest.raises(ValueError, match="gzip"):
        read_idx(path)


def test_mnist_count_mismatch(tmp_path):
    _write_mnist(tmp_path, 4)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(_idx_bytes(np.zeros(3, np.uint8)))
    with pytest.raises(ValueError, match="4 images but 3 labels"):
        load_mnist(tmp_path)


def _write_cifar(folder, seed=0, n=4, protocol=2):
    rng = np.random.default_rng(seed)
    written = []
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, n).tolist()
        batch = {b"batch_label": name.encode(), b"labels": labels, b"data": data,
                 b"filenames": [f"{i}.png".encode() for i in range(n)]}
        with open(os.path.join(folder, name), "wb") as f:
            pickle.dump(batch, f, protocol=protocol)
        written.append((data, labels))
    return written


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_cifar10_batches(tmp_path, protocol):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    written = _write_cifar(folder, protocol=protocol)
    X, y = load_cifar10(tmp_path)
    assert X.shape == (20, 3, 32, 32) and X.dtype == np.float32 and y.dtype == np.int64
    expected = np.concatenate([d for d, _ in written[:5]]).reshape(-1, 3, 32, 32)
    np.testing.assert_allclose(X, expected / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, sum((lab for _, lab in written[:5]), []))
    Xt, yt = load_cifar10(folder, train=False, scale=False)
    np.testing.assert_array_equal(Xt.reshape(4, -1), written[5][0])
    np.testing.assert_array_equal(yt, written[5][1])


def _py2_style_batch(data, labels):
    """A batch pickled as Python 2's cPickle wrote the official files: byte strings (opcodes U/T)
    and an array rebuilt by numpy.core.multiarray._reconstruct, spelled out opcode by opcode."""
    def short(b):
        return b"U" + bytes([len(b)]) + b

    def int_(v):
        return b"J" + struct.pack("<i", v)

    dtype = (b"cnumpy\ndtype\n" + short(b"u1") + int_(0) + int_(1) + b"\x87R"
             + b"(" + int_(3) + short(b"|") + b"NNN" + int_(-1) + int_(-1) + int_(0) + b"tb")
    array = (b"cnumpy.core.multiarray\n_reconstruct\n" + b"cnumpy\nndarray\n" + int_(0) + b"\x85"
             + short(b"b") + b"\x87R" + b"(" + int_(1) + int_(data.shape[0]) + int_(data.shape[1])
             + b"\x86" + dtype + b"\x89" + b"T" + struct.pack("<I", data.nbytes) + data.tobytes()
             + b"tb")
    label_list = b"](" + b"".join(int_(v) for v in labels) + b"e"
    return (b"\x80\x02}(" + short(b"data") + array + short(b"labels") + label_list
            + short(b"batch_label") + short(b"testing batch 1 of 1") + b"u.")


def test_cifar10_python2_pickles(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.integers(0, 256, (3, 3072), dtype=np.uint8)
    (tmp_path / "test_batch").write_bytes(_py2_style_batch(data, [3, 0, 9]))
    X, y = load_cifar10(tmp_path, train=False, scale=False)
    np.testing.assert_array_equal(X.reshape(3, -1), data)
    np.testing.assert_array_equal(y, [3, 0, 9])


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_cifar10_refuses_arbitrary_objects(tmp_path):
    _write_cifar(tmp_path)
    with open(tmp_path / "data_batch_3", "wb") as f:
        pickle.dump({b"data": _Exploit(), b"labels": []}, f, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="refusing to load"):
        load_cifar10(tmp_path)


def test_cifar10_corrupt_batches(tmp_path):
    _write_cifar(tmp_path)
    path = tmp_path / "data_batch_2"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises((ValueError, pickle.UnpicklingError), match="data_batch_2"):
        load_cifar10(tmp_path)
    with open(path, "wb") as f:
        pickle.dump({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}, f)
    with pytest.raises(ValueError, match="uint8 \\[N, 3072\\]"):
        load_cifar10(tmp_path)
    with open(path, "wb") as f:
        pickle.dump({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 12]}, f)
    with pytest.raises(ValueError, match="0..9"):
        load_cifar10(tmp_path)
    with open(path, "wb") as f:
        pickle.dump([1, 2], f)
    with pytest.raises(ValueError, match="expected a dict"):
        load_cifar10(tmp_path)
    os.remove(path)
    with pytest.raises(FileNotFoundError, match="data_batch_2"):
        load_cifar10(tmp_path)


def test_sklearn_sets_explain_a_missing_scikit_learn(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(ImportError, match="mdlfast\\[data\\]"):
        load_iris()
