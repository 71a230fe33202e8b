"""An encoder-decoder with attention (unit 8) on sequence reversal, a task whose answer is known.

The encoder is a bidirectional GRU; the decoder a GRU with Luong's global attention ("general"
score h_t^T W h_s over the encoder outputs): with teacher forcing the decoder GRU runs over the
whole shifted target in one call and the attention of every step is one batched matmul, so a
training step costs a handful of kernel calls whatever the length. Decoding is greedy or by beam
search (beam 1 is greedy).

Tokens: 0 padding (unused: a batch holds sequences of one length), 1 start, 2 end, 3.. symbols.
"""
from __future__ import annotations

import numpy as np

import mdlfast
from mdlfast import nn, optim
from mdlfast.autograd.tensor import Tensor, cat
from mdlfast.nn import functional as F

START, END, FIRST_SYMBOL = 1, 2, 3


def reversal_batch(rng, batch_size, length, symbols):
    """(sources [N, L], targets [N, L+1]): random symbol strings and their reversal + END."""
    src = rng.integers(FIRST_SYMBOL, FIRST_SYMBOL + symbols, size=(batch_size, length))
    tgt = np.concatenate([src[:, ::-1], np.full((batch_size, 1), END)], axis=1)
    return src.astype(np.int64), np.ascontiguousarray(tgt, dtype=np.int64)


class Seq2Seq(nn.Module):
    """Bidirectional GRU encoder, GRU decoder with Luong (general) attention."""

    def __init__(self, vocab_size, embed=32, hidden=64):
        super().__init__()
        self.hidden = hidden
        self.src_embed = nn.Embedding(vocab_size, embed)
        self.tgt_embed = nn.Embedding(vocab_size, embed)
        self.encoder = nn.GRU(embed, hidden, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden, hidden)       # encoder final states -> decoder h0
        self.memory_proj = nn.Linear(2 * hidden, hidden, bias=False)   # W of the general score
        self.decoder = nn.GRU(embed, hidden)
        self.combine = nn.Linear(hidden + 2 * hidden, hidden)
        self.head = nn.Linear(hidden, vocab_size)

    def encode(self, src):
        """Encoder outputs [N, S, 2H], their projections [N, S, H] and the decoder's h0 [1, N, H]."""
        out, h_n = self.encoder(self.src_embed(np.ascontiguousarray(src.T)))   # [S, N, 2H]
        memory = out.transpose(0, 1)
        h0 = self.bridge(cat([h_n[0], h_n[1]], axis=1)).tanh()
        return memory, self.memory_proj(memory), h0.unsqueeze(0)

    def decode(self, inputs, memory, keys, state):
        """Logits [N, T, V], attention weights [N, T, S] and the new state for decoder inputs
        [N, T] (teacher forcing: the whole target at once; greedy/beam: T = 1)."""
        out, state = self.decoder(self.tgt_embed(np.ascontiguousarray(inputs.T)), state)
        out = out.transpose(0, 1)                                   # [N, T, H]
        weights = F.softmax(out @ keys.transpose(1, 2), dim=-1)     # [N, T, S]
        context = weights @ memory                                  # [N, T, 2H]
        mixed = self.combine(cat([out, context], axis=2)).tanh()
        return self.head(mixed), weights, state

    def forward(self, src, tgt_in):
        memory, keys, h0 = self.encode(src)
        return self.decode(tgt_in, memory, keys, h0)[0]


def teacher_inputs(tgt):
    """The decoder's inputs under teacher forcing: START then the target shifted right."""
    return np.concatenate([np.full((tgt.shape[0], 1), START, np.int64), tgt[:, :-1]], axis=1)


def greedy_decode(model, src, max_len):
    """Most likely next token at every step, for a batch of sources [N, S]; [N, max_len] ids
    (positions after END are END)."""
    with mdlfast.no_grad():
        memory, keys, state = model.encode(src)
        token = np.full((src.shape[0], 1), START, np.int64)
        out = np.full((src.shape[0], max_len), END, np.int64)
        done = np.zeros(src.shape[0], bool)
        for t in range(max_len):
            logits, _, state = model.decode(token, memory, keys, state)
            token = logits.numpy()[:, -1].argmax(axis=1)[:, None].astype(np.int64)
            out[:, t] = np.where(done, END, token[:, 0])
            done |= token[:, 0] == END
            if done.all():
                break
    return out


def beam_decode(model, src, max_len, beam=4):
    """Beam search for one source [S]: keeps the `beam` best hypotheses (sum of log-probabilities)
    per step and returns the best one that ended in END (ids without the END); beam 1 is greedy."""
    if beam < 1:
        raise ValueError(f"beam_decode: beam must be >= 1, got {beam}")
    with mdlfast.no_grad():
        memory, keys, state = model.encode(np.asarray(src, np.int64)[None])
        hyps = [([], 0.0)]                    # (tokens so far, score)
        finished = []
        for _ in range(max_len):
            k = len(hyps)
            tokens = np.array([[h[-1] if h else START] for h, _ in hyps], np.int64)
            logits, _, state = model.decode(tokens, _repeat(memory, k), _repeat(keys, k), state)
            logp = F.log_softmax(logits[:, -1], dim=-1).numpy().astype(np.float64)
            scores = np.array([s for _, s in hyps])[:, None] + logp
            flat = np.argsort(-scores, axis=None, kind="stable")[:beam]
            live, keep = [], []
            for r, c in zip(*np.unravel_index(flat, scores.shape)):
                if c == END:
                    finished.append((hyps[r][0], float(scores[r, c])))
                else:
                    live.append((hyps[r][0] + [int(c)], float(scores[r, c])))
                    keep.append(r)
            hyps = live
            # log-probabilities are <= 0: a live hypothesis can only lose score as it grows
            if not hyps or (finished and max(s for _, s in finished) >= max(s for _, s in hyps)):
                break
            state = Tensor(state.numpy()[:, keep])
    best = max(finished or hyps, key=lambda f: f[1])
    return best[0]


def _repeat(t, k):
    return t if k == 1 else Tensor(np.repeat(t.numpy(), k, axis=0))


def held_out(src):
    """True for the sources reserved for testing: a fixed seventh of all strings (a linear code
    of the symbols mod 7), never drawn in training."""
    weights = 3 + 2 * np.arange(src.shape[1])
    return (src * weights).sum(axis=1) % 7 == 0


def _draw(rng, batch_size, length, symbols, test):
    src, tgt = reversal_batch(rng, 4 * batch_size, length, symbols)
    keep = held_out(src) == test
    while keep.sum() < batch_size:
        more_src, more_tgt = reversal_batch(rng, 4 * batch_size, length, symbols)
        src, tgt = np.concatenate([src, more_src]), np.concatenate([tgt, more_tgt])
        keep = held_out(src) == test
    return src[keep][:batch_size], tgt[keep][:batch_size]


def train_reversal(*, symbols=10, min_len=4, max_len=10, embed=32, hidden=64, batch_size=64,
                   steps=1500, lr=3e-3, test_size=500, beam=4, beam_size=200, seed=0,
                   progress=False):
    """Teacher-forced training on random lengths (one length per batch); returns (model,
    metrics): exact-match of greedy and beam decoding on held-out strings of every length."""
    from mdlfast.models.charlm import sequence_loss

    mdlfast.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = Seq2Seq(FIRST_SYMBOL + symbols, embed, hidden)
    opt = optim.Adam(model.parameters(), lr=lr)
    for step in range(steps):
        src, tgt = _draw(rng, batch_size, int(rng.integers(min_len, max_len + 1)), symbols, False)
        logits = model(src, teacher_inputs(tgt))
        loss = sequence_loss(logits, tgt)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if progress and (step + 1) % max(steps // 10, 1) == 0:
            print(f"  step {step + 1:5d}  loss {loss.item():.4f}")
    model.eval()
    test_rng = np.random.default_rng(seed + 10_000)
    lengths = np.arange(min_len, max_len + 1)
    per = -(-test_size // len(lengths))
    greedy_hits = tokens_hit = tokens = beam_hits = beam_total = 0
    for length in lengths:
        src, tgt = _draw(test_rng, per, int(length), symbols, True)
        out = greedy_decode(model, src, length + 2)
        greedy_hits += int((out[:, :length + 1] == tgt).all(axis=1).sum())
        tokens_hit += int((out[:, :length] == tgt[:, :length]).sum())
        tokens += src.size
        for s, t in zip(src[:max(beam_size // len(lengths), 1)], tgt):
            beam_hits += beam_decode(model, s, length + 2, beam) == list(t[:-1])
            beam_total += 1
    n = per * len(lengths)
    return model, {"exact_match": greedy_hits / n, "token_accuracy": tokens_hit / tokens,
                   "beam_exact_match": beam_hits / beam_total, "test_sequences": n,
                   "final_train_loss": float(loss.item())}
