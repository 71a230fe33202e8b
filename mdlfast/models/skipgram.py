"""Skip-gram word embeddings with negative sampling (unit 8), after Mikolov et al. (2013).

For a centre word c and a word o inside its window, the loss is
    -log sigma(u_o . v_c) - sum_k log sigma(-u_k . v_c),
with k "negative" words drawn from the unigram distribution raised to 3/4. The centre vectors v
are the embeddings; nearest neighbours are by cosine similarity.
"""
from __future__ import annotations

from collections import Counter

import numpy as np

import mdlfast
from mdlfast import nn, optim
from mdlfast.nn import functional as F


class WordVocab:
    """Words seen at least `min_count` times, most frequent first; other words are dropped."""

    def __init__(self, tokens, min_count=5):
        counts = Counter(tokens)
        self.words = [w for w, c in sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))
                      if c >= min_count]
        self.index = {w: i for i, w in enumerate(self.words)}
        self.counts = np.array([counts[w] for w in self.words], np.float64)

    def __len__(self):
        return len(self.words)

    def encode(self, tokens):
        """int64 ids of the kept words of `tokens` (others skipped)."""
        return np.array([self.index[t] for t in tokens if t in self.index], np.int64)


def skipgram_pairs(ids, window):
    """All (centre, context) id pairs at distance 1..window, as two int64 arrays."""
    centres, contexts = [], []
    for d in range(1, window + 1):
        centres += [ids[:-d], ids[d:]]
        contexts += [ids[d:], ids[:-d]]
    return np.concatenate(centres), np.concatenate(contexts)


class SkipGram(nn.Module):
    """Centre (input) and context (output) embedding tables."""

    def __init__(self, vocab_size, dim=64):
        super().__init__()
        self.centre = nn.Embedding(vocab_size, dim)
        self.context = nn.Embedding(vocab_size, dim)
        nn.init.uniform_(self.centre.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.context.weight)

    def forward(self, centres, candidates):
        """Scores u_j . v_c, [B, K+1], of each centre against its candidates [B, K+1]."""
        v = self.centre(centres).unsqueeze(2)              # [B, d, 1]
        u = self.context(candidates)                       # [B, K+1, d]
        return (u @ v).squeeze(2)


def negative_sampling_loss(model, centres, contexts, negatives):
    """Mean over the batch of the skip-gram negative-sampling loss (per pair, summed over the
    positive and the negatives)."""
    candidates = np.concatenate([contexts[:, None], negatives], axis=1)
    target = np.zeros(candidates.shape, np.float32)
    target[:, 0] = 1.0
    scores = model(centres, candidates)
    return F.binary_cross_entropy_with_logits(scores, target, reduction="sum") * (1.0 / len(centres))


def nearest(model, vocab, word, k=5):
    """The k words whose centre vectors are most cosine-similar to `word`'s (itself excluded)."""
    if word not in vocab.index:
        raise ValueError(f"nearest: {word!r} is not in the vocabulary")
    w = model.centre.weight.numpy()
    w = w / np.maximum(np.linalg.norm(w, axis=1, keepdims=True), 1e-12)
    sims = w @ w[vocab.index[word]]
    sims[vocab.index[word]] = -np.inf
    return [vocab.words[i] for i in np.argsort(-sims, kind="stable")[:k]]


def train_skipgram(train_ids, valid_ids, vocab_size, noise, *, dim=64, window=3, negatives=5,
                   batch_size=512, steps=2000, lr=5e-3, seed=0, progress=False):
    """Adam on random batches of skip-gram pairs; returns (model, metrics) with the validation
    loss of the trained and of the untrained model (negatives drawn with a fixed seed)."""
    mdlfast.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = SkipGram(vocab_size, dim)
    centres, contexts = skipgram_pairs(train_ids, window)
    v_centres, v_contexts = skipgram_pairs(valid_ids, window)
    v_negatives = np.random.default_rng(seed + 1).choice(vocab_size, (len(v_centres), negatives), p=noise)

    def valid_loss():
        with mdlfast.no_grad():
            return float(negative_sampling_loss(model, v_centres, v_contexts, v_negatives).item())

    initial = valid_loss()
    opt = optim.Adam(model.parameters(), lr=lr)
    for step in range(steps):
        pick = rng.integers(0, len(centres), batch_size)
        neg = rng.choice(vocab_size, (batch_size, negatives), p=noise)
        loss = negative_sampling_loss(model, centres[pick], contexts[pick], neg)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if progress and (step + 1) % max(steps // 10, 1) == 0:
            print(f"  step {step + 1:5d}  loss {loss.item():.3f}")
    return model, {"val_loss": valid_loss(), "untrained_val_loss": initial, "vocab_size": vocab_size,
                   "train_pairs": len(centres)}


def noise_distribution(vocab):
    """Unigram frequencies raised to 3/4, normalised."""
    p = vocab.counts ** 0.75
    return p / p.sum()
