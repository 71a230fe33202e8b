"""Whether operations record the graph: no_grad, enable_grad, set_grad_enabled."""
from __future__ import annotations

import functools

_state = {"enabled": True}


def is_grad_enabled():
    """True when operations on tensors that require grad record the graph."""
    return _state["enabled"]


class set_grad_enabled:
    """Set whether the graph is recorded; takes effect at once, and as a context manager restores
    the previous mode on exit (as torch.set_grad_enabled)."""

    def __init__(self, mode):
        self._previous = _state["enabled"]
        _state["enabled"] = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _state["enabled"] = self._previous
        return False


class _GradModeContext:
    _mode = True

    def __enter__(self):
        self._previous = _state["enabled"]
        _state["enabled"] = self._mode
        return self

    def __exit__(self, *exc):
        _state["enabled"] = self._previous
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Context manager and decorator: operations inside record no graph."""

    _mode = False


class enable_grad(_GradModeContext):
    """Context manager and decorator: record the graph again, inside a no_grad block."""

    _mode = True
