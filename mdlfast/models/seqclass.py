"""Sequence classification (unit 8) on a synthetic task with a known answer: which of the symbols
0, 1, 2 occurs most often in a string over six symbols (3, 4, 5 are distractors; strings with a
tied count are redrawn). The answer depends on the whole string, so a recurrent classifier has to
count; a bidirectional GRU classifies from the final states of both directions.
"""
from __future__ import annotations

import numpy as np

from mdlfast import nn
from mdlfast.autograd.tensor import cat

SYMBOLS, CLASSES = 6, 3


def majority_batch(rng, batch_size, length):
    """(tokens [N, L] int64, labels [N] int64): the most frequent of symbols 0-2 is the label."""
    rows, labels = [], []
    while len(rows) < batch_size:
        x = rng.integers(0, SYMBOLS, size=(batch_size, length))
        counts = np.stack([(x == c).sum(axis=1) for c in range(CLASSES)], axis=1)
        top = np.sort(counts, axis=1)
        clear = top[:, -1] > top[:, -2]
        rows.extend(x[clear])
        labels.extend(counts[clear].argmax(axis=1))
    return np.array(rows[:batch_size], np.int64), np.array(labels[:batch_size], np.int64)


class RecurrentClassifier(nn.Module):
    """Embedding -> stacked (bi)GRU or LSTM, batch-first -> Linear on the last layer's final
    states of both directions."""

    def __init__(self, vocab_size=SYMBOLS, classes=CLASSES, embed=16, hidden=48, layers=2,
                 cell="gru", bidirectional=True):
        super().__init__()
        rnn = {"gru": nn.GRU, "lstm": nn.LSTM}[cell]
        self.embed = nn.Embedding(vocab_size, embed)
        self.rnn = rnn(embed, hidden, num_layers=layers, batch_first=True, bidirectional=bidirectional)
        self.directions = 2 if bidirectional else 1
        self.head = nn.Linear(hidden * self.directions, classes)

    def forward(self, tokens):
        _, state = self.rnn(self.embed(tokens))
        h_n = state[0] if isinstance(state, tuple) else state          # [layers*dirs, N, H]
        last = [h_n[h_n.shape[0] - self.directions + d] for d in range(self.directions)]
        return self.head(last[0] if self.directions == 1 else cat(last, axis=1))


def train_sequence_classifier(model, *, length=24, batch_size=64, steps=400, lr=3e-3,
                              test_size=1000, seed=0, progress=False):
    """Adam on fresh random batches; test accuracy on `test_size` strings from another seed."""
    from mdlfast import no_grad, optim
    from mdlfast.nn import functional as F

    rng = np.random.default_rng(seed)
    opt = optim.Adam(model.parameters(), lr=lr)
    model.train()
    for step in range(steps):
        x, y = majority_batch(rng, batch_size, length)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if progress and (step + 1) % max(steps // 10, 1) == 0:
            print(f"  step {step + 1:5d}  loss {loss.item():.4f}")
    model.eval()
    x, y = majority_batch(np.random.default_rng(seed + 10_000), test_size, length)
    with no_grad():
        predicted = model(x).numpy().argmax(axis=1)
    return {"test_accuracy": float((predicted == y).mean()), "final_train_loss": float(loss.item())}
