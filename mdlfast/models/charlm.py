"""Character-level language models (unit 8): a smoothed bigram baseline and RNN / GRU / LSTM
models trained with truncated backpropagation through time, sampled with a temperature.

Losses are in nats per character: the mean of -log p(next char | past) over the targets.
"""
from __future__ import annotations

import math
import time

import numpy as np

import mdlfast
from mdlfast import nn, optim
from mdlfast.nn import functional as F


def batchify(ids, batch_size):
    """Cut a stream of ids into `batch_size` contiguous streams, time-major [T, N] (the tail that
    does not fill a row is dropped), so that chunk k+1 of a column continues chunk k."""
    ids = np.asarray(ids, dtype=np.int64)
    length = len(ids) // batch_size
    if length < 2:
        raise ValueError(f"batchify: {len(ids)} ids are too few for {batch_size} streams")
    return np.ascontiguousarray(ids[:length * batch_size].reshape(batch_size, length).T)


def chunks(streams, bptt):
    """(inputs, targets) pairs of at most `bptt` steps along the streams, in order."""
    for start in range(0, streams.shape[0] - 1, bptt):
        stop = min(start + bptt, streams.shape[0] - 1)
        yield streams[start:stop], streams[start + 1:stop + 1]


class BigramLM:
    """p(b | a) = (count(a, b) + alpha) / (count(a) + alpha·V): add-alpha smoothed bigrams."""

    def __init__(self, vocab_size, alpha=0.1):
        if alpha <= 0:
            raise ValueError(f"BigramLM: alpha must be positive, got {alpha}")
        self.vocab_size, self.alpha = int(vocab_size), float(alpha)
        self.log_probs = np.full((vocab_size, vocab_size), -math.log(vocab_size))

    def fit(self, ids):
        """Count the bigrams of the id stream `ids`; returns self."""
        ids = np.asarray(ids, dtype=np.int64)
        v = self.vocab_size
        counts = np.bincount(ids[:-1] * v + ids[1:], minlength=v * v).reshape(v, v) + self.alpha
        self.log_probs = np.log(counts / counts.sum(axis=1, keepdims=True))
        return self

    def loss(self, inputs, targets):
        """Mean -log p(target | input) in nats."""
        return float(-self.log_probs[np.asarray(inputs), np.asarray(targets)].mean())


class CharLM(nn.Module):
    """Embedding -> stacked RNN / GRU / LSTM (unidirectional) -> Linear to the vocabulary.

    An LSTM's forget gates start with bias `forget_bias` (in b_ih; 0 keeps PyTorch's init): a
    positive bias keeps the cell state from being forgotten early in training (Gers et al. 2000,
    Jozefowicz et al. 2015), which speeds learning up."""

    CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}

    def __init__(self, vocab_size, cell="lstm", embed=64, hidden=256, layers=1, dropout=0.0,
                 forget_bias=1.0):
        super().__init__()
        if cell not in self.CELLS:
            raise ValueError(f"CharLM: cell must be one of {sorted(self.CELLS)}, got {cell!r}")
        self.cell = cell
        self.embed = nn.Embedding(vocab_size, embed)
        self.rnn = self.CELLS[cell](embed, hidden, num_layers=layers, dropout=dropout)
        self.head = nn.Linear(hidden, vocab_size)
        if cell == "lstm":
            for name, p in self.rnn.named_parameters():
                if name.startswith("bias_ih"):        # gates i, f, g, o: f is the second slice
                    p.data[hidden:2 * hidden] = forget_bias

    def forward(self, ids, state=None):
        """Logits [T, N, V] for time-major ids [T, N] and the final recurrent state."""
        out, state = self.rnn(self.embed(ids), state)
        return self.head(out), state


def detach_state(state):
    """The recurrent state cut from the graph (truncated BPTT carries values, not gradients)."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def sequence_loss(logits, targets, reduction="mean"):
    """Cross-entropy of [T, N, V] logits against [T, N] targets."""
    v = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, v), np.asarray(targets).reshape(-1), reduction=reduction)


def evaluate(model, streams, bptt):
    """Mean loss (nats/char) over every target of `streams`, carrying the state across chunks."""
    model.eval()
    total, count, state = 0.0, 0, None
    with mdlfast.no_grad():
        for x, y in chunks(streams, bptt):
            logits, state = model(x, state)
            total += float(sequence_loss(logits, y, reduction="sum").item())
            count += y.size
    model.train()
    return total / count


def train_tbptt(model, train_streams, *, steps, bptt=64, lr=3e-3, clip=1.0, log_every=0,
                on_log=None):
    """Adam with truncated BPTT: consecutive `bptt`-step chunks of the streams, the hidden state
    carried (detached) from chunk to chunk and reset when the streams wrap around; gradients
    clipped to norm `clip`. Returns the list of training losses, one per step."""
    opt = optim.Adam(model.parameters(), lr=lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(steps, 1), eta_min=lr / 10)
    losses, state, pieces = [], None, chunks(train_streams, bptt)
    model.train()
    for step in range(steps):
        try:
            x, y = next(pieces)
        except StopIteration:
            pieces, state = chunks(train_streams, bptt), None
            x, y = next(pieces)
        logits, state = model(x, detach_state(state))
        loss = sequence_loss(logits, y)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        sched.step()
        losses.append(float(loss.item()))
        if log_every and on_log and (step + 1) % log_every == 0:
            on_log(step + 1, float(np.mean(losses[-log_every:])))
    return losses


def sample_from_logits(logits, temperature, rng):
    """One id drawn from softmax(logits / temperature); temperature 0 takes the argmax."""
    logits = np.asarray(logits, dtype=np.float64)
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if temperature == 0:
        return int(np.argmax(logits))
    z = logits / temperature
    p = np.exp(z - z.max())
    return int(rng.choice(len(p), p=p / p.sum()))


def sample(model, vocab, prompt, length, *, temperature=1.0, seed=0):
    """`prompt` followed by `length` characters drawn one at a time from the model."""
    rng = np.random.default_rng(seed)
    ids = vocab.encode(prompt)
    if len(ids) == 0:
        raise ValueError("sample: the prompt must not be empty")
    model.eval()
    out = list(ids)
    with mdlfast.no_grad():
        logits, state = model(ids[:, None])
        for _ in range(length):
            nxt = sample_from_logits(logits.numpy()[-1, 0], temperature, rng)
            out.append(nxt)
            logits, state = model(np.array([[nxt]], dtype=np.int64), state)
    model.train()
    return vocab.decode(out)


def train_char_lm(corpus, vocab, *, cell="lstm", embed=64, hidden=256, layers=1, dropout=0.0,
                  forget_bias=1.0, batch_size=32, bptt=64, steps=500, lr=3e-3, clip=1.0, seed=0, progress=False,
                  losses_out=None):
    """Train a CharLM on the corpus; returns (model, metrics) with the bigram baseline's
    validation loss beside the model's (nats/char). The per-step training losses are appended
    to the list `losses_out` when one is given."""
    mdlfast.manual_seed(seed)
    train_ids, valid_ids = vocab.encode(corpus.train), vocab.encode(corpus.valid)
    train_streams = batchify(train_ids, batch_size)
    valid_streams = batchify(valid_ids, min(batch_size, 16))
    model = CharLM(len(vocab), cell, embed, hidden, layers, dropout, forget_bias)
    start = time.perf_counter()
    log = (lambda step, loss: print(f"  step {step:5d}  train loss {loss:.3f}")) if progress else None
    losses = train_tbptt(model, train_streams, steps=steps, bptt=bptt, lr=lr, clip=clip,
                         log_every=max(steps // 10, 1), on_log=log)
    seconds = time.perf_counter() - start
    if losses_out is not None:
        losses_out.extend(losses)
    bigram = BigramLM(len(vocab)).fit(train_ids)
    x, y = valid_streams[:-1], valid_streams[1:]
    metrics = {"val_loss": evaluate(model, valid_streams, bptt), "bigram_val_loss": bigram.loss(x, y),
               "train_loss": float(np.mean(losses[-20:])), "steps": steps,
               "chars_per_second": steps * bptt * batch_size / seconds}
    metrics["val_bits_per_char"] = metrics["val_loss"] / math.log(2)
    return model, metrics
