"""History: the per-epoch record of a training run (losses and metrics by name)."""
from __future__ import annotations


class History:
    """Per-epoch values by name ("loss", "accuracy", "val_loss", "val_accuracy", "lr", ...).

    history["val_loss"] is the list of that value over the epochs run so far; `epochs` counts
    them; `best(name)` is the (epoch index, value) of the smallest (or, for a name containing
    "acc", the largest) value.
    """

    def __init__(self):
        self.values = {}
        self.epochs = 0

    def append(self, record):
        """Add one epoch's values (a dict name -> float)."""
        for name, value in record.items():
            self.values.setdefault(name, [float("nan")] * self.epochs).append(float(value))
        self.epochs += 1
        for series in self.values.values():
            if len(series) < self.epochs:
                series.append(float("nan"))

    def __getitem__(self, name):
        return self.values[name]

    def __contains__(self, name):
        return name in self.values

    def keys(self):
        """The recorded names."""
        return self.values.keys()

    def last(self):
        """The values of the last epoch, as a dict."""
        return {name: series[-1] for name, series in self.values.items()} if self.epochs else {}

    def best(self, name, mode=None):
        """(epoch index, value) of the best epoch by `name`; mode "min"/"max" (default: "max"
        for accuracies, else "min")."""
        series = self.values[name]
        mode = mode or ("max" if "acc" in name else "min")
        pick = max if mode == "max" else min
        index = pick(range(len(series)), key=lambda i: series[i])
        return index, series[index]

    def to_dict(self):
        """A plain dict name -> list of floats (JSON-ready)."""
        return {name: list(series) for name, series in self.values.items()}

    def __repr__(self):
        return f"History(epochs={self.epochs}, keys={list(self.values)})"
