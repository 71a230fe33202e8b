"""mdlfast.save / mdlfast.load: round trips of every supported type, the file's documented layout,
clear errors for truncated, corrupt, foreign and newer files, and atomic replacement (a failed save
leaves the previous checkpoint intact and no temporary file behind)."""
from __future__ import annotations

import hashlib
import json
import math
import os
import struct

import numpy as np
import pytest

import mdlfast
from mdlfast import serialization


def _checkpoint():
    rng = np.random.default_rng(7)
    return {
        "model": {"0.weight": rng.standard_normal((5, 3), dtype=np.float32),
                  "0.bias": rng.standard_normal(5).astype(np.float64),
                  "bn.num_batches_tracked": np.array(12, dtype=np.int64)},
        "optimizer": {"state": {0: {"step": 3, "exp_avg": rng.standard_normal(4, dtype=np.float32)}},
                      "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1],
                                        "nesterov": False, "name": None}]},
        "epoch": 7,
        "big": 2 ** 80,
        "floats": [0.1, -0.0, math.inf, -math.inf, 1e-310],
        "scalars": (np.float32(1.5), np.int16(-3), np.bool_(True)),
        "strings": ["", "naïve ✓"],
        "odd arrays": [np.zeros((0, 4), np.float32), np.arange(12, dtype=np.int32).reshape(3, 4).T,
                       np.array([1 + 2j], np.complex64), np.array([True, False]),
                       np.float16([1.0, 2.5])],
        (1, "tuple key"): None,
        2.5: "float key",
    }


def _assert_same(loaded, expected):
    assert type(loaded) is type(expected), (type(loaded), type(expected))
    if isinstance(expected, dict):
        assert list(loaded) == list(expected)
        for key in expected:
            _assert_same(loaded[key], expected[key])
    elif isinstance(expected, (list, tuple)):
        assert len(loaded) == len(expected)
        for a, b in zip(loaded, expected):
            _assert_same(a, b)
    elif isinstance(expected, np.ndarray):
        assert loaded.dtype == expected.dtype and loaded.shape == expected.shape
        assert loaded.tobytes() == np.ascontiguousarray(expected).tobytes()
        assert loaded.flags.writeable
    elif isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(loaded)
    elif isinstance(expected, float):
        assert math.copysign(1.0, loaded) == math.copysign(1.0, expected) and loaded == expected
    else:
        assert loaded == expected


def test_round_trip(tmp_path):
    obj = _checkpoint()
    path = tmp_path / "ckpt.mdlf"
    mdlfast.save(obj, path)
    _assert_same(mdlfast.load(path), obj)
    _assert_same(mdlfast.load(str(path)), obj)


def test_round_trip_nan_and_plain_values(tmp_path):
    for obj in (None, 3, "text", [math.nan], np.array(2.0)):
        mdlfast.save(obj, tmp_path / "x")
        _assert_same(mdlfast.load(tmp_path / "x"), obj)


def test_layout_is_the_documented_one(tmp_path):
    path = tmp_path / "layout"
    mdlfast.save({"w": np.arange(3, dtype=np.float32)}, path)
    data = path.read_bytes()
    magic, version, header_bytes = struct.unpack_from("<8sIQ", data)
    assert (magic, version) == (b"MDLFCKPT", 1)
    header = json.loads(data[20:20 + header_bytes])
    assert header["tree"] == {"dict": [["w", {"array": 0}]]}
    assert header["arrays"] == [{"dtype": "<f4", "shape": [3], "offset": 0}]
    payload = data[20 + header_bytes:-32]
    assert len(payload) == header["payload_bytes"]
    assert np.frombuffer(payload[:12], "<f4").tolist() == [0.0, 1.0, 2.0]
    assert data[-32:] == hashlib.sha256(data[:-32]).digest()


def test_loaded_arrays_do_not_share_memory(tmp_path):
    mdlfast.save([np.ones(3), np.ones(3)], tmp_path / "x")
    a, b = mdlfast.load(tmp_path / "x")
    a[0] = 5.0
    assert b[0] == 1.0


def test_tensor_like_objects_are_saved_as_arrays(tmp_path):
    Tensor = getattr(mdlfast, "Tensor", None)
    if Tensor is None:
        pytest.skip("mdlfast.Tensor is not available in this build")
    t = mdlfast.tensor(np.arange(4, dtype=np.float32), requires_grad=True)
    mdlfast.save({"t": t}, tmp_path / "x")
    loaded = mdlfast.load(tmp_path / "x")["t"]
    assert isinstance(loaded, np.ndarray) and loaded.tolist() == [0.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize("bad", [object(), {1, 2}, np.array(["a"]), np.array([None], dtype=object),
                                 {"nested": [1, lambda: 0]}, b"bytes"])
def test_unsupported_objects_raise_type_error_and_keep_the_old_file(tmp_path, bad):
    path = tmp_path / "ckpt"
    mdlfast.save({"epoch": 1}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match="mdlfast.save cannot store"):
        mdlfast.save({"epoch": 2, "bad": bad}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt"]


def test_failure_while_writing_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt"
    mdlfast.save({"epoch": 1}, path)
    before = path.read_bytes()

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(serialization.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        mdlfast.save({"epoch": 2, "w": np.ones(1000)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt"]


def test_save_replaces_the_previous_file(tmp_path):
    path = tmp_path / "ckpt"
    mdlfast.save({"epoch": 1}, path)
    mdlfast.save({"epoch": 2}, path)
    assert mdlfast.load(path) == {"epoch": 2}
    assert os.listdir(tmp_path) == ["ckpt"]


def _saved(tmp_path):
    path = tmp_path / "ckpt"
    mdlfast.save(_checkpoint(), path)
    return path, path.read_bytes()


@pytest.mark.parametrize("keep", [0, 5, 8, 19, 40, -33, -1])
def test_truncated_file_raises(tmp_path, keep):
    path, data = _saved(tmp_path)
    path.write_bytes(data[:keep] if keep >= 0 else data[:len(data) + keep])
    with pytest.raises(mdlfast.CheckpointError, match="ckpt") as info:
        mdlfast.load(path)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("where", [12, 30, 0.5, -40, -1])
def test_corrupt_byte_raises(tmp_path, where):
    path, data = _saved(tmp_path)
    data = bytearray(data)
    index = int(len(data) * where) if isinstance(where, float) else where
    data[index] ^= 0x40
    path.write_bytes(bytes(data))
    with pytest.raises(mdlfast.CheckpointError, match="corrupt.*ckpt|ckpt.*corrupt"):
        mdlfast.load(path)


def test_foreign_file_raises(tmp_path):
    path = tmp_path / "ckpt.npy"
    np.save(path, np.ones(3))
    with pytest.raises(mdlfast.CheckpointError, match="not an mdlfast checkpoint"):
        mdlfast.load(path)


def test_newer_version_raises(tmp_path):
    path, data = _saved(tmp_path)
    body = data[:8] + struct.pack("<I", 2) + data[12:-32]
    path.write_bytes(body + hashlib.sha256(body).digest())
    with pytest.raises(mdlfast.CheckpointError, match="version 2, newer"):
        mdlfast.load(path)


def test_header_that_passes_the_checksum_is_still_checked(tmp_path):
    """A file forged with a valid checksum but an array reaching past the payload."""
    header = json.dumps({"tree": {"array": 0}, "payload_bytes": 0,
                         "arrays": [{"dtype": "<f8", "shape": [1000], "offset": 0}]}).encode()
    body = struct.pack("<8sIQ", b"MDLFCKPT", 1, len(header)) + header
    path = tmp_path / "forged"
    path.write_bytes(body + hashlib.sha256(body).digest())
    with pytest.raises(mdlfast.CheckpointError, match="runs past the payload"):
        mdlfast.load(path)


def test_object_dtype_in_a_forged_header_is_refused(tmp_path):
    header = json.dumps({"tree": {"array": 0}, "payload_bytes": 64,
                         "arrays": [{"dtype": "|O", "shape": [1], "offset": 0}]}).encode()
    body = struct.pack("<8sIQ", b"MDLFCKPT", 1, len(header)) + header + b"\0" * 64
    path = tmp_path / "forged"
    path.write_bytes(body + hashlib.sha256(body).digest())
    with pytest.raises(mdlfast.CheckpointError, match="unsupported dtype"):
        mdlfast.load(path)


def _trees():
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    arrays = hnp.arrays(st.sampled_from([np.float32, np.float64, np.int64, np.bool_, np.uint8]),
                        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8) | arrays
    keys = st.integers() | st.text(max_size=6)
    return st.recursive(leaves, lambda children: st.lists(children, max_size=4)
                        | st.tuples(children, children)
                        | st.dictionaries(keys, children, max_size=4), max_leaves=12)


def test_random_trees_round_trip(tmp_path):
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(_trees())
    def check(tree):
        mdlfast.save(tree, tmp_path / "tree")
        _assert_same(mdlfast.load(tmp_path / "tree"), tree)

    check()
