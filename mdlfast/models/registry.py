"""The model zoo's registry: every course model, the unit it belongs to, and how to train it.

A zoo entry names a model and gives everything `mdlfast train` and `mdlfast tour` need:

    register(ZooEntry(
        name="lenet5",                       # the CLI name
        unit=5,                              # course unit (1-10)
        summary="LeNet-5 on 8x8 digits",     # one line for `mdlfast zoo`
        dataset="digits",                    # default dataset
        datasets=("digits",),                # datasets it accepts (--dataset)
        build=LeNet5,                        # builder(**config) -> model (or None for demos)
        train=train_classifier,              # train(entry, config, *, dataset, seed, progress) -> Run
        quick={"epochs": 2, ...},            # the config of `--quick` and of the tour (seconds)
        full={"epochs": 40, ...},            # the config behind the README's figures
        headline="test_accuracy",            # the metric the tour table shows
    ))

`train` returns a `Run`: its `metrics` (a flat dict name -> number, JSON-ready), and optionally a
History (`history`, plotted by `--plot` as learning curves) or its own `plot(path)`. Entries of
later units (GANs, language models, transformers, GNNs, DQN) register the same way from their
own modules, listed in `ZOO_MODULES`, which `entries()` imports on first use.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Tuple

# Modules whose import registers zoo entries; add a line per new family.
ZOO_MODULES = [
    "mdlfast.models.zoo_linear",
    "mdlfast.models.zoo_playground",
    "mdlfast.models.zoo_mlp",
    "mdlfast.models.zoo_cnn",
    "mdlfast.models.zoo_unit6",
    "mdlfast.models.zoo_generative",
    "mdlfast.models.zoo_gnn",
    "mdlfast.models.zoo_rl",
    "mdlfast.models.zoo_sequence",
]


@dataclass
class Run:
    """The outcome of one zoo training run."""
    metrics: Dict[str, Any]
    history: Any = None
    plot: Optional[Callable[[str], None]] = None


@dataclass(frozen=True)
class ZooEntry:
    """One model of the zoo (see the module docstring for the fields)."""
    name: str
    unit: int
    summary: str
    dataset: str
    build: Optional[Callable[..., Any]]
    train: Callable[..., Run]
    quick: Dict[str, Any] = field(default_factory=dict)
    full: Dict[str, Any] = field(default_factory=dict)
    datasets: Tuple[str, ...] = ()
    headline: str = "test_accuracy"

    def config(self, quick=False, epochs=None):
        """The quick or full config, with `epochs` overridden when given."""
        config = dict(self.quick if quick else self.full)
        if epochs is not None:
            config["epochs"] = int(epochs)
        return config

    def run(self, *, quick=False, epochs=None, dataset=None, seed=0, progress=False):
        """Train this entry; returns its Run."""
        dataset = dataset or self.dataset
        if self.datasets and dataset not in self.datasets:
            raise ValueError(f"{self.name}: dataset must be one of {list(self.datasets)}, "
                             f"got {dataset!r}")
        return self.train(self, self.config(quick, epochs), dataset=dataset, seed=int(seed),
                          progress=progress)


_ENTRIES: Dict[str, ZooEntry] = {}
_loaded = [False]


def register(entry):
    """Add `entry` to the zoo (its name must be new); returns it."""
    if entry.name in _ENTRIES and _ENTRIES[entry.name] is not entry:
        raise ValueError(f"register: a zoo entry named {entry.name!r} already exists")
    _ENTRIES[entry.name] = entry
    return entry


def _load():
    if not _loaded[0]:
        _loaded[0] = True
        for module in ZOO_MODULES:
            importlib.import_module(module)


def entries():
    """Every registered entry, ordered by unit then name."""
    _load()
    return sorted(_ENTRIES.values(), key=lambda e: (e.unit, e.name))


def get(name):
    """The entry called `name`; ValueError naming the known ones otherwise."""
    _load()
    if name not in _ENTRIES:
        raise ValueError(f"unknown zoo model {name!r}; known: {', '.join(sorted(_ENTRIES))}")
    return _ENTRIES[name]
