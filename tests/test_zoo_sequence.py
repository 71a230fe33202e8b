"""Unit 8's sequence models: corpus, bigram baseline, char RNN/GRU/LSTM with truncated BPTT and
sampling, sequence classification, the attention encoder-decoder with greedy and beam decoding,
skip-gram and transformers (quick configs; the full runs are in test_zoo_sequence_slow.py)."""
from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

import mdlfast
from mdlfast.autograd.tensor import Tensor
from mdlfast.models import charlm, seq2seq, seqclass, skipgram, transformer
from mdlfast.models.text import CharVocab, load_corpus, words


@pytest.fixture(scope="module")
def small_text():
    corpus = load_corpus(20_000)
    return corpus, CharVocab(corpus.train)


def test_corpus_is_deterministic_and_split_by_topic():
    from pydoc_data.topics import topics

    a, b = load_corpus(), load_corpus()
    assert a == b
    assert len(a.train) > 5 * len(a.valid) > 0
    names = sorted(topics)
    held = [topics[n] for i, n in enumerate(names) if i % 10 == 5]
    assert all(text in a.valid and text not in a.train for text in held)


def test_char_vocab_round_trip_and_unknown(small_text):
    corpus, vocab = small_text
    ids = vocab.encode(corpus.train[:500])
    assert ids.dtype == np.int64 and vocab.decode(ids) == corpus.train[:500]
    assert vocab.encode("\u4e2d")[0] == 0 and 0 not in vocab.encode(corpus.train[:500])


def test_batchify_streams_and_chunks_continue_each_other():
    ids = np.arange(103)
    streams = charlm.batchify(ids, 4)
    assert streams.shape == (25, 4)
    np.testing.assert_array_equal(streams[:, 1], np.arange(25, 50))
    pieces = list(charlm.chunks(streams, 7))
    assert sum(x.shape[0] for x, _ in pieces) == 24
    for (x0, y0), (x1, _) in zip(pieces, pieces[1:]):
        np.testing.assert_array_equal(y0[-1], x1[0])
        np.testing.assert_array_equal(x0 + 1, y0)


def test_bigram_loss_matches_a_count_by_hand():
    train, valid, v, alpha = [0, 1, 2, 1, 2, 2, 0, 1], [1, 2, 0, 2, 2], 3, 0.5
    model = charlm.BigramLM(v, alpha=alpha).fit(np.array(train))
    pairs = Counter(zip(train, train[1:]))
    expected = []
    for a, b in zip(valid, valid[1:]):
        row = sum(pairs[(a, c)] for c in range(v))
        expected.append(-math.log((pairs[(a, b)] + alpha) / (row + alpha * v)))
    assert model.loss(valid[:-1], valid[1:]) == pytest.approx(np.mean(expected), rel=1e-12)
    np.testing.assert_allclose(np.exp(model.log_probs).sum(axis=1), 1.0)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_char_lm_shapes_and_state_carry_equals_one_long_pass(cell):
    mdlfast.manual_seed(0)
    model = charlm.CharLM(11, cell, embed=8, hidden=12, layers=2)
    ids = np.random.default_rng(0).integers(0, 11, (20, 3))
    whole, _ = model(ids)
    assert whole.shape == (20, 3, 11)
    parts, state = [], None
    for start in range(0, 20, 6):
        logits, state = model(ids[start:start + 6], charlm.detach_state(state))
        parts.append(logits.numpy())
    np.testing.assert_allclose(np.concatenate(parts), whole.numpy(), rtol=1e-5, atol=1e-5)


def test_truncated_bptt_cuts_gradients_at_the_chunk_boundary():
    mdlfast.manual_seed(0)
    model = charlm.CharLM(7, "lstm", embed=4, hidden=5)
    ids = np.random.default_rng(1).integers(0, 7, (8, 2))
    _, state = model(ids[:4])
    carried = charlm.detach_state(state)
    assert all(not s.requires_grad for s in carried)
    np.testing.assert_array_equal(carried[0].numpy(), state[0].numpy())
    logits, _ = model(ids[4:], carried)
    charlm.sequence_loss(logits, ids[4:]).backward()    # only the second chunk's graph exists
    assert model.embed.weight.grad is not None


def test_train_tbptt_lowers_the_loss(small_text):
    corpus, vocab = small_text
    mdlfast.manual_seed(0)
    model = charlm.CharLM(len(vocab), "gru", embed=16, hidden=32)
    streams = charlm.batchify(vocab.encode(corpus.train), 8)
    before = charlm.evaluate(model, streams[:200], 25)
    charlm.train_tbptt(model, streams, steps=30, bptt=25, lr=1e-2)
    assert charlm.evaluate(model, streams[:200], 25) < before - 0.5


def test_temperature_sampling_limits():
    rng = np.random.default_rng(0)
    logits = np.array([0.1, 2.0, -1.0, 1.9])
    assert charlm.sample_from_logits(logits, 0.0, rng) == 1
    assert {charlm.sample_from_logits(logits, 1e-3, rng) for _ in range(200)} == {1}
    draws = np.bincount([charlm.sample_from_logits(logits, 1e4, rng) for _ in range(4000)], minlength=4)
    np.testing.assert_allclose(draws / 4000, 0.25, atol=0.04)
    with pytest.raises(ValueError, match="temperature"):
        charlm.sample_from_logits(logits, -1.0, rng)


def test_sample_starts_with_the_prompt_and_is_reproducible(small_text):
    _, vocab = small_text
    mdlfast.manual_seed(0)
    model = charlm.CharLM(len(vocab), "lstm", embed=8, hidden=16)
    text = charlm.sample(model, vocab, "The ", 30, temperature=0.8, seed=3)
    assert text.startswith("The ") and len(text) == 34
    assert text == charlm.sample(model, vocab, "The ", 30, temperature=0.8, seed=3)


def test_majority_labels_are_the_most_frequent_of_the_first_three_symbols():
    x, y = seqclass.majority_batch(np.random.default_rng(0), 300, 15)
    counts = np.stack([(x == c).sum(1) for c in range(3)], 1)
    np.testing.assert_array_equal(y, counts.argmax(1))
    assert (np.sort(counts, 1)[:, -1] > np.sort(counts, 1)[:, -2]).all()


@pytest.mark.parametrize("cell, bidirectional", [("gru", True), ("lstm", True), ("gru", False)])
def test_recurrent_classifier_shapes(cell, bidirectional):
    model = seqclass.RecurrentClassifier(cell=cell, bidirectional=bidirectional, hidden=8, layers=2)
    x, _ = seqclass.majority_batch(np.random.default_rng(0), 5, 9)
    assert model(x).shape == (5, 3)


def test_bidirectional_classifier_sees_the_first_token_through_its_backward_direction():
    mdlfast.manual_seed(0)
    model = seqclass.RecurrentClassifier(hidden=8, layers=1)
    x, _ = seqclass.majority_batch(np.random.default_rng(0), 1, 9)
    y = x.copy()
    y[0, 0] = (x[0, 0] + 1) % 6
    h = lambda tokens: model.rnn(model.embed(tokens))[1].numpy()[:, 0]
    forward_diff, backward_diff = np.abs(h(x) - h(y)).max(axis=1)
    assert backward_diff > 1e-4 and forward_diff > 1e-6


def test_reversal_data_and_held_out_split():
    rng = np.random.default_rng(0)
    src, tgt = seq2seq.reversal_batch(rng, 50, 5, 10)
    np.testing.assert_array_equal(tgt[:, :-1], src[:, ::-1])
    assert (tgt[:, -1] == seq2seq.END).all() and src.min() >= seq2seq.FIRST_SYMBOL
    train_src, _ = seq2seq._draw(rng, 200, 5, 10, False)
    test_src, _ = seq2seq._draw(rng, 200, 5, 10, True)
    assert not seq2seq.held_out(train_src).any() and seq2seq.held_out(test_src).all()
    inputs = seq2seq.teacher_inputs(tgt)
    assert (inputs[:, 0] == seq2seq.START).all()
    np.testing.assert_array_equal(inputs[:, 1:], tgt[:, :-1])


def test_seq2seq_shapes_and_attention_weights():
    mdlfast.manual_seed(0)
    model = seq2seq.Seq2Seq(13, embed=8, hidden=16)
    src, tgt = seq2seq.reversal_batch(np.random.default_rng(0), 4, 6, 10)
    memory, keys, h0 = model.encode(src)
    logits, weights, _ = model.decode(seq2seq.teacher_inputs(tgt), memory, keys, h0)
    assert logits.shape == (4, 7, 13) and weights.shape == (4, 7, 6) and h0.shape == (1, 4, 16)
    np.testing.assert_allclose(weights.numpy().sum(-1), 1.0, rtol=1e-5)


def test_beam_one_is_greedy_and_wider_beams_score_at_least_as_well():
    _, metrics = seq2seq.train_reversal(steps=30, max_len=6, hidden=24, test_size=10, beam_size=3)
    mdlfast.manual_seed(0)
    model = seq2seq.Seq2Seq(13, embed=8, hidden=16)
    src, _ = seq2seq.reversal_batch(np.random.default_rng(2), 12, 5, 10)
    greedy = seq2seq.greedy_decode(model, src, 8)
    for row, s in zip(greedy, src):
        ends = np.flatnonzero(row == seq2seq.END)
        expected = list(row[:ends[0]]) if len(ends) else list(row)
        assert seq2seq.beam_decode(model, s, 8, beam=1) == expected
    assert 0.0 <= metrics["exact_match"] <= 1.0 and 0.0 <= metrics["beam_exact_match"] <= 1.0
    with pytest.raises(ValueError, match="beam"):
        seq2seq.beam_decode(model, src[0], 8, beam=0)


def test_sinusoidal_encoding_formula():
    pe = transformer.sinusoidal_encoding(50, 16)
    pos, i = 37, 3
    assert pe[pos, 2 * i] == pytest.approx(math.sin(pos / 10000 ** (2 * i / 16)), abs=1e-6)
    assert pe[pos, 2 * i + 1] == pytest.approx(math.cos(pos / 10000 ** (2 * i / 16)), abs=1e-6)
    np.testing.assert_array_equal(pe[0, 1::2], 1.0)


@pytest.mark.parametrize("positional", ["sinusoidal", "learned"])
def test_mini_gpt_future_tokens_cannot_change_the_past(positional):
    mdlfast.manual_seed(0)
    model = transformer.MiniGPT(20, d_model=16, heads=2, layers=2, block=12, positional=positional)
    ids = np.random.default_rng(0).integers(0, 20, (2, 12))
    base = model(ids).numpy()
    assert base.shape == (2, 12, 20)
    for t in (0, 5, 11):
        changed = ids.copy()
        changed[:, t] = (changed[:, t] + 7) % 20
        out = model(changed).numpy()
        np.testing.assert_allclose(out[:, :t], base[:, :t], rtol=1e-5, atol=1e-6)
        assert np.abs(out[:, t:] - base[:, t:]).max() > 1e-4


def test_attention_maps_are_causal_distributions():
    mdlfast.manual_seed(0)
    model = transformer.MiniGPT(20, d_model=16, heads=2, layers=2, block=10)
    maps = model.attention_maps(np.random.default_rng(0).integers(0, 20, (3, 10)))
    assert len(maps) == 2 and maps[0].shape == (3, 2, 10, 10)
    for w in maps:
        np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-5)
        assert np.abs(w[..., np.triu_indices(10, 1)[0], np.triu_indices(10, 1)[1]]).max() == 0.0
    classifier = transformer.TransformerClassifier(6, 3, d_model=8, heads=2, layers=1)
    full = classifier.attention_maps(np.zeros((1, 5), np.int64))[0]
    assert (full > 0).all()


def test_plot_attention_writes_a_figure(tmp_path):
    pytest.importorskip("matplotlib")
    mdlfast.manual_seed(0)
    model = transformer.MiniGPT(20, d_model=16, heads=2, layers=1, block=8)
    maps = model.attention_maps(np.arange(8)[None])
    transformer.plot_attention(maps, list("abcdefgh"), tmp_path / "attn.png")
    assert (tmp_path / "attn.png").stat().st_size > 1000


def test_generate_extends_the_prompt_beyond_the_block(small_text):
    _, vocab = small_text
    mdlfast.manual_seed(0)
    model = transformer.MiniGPT(len(vocab), d_model=16, heads=2, layers=1, block=8)
    text = transformer.generate(model, vocab, "The ", 12, temperature=0.0)
    assert text.startswith("The ") and len(text) == 16
    assert text == transformer.generate(model, vocab, "The ", 12, temperature=0.0, seed=5)


@pytest.mark.parametrize("name", ["char_rnn", "mini_gpt"])
def test_zoo_language_models_plot(name, tmp_path):
    pytest.importorskip("matplotlib")
    from mdlfast.models import registry

    run = registry.get(name).run(quick=True, seed=0)
    run.plot(tmp_path / "figure.png")
    assert (tmp_path / "figure.png").stat().st_size > 1000


def test_transformer_classifier_learns_the_majority_task_a_little():
    mdlfast.manual_seed(0)
    model = transformer.TransformerClassifier(6, 3, d_model=16, heads=2, layers=1)
    metrics = seqclass.train_sequence_classifier(model, length=12, steps=60, test_size=300)
    assert metrics["test_accuracy"] > 0.5     # chance is about 1/3


def test_skipgram_pairs_loss_and_neighbours():
    centres, contexts = skipgram.skipgram_pairs(np.array([0, 1, 2, 3]), 2)
    assert sorted(zip(centres.tolist(), contexts.tolist())) == sorted(
        [(0, 1), (1, 2), (2, 3), (1, 0), (2, 1), (3, 2), (0, 2), (1, 3), (2, 0), (3, 1)])
    corpus = load_corpus(40_000)
    vocab = skipgram.WordVocab(words(corpus.train), min_count=3)
    model, metrics = skipgram.train_skipgram(
        vocab.encode(words(corpus.train)), vocab.encode(words(corpus.valid)), len(vocab),
        skipgram.noise_distribution(vocab), dim=16, steps=60, batch_size=256, lr=2e-2)
    assert metrics["val_loss"] < metrics["untrained_val_loss"] - 0.3
    neighbours = skipgram.nearest(model, vocab, "the", k=4)
    assert len(neighbours) == 4 and "the" not in neighbours
    with pytest.raises(ValueError, match="vocabulary"):
        skipgram.nearest(model, vocab, "zzzzzz")


def test_positional_encoding_errors():
    with pytest.raises(ValueError, match="kind"):
        transformer.PositionalEncoding(8, 4, "rotary")
    with pytest.raises(ValueError, match="positions"):
        transformer.PositionalEncoding(4, 4)(Tensor(np.zeros((1, 5, 4), np.float32)))
    with pytest.raises(ValueError, match="cell"):
        charlm.CharLM(5, "transformer")


UNIT8 = ["char_bigram", "char_rnn", "char_gru", "char_lstm", "seq_classifier", "seq2seq_attention",
         "skipgram", "mini_gpt", "transformer_classifier"]


@pytest.mark.parametrize("name", UNIT8)
def test_zoo_quick_run_reports_its_headline(name):
    from mdlfast.models import registry

    entry = registry.get(name)
    assert entry.unit == 8
    metrics = entry.run(quick=True, seed=0).metrics
    assert np.isfinite(metrics[entry.headline])
    if "bigram_val_loss" in metrics:
        assert 0 < metrics["val_loss"] < math.log(200) and metrics["bigram_val_loss"] > 0


def test_lstm_forget_gate_bias_starts_at_forget_bias():
    model = charlm.CharLM(9, "lstm", embed=4, hidden=5, layers=2, forget_bias=1.5)
    for layer in range(2):
        b = getattr(model.rnn, f"bias_ih_l{layer}").numpy()
        np.testing.assert_array_equal(b[5:10], 1.5)
        assert np.abs(b[:5]).max() <= 1 / math.sqrt(5) and np.abs(b[10:]).max() <= 1 / math.sqrt(5)
