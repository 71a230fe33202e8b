"""Transformers (unit 8): sinusoidal and learned positional encodings, a decoder-only mini-GPT
language model with causal (masked) multi-head self-attention, an encoder classifier, and the
attention maps of a trained model (plotted with matplotlib, imported only when drawing).

The blocks are `nn.TransformerEncoderLayer`s (pre-norm, batch-first); the mini-GPT runs them with
`is_causal=True`, which goes through the fused attention kernel without forming the T x T matrix.
"""
from __future__ import annotations

import math

import numpy as np

from mdlfast import nn
from mdlfast.autograd.tensor import Tensor


def sinusoidal_encoding(length, d_model):
    """PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(pos / 10000^(2i/d)); [length, d]."""
    pos = np.arange(length)[:, None]
    rates = np.exp(-math.log(10000.0) * np.arange(0, d_model, 2) / d_model)
    pe = np.zeros((length, d_model))
    pe[:, 0::2] = np.sin(pos * rates)
    pe[:, 1::2] = np.cos(pos * rates[:d_model // 2])
    return pe.astype(np.float32)


class PositionalEncoding(nn.Module):
    """Adds a position's code to [N, T, d] embeddings: fixed sinusoids or a learned table."""

    def __init__(self, max_len, d_model, kind="sinusoidal"):
        super().__init__()
        if kind not in ("sinusoidal", "learned"):
            raise ValueError(f"PositionalEncoding: kind must be 'sinusoidal' or 'learned', got {kind!r}")
        self.kind, self.max_len = kind, max_len
        if kind == "learned":
            self.table = nn.Embedding(max_len, d_model)
            nn.init.normal_(self.table.weight, std=0.02)
        else:
            self.register_buffer("table", Tensor(sinusoidal_encoding(max_len, d_model)),
                                 persistent=False)

    def forward(self, x):
        t = x.shape[1]
        if t > self.max_len:
            raise ValueError(f"PositionalEncoding: sequence of {t} positions, at most {self.max_len}")
        codes = self.table(np.arange(t)) if self.kind == "learned" else self.table[:t]
        return x + codes


def causal_mask(length):
    """Boolean [T, T], True where attention is forbidden (a later position), as PyTorch's masks."""
    return np.triu(np.ones((length, length), dtype=bool), k=1)


class _Stack(nn.Module):
    def __init__(self, vocab_size, d_model, heads, layers, ff, max_len, positional, dropout):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, d_model)
        self.position = PositionalEncoding(max_len, d_model, positional)
        self.layers = nn.ModuleList([
            nn.TransformerEncoderLayer(d_model, heads, dim_feedforward=ff, dropout=dropout,
                                       activation="gelu", batch_first=True, norm_first=True)
            for _ in range(layers)])
        self.norm = nn.LayerNorm(d_model)
        # Learned tables start small together (GPT-2's std 0.02); against fixed sinusoids of
        # amplitude 1, token vectors of norm ~1 are scaled by sqrt(d) as in Vaswani et al.
        learned = positional == "learned"
        nn.init.normal_(self.embed.weight, std=0.02 if learned else d_model ** -0.5)
        self.scale = 1.0 if learned else math.sqrt(d_model)

    def _embed(self, ids):
        return self.position(self.embed(ids) * self.scale)

    def features(self, ids, causal):
        x = self._embed(ids)
        for layer in self.layers:
            x = layer(x, is_causal=causal)
        return self.norm(x)

    def attention_maps(self, ids, causal):
        """Per layer, the attention weights [N, heads, T, T] of each head for ids [N, T]."""
        from mdlfast import no_grad

        maps = []
        mask = causal_mask(ids.shape[1]) if causal else None
        with no_grad():
            x = self._embed(ids)
            for layer in self.layers:
                h = layer.norm1(x)
                _, w = layer.self_attn(h, h, h, attn_mask=mask, need_weights=True,
                                       average_attn_weights=False)
                maps.append(w.numpy())
                x = layer(x, is_causal=causal)
        return maps


class MiniGPT(_Stack):
    """Decoder-only language model: token + position embeddings, causal pre-norm blocks, a final
    LayerNorm and a linear head; logits [N, T, V] for ids [N, T]."""

    def __init__(self, vocab_size, d_model=128, heads=4, layers=2, ff=None, block=64,
                 positional="learned", dropout=0.0):
        super().__init__(vocab_size, d_model, heads, layers, ff or 4 * d_model, block, positional,
                         dropout)
        self.block = block
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, ids):
        return self.head(self.features(ids, causal=True))

    def attention_maps(self, ids):
        return super().attention_maps(ids, causal=True)


class TransformerClassifier(_Stack):
    """Encoder classifier: unmasked blocks, mean over positions, a linear head; [N, classes]."""

    def __init__(self, vocab_size, classes, d_model=32, heads=4, layers=2, ff=None, max_len=64,
                 positional="sinusoidal", dropout=0.0):
        super().__init__(vocab_size, d_model, heads, layers, ff or 2 * d_model, max_len, positional,
                         dropout)
        self.head = nn.Linear(d_model, classes)

    def forward(self, ids):
        return self.head(self.features(ids, causal=False).mean(axis=1))

    def attention_maps(self, ids):
        return super().attention_maps(ids, causal=False)


def plot_attention(maps, labels, path, *, layer=-1, max_heads=4):
    """Heat maps of the attention weights of one example (maps from `attention_maps`, example 0)
    for up to `max_heads` heads of `layer`, axes labelled with `labels`, saved to `path`."""
    from mdlfast.train.plot import pyplot

    weights = maps[layer][0]
    heads = min(weights.shape[0], max_heads)
    fig, axes = pyplot().subplots(1, heads, figsize=(3.2 * heads, 3.4), squeeze=False)
    for h, ax in enumerate(axes[0]):
        ax.imshow(weights[h], cmap="viridis", vmin=0.0)
        ax.set_title(f"head {h}")
        ticks = np.arange(len(labels))
        ax.set_xticks(ticks)
        ax.set_xticklabels(labels, fontsize=6)
        ax.set_yticks(ticks)
        ax.set_yticklabels(labels, fontsize=6)
        ax.set_xlabel("key")
        ax.set_ylabel("query")
    fig.tight_layout()
    fig.savefig(path)
    pyplot().close(fig)


def generate(model, vocab, prompt, length, *, temperature=1.0, seed=0):
    """`prompt` followed by `length` characters drawn one at a time from a MiniGPT, each
    conditioned on the last `model.block` characters."""
    from mdlfast import no_grad
    from mdlfast.models.charlm import sample_from_logits

    rng = np.random.default_rng(seed)
    ids = list(vocab.encode(prompt))
    if not ids:
        raise ValueError("generate: the prompt must not be empty")
    model.eval()
    with no_grad():
        for _ in range(length):
            context = np.array(ids[-model.block:], np.int64)[None]
            ids.append(sample_from_logits(model(context).numpy()[0, -1], temperature, rng))
    model.train()
    return vocab.decode(ids)


def _windows(ids, starts, length):
    return ids[starts[:, None] + np.arange(length + 1)]


def evaluate_gpt(model, ids, batch_size=32):
    """Mean loss (nats/char) of the model on consecutive non-overlapping windows of `ids`, and
    the (inputs, targets) it scored."""
    from mdlfast import no_grad
    from mdlfast.models.charlm import sequence_loss

    block = model.block
    starts = np.arange(0, len(ids) - block - 1, block)
    windows = _windows(ids, starts, block)
    total = 0.0
    model.eval()
    with no_grad():
        for i in range(0, len(windows), batch_size):
            w = windows[i:i + batch_size]
            total += float(sequence_loss(model(w[:, :-1]), w[:, 1:], reduction="sum").item())
    model.train()
    return total / windows[:, 1:].size, windows[:, :-1], windows[:, 1:]


def train_gpt(corpus, vocab, *, d_model=128, heads=4, layers=2, block=64, positional="learned",
              batch_size=32, steps=600, lr=2e-3, clip=1.0, seed=0, progress=False):
    """Adam (warm-up then cosine decay) on random windows of the training text; returns (model,
    metrics) with the bigram baseline's validation loss on the same targets."""
    import time

    import mdlfast
    from mdlfast import optim
    from mdlfast.models.charlm import BigramLM, sequence_loss

    mdlfast.manual_seed(seed)
    rng = np.random.default_rng(seed)
    train_ids, valid_ids = vocab.encode(corpus.train), vocab.encode(corpus.valid)
    model = MiniGPT(len(vocab), d_model, heads, layers, block=block, positional=positional)
    opt = optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warmup = max(steps // 20, 1)
    schedule = lambda s: min((s + 1) / warmup, 0.5 * (1 + math.cos(math.pi * s / steps)) * 0.9 + 0.1)
    start, losses = time.perf_counter(), []
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = lr * schedule(step)
        w = _windows(train_ids, rng.integers(0, len(train_ids) - block - 1, batch_size), block)
        loss = sequence_loss(model(w[:, :-1]), w[:, 1:])
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        losses.append(float(loss.item()))
        if progress and (step + 1) % max(steps // 10, 1) == 0:
            print(f"  step {step + 1:5d}  train loss {np.mean(losses[-20:]):.3f}")
    seconds = time.perf_counter() - start
    val_loss, x, y = evaluate_gpt(model, valid_ids)
    bigram = BigramLM(len(vocab)).fit(train_ids)
    return model, {"val_loss": val_loss, "bigram_val_loss": bigram.loss(x, y),
                   "train_loss": float(np.mean(losses[-20:])), "steps": steps,
                   "chars_per_second": steps * block * batch_size / seconds}
