"""Per-item augmentation transforms on NumPy images ([C, H, W] or [H, W]) and the Dataset
wrapper that applies them.

A random transform draws from the generator it is called with (`t(x, rng)`), or from its own
(seeded by `seed=`) when called as `t(x)`; `TransformDataset` passes its seeded generator, so a
whole augmentation pipeline is reproducible from one seed.
"""
from __future__ import annotations

import numbers

import numpy as np

from mdlfast.data.dataset import Dataset
from mdlfast.data.loader import make_generator


class Transform:
    """Base class: `__call__(x, rng=None)` returns the transformed item."""

    def __init__(self, seed=None):
        self._rng = np.random.default_rng(seed)

    def __call__(self, x, rng=None):
        return self.apply(np.asarray(x), self._rng if rng is None else rng)

    def apply(self, x, rng):
        """The transformed copy of the array x, drawing any randomness from rng."""
        raise NotImplementedError


class Compose(Transform):
    """Apply transforms in order, all drawing from the same generator."""

    def __init__(self, transforms, seed=None):
        super().__init__(seed)
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"Compose: every transform must be callable, got {type(t).__name__}")

    def apply(self, x, rng):
        for t in self.transforms:
            x = t(x, rng) if isinstance(t, Transform) else t(x)
        return x


class Normalize(Transform):
    """(x - mean) / std per channel (axis 0 of [C, H, W]; scalars apply to every channel)."""

    def __init__(self, mean, std):
        super().__init__()
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)
        if self.mean.ndim > 1 or self.std.ndim > 1:
            raise ValueError(f"Normalize: mean and std must be scalars or 1-D per-channel "
                             f"values, got shapes {self.mean.shape} and {self.std.shape}")
        if np.any(self.std <= 0):
            raise ValueError(f"Normalize: std must be > 0, got {self.std}")

    def apply(self, x, rng):
        per_channel = (-1,) + (1,) * (x.ndim - 1)
        mean = self.mean.reshape(per_channel) if self.mean.ndim else self.mean
        std = self.std.reshape(per_channel) if self.std.ndim else self.std
        return ((x - mean) / std).astype(np.result_type(x.dtype, np.float32), copy=False)


class _RandomFlip(Transform):
    axis = None

    def __init__(self, p=0.5, seed=None):
        super().__init__(seed)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: p must lie in [0, 1], got {p}")
        self.p = float(p)

    def apply(self, x, rng):
        _check_image(x, type(self).__name__)
        return np.flip(x, self.axis).copy() if rng.random() < self.p else x


class RandomHorizontalFlip(_RandomFlip):
    """Mirror left-right (the last axis) with probability p."""

    axis = -1


class RandomVerticalFlip(_RandomFlip):
    """Mirror top-bottom (the second-to-last axis) with probability p."""

    axis = -2


class RandomCrop(Transform):
    """Pad by `padding` on every side (constant `fill`, or "edge"/"reflect"), then cut a random
    `size` window (int or (h, w)); torchvision's RandomCrop for arrays."""

    def __init__(self, size, padding=0, *, padding_mode="constant", fill=0.0, seed=None):
        super().__init__(seed)
        self.size = _pair(size, "size", minimum=1)
        self.padding = _pair(padding, "padding", minimum=0)
        if padding_mode not in ("constant", "edge", "reflect"):
            raise ValueError(f"RandomCrop: padding_mode must be 'constant', 'edge' or 'reflect', "
                             f"got {padding_mode!r}")
        self.padding_mode = padding_mode
        self.fill = fill

    def apply(self, x, rng):
        _check_image(x, "RandomCrop")
        ph, pw = self.padding
        pad = [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)]
        extra = {"constant_values": self.fill} if self.padding_mode == "constant" else {}
        padded = np.pad(x, pad, mode=self.padding_mode, **extra)
        h, w = self.size
        H, W = padded.shape[-2:]
        if h > H or w > W:
            raise ValueError(f"RandomCrop: crop size {(h, w)} exceeds the padded image {(H, W)}")
        top = int(rng.integers(0, H - h + 1))
        left = int(rng.integers(0, W - w + 1))
        return padded[..., top:top + h, left:left + w].copy()


class RandomShift(Transform):
    """Translate by a random whole number of pixels in [-max_shift, max_shift] along each image
    axis, filling the uncovered border with `fill` (the image keeps its size)."""

    def __init__(self, max_shift, *, fill=0.0, seed=None):
        super().__init__(seed)
        self.max_shift = _pair(max_shift, "max_shift", minimum=0)
        self.fill = fill

    def apply(self, x, rng):
        _check_image(x, "RandomShift")
        H, W = x.shape[-2:]
        dy = int(rng.integers(-self.max_shift[0], self.max_shift[0] + 1))
        dx = int(rng.integers(-self.max_shift[1], self.max_shift[1] + 1))
        out = np.full_like(x, self.fill)
        src_y, dst_y = _overlap(dy, H)
        src_x, dst_x = _overlap(dx, W)
        out[..., dst_y, dst_x] = x[..., src_y, src_x]
        return out


class GaussianNoise(Transform):
    """Add independent N(mean, std^2) noise to every element."""

    def __init__(self, std, mean=0.0, seed=None):
        super().__init__(seed)
        if not std >= 0:
            raise ValueError(f"GaussianNoise: std must be >= 0, got {std}")
        self.std = float(std)
        self.mean = float(mean)

    def apply(self, x, rng):
        dtype = np.result_type(x.dtype, np.float32)
        return (x + rng.normal(self.mean, self.std, x.shape)).astype(dtype)


class TransformDataset(Dataset):
    """Wrap a dataset of (input, target) items (or bare inputs), applying `transform` to each
    input and `target_transform` to each target as it is read.

    Random transforms draw from this dataset's generator (`generator=` or `seed=`): the same
    seed and the same access order give the same augmented items.
    """

    def __init__(self, dataset, transform=None, target_transform=None, *, generator=None,
                 seed=None):
        self.dataset = dataset
        self.transform = transform
        self.target_transform = target_transform
        self.generator = make_generator(generator, seed, owner="TransformDataset")

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        item = self.dataset[index]
        if isinstance(item, tuple) and len(item) == 2:
            x, y = item
            return self._apply(self.transform, x), self._apply(self.target_transform, y)
        return self._apply(self.transform, item)

    def _apply(self, transform, value):
        if transform is None:
            return value
        if isinstance(transform, Transform):
            return transform(value, self.generator)
        return transform(value)


def _check_image(x, owner):
    if x.ndim < 2:
        raise ValueError(f"{owner}: expected an image [H, W] or [C, H, W], got shape {x.shape}")


def _pair(value, name, *, minimum):
    pair = (value, value) if isinstance(value, numbers.Integral) else tuple(value)
    if len(pair) != 2 or any(not isinstance(v, numbers.Integral) or v < minimum for v in pair):
        raise ValueError(f"{name} must be an int or a pair of ints >= {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


def _overlap(shift, n):
    """Source and destination slices of a 1-D shift by `shift` over length n."""
    if shift >= 0:
        return slice(0, max(n - shift, 0)), slice(min(shift, n), n)
    return slice(min(-shift, n), n), slice(0, max(n + shift, 0))
