"""Function: one differentiable operation; Node: its record in the graph.

A Function subclass defines
  forward(ctx, *arrays, **attributes) -> array or tuple of arrays
  backward(ctx, *grad_arrays) -> one gradient array (or None) per positional input
and, for gradients of gradients (create_graph=True),
  backward_graph(ctx, *grad_tensors) -> one Tensor (or None) per positional input,
written with differentiable Tensor operations. A Function that defines only backward_graph gets
backward for free (it runs backward_graph without recording).
"""
from __future__ import annotations

from mdlfast.autograd import grad_mode


class Node:
    """The record of one call: the Function, its inputs and what forward saved on it (ctx)."""

    def __init__(self, fn):
        self.fn = fn


class Function:
    """Base class of differentiable operations; call with Function.apply(*inputs, **attributes)."""

    @classmethod
    def apply(cls, *inputs, **attributes):
        from mdlfast.autograd.tensor import Tensor

        arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
        ctx = Node(cls)
        out = cls.forward(ctx, *arrays, **attributes)
        record = grad_mode._state["enabled"] and any(
            isinstance(x, Tensor) and x.requires_grad for x in inputs)
        if isinstance(out, tuple):
            if not record:
                return tuple(Tensor._wrap(o, False, None, 0) for o in out)
            ctx.inputs = inputs
            ctx.n_outputs = len(out)
            ctx.out_meta = tuple((o.shape, o.dtype) for o in out)
            return tuple(Tensor._wrap(o, True, ctx, i) for i, o in enumerate(out))
        if not record:
            return Tensor._wrap(out, False, None, 0)
        ctx.inputs = inputs
        ctx.n_outputs = 1
        return Tensor._wrap(out, True, ctx, 0)

    @staticmethod
    def forward(ctx, *args, **attributes):
        raise NotImplementedError

    @classmethod
    def backward(cls, ctx, *grads):
        from mdlfast.autograd.tensor import Tensor

        with grad_mode.no_grad():
            tensors = [None if g is None else Tensor._wrap(g, False, None, 0) for g in grads]
            out = cls.backward_graph(ctx, *tensors)
        return tuple(None if g is None else g.data for g in out)

    @classmethod
    def backward_graph(cls, ctx, *grads):
        raise RuntimeError(
            f"{cls.__name__} has no differentiable backward: create_graph=True (gradients of "
            "gradients) is not supported through it")
