"""Datasets, loaders, splits and augmentation for the course (NumPy only).

    Dataset, TensorDataset, Subset, DataLoader, default_collate
    random_split, train_val_test_split, KFold, StratifiedKFold
    load_digits, load_iris, load_breast_cancer, load_wine            (scikit-learn's bundled sets)
    load_mnist, load_fashion_mnist, read_idx, load_cifar10            (files on the user's disk)
    make_moons, make_spirals, make_flower, make_polynomial_regression, polynomial_features
    Compose, Normalize, RandomHorizontalFlip, RandomVerticalFlip, RandomCrop, RandomShift,
    GaussianNoise, TransformDataset
"""
from mdlfast.data.cifar import CIFAR10_CLASSES, load_cifar10
from mdlfast.data.collate import default_collate
from mdlfast.data.dataset import Dataset, Subset, TensorDataset
from mdlfast.data.idx import FASHION_MNIST_CLASSES, load_fashion_mnist, load_mnist, read_idx
from mdlfast.data.kfold import KFold, StratifiedKFold
from mdlfast.data.loader import DataLoader
from mdlfast.data.split import random_split, train_val_test_split
from mdlfast.data.synthetic import (make_flower, make_moons, make_polynomial_regression,
                                    make_spirals, polynomial_features)
from mdlfast.data.toy import load_breast_cancer, load_digits, load_iris, load_wine
from mdlfast.data.transforms import (Compose, GaussianNoise, Normalize, RandomCrop,
                                     RandomHorizontalFlip, RandomShift, RandomVerticalFlip,
                                     Transform, TransformDataset)

__all__ = [
    "CIFAR10_CLASSES", "Compose", "DataLoader", "Dataset", "FASHION_MNIST_CLASSES",
    "GaussianNoise", "KFold", "Normalize", "RandomCrop", "RandomHorizontalFlip", "RandomShift",
    "RandomVerticalFlip", "StratifiedKFold", "Subset", "TensorDataset", "Transform",
    "TransformDataset", "default_collate", "load_breast_cancer", "load_cifar10", "load_digits",
    "load_fashion_mnist", "load_iris", "load_mnist", "load_wine", "make_flower", "make_moons",
    "make_polynomial_regression", "make_spirals", "polynomial_features", "random_split",
    "read_idx", "train_val_test_split",
]
