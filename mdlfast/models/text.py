"""The zoo's text corpus and character vocabulary.

The corpus is the Python Language Reference as it ships inside every CPython installation:
`pydoc_data.topics` holds the prose of the reference's sections (the "if" statement, the data
model, name binding, ...) that `help()` prints, about 465,000 characters of English technical
prose with the odd grammar snippet and code example. It needs no download and no package beyond
the standard library; its exact text follows the Python version (3.11.7: 79 topics, 464,970
characters), so figures are stated with the version.

The split is deterministic: topics sorted by name, every tenth (positions 5, 15, 25, ...) is the
validation text and the rest the training text, so whole sections are held out (no sentence is
shared between the two sides).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

UNKNOWN = "\ufffd"


@dataclass(frozen=True)
class Corpus:
    """Training and validation text and where it came from."""
    train: str
    valid: str
    source: str


def load_corpus(max_chars=None):
    """The Python Language Reference split by topic (see the module docstring); `max_chars`
    truncates each side (quick configs)."""
    from pydoc_data.topics import topics

    names = sorted(topics)
    train = [topics[name] for i, name in enumerate(names) if i % 10 != 5]
    valid = [topics[name] for i, name in enumerate(names) if i % 10 == 5]
    train, valid = "\n".join(train), "\n".join(valid)
    if max_chars is not None:
        train, valid = train[:int(max_chars)], valid[:max(int(max_chars) // 5, 1000)]
    return Corpus(train, valid, "pydoc_data.topics (the Python Language Reference)")


class CharVocab:
    """Characters of a training text, sorted; id 0 stands for any character it has not seen."""

    def __init__(self, text):
        self.chars = [UNKNOWN] + sorted(set(text) - {UNKNOWN})
        self._index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        """int64 ids of `text`'s characters."""
        get = self._index.get
        return np.fromiter((get(c, 0) for c in text), dtype=np.int64, count=len(text))

    def decode(self, ids):
        """The string of `ids`."""
        return "".join(self.chars[int(i)] for i in ids)


def words(text):
    """Lower-case words (letters, digits, underscores) of `text`, in order."""
    return re.findall(r"[a-z_][a-z0-9_]*", text.lower())
