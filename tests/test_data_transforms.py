"""Augmentation transforms and the TransformDataset wrapper."""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast.data import (Compose, DataLoader, GaussianNoise, Normalize, RandomCrop,
                          RandomHorizontalFlip, RandomShift, RandomVerticalFlip, TensorDataset,
                          TransformDataset)


def _image(c=2, h=5, w=6):
    return np.arange(c * h * w, dtype=np.float32).reshape(c, h, w)


def test_flips_always_and_never():
    x = _image()
    np.testing.assert_array_equal(RandomHorizontalFlip(1.0)(x), x[..., ::-1])
    np.testing.assert_array_equal(RandomVerticalFlip(1.0)(x), x[:, ::-1])
    np.testing.assert_array_equal(RandomHorizontalFlip(0.0)(x), x)
    with pytest.raises(ValueError, match="p must"):
        RandomHorizontalFlip(1.5)


def test_flip_probability_is_p():
    flip = RandomHorizontalFlip(0.3, seed=0)
    x = _image()
    flips = sum(not np.array_equal(flip(x), x) for _ in range(2000))
    assert abs(flips / 2000 - 0.3) < 0.04


def test_random_crop_is_a_window_of_the_padded_image():
    x = _image()
    crop = RandomCrop((5, 6), padding=2, seed=0)
    padded = np.pad(x, ((0, 0), (2, 2), (2, 2)))
    offsets = set()
    for _ in range(200):
        out = crop(x)
        assert out.shape == x.shape
        matches = [(i, j) for i in range(5) for j in range(5)
                   if np.array_equal(padded[:, i:i + 5, j:j + 6], out)]
        assert matches
        offsets.update(matches)
    assert len(offsets) == 25
    reflect = RandomCrop(3, padding=1, padding_mode="reflect", seed=1)(x)
    assert reflect.shape == (2, 3, 3)
    with pytest.raises(ValueError, match="exceeds"):
        RandomCrop(8)(x)
    with pytest.raises(ValueError, match="padding_mode"):
        RandomCrop(3, padding_mode="wrap")


def test_random_shift_moves_content_and_fills():
    x = _image(1, 4, 4) + 1
    shift = RandomShift(2, seed=0)
    for _ in range(50):
        out = shift(x)
        assert out.shape == x.shape
        kept = out[out != 0]
        # Every non-fill pixel comes from x, and the shift keeps them in raster order.
        assert set(kept.tolist()) <= set(x.ravel().tolist())
        assert np.all(np.diff(kept) > 0)
    assert RandomShift(0)(x).tolist() == x.tolist()


def test_normalize_per_channel_and_noise_statistics():
    x = np.stack([np.full((3, 3), 2.0), np.full((3, 3), 6.0)]).astype(np.float32)
    out = Normalize([1.0, 2.0], [0.5, 4.0])(x)
    np.testing.assert_allclose(out[0], 2.0)
    np.testing.assert_allclose(out[1], 1.0)
    with pytest.raises(ValueError, match="std"):
        Normalize(0.0, 0.0)
    noisy = GaussianNoise(0.5, seed=0)(np.zeros((100, 100), np.float32))
    assert noisy.dtype == np.float32
    assert abs(noisy.mean()) < 0.02 and abs(noisy.std() - 0.5) < 0.02


def test_compose_applies_in_order():
    x = _image()
    pipeline = Compose([RandomHorizontalFlip(1.0), Normalize(1.0, 2.0), lambda a: a * 3])
    np.testing.assert_allclose(pipeline(x), (x[..., ::-1] - 1.0) / 2.0 * 3)


def test_transform_dataset_is_reproducible_and_leaves_targets():
    X = np.stack([_image() + i for i in range(8)])
    y = np.arange(8)
    augment = Compose([RandomHorizontalFlip(), RandomCrop(5, padding=1), GaussianNoise(0.1)])

    def run(seed):
        ds = TransformDataset(TensorDataset(X, y), augment, seed=seed)
        return [b for b in DataLoader(ds, 3, shuffle=True, seed=0)]

    a, b, c = run(1), run(1), run(2)
    for (xa, ya), (xb, yb) in zip(a, b):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert a[0][0].shape == (3, 2, 5, 5)
    assert not np.array_equal(a[0][0], c[0][0])
    assert sorted(np.concatenate([yb for _, yb in a]).tolist()) == list(range(8))
    target = TransformDataset(TensorDataset(X, y), target_transform=lambda t: t + 100)
    assert target[3][1] == 103
    np.testing.assert_array_equal(target[3][0], X[3])
