"""MNIST and Fashion-MNIST from IDX files on the user's disk (gzip-compressed or raw)."""
from __future__ import annotations

import gzip
import os

import numpy as np

# IDX type codes (third byte of the magic number) -> big-endian dtype.
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot")


def read_idx(path):
    """Read one IDX file (gzip detected from its first bytes, not its name) into an array.

    Raises ValueError naming the file when the magic number, the dimensions or the amount of
    data (truncated or with trailing bytes) is wrong.
    """
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise ValueError(f"{path}: corrupt or truncated gzip data ({error})") from error
    if len(raw) < 4:
        raise ValueError(f"{path}: not an IDX file: {len(raw)} bytes, shorter than the 4-byte magic")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"{path}: not an IDX file: magic bytes {raw[:4].hex()}, expected "
                         f"0000 then a type code in {sorted(hex(t) for t in _IDX_TYPES)}")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise ValueError(f"{path}: IDX header declares {ndim} dimensions but the file has "
                         f"{len(raw)} bytes, fewer than the {header}-byte header")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    got = len(raw) - header
    if got != expected:
        problem = "truncated" if got < expected else "has trailing bytes"
        raise ValueError(f"{path}: IDX data {problem}: shape {shape} needs {expected} bytes of "
                         f"{dtype.str} data, found {got}")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


_SPLITS = {"train": "train", "test": "t10k"}


def load_mnist(root, *, train=True, scale=True):
    """MNIST (or any dataset in its layout, e.g. Fashion-MNIST) from the directory `root`.

    root holds `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
    `t10k-labels-idx1-ubyte`, each optionally with `.gz`. Returns X float32 [N, 1, 28, 28]
    (divided by 255 when scale, else 0..255) and y int64 [N].
    """
    prefix = _SPLITS["train" if train else "test"]
    images = read_idx(_find(root, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(_find(root, f"{prefix}-labels-idx1-ubyte"))
    if images.ndim != 3 or labels.ndim != 1:
        raise ValueError(f"{root}: expected images [N, H, W] and labels [N], got shapes "
                         f"{images.shape} and {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(f"{root}: {len(images)} images but {len(labels)} labels")
    X = images.astype(np.float32)[:, None]
    if scale:
        X /= 255.0
    return X, labels.astype(np.int64)


def load_fashion_mnist(root, *, train=True, scale=True):
    """Fashion-MNIST from `root` (same file names and layout as MNIST); class names are in
    FASHION_MNIST_CLASSES."""
    return load_mnist(root, train=train, scale=scale)


def _find(root, name):
    for candidate in (name, name + ".gz"):
        path = os.path.join(root, candidate)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"{root}: neither {name} nor {name}.gz found")
