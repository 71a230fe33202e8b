"""mdlfast.save / mdlfast.load: checkpoints (state dicts, optimizer state, epoch counters) in a small
versioned, checksummed container that is read back without unpickling anything.

File layout (all integers little-endian), format version 1:

    offset 0   8 bytes    magic b"MDLFCKPT"
    offset 8   uint32     format version
    offset 12  uint64     H, the length of the header
    offset 20  H bytes    header: UTF-8 JSON {"tree": <node>, "arrays": [<array>...], "payload_bytes": P}
               P bytes    payload: the arrays' raw bytes, each starting at a multiple of 64
    last       32 bytes   SHA-256 of every byte before it

A <node> is JSON null, true/false, an integer, a finite float or a string, standing for itself, or a
one-key object: {"dict": [[key node, value node], ...]} (keys of any supported type, order kept),
{"list": [...]}, {"tuple": [...]}, {"float": "nan" | "inf" | "-inf"}, {"array": i} (a NumPy array)
or {"scalar": i} (a NumPy scalar, stored as a 0-d array). An <array> is
{"dtype": numpy dtype string such as "<f4", "shape": [...], "offset": byte offset in the payload}.
mdlfast Tensors (and CuPy arrays) are saved as their NumPy arrays and load as NumPy arrays.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import secrets
import struct

import numpy as np

MAGIC = b"MDLFCKPT"
FORMAT_VERSION = 1
_PREFIX = struct.Struct("<8sIQ")  # magic, version, header length
_DIGEST_BYTES = 32
_ALIGN = 64
# Plain numeric data only: object, string and structured arrays could not be read back safely.
_ARRAY_KINDS = "biufc"

__all__ = ["CheckpointError", "FORMAT_VERSION", "load", "save"]


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read: not an mdlfast checkpoint, truncated, corrupt, or
    written by a newer format version. The message names the file."""


class _Encoder:
    """Turns a tree of containers and arrays into a JSON-able node tree plus a list of arrays."""

    def __init__(self):
        self.arrays = []

    def node(self, obj, where):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, np.generic):  # before int and float: np.float64 is a float
            return {"scalar": self._array(np.asarray(obj), where)}
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            return float(obj) if math.isfinite(obj) else {"float": repr(float(obj))}
        if isinstance(obj, dict):
            return {"dict": [[self.node(k, f"{where} key {k!r}"), self.node(v, f"{where}[{k!r}]")]
                             for k, v in obj.items()]}
        if isinstance(obj, (list, tuple)):
            kind = "list" if isinstance(obj, list) else "tuple"
            return {kind: [self.node(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        array = _as_array(obj)
        if array is not None:
            return {"array": self._array(array, where)}
        raise TypeError(f"mdlfast.save cannot store {where}: objects of type {type(obj).__name__} are "
                        "not supported (use dicts, lists, tuples, NumPy arrays, Tensors, Python "
                        "scalars, strings and None)")

    def _array(self, array, where):
        if array.dtype.kind not in _ARRAY_KINDS or array.dtype.fields is not None:
            raise TypeError(f"mdlfast.save cannot store {where}: arrays of dtype {array.dtype} are not "
                            "supported (bool, integer, float and complex only)")
        # (np.ascontiguousarray would make a 0-d array 1-d)
        self.arrays.append(array if array.flags.c_contiguous else np.ascontiguousarray(array))
        return len(self.arrays) - 1


def _as_array(obj):
    """The NumPy array behind a NumPy array, an mdlfast Tensor or a CuPy array, else None."""
    if isinstance(obj, np.ndarray):
        return obj
    module = type(obj).__module__ or ""
    if module.startswith("cupy"):
        return obj.get()
    if module.startswith("mdlfast") and hasattr(obj, "data") and hasattr(obj, "grad"):
        return _as_array(obj.data)
    return None


def _aligned(n):
    return -(-n // _ALIGN) * _ALIGN


def save(obj, path):
    """Write `obj` (nested dicts, lists and tuples of NumPy arrays, Tensors, Python scalars, strings
    and None) to the file `path`, atomically: the data goes to a temporary file in the same
    directory, is flushed to disk, and then replaces `path`, so an error or a crash part-way never
    leaves a half-written checkpoint in place of the previous one. Raises TypeError, before
    touching any file, for anything it cannot store."""
    encoder = _Encoder()
    tree = encoder.node(obj, "the object")
    entries, offset = [], 0
    for array in encoder.arrays:
        entries.append({"dtype": array.dtype.str, "shape": list(array.shape), "offset": offset})
        offset = _aligned(offset + array.nbytes)
    header = json.dumps({"tree": tree, "arrays": entries, "payload_bytes": offset},
                        allow_nan=False, separators=(",", ":")).encode("utf-8")

    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    # os.open with mode 0o666 lets the umask decide the final permissions, as open() would.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o666)
    try:
        with os.fdopen(descriptor, "wb") as f:
            digest = hashlib.sha256()

            def write(data):
                digest.update(data)
                f.write(data)

            write(_PREFIX.pack(MAGIC, FORMAT_VERSION, len(header)))
            write(header)
            written = 0
            for array, entry in zip(encoder.arrays, entries):
                write(b"\0" * (entry["offset"] - written))
                write(array.reshape(-1).view(np.uint8))
                written = entry["offset"] + array.nbytes
            write(b"\0" * (offset - written))
            f.write(digest.digest())
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    _sync_directory(directory)


def _sync_directory(directory):
    """Make the rename itself durable where the platform allows it."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def load(path):
    """Read a checkpoint written by mdlfast.save. Arrays come back as writable NumPy arrays, tuples
    as tuples, dict keys with their types. Raises CheckpointError (a ValueError) naming the file if
    it is not an mdlfast checkpoint, is truncated or corrupt, or comes from a newer format."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < len(MAGIC) or data[:len(MAGIC)] != MAGIC:
        raise CheckpointError(f"{path!r} is not an mdlfast checkpoint (bad magic bytes)")
    if len(data) < _PREFIX.size + _DIGEST_BYTES:
        raise CheckpointError(f"{path!r} is truncated: {len(data)} bytes, shorter than any checkpoint")
    _, version, header_bytes = _PREFIX.unpack_from(data)
    if version > FORMAT_VERSION:
        raise CheckpointError(f"{path!r} has checkpoint format version {version}, newer than the "
                              f"version {FORMAT_VERSION} this mdlfast reads; upgrade mdlfast")
    if version < 1:
        raise CheckpointError(f"{path!r} is corrupt: format version {version}")
    body = memoryview(data)[:-_DIGEST_BYTES]
    if hashlib.sha256(body).digest() != data[-_DIGEST_BYTES:]:
        raise CheckpointError(f"{path!r} is truncated or corrupt: its SHA-256 checksum does not match")
    return _Decoder(path, body, header_bytes).result


class _Decoder:
    def __init__(self, path, body, header_bytes):
        self.path = path
        header_end = _PREFIX.size + header_bytes
        try:
            header = json.loads(bytes(body[_PREFIX.size:header_end]).decode("utf-8"))
            self.payload = body[header_end:]
            if header["payload_bytes"] != len(self.payload):
                self._corrupt(f"payload has {len(self.payload)} bytes, header says {header['payload_bytes']}")
            self.arrays = [self._array(entry) for entry in header["arrays"]]
            self.result = self.node(header["tree"])
        except CheckpointError:
            raise
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as e:
            raise CheckpointError(f"{path!r} is corrupt: unreadable header ({e})") from e

    def _corrupt(self, what):
        raise CheckpointError(f"{self.path!r} is corrupt: {what}")

    def _array(self, entry):
        dtype = np.dtype(entry["dtype"])
        if dtype.kind not in _ARRAY_KINDS or dtype.fields is not None:
            self._corrupt(f"array of unsupported dtype {dtype}")
        shape = tuple(int(n) for n in entry["shape"])
        offset = int(entry["offset"])
        if any(n < 0 for n in shape) or offset < 0:
            self._corrupt(f"negative array shape {shape} or offset {offset}")
        nbytes = math.prod(shape) * dtype.itemsize
        if offset + nbytes > len(self.payload):
            self._corrupt(f"array of shape {shape} at offset {offset} runs past the payload")
        return np.frombuffer(self.payload, dtype, math.prod(shape), offset).reshape(shape).copy()

    def node(self, node):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if not isinstance(node, dict) or len(node) != 1:
            self._corrupt(f"unexpected node {node!r:.80}")
        (kind, value), = node.items()
        if kind == "dict":
            return {self.node(k): self.node(v) for k, v in value}
        if kind == "list":
            return [self.node(v) for v in value]
        if kind == "tuple":
            return tuple(self.node(v) for v in value)
        if kind == "float" and value in ("nan", "inf", "-inf"):
            return float(value)
        if kind in ("array", "scalar"):
            if not (isinstance(value, int) and 0 <= value < len(self.arrays)):
                self._corrupt(f"array reference {value!r} out of range")
            return self.arrays[value] if kind == "array" else self.arrays[value][()]
        self._corrupt(f"unknown node kind {kind!r}")
