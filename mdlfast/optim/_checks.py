"""torch.optim's hyper-parameter checks and messages, shared by the optimizers."""
from __future__ import annotations

import math


def at_least_zero(group, name, label):
    value = group[name]
    if not 0.0 <= value:  # written so that NaN fails too
        raise ValueError(f"Invalid {label}: {value}")


def learning_rate(group):
    lr = group["lr"]
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def betas(group):
    for index, beta in enumerate(group["betas"]):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {beta}")


def finite_positive(value, name):
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
