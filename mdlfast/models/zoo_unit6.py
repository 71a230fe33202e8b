"""Zoo entries of unit 6: ResNet, autoencoders against PCA, the VAE, transfer learning and
hyper-parameter tuning."""
from __future__ import annotations

import os
import tempfile

import numpy as np

from mdlfast import nn
from mdlfast.autograd import no_grad, tensor
from mdlfast.models.autoencoder import PCA, Autoencoder, ConvAutoencoder
from mdlfast.models.cnn import LeNet5
from mdlfast.models.datasets import load_split
from mdlfast.models.recipes import limit_train, make_optimizer, predict, train_network
from mdlfast.models.registry import Run, ZooEntry, register
from mdlfast.models.resnet import ResNet
from mdlfast.models.transfer import freeze, trainable_parameters, transfer_weights
from mdlfast.models.tuning import compare_searches, softmax_regression_objective
from mdlfast.models.vae import VAE, vae_loss
from mdlfast.random import manual_seed
from mdlfast.serialization import load, save

register(ZooEntry(
    name="resnet", unit=6, summary="ResNet with basic blocks (2 stages of 2)", dataset="digits",
    datasets=("digits",), build=ResNet, train=train_network,
    quick={"epochs": 3, "batch_size": 32, "lr": 3e-3, "limit": 400, "images": True,
           "model": {"blocks": (1, 1), "widths": (8, 16)}},
    full={"epochs": 25, "batch_size": 32, "lr": 2e-3, "weight_decay": 1e-4, "patience": 10,
          "images": True}))


def _reconstruct(model, X):
    model.eval()
    with no_grad():
        return model(tensor(X)).numpy()


def _train_autoencoder(entry, config, *, dataset, seed, progress):
    """Train the autoencoder on digits in [0, 1] (MSE) and compare its test reconstruction
    error with PCA's at the same code size."""
    from mdlfast.train import fit

    images = config.get("images", False)
    split = limit_train(load_split(dataset, seed=seed, images=images, standardize=False),
                        config.get("limit"), seed)
    code = config["code_size"]
    manual_seed(seed)
    model = entry.build(code_size=code, **config.get("model", {}))
    opt = make_optimizer("adam", model.parameters(), config["lr"])
    history = fit(model, nn.MSELoss(), opt,
                  split.loader("train", config["batch_size"], shuffle=True, seed=seed,
                               targets="inputs"),
                  split.loader("val", 256, targets="inputs"), epochs=config["epochs"],
                  progress=progress, metrics={})
    reconstruction = _reconstruct(model, split.X_test)
    mse = float(np.mean((reconstruction - split.X_test) ** 2))
    pca_mse = PCA(code).fit(split.X_train).reconstruction_error(split.X_test)
    result = {"test_mse": mse, "pca_mse": pca_mse, "mse_over_pca": mse / pca_mse,
              "code_size": code, "epochs": history.epochs}
    noise = config.get("model", {}).get("noise", 0.0)
    if noise:
        rng = np.random.default_rng(seed)
        noisy = (split.X_test + rng.normal(0, noise, split.X_test.shape)).astype(np.float32)
        result["noisy_input_mse"] = float(np.mean((noisy - split.X_test) ** 2))
        result["denoised_mse"] = float(np.mean((_reconstruct(model, noisy) - split.X_test) ** 2))

    def plot(path):
        from mdlfast.train.plot import plot_reconstructions, save_figure

        save_figure(plot_reconstructions(split.X_test, reconstruction, image_shape=(8, 8)), path)

    return Run(result, history=history, plot=plot)


def _autoencoder(name, build, summary, quick, full):
    register(ZooEntry(name=name, unit=6, summary=summary, dataset="digits", datasets=("digits",),
                      build=build, train=_train_autoencoder, quick=quick, full=full,
                      headline="mse_over_pca"))


_autoencoder("autoencoder_shallow", Autoencoder, "shallow autoencoder (64-8-64) vs PCA",
             {"epochs": 20, "batch_size": 32, "lr": 3e-3, "code_size": 8},
             {"epochs": 100, "batch_size": 32, "lr": 2e-3, "code_size": 8})
_autoencoder("autoencoder_deep", Autoencoder, "deep autoencoder (64-128-64-8-...) vs PCA",
             {"epochs": 20, "batch_size": 32, "lr": 3e-3, "code_size": 8,
              "model": {"hidden": (64,)}},
             {"epochs": 150, "batch_size": 32, "lr": 1e-3, "code_size": 8,
              "model": {"hidden": (128, 64)}})
_autoencoder("autoencoder_conv", ConvAutoencoder, "convolutional autoencoder vs PCA",
             {"epochs": 6, "batch_size": 32, "lr": 3e-3, "code_size": 8, "images": True,
              "model": {"width": 8}},
             {"epochs": 60, "batch_size": 32, "lr": 2e-3, "code_size": 8, "images": True})
_autoencoder("autoencoder_denoising", Autoencoder,
             "denoising autoencoder (Gaussian input noise) vs PCA",
             {"epochs": 20, "batch_size": 32, "lr": 3e-3, "code_size": 8,
              "model": {"hidden": (64,), "noise": 0.2}},
             {"epochs": 150, "batch_size": 32, "lr": 1e-3, "code_size": 8,
              "model": {"hidden": (128, 64), "noise": 0.1}})


def _train_vae(entry, config, *, dataset, seed, progress):
    from mdlfast.train import evaluate, fit

    split = load_split(dataset, seed=seed, standardize=False)
    manual_seed(seed)
    model = VAE(split.num_features, config["latent_size"], config["hidden"])
    opt = make_optimizer("adam", model.parameters(), config["lr"])
    history = fit(model, vae_loss, opt,
                  split.loader("train", config["batch_size"], shuffle=True, seed=seed,
                               targets="inputs"),
                  split.loader("val", 256, targets="inputs"), epochs=config["epochs"],
                  progress=progress, metrics={})
    test = evaluate(model, split.loader("test", 256, targets="inputs"), vae_loss, metrics={})
    model.eval()
    with no_grad():
        probs = model(tensor(split.X_test))[0].sigmoid().numpy()
    result = {"test_neg_elbo": test["loss"],
              "test_mse": float(np.mean((probs - split.X_test) ** 2)),
              "first_epoch_loss": history["loss"][0], "epochs": history.epochs}

    def plot(path):
        from mdlfast.train.plot import plot_reconstructions, save_figure

        save_figure(plot_reconstructions(split.X_test[:8], probs[:8], image_shape=(8, 8),
                                         labels=("original", "VAE reconstruction (z = mu)")),
                    path)

    return Run(result, history=history, plot=plot)


register(ZooEntry(
    name="vae", unit=6, summary="variational autoencoder (Gaussian encoder, Bernoulli decoder)",
    dataset="digits", datasets=("digits",), build=VAE, train=_train_vae,
    quick={"epochs": 10, "batch_size": 32, "lr": 2e-3, "latent_size": 4, "hidden": 64},
    full={"epochs": 100, "batch_size": 32, "lr": 1e-3, "latent_size": 8, "hidden": 128},
    headline="test_neg_elbo"))


def _parts(split, transform=None):
    """{"train", "val", "test"} -> (X, y) of split, images passed through `transform`."""
    parts = {}
    for part in ("train", "val", "test"):
        X, y = getattr(split, f"X_{part}"), getattr(split, f"y_{part}")
        parts[part] = (np.ascontiguousarray(transform(X) if transform else X), y)
    return parts


def _few_shots(parts, shots, seed):
    X, y = parts["train"]
    rng = np.random.default_rng(seed)
    keep = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:shots]
                           for c in np.unique(y)])
    return dict(parts, train=(X[keep], y[keep]))


def _fit_classifier(model, params, parts, config, seed, epochs, progress, lr=None):
    from mdlfast import data
    from mdlfast.train import fit

    X, y = parts["train"]
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=config["batch_size"],
                             shuffle=True, seed=seed)
    opt = make_optimizer("adam", params, lr or config["lr"])
    fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=epochs, progress=progress)
    X_test, y_test = parts["test"]
    return float(np.mean(predict(model, X_test) == y_test))


def _train_transfer(entry, config, *, dataset, seed, progress):
    """Pretrain LeNet-5 on the upright digits; the new task is digits rotated by 90 degrees with
    only `shots` training images per class. Compare (a) the pretrained convolutional features
    frozen, the classifier retrained, (b) fine-tuning everything from the pretrained weights
    (new output layer), (c) training from scratch on the few shots."""
    split = load_split(dataset, seed=seed, images=True)
    source = _parts(split)
    target = _few_shots(_parts(split, lambda X: np.rot90(X, 1, axes=(2, 3))), config["shots"],
                        seed)

    manual_seed(seed)
    pretrained = LeNet5(num_classes=split.num_classes)
    source_accuracy = _fit_classifier(pretrained, pretrained.parameters(), source, config, seed,
                                      config["pretrain_epochs"], progress)
    # The weights travel as a user's would: a state_dict (PyTorch key names) saved to a
    # checkpoint file and loaded back; a torch state_dict loads the same way.
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "pretrained.mdl")
        save(pretrained.state_dict(), path)
        state = load(path)

    result = {"source_accuracy": source_accuracy, "shots_per_class": config["shots"]}
    for mode in ("frozen", "finetune", "scratch"):
        manual_seed(seed + 1)
        model = LeNet5(num_classes=split.num_classes)
        if mode != "scratch":
            transfer_weights(state, model, exclude=("classifier.5.",))
        if mode == "frozen":
            freeze(model.features)
        lr = config.get("transfer_lr") if mode != "scratch" else None
        result[f"{mode}_accuracy"] = _fit_classifier(model, trainable_parameters(model), target,
                                                     config, seed, config["epochs"], False, lr)
        if progress:
            print(f"  {mode:<9} accuracy on rotated digits: {result[f'{mode}_accuracy']:.4f}")
    result["transfer_gain"] = result["finetune_accuracy"] - result["scratch_accuracy"]
    return Run(result)


register(ZooEntry(
    name="transfer", unit=6,
    summary="pretrain LeNet-5 on digits; freeze / fine-tune on few-shot rotated digits vs scratch",
    dataset="digits", datasets=("digits",), build=LeNet5, train=_train_transfer,
    quick={"pretrain_epochs": 2, "epochs": 10, "shots": 5, "batch_size": 16, "lr": 3e-3},
    full={"pretrain_epochs": 20, "epochs": 60, "shots": 5, "batch_size": 16, "lr": 2e-3},
    headline="transfer_gain"))


def _train_tuning(entry, config, *, dataset, seed, progress):
    split = load_split(dataset, seed=seed)
    objective = softmax_regression_objective(split, steps=config["steps"])
    seeds = range(seed, seed + config["seeds"])
    scores = compare_searches(objective, budget=config["budget"], seeds=seeds)
    random_best, bayes_best = np.array(scores["random"]), np.array(scores["bayes"])
    result = {"budget": config["budget"], "seeds": config["seeds"],
              "random_mean_best": float(random_best.mean()),
              "bayes_mean_best": float(bayes_best.mean()),
              "grid_best": float(scores["grid"]),
              "bayes_wins": int(np.sum(bayes_best < random_best)),
              "bayes_minus_random": float(bayes_best.mean() - random_best.mean())}
    if progress:
        print("  best log10 validation loss per seed: random "
              + " ".join(f"{v:.3f}" for v in random_best) + " | bayes "
              + " ".join(f"{v:.3f}" for v in bayes_best))
    return Run(result)


register(ZooEntry(
    name="tuning", unit=6,
    summary="grid vs random search vs GP-BO (EI): lr, momentum, L2 of softmax regression",
    dataset="digits", datasets=("digits",), build=None, train=_train_tuning,
    quick={"budget": 10, "seeds": 2, "steps": 10},
    full={"budget": 20, "seeds": 6, "steps": 10}, headline="bayes_minus_random"))
