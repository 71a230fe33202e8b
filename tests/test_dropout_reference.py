"""The reference dropout: its Philox-4x32-10 against the published known-answer vectors, the
documented element-to-counter map, and the dropout semantics built on it."""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast import reference
from mdlfast.reference.dropout import dropout_mask, philox4x32_10
from _checks import randn, rng_for

# Random123's tests/kat_vectors, the three "philox4x32 10" lines: counter (4 words), key (2 words),
# expected output (4 words).
PHILOX_KNOWN_ANSWERS = [
    ((0x00000000, 0x00000000, 0x00000000, 0x00000000), (0x00000000, 0x00000000),
     (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF),
     (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


@pytest.mark.parametrize("counter,key,expected", PHILOX_KNOWN_ANSWERS)
def test_reference_philox_known_answers(counter, key, expected):
    words = philox4x32_10([np.array([c], dtype=np.uint32) for c in counter], key)
    assert tuple(int(w[0]) for w in words) == expected


def test_reference_mask_follows_the_documented_counter_map():
    """Element i uses word i % 4 of block offset + i // 4, key = the seed's two 32-bit halves."""
    seed, offset, p = 0x0123456789ABCDEF, (1 << 32) - 2, 0.3  # the block counter carries into word 1
    mask = dropout_mask(13, p, seed, offset)
    for i in range(13):
        block = offset + i // 4
        words = philox4x32_10([np.array([v], dtype=np.uint32) for v in (block & 0xFFFFFFFF, block >> 32, 0, 0)],
                              (seed & 0xFFFFFFFF, seed >> 32))
        assert mask[i] == ((int(words[i % 4][0]) >> 8) / 2**24 >= p)


def test_reference_dropout_semantics():
    rng = rng_for("dropout semantics")
    x = randn(rng, (37, 29), np.float64)
    y, mask = reference.dropout(x, 0.25, seed=7)
    assert mask.dtype == np.bool_ and mask.shape == x.shape
    np.testing.assert_array_equal(y, np.where(mask, x * (1 / 0.75), 0.0))
    dy = randn(rng, x.shape, np.float64)
    np.testing.assert_array_equal(reference.dropout_backward(dy, mask, 0.25), np.where(mask, dy * (1 / 0.75), 0.0))
    # offset continues the stream: the second half of one call is a call at offset n/4.
    _, whole = reference.dropout(np.zeros(64), 0.5, seed=3)
    _, tail = reference.dropout(np.zeros(32), 0.5, seed=3, offset=8)
    np.testing.assert_array_equal(whole[32:], tail)


