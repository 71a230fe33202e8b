"""Unit 5's demonstrations: convolution as a (doubly block-Toeplitz) matrix product, and a
hand-made edge-detection filter."""
from __future__ import annotations

import numpy as np

from mdlfast import kernels

SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)


def toeplitz_demo(x, w, *, stride=1, padding=0):
    """Convolve x [N, C, H, W] by w [O, C, kh, kw] twice: with the conv2d kernel, and as the
    product of the Toeplitz matrix T = conv2d_matrix(w) with each flattened image.
    Returns (conv2d output, Toeplitz output, T), the two outputs of the same shape."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    w = np.ascontiguousarray(w, dtype=np.float32)
    direct = kernels.conv2d(x, w, stride=stride, padding=padding)
    T = kernels.conv2d_matrix(w, x.shape[2:], stride=stride, padding=padding)
    as_matrix = (x.reshape(len(x), -1) @ T.T).reshape(direct.shape)
    return direct, as_matrix, T


def edge_filters():
    """The Sobel pair as conv weights [2, 1, 3, 3]: horizontal then vertical intensity change."""
    return np.stack([SOBEL_X, SOBEL_X.T])[:, None]


def detect_edges(images):
    """Gradient magnitude sqrt(gx^2 + gy^2) of grey images [N, 1, H, W] (or [H, W]) under the
    Sobel filters, same-size output (zero padding)."""
    images = np.asarray(images, dtype=np.float32)
    single = images.ndim == 2
    if single:
        images = images[None, None]
    if images.ndim != 4 or images.shape[1] != 1:
        raise ValueError(f"images: expected [N, 1, H, W] or [H, W], got shape {images.shape}")
    g = kernels.conv2d(np.ascontiguousarray(images), edge_filters(), padding=1)
    magnitude = np.sqrt(g[:, 0] ** 2 + g[:, 1] ** 2)[:, None]
    return magnitude[0, 0] if single else magnitude


def square_image(size=16, lo=4, hi=12):
    """A bright square on a dark background: its edges are the only intensity changes."""
    image = np.zeros((size, size), np.float32)
    image[lo:hi, lo:hi] = 1.0
    return image
