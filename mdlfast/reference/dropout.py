"""Reference dropout with the counter-based Philox-4x32-10 generator (Salmon et al., "Parallel
random numbers: as easy as 1, 2, 3", SC 2011), written with uint64 arithmetic.

The mask of element i of the flattened (C-order) x, for any backend and thread count:
  key     = (seed mod 2³², seed >> 32)
  block   = (offset + i // 4) mod 2⁶⁴
  counter = (block mod 2³², block >> 32, 0, 0)
  word    = philox4x32_10(counter, key)[i % 4]
  keep    = (word >> 8) >= ceil(p·2²⁴)        i.e. u = (word >> 8)/2²⁴ in [0, 1), keep iff u >= p
mask is bool (True = kept); y = x · (keep ? 1/(1-p) : 0), the scale rounded once to x's dtype.
A call consumes ceil(x.size / 4) counter blocks: pass offset += that to continue a stream.
"""
from __future__ import annotations

import numpy as np

from mdlfast._validate.common import REFERENCE_DTYPES
from mdlfast._validate.dropout import dropout_args, dropout_backward_args, dropout_scale, keep_threshold

_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_W0, _W1 = 0x9E3779B9, 0xBB67AE85
_LOW32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)
ROUNDS = 10


def philox4x32_10(counter, key):
    """Philox-4x32-10 of counters (four uint32 arrays of one shape) under key (two ints < 2³²):
    the four uint32 output words."""
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint64) for c in counter)
    k0, k1 = int(key[0]), int(key[1])
    for round_index in range(ROUNDS):
        if round_index:
            k0, k1 = (k0 + _W0) & 0xFFFFFFFF, (k1 + _W1) & 0xFFFFFFFF
        p0, p1 = _M0 * c0, _M1 * c2  # 32 x 32 -> 64 bits: never overflows uint64
        hi0, lo0 = p0 >> _SHIFT32, p0 & _LOW32
        hi1, lo1 = p1 >> _SHIFT32, p1 & _LOW32
        c0, c1, c2, c3 = hi1 ^ c1 ^ np.uint64(k0), lo1, hi0 ^ c3 ^ np.uint64(k1), lo0
    return tuple(c.astype(np.uint32) for c in (c0, c1, c2, c3))


def dropout_mask(size, p, seed, offset):
    """The bool keep-mask of `size` flattened elements (see the module docstring)."""
    blocks = -(-size // 4)
    block = (np.arange(blocks, dtype=np.uint64) + np.uint64(offset))  # wraps mod 2⁶⁴
    zeros = np.zeros(blocks, dtype=np.uint64)
    words = philox4x32_10((block & _LOW32, block >> _SHIFT32, zeros, zeros),
                          (seed & 0xFFFFFFFF, seed >> 32))
    interleaved = np.stack(words, axis=1).reshape(-1)[:size]
    return (interleaved >> np.uint32(8)) >= np.uint32(keep_threshold(p))  # p = 1: 2²⁴, none kept


def dropout(x, p, *, seed, offset=0):
    """(y, mask): each element kept with probability 1 - p and scaled by 1/(1-p), mask bool of x's
    shape (True = kept). p = 1 drops everything (y = x·0); the same (seed, offset) gives the same
    mask on every backend. offset counts Philox blocks of four elements."""
    args = dropout_args(x, p, seed, offset, REFERENCE_DTYPES)
    x = args.x
    mask = dropout_mask(x.size, args.p, args.seed, args.offset).reshape(x.shape)
    multiplier = np.where(mask, dropout_scale(args.p, x.dtype), x.dtype.type(0))
    with np.errstate(invalid="ignore"):  # inf·0 is NaN, as PyTorch's x·mask·scale
        return x * multiplier, mask


def dropout_backward(dy, mask, p):
    """dx = dy · (mask ? 1/(1-p) : 0)."""
    args = dropout_backward_args(dy, mask, p, REFERENCE_DTYPES)
    dy = args.x
    with np.errstate(invalid="ignore"):
        return dy * np.where(args.mask, dropout_scale(args.p, dy.dtype), dy.dtype.type(0))
