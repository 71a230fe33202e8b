"""Search-space dimensions (float, int, categorical) and their encoding into the unit cube,
where the Gaussian process models the objective."""
from __future__ import annotations

import math
import numbers

import numpy as np


class Float:
    """A real in [low, high]; log=True samples and models it on a log scale (low > 0)."""

    def __init__(self, low, high, *, log=False):
        _check_bounds(self, low, high, log)
        self.low, self.high, self.log = float(low), float(high), bool(log)
        self.width = 1

    def sample(self, rng):
        """A random value, uniform on the linear (or log) scale."""
        return self.decode(np.array([rng.random()]))

    def encode(self, value):
        """The value's position in the unit interval, as a length-1 vector."""
        lo, hi, v = (math.log(self.low), math.log(self.high), math.log(value)) if self.log else \
            (self.low, self.high, float(value))
        return np.array([(v - lo) / (hi - lo)])

    def decode(self, u):
        """The value at unit-interval position u[0] (clipped to [0, 1])."""
        u = float(np.clip(u[0], 0.0, 1.0))
        if self.log:
            return float(math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low))))
        return self.low + u * (self.high - self.low)

    def snap(self, U):
        """Rows of U ([n, 1]) moved to the nearest valid encodings."""
        return np.clip(U, 0.0, 1.0)

    def random_unit(self, rng, n):
        """n random valid encodings ([n, 1]), distributed as `sample`."""
        return self.snap(rng.random((n, 1)))

    def __repr__(self):
        return f"Float({self.low}, {self.high}, log={self.log})"


class Int(Float):
    """An integer in [low, high] (both included); log=True spaces it logarithmically."""

    def __init__(self, low, high, *, log=False):
        for name, value in (("low", low), ("high", high)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise ValueError(f"Int: {name} must be an integer, got {value!r}")
        super().__init__(low, high, log=log)
        self.low, self.high = int(low), int(high)

    def _scale(self):
        # The range widened by half a step on each side, so every integer gets an equal share
        # of the unit interval (on the log scale when log).
        lo, hi = self.low - 0.5, self.high + 0.5
        return (math.log(lo), math.log(hi)) if self.log else (lo, hi)

    def decode(self, u):
        lo, hi = self._scale()
        value = lo + float(np.clip(u[0], 0.0, 1.0)) * (hi - lo)
        value = math.exp(value) if self.log else value
        return int(min(max(round(value), self.low), self.high))

    def encode(self, value):
        lo, hi = self._scale()
        value = math.log(value) if self.log else float(value)
        return np.array([(value - lo) / (hi - lo)])

    def snap(self, U):
        lo, hi = self._scale()
        value = lo + np.clip(U, 0.0, 1.0) * (hi - lo)
        value = np.clip(np.round(np.exp(value) if self.log else value), self.low, self.high)
        return ((np.log(value) if self.log else value) - lo) / (hi - lo)

    def values(self):
        """Every integer of the range (for grid search)."""
        return list(range(self.low, self.high + 1))

    def __repr__(self):
        return f"Int({self.low}, {self.high}, log={self.log})"


class Categorical:
    """One of a list of choices, encoded one-hot."""

    def __init__(self, choices):
        choices = list(choices)
        if not choices:
            raise ValueError("Categorical: choices must not be empty")
        if len({repr(c) for c in choices}) != len(choices):
            raise ValueError(f"Categorical: choices must be distinct, got {choices}")
        self.choices = choices
        self.width = len(choices)

    def sample(self, rng):
        return self.choices[int(rng.integers(len(self.choices)))]

    def encode(self, value):
        one_hot = np.zeros(self.width)
        one_hot[self.choices.index(value)] = 1.0
        return one_hot

    def decode(self, u):
        return self.choices[int(np.argmax(u))]

    def snap(self, U):
        return np.eye(self.width)[np.argmax(U, axis=1)]

    def random_unit(self, rng, n):
        return np.eye(self.width)[rng.integers(self.width, size=n)]

    def values(self):
        """Every choice (for grid search)."""
        return list(self.choices)

    def __repr__(self):
        return f"Categorical({self.choices})"


class Space:
    """A named set of dimensions: {"lr": Float(1e-4, 1e-1, log=True), "layers": Int(1, 4), ...}."""

    def __init__(self, dimensions):
        if not isinstance(dimensions, dict) or not dimensions:
            raise ValueError(f"space must be a non-empty dict of name -> Float/Int/Categorical, "
                             f"got {dimensions!r}")
        for name, dim in dimensions.items():
            if not isinstance(dim, (Float, Categorical)):
                raise ValueError(f"space[{name!r}] must be a Float, Int or Categorical, got "
                                 f"{type(dim).__name__}")
        self.dimensions = dict(dimensions)
        self.width = sum(d.width for d in self.dimensions.values())

    def sample(self, rng):
        """A random point (uniform in each dimension's scale)."""
        return {name: dim.sample(rng) for name, dim in self.dimensions.items()}

    def encode(self, params):
        """The point as a vector in the unit cube."""
        return np.concatenate([dim.encode(params[name]) for name, dim in self.dimensions.items()])

    def random_unit(self, rng, n):
        """n random points, already encoded ([n, width])."""
        return np.concatenate([dim.random_unit(rng, n) for dim in self.dimensions.values()], 1)

    def snap(self, U):
        """Each row of U ([n, width]) moved to the encoding of its nearest point."""
        out, start = np.empty_like(U, dtype=np.float64), 0
        for dim in self.dimensions.values():
            out[:, start:start + dim.width] = dim.snap(U[:, start:start + dim.width])
            start += dim.width
        return out

    def decode(self, u):
        """The point nearest to the unit-cube vector u."""
        params, start = {}, 0
        for name, dim in self.dimensions.items():
            params[name] = dim.decode(u[start:start + dim.width])
            start += dim.width
        return params


def _check_bounds(owner, low, high, log):
    kind = type(owner).__name__
    if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
        raise ValueError(f"{kind}: need finite low < high, got low={low!r}, high={high!r}")
    if log and low <= 0:
        raise ValueError(f"{kind}: log=True needs low > 0, got low={low!r}")
