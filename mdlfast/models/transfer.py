"""Unit 6: transfer learning: pretrain on one task, copy the weights (from mdlfast or a PyTorch
state_dict), freeze the feature extractor and fine-tune a new head on a small second task."""
from __future__ import annotations

import numpy as np


def to_numpy_state_dict(state_dict):
    """A state_dict of NumPy arrays from one of torch tensors (or arrays): what mdlfast.save
    stores and Module.load_state_dict takes."""
    out = {}
    for key, value in state_dict.items():
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        out[key] = np.array(value, copy=True)
    return out


def transfer_weights(source_state, model, *, exclude=()):
    """Copy every entry of `source_state` (a state_dict, PyTorch key names) whose key exists in
    `model` with the same shape, except keys starting with a prefix in `exclude` (e.g. the old
    classifier head). Returns the list of copied keys."""
    own = model.state_dict()
    chosen = {}
    for key, value in to_numpy_state_dict(source_state).items():
        if any(key.startswith(prefix) for prefix in exclude):
            continue
        if key in own and own[key].shape == value.shape:
            chosen[key] = value
    model.load_state_dict(chosen, strict=False)
    return sorted(chosen)


def freeze(module):
    """Stop gradients to `module`'s parameters (the optimizer then gets
    trainable_parameters(model)). Batch-norm running statistics still update in training mode:
    a frozen block with batch norm should be put in eval mode by the caller."""
    module.requires_grad_(False)
    return module


def trainable_parameters(model):
    """The parameters that still require gradients (what the optimizer should get)."""
    return [p for p in model.parameters() if p.requires_grad]
