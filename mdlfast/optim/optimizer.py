"""The Optimizer base class: parameter groups with per-group options, per-parameter state,
zero_grad, and state_dict/load_state_dict in torch.optim's structure (state keyed by the
parameter's index over all groups, param_groups listing those indices), so training resumes
exactly after mdlfast.save/mdlfast.load.
"""
from __future__ import annotations

import copy
import warnings
from typing import Any, Dict, List

import numpy as np

from mdlfast.autograd import Tensor, enable_grad

__all__ = ["Optimizer", "ParamState"]


class Optimizer:
    """Base of every mdlfast optimizer. `params` is an iterable of Tensors or of dicts (parameter
    groups) holding "params" and options that override `defaults` for that group."""

    def __init__(self, params, defaults: Dict[str, Any]):
        self.defaults = defaults
        self.state = ParamState()
        self.param_groups: List[Dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors "
                            f"or dicts, but got {type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: Dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing options take the defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but "
                            "the ordering of tensors in sets will change between runs; use a list")
        else:
            params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if getattr(p, "grad_fn", None) is not None:
                raise ValueError("can't optimize a non-leaf Tensor")
        group = dict(param_group)
        group["params"] = params
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, "
                          "this will cause an error", UserWarning, stacklevel=3)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self._check_options(group)
        self.param_groups.append(group)

    def _check_options(self, group: Dict[str, Any]) -> None:
        """Raise ValueError for a group's invalid options (subclasses check theirs)."""

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter: to None (the default), or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.data[...] = 0

    def step(self, closure=None):
        raise NotImplementedError

    def _evaluate(self, closure):
        """The closure's loss, computed with gradient recording on."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # -- state of each parameter, keyed by the parameter itself (by identity) -----------------

    def _state_of(self, p) -> Dict[str, Any]:
        state = self.state.get(p)
        if state is None:
            state = self.state[p] = {}
        return state

    def state_dict(self) -> Dict[str, Any]:
        """{"state": {index: {name: value}}, "param_groups": [{option: value, "params": [index]}]},
        with parameters numbered in order over all groups, as torch.optim does. The state arrays
        are the optimizer's own (not copies)."""
        index_of, groups, next_index = {}, [], 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            indices = []
            for p in group["params"]:
                key = id(p)
                if key not in index_of:
                    index_of[key] = next_index
                    next_index += 1
                indices.append(index_of[key])
            packed["params"] = indices
            groups.append(packed)
        state = {index_of[id(p)]: value for p, value in self.state.items() if id(p) in index_of}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Load the state and options saved by state_dict() into this optimizer, whose groups must
        hold the same number of parameters. Arrays are copied (floating-point state cast to its
        parameter's dtype); the groups' options are replaced by the saved ones."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for ours, theirs in zip(self.param_groups, saved_groups):
            if len(ours["params"]) != len(theirs["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the "
                                 "size of optimizer's group")
        param_of = {}
        for ours, theirs in zip(self.param_groups, saved_groups):
            for index, p in zip(theirs["params"], ours["params"]):
                param_of[index] = p
        self.state = ParamState()
        for index, saved in state_dict["state"].items():
            if index not in param_of:
                continue
            p = param_of[index]
            self.state[p] = {name: self._loaded_value(name, value, p) for name, value in saved.items()}
        new_groups = []
        for ours, theirs in zip(self.param_groups, saved_groups):
            group = copy.deepcopy({k: v for k, v in theirs.items() if k != "params"})
            group["params"] = ours["params"]
            new_groups.append(group)
        self.param_groups = new_groups
        self._forget_plans()

    @staticmethod
    def _loaded_value(name, value, p):
        if name == "step" and np.ndim(value) == 0:  # PyTorch keeps the count as a float tensor
            return int(np.asarray(value).item())
        if isinstance(value, np.ndarray):
            if value.dtype.kind == "f":
                return np.array(value, dtype=p.data.dtype, copy=True)
            return value.copy()
        if isinstance(value, list):
            return [x.copy() if isinstance(x, np.ndarray) else x for x in value]
        return copy.deepcopy(value)

    def _forget_plans(self) -> None:
        """Drop anything cached about the state arrays (subclasses that cache override it)."""

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params")
        return "\n".join(lines + [")"])


class ParamState:
    """optimizer.state: per-parameter state dicts looked up by the parameter itself, by identity
    (Tensors compare elementwise, so they make poor dict keys). Keyed by id(), with the parameter
    kept alongside so that the id stays its own."""

    def __init__(self):
        self._states: Dict[int, Dict[str, Any]] = {}
        self._params: Dict[int, Any] = {}

    def __getitem__(self, p):
        return self._states[id(p)]

    def __setitem__(self, p, value):
        self._states[id(p)] = value
        self._params[id(p)] = p

    def __delitem__(self, p):
        del self._states[id(p)]
        del self._params[id(p)]

    def __contains__(self, p):
        return id(p) in self._states

    def get(self, p, default=None):
        return self._states.get(id(p), default)

    def __len__(self):
        return len(self._states)

    def __iter__(self):
        return iter(list(self._params.values()))

    def items(self):
        return ((self._params[key], value) for key, value in self._states.items())

    def values(self):
        return self._states.values()

    def __repr__(self):
        return f"ParamState({len(self)} parameters)"
