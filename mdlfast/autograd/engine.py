"""Reverse-mode sweep: topological order, gradient accumulation, freeing the graph."""
from __future__ import annotations

import numpy as np

from mdlfast.autograd import grad_mode

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward.")


def _topological_order(roots):
    """Nodes reachable from the roots, every node before the nodes of its inputs."""
    order, visited = [], set()
    for root in roots:
        node = root._node
        if node is None or id(node) in visited:
            continue
        visited.add(id(node))
        stack = [(node, iter(_input_nodes(node)))]
        while stack:
            current, children = stack[-1]
            for child in children:
                if id(child) not in visited:
                    visited.add(id(child))
                    stack.append((child, iter(_input_nodes(child))))
                    break
            else:
                stack.pop()
                order.append(current)
    order.reverse()
    return order


def _input_nodes(node):
    inputs = getattr(node, "inputs", None)
    if inputs is None:
        raise RuntimeError(_FREED_MESSAGE)
    return [x._node for x in inputs if getattr(x, "_node", None) is not None]


def _add(a, b):
    return b if a is None else a + b


def run(roots, root_grads, *, retain_graph, create_graph, capture=None):
    """Back-propagate root_grads from roots.

    Without `capture`, gradients of leaves that require grad accumulate into their .grad. With
    `capture` (a list of tensors), nothing accumulates: the gradients of those tensors are returned.
    """
    from mdlfast.autograd.tensor import Tensor

    order = _topological_order(roots)
    node_grads = {}
    leaf_grads = {}
    captured = {}
    if capture is not None:
        wanted = {id(t): t for t in capture}
        wanted_outputs = {}
        for t in capture:
            if t._node is not None:
                wanted_outputs.setdefault(id(t._node), []).append(t)

    def deliver(tensor, g):
        node = tensor._node
        if node is None:
            if capture is None:
                if tensor.requires_grad:
                    key = id(tensor)
                    prev = leaf_grads.get(key)
                    leaf_grads[key] = (tensor, g if prev is None else prev[1] + g)
            elif id(tensor) in wanted:
                captured[id(tensor)] = _add(captured.get(id(tensor)), g)
            return
        slots = node_grads.get(id(node))
        if slots is None:
            slots = node_grads[id(node)] = [None] * node.n_outputs
        i = tensor._out_idx
        slots[i] = g if slots[i] is None else slots[i] + g

    for root, g in zip(roots, root_grads):
        deliver(root, g)

    previous_mode = grad_mode._state["enabled"]
    grad_mode._state["enabled"] = bool(create_graph)
    try:
        for node in order:
            grads = node_grads.pop(id(node), None)
            if grads is None:
                continue
            if capture is not None and id(node) in wanted_outputs:
                for t in wanted_outputs[id(node)]:
                    captured[id(t)] = _add(captured.get(id(t)), grads[t._out_idx])
            if "retained" in node.__dict__:
                _store_retained(node, grads, create_graph)
            if node.n_outputs > 1:
                grads = _fill_missing(node, grads, create_graph)
            fn = node.fn
            if create_graph:
                in_grads = fn.backward_graph(node, *grads)
            else:
                in_grads = fn.backward(node, *grads)
            inputs = node.inputs
            if not retain_graph:
                fn_ = node.fn
                node.__dict__.clear()
                node.fn = fn_
            for x, g in zip(inputs, in_grads):
                if g is not None and isinstance(x, Tensor) and x.requires_grad:
                    deliver(x, g)
    finally:
        grad_mode._state["enabled"] = previous_mode

    if capture is not None:
        return [captured.get(id(t)) for t in capture]
    _accumulate_leaves(leaf_grads.values(), create_graph)
    return None


def _store_retained(node, grads, create_graph):
    """.grad for the outputs of node that asked for retain_grad()."""
    from mdlfast.autograd.tensor import Tensor

    for i, ref in node.retained.items():
        tensor, g = ref(), grads[i]
        if tensor is None or g is None:
            continue
        if not create_graph:
            g = Tensor._wrap(np.array(g, dtype=tensor.dtype), False, None, 0)
        tensor.grad = g if tensor.grad is None else tensor.grad + g


def _fill_missing(node, grads, create_graph):
    """Zeros for the outputs of a multi-output node that received no gradient."""
    from mdlfast.autograd.tensor import Tensor

    filled = []
    for g, (shape, dtype) in zip(grads, node.out_meta):
        if g is None:
            g = np.zeros(shape, dtype)
            if create_graph:
                g = Tensor._wrap(g, False, None, 0)
        filled.append(g)
    return filled


def _accumulate_leaves(items, create_graph):
    """leaf.grad += g. A gradient array that may be shared (a view, or handed to another leaf in
    this sweep) is copied first, so in-place updates of one .grad never reach another."""
    from mdlfast.autograd.tensor import Tensor

    handed_out = set()
    for leaf, g in items:
        if create_graph:
            leaf.grad = g if leaf.grad is None else leaf.grad + g
            continue
        if leaf.grad is None:
            if g.base is not None or id(g) in handed_out or not g.flags.writeable \
                    or g.shape != leaf.data.shape or g.dtype != leaf.data.dtype:
                g = np.array(np.broadcast_to(g, leaf.data.shape), dtype=leaf.data.dtype)
            handed_out.add(id(g))
            leaf.grad = Tensor._wrap(g, False, None, 0)
        else:
            leaf.grad.data += g
