"""Zoo entries of unit 8 (the book's chapter 7): character language models and their bigram
baseline, sequence classification, an attention encoder-decoder, skip-gram embeddings, and
transformers (mini-GPT, encoder classifier). The text is the Python Language Reference that
ships with CPython (mdlfast.models.text)."""
from __future__ import annotations

import math

import numpy as np

from mdlfast.models import charlm, seq2seq, seqclass, skipgram, transformer
from mdlfast.models.registry import Run, ZooEntry, register
from mdlfast.models.text import CharVocab, load_corpus, words

TEXT = "pydoc_topics"
UNIT = 8


def _text(config):
    corpus = load_corpus(config.get("max_chars"))
    return corpus, CharVocab(corpus.train)


def _train_bigram(entry, config, *, dataset, seed, progress):
    corpus, vocab = _text(config)
    model = charlm.BigramLM(len(vocab), alpha=config.get("alpha", 0.1))
    model.fit(vocab.encode(corpus.train))
    valid = vocab.encode(corpus.valid)
    train = vocab.encode(corpus.train)
    return Run({"val_loss": model.loss(valid[:-1], valid[1:]),
                "train_loss": model.loss(train[:-1], train[1:]),
                "uniform_loss": math.log(len(vocab)), "vocab_size": len(vocab)})


def _train_char(cell):
    def train(entry, config, *, dataset, seed, progress):
        corpus, vocab = _text(config)
        options = {k: v for k, v in config.items() if k not in ("max_chars", "temperature")}
        losses = []
        model, metrics = charlm.train_char_lm(corpus, vocab, cell=cell, seed=seed,
                                              progress=progress, losses_out=losses, **options)
        text = charlm.sample(model, vocab, "The ", 120, temperature=config.get("temperature", 0.7),
                             seed=seed)
        metrics["sample"] = text
        if progress:
            print(f"  sample (T={config.get('temperature', 0.7)}): {text!r}")
        return Run(metrics, plot=lambda path: _plot_lm_losses(losses, metrics, cell, path))
    return train


def _plot_lm_losses(losses, metrics, name, path):
    """Training loss per step against the final validation losses of the model and the bigram."""
    from mdlfast.train.plot import pyplot

    fig, ax = pyplot().subplots(figsize=(6.5, 4))
    ax.plot(np.arange(1, len(losses) + 1), losses, lw=0.8, label=f"{name} training loss")
    ax.axhline(metrics["val_loss"], color="C1", label=f"{name} validation loss")
    ax.axhline(metrics["bigram_val_loss"], color="C2", ls="--", label="bigram validation loss")
    ax.set_xlabel("step")
    ax.set_ylabel("nats per character")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    pyplot().close(fig)


def _train_seq_classifier(entry, config, *, dataset, seed, progress):
    import mdlfast

    mdlfast.manual_seed(seed)
    options = dict(config)
    model = seqclass.RecurrentClassifier(**options.pop("model", {}))
    return Run(seqclass.train_sequence_classifier(model, seed=seed, progress=progress, **options))


def _train_transformer_classifier(entry, config, *, dataset, seed, progress):
    import mdlfast

    mdlfast.manual_seed(seed)
    options = dict(config)
    model = transformer.TransformerClassifier(seqclass.SYMBOLS, seqclass.CLASSES,
                                              **options.pop("model", {}))
    return Run(seqclass.train_sequence_classifier(model, seed=seed, progress=progress, **options))


def _train_seq2seq(entry, config, *, dataset, seed, progress):
    _, metrics = seq2seq.train_reversal(seed=seed, progress=progress, **config)
    return Run(metrics)


def _train_skipgram(entry, config, *, dataset, seed, progress):
    corpus = load_corpus(config.get("max_chars"))
    options = {k: v for k, v in config.items() if k not in ("max_chars", "min_count", "queries")}
    train_words = words(corpus.train)
    vocab = skipgram.WordVocab(train_words, config.get("min_count", 5))
    model, metrics = skipgram.train_skipgram(
        vocab.encode(train_words), vocab.encode(words(corpus.valid)), len(vocab),
        skipgram.noise_distribution(vocab), seed=seed, progress=progress, **options)
    for query in config.get("queries", ()):
        if query in vocab.index:
            metrics[f"nearest_{query}"] = ", ".join(skipgram.nearest(model, vocab, query))
            if progress:
                print(f"  nearest to {query!r}: {metrics[f'nearest_{query}']}")
    return Run(metrics)


def _train_gpt(entry, config, *, dataset, seed, progress):
    corpus, vocab = _text(config)
    options = {k: v for k, v in config.items() if k not in ("max_chars", "sample_length")}
    model, metrics = transformer.train_gpt(corpus, vocab, seed=seed, progress=progress, **options)
    prompt = corpus.valid[:model.block]
    metrics["sample"] = transformer.generate(model, vocab, "The ", config.get("sample_length", 120),
                                             temperature=0.7, seed=seed)
    if progress:
        print(f"  sample (T=0.7): {metrics['sample']!r}")

    def plot(path):
        ids = vocab.encode(prompt)[None, :min(32, model.block)]
        maps = model.attention_maps(ids)
        visible = {" ": "\u2423", "\n": "\u23ce"}     # open box for a space, return symbol
        transformer.plot_attention(maps, [visible.get(c, c) for c in vocab.decode(ids[0])], path)

    return Run(metrics, plot=plot)


_QUERIES = ("class", "function", "integer", "exception", "attribute", "loop")

register(ZooEntry(
    name="char_bigram", unit=UNIT, summary="character bigram model (add-0.1 smoothing): the baseline",
    dataset=TEXT, datasets=(TEXT,), build=charlm.BigramLM, train=_train_bigram,
    quick={"max_chars": 50_000, "alpha": 0.1}, full={"alpha": 0.1}, headline="val_loss"))
for _cell, _full in (
        ("rnn", {"hidden": 256, "steps": 600, "lr": 2e-3}),
        ("gru", {"hidden": 256, "steps": 600, "lr": 3e-3}),
        ("lstm", {"hidden": 256, "steps": 600, "lr": 5e-3, "forget_bias": 1.0})):
    register(ZooEntry(
        name=f"char_{_cell}", unit=UNIT,
        summary=f"character-level {_cell.upper()} language model, truncated BPTT, clipping, sampling",
        dataset=TEXT, datasets=(TEXT,), build=charlm.CharLM, train=_train_char(_cell),
        quick={"max_chars": 30_000, "hidden": 64, "embed": 32, "steps": 40, "bptt": 32,
               "batch_size": 16},
        full=dict(_full, embed=64, layers=1, bptt=64, batch_size=32), headline="val_loss"))
register(ZooEntry(
    name="seq_classifier", unit=UNIT,
    summary="stacked bidirectional GRU: majority symbol of a string",
    dataset="majority", datasets=("majority",), build=seqclass.RecurrentClassifier,
    train=_train_seq_classifier,
    quick={"steps": 40, "length": 16, "model": {"hidden": 24, "layers": 1}},
    full={"steps": 600, "length": 24, "model": {"hidden": 48, "layers": 2}}))
register(ZooEntry(
    name="seq2seq_attention", unit=UNIT,
    summary="biGRU encoder + GRU decoder with Luong attention: sequence reversal, greedy and beam",
    dataset="reversal", datasets=("reversal",), build=seq2seq.Seq2Seq, train=_train_seq2seq,
    quick={"steps": 40, "max_len": 6, "hidden": 32, "test_size": 60, "beam_size": 12},
    full={"steps": 1500}, headline="exact_match"))
register(ZooEntry(
    name="skipgram", unit=UNIT, summary="skip-gram word embeddings with negative sampling",
    dataset=TEXT, datasets=(TEXT,), build=skipgram.SkipGram, train=_train_skipgram,
    quick={"max_chars": 60_000, "steps": 50, "dim": 16, "queries": _QUERIES[:2]},
    full={"steps": 3000, "dim": 64, "queries": _QUERIES}, headline="val_loss"))
register(ZooEntry(
    name="mini_gpt", unit=UNIT,
    summary="decoder-only transformer LM (causal multi-head attention), attention maps",
    dataset=TEXT, datasets=(TEXT,), build=transformer.MiniGPT, train=_train_gpt,
    quick={"max_chars": 30_000, "d_model": 32, "heads": 2, "layers": 1, "block": 32, "steps": 30,
           "batch_size": 16, "sample_length": 20},
    full={"d_model": 64, "heads": 4, "layers": 2, "block": 64, "steps": 600, "lr": 5e-3},
    headline="val_loss"))
register(ZooEntry(
    name="transformer_classifier", unit=UNIT,
    summary="transformer encoder (sinusoidal positions): majority symbol of a string",
    dataset="majority", datasets=("majority",), build=transformer.TransformerClassifier,
    train=_train_transformer_classifier,
    quick={"steps": 40, "length": 16, "model": {"d_model": 16, "heads": 2, "layers": 1}},
    full={"steps": 600, "length": 24, "model": {"d_model": 32, "heads": 4, "layers": 2}}))
