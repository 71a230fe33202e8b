"""Zoo entries of unit 5: LeNet-5, a VGG-style net, an Inception net, and the convolution demos
(Toeplitz matrix, edge detection)."""
from __future__ import annotations

import numpy as np

from mdlfast.models.cnn import InceptionNet, LeNet5, VGGNet
from mdlfast.models.conv_demos import detect_edges, square_image, toeplitz_demo
from mdlfast.models.datasets import load_split
from mdlfast.models.recipes import train_network
from mdlfast.models.registry import Run, ZooEntry, register

IMAGES = ("digits",)


def _cnn(name, build, summary, quick, full):
    register(ZooEntry(name=name, unit=5, summary=summary, dataset="digits", datasets=IMAGES,
                      build=build, train=train_network, quick=dict(quick, images=True),
                      full=dict(full, images=True)))


_cnn("lenet5", LeNet5, "LeNet-5 (ReLU, max pooling) on 8x8 digits",
     {"epochs": 5, "batch_size": 16, "lr": 3e-3},
     {"epochs": 80, "batch_size": 16, "lr": 3e-3})
_cnn("vgg", VGGNet, "VGG-style: 3x3 conv blocks with batch norm, global average pooling",
     {"epochs": 4, "batch_size": 32, "lr": 3e-3, "limit": 600, "model": {"widths": (8, 16)}},
     {"epochs": 25, "batch_size": 32, "lr": 2e-3, "weight_decay": 1e-4, "patience": 10})
_cnn("inception", InceptionNet, "GoogLeNet-style: three Inception modules",
     {"epochs": 3, "batch_size": 32, "lr": 3e-3, "limit": 500, "model": {"width": 8}},
     {"epochs": 20, "batch_size": 32, "lr": 2e-3, "weight_decay": 1e-4, "patience": 8})


def _train_toeplitz(entry, config, *, dataset, seed, progress):
    rng = np.random.default_rng(seed)
    size, channels, out = config["size"], config["channels"], config["filters"]
    x = rng.standard_normal((2, channels, size, size)).astype(np.float32)
    w = rng.standard_normal((out, channels, 3, 3)).astype(np.float32)
    direct, product, T = toeplitz_demo(x, w, padding=1)
    result = {"max_abs_difference": float(np.max(np.abs(direct - product))),
              "matrix_rows": int(T.shape[0]), "matrix_cols": int(T.shape[1]),
              "nonzero_fraction": float(np.count_nonzero(T) / T.size)}
    if progress:
        print(f"  T is {T.shape[0]} x {T.shape[1]}, {result['nonzero_fraction']:.1%} non-zero; "
              f"max |conv2d(x) - T vec(x)| = {result['max_abs_difference']:.2e}")

    def plot(path):
        from mdlfast.train.plot import pyplot

        fig, ax = pyplot().subplots(figsize=(6, 6))
        ax.spy(T[:, :size * size * channels], markersize=1)
        ax.set_title("doubly block-Toeplitz matrix of a 3x3 convolution")
        fig.savefig(path)
        pyplot().close(fig)

    return Run(result, plot=plot)


def _train_edges(entry, config, *, dataset, seed, progress):
    square = square_image(config["size"])
    edges = detect_edges(square)
    # An edge pixel has both the square and the background in its 3x3 neighbourhood (what the
    # 3x3 Sobel filters see); elsewhere the image is flat and the response must be zero.
    inside = square > 0
    on_edge = np.zeros_like(inside)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            on_edge |= inside != np.roll(np.roll(inside, dy, axis=0), dx, axis=1)
    digits = load_split("digits", seed=seed, images=True).X_test[:8]
    digit_edges = detect_edges(digits)
    result = {"edge_response": float(edges[on_edge].mean()),
              "flat_response": float(edges[~on_edge].max()),
              "digit_edge_mean": float(digit_edges.mean())}

    def plot(path):
        from mdlfast.train.plot import plot_reconstructions, save_figure

        save_figure(plot_reconstructions(digits, digit_edges / digit_edges.max(),
                                         labels=("digit", "Sobel edge magnitude")), path)

    return Run(result, plot=plot)


register(ZooEntry(
    name="toeplitz", unit=5, summary="convolution as a doubly block-Toeplitz matrix product",
    dataset="random", datasets=("random",), build=None, train=_train_toeplitz,
    quick={"size": 8, "channels": 2, "filters": 3}, full={"size": 16, "channels": 3, "filters": 8},
    headline="max_abs_difference"))
register(ZooEntry(
    name="edge_detection", unit=5, summary="hand-made Sobel filters as a conv layer",
    dataset="digits", datasets=("digits",), build=None, train=_train_edges,
    quick={"size": 16}, full={"size": 32}, headline="edge_response"))
