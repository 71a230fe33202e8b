"""DataLoader: batches over a map-style dataset, optionally shuffled by a seeded generator."""
from __future__ import annotations

import math
import numbers

import numpy as np

from mdlfast.data.collate import default_collate
from mdlfast.data.dataset import batch_gatherer


def make_generator(generator=None, seed=None, *, owner):
    """A `numpy.random.Generator` from `generator=` or `seed=` (at most one of them)."""
    if generator is not None and seed is not None:
        raise ValueError(f"{owner}: give generator= or seed=, not both")
    if generator is not None:
        if not isinstance(generator, np.random.Generator):
            raise TypeError(f"{owner}: generator must be a numpy.random.Generator, "
                            f"got {type(generator).__name__}")
        return generator
    return np.random.default_rng(seed)


class DataLoader:
    """Iterate over `dataset` in batches, as torch.utils.data.DataLoader (single process).

    batch_size: items per batch, or None to yield the items one by one, uncollated.
    shuffle: a fresh permutation each epoch, drawn from `generator` (a numpy Generator) or from a
        generator seeded with `seed`: the same seed gives the same sequence of epochs.
    drop_last: drop the final batch when it is smaller than batch_size.
    collate_fn: turns a list of items into a batch (default: `default_collate`). With the
        default, a TensorDataset (or a Subset of one) is gathered with one fancy index per array.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, *, drop_last=False, collate_fn=None,
                 generator=None, seed=None):
        if batch_size is not None and (isinstance(batch_size, bool)
                                       or not isinstance(batch_size, numbers.Integral)
                                       or batch_size <= 0):
            raise ValueError(f"DataLoader: batch_size must be a positive integer or None, "
                             f"got {batch_size!r}")
        if batch_size is None and drop_last:
            raise ValueError("DataLoader: drop_last=True needs a batch_size, got batch_size=None")
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self.generator = make_generator(generator, seed, owner="DataLoader")
        self._gather = batch_gatherer(dataset) if collate_fn is None else None

    def __len__(self):
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = self.generator.permutation(n) if self.shuffle else np.arange(n)
        if self.batch_size is None:
            for i in order:
                yield self.dataset[int(i)]
            return
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            indices = order[start:start + self.batch_size]
            if self._gather is not None:
                yield self._gather(indices)
            else:
                yield self.collate_fn([self.dataset[int(i)] for i in indices])
