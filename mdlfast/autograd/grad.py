"""mdlfast.autograd.grad: gradients of outputs with respect to chosen inputs, as torch.autograd.grad."""
from __future__ import annotations

import numpy as np

from mdlfast.autograd import engine


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """The tuple (d outputs / d input for each input), weighted by grad_outputs.

    Nothing accumulates into .grad. With create_graph=True the results are differentiable
    (gradients of gradients). An input the outputs do not depend on raises unless allow_unused,
    in which case its gradient is None.
    """
    from mdlfast.autograd.tensor import Tensor, _grad_like

    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single_input = isinstance(inputs, Tensor)
    inputs = [inputs] if single_input else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor) or not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    roots, root_grads = [], []
    for out, g in zip(outputs, grad_outputs):
        if not out.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if out.data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = np.ones(out.shape, dtype=out.dtype)
        else:
            g = _grad_like(g, out, create_graph)
        if create_graph and not isinstance(g, Tensor):
            g = Tensor._wrap(g, False, None, 0)
        roots.append(out)
        root_grads.append(g)
    if retain_graph is None:
        retain_graph = create_graph
    results = engine.run(roots, root_grads, retain_graph=retain_graph,
                         create_graph=create_graph, capture=inputs)
    out = []
    for t, g in zip(inputs, results):
        if g is None:
            if not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in "
                                   "the graph. Set allow_unused=True if this is the desired behavior.")
            out.append(None)
        elif isinstance(g, Tensor):
            out.append(g)
        else:
            if g.shape != t.shape:
                g = np.broadcast_to(g, t.shape)
            out.append(Tensor._wrap(np.array(g, dtype=t.dtype), False, None, 0))
    return tuple(out)
