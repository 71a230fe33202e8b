"""Newton's method for small models: the exact Hessian of the loss, from gradients of gradients
(autograd with create_graph=True) or from central differences of the gradient, and the step
-(H + lambda I)^-1 g, with lambda raised until H + lambda I is positive definite."""
from __future__ import annotations

import numpy as np

from mdlfast.autograd import enable_grad, grad
from mdlfast.optim import _checks
from mdlfast.optim._flat import FlatParams, loss_value
from mdlfast.optim.line_search import strong_wolfe
from mdlfast.optim.optimizer import Optimizer

__all__ = ["Newton"]

_HESSIANS = ("autograd", "finite_difference")


class Newton(Optimizer):
    """step(closure) takes up to max_iter Newton steps. closure() computes and returns the loss
    (a Tensor) WITHOUT calling backward: Newton differentiates it itself.

    hessian="autograd": the gradient with create_graph=True, then one backward pass per parameter
    entry (n passes); hessian="finite_difference": H[:, i] = (g(x + h e_i) - g(x - h e_i)) / 2h
    with h = fd_step * max(1, |x_i|) (2n closure calls), symmetrised. A Hessian that is not
    positive definite gets damping lambda I, lambda starting at `damping` (or 1e-8 * max|H|) and
    growing tenfold until a Cholesky factorisation succeeds, so every step is a descent direction.
    With line_search_fn="strong_wolfe" the step length is searched from lr; otherwise it is lr."""

    def __init__(self, params, lr=1.0, max_iter=1, tolerance_grad=1e-10, damping=0.0,
                 hessian="autograd", fd_step=1e-5, line_search_fn=None):
        defaults = dict(lr=lr, max_iter=max_iter, tolerance_grad=tolerance_grad, damping=damping,
                        hessian=hessian, fd_step=fd_step, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("Newton doesn't support per-parameter options (parameter groups)")

    def _check_options(self, group):
        _checks.learning_rate(group)
        _checks.at_least_zero(group, "damping", "damping value")
        if group["hessian"] not in _HESSIANS:
            raise ValueError(f"hessian must be one of {_HESSIANS}, got {group['hessian']!r}")
        _checks.finite_positive(group["fd_step"], "fd_step")
        if not (isinstance(group["max_iter"], int) and group["max_iter"] > 0):
            raise ValueError(f"max_iter must be a positive int, got {group['max_iter']!r}")
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(f"line_search_fn must be None or 'strong_wolfe', got {group['line_search_fn']!r}")

    def _loss_and_gradient(self, closure, params, create_graph=False):
        with enable_grad():
            loss = closure()
            grads = grad(loss, params, create_graph=create_graph, allow_unused=True)
        return loss, grads

    def _flat_gradient(self, flat, grads):
        return np.concatenate([np.zeros(p.data.size, flat.dtype) if g is None else
                               np.asarray(g.data, flat.dtype).reshape(-1)
                               for p, g in zip(flat.params, grads)])

    def _hessian(self, closure, flat, group):
        params = flat.params
        if group["hessian"] == "autograd":
            with enable_grad():
                loss, grads = self._loss_and_gradient(closure, params, create_graph=True)
                g = self._flat_gradient(flat, grads)
                rows = []
                for p, gp in zip(params, grads):
                    for index in range(p.data.size):
                        if gp is None or not getattr(gp, "requires_grad", False):
                            rows.append(np.zeros(flat.size, flat.dtype))
                            continue
                        entry = gp.reshape(-1)[index]
                        second = grad(entry, params, retain_graph=True, allow_unused=True)
                        rows.append(self._flat_gradient(flat, second))
            return loss, g, np.stack(rows)
        loss, grads = self._loss_and_gradient(closure, params)
        g = self._flat_gradient(flat, grads)
        x = flat.values()
        H = np.empty((flat.size, flat.size), flat.dtype)
        for i in range(flat.size):
            h = group["fd_step"] * max(1.0, abs(float(x[i])))
            columns = []
            for sign in (1.0, -1.0):
                shifted = x.copy()
                shifted[i] += sign * h
                flat.assign(shifted)
                columns.append(self._flat_gradient(flat, self._loss_and_gradient(closure, params)[1]))
            H[:, i] = (columns[0] - columns[1]) / (2 * h)
        flat.assign(x)
        return loss, g, (H + H.T) / 2

    def step(self, closure):
        """Take up to max_iter Newton steps; returns the loss before the first one."""
        if closure is None:
            raise ValueError("Newton.step requires a closure that returns the loss")
        group = self.param_groups[0]
        flat = FlatParams(group["params"])
        first_loss = None
        for _ in range(group["max_iter"]):
            loss, g, H = self._hessian(closure, flat, group)
            if first_loss is None:
                first_loss = loss
            if np.abs(g).max() <= group["tolerance_grad"]:
                break
            d = -_damped_solve(H, g, group["damping"])
            t = group["lr"]
            if group["line_search_fn"] == "strong_wolfe":
                start = flat.values()

                def along(step):
                    flat.add(step, d)
                    f, grads = self._loss_and_gradient(closure, flat.params)
                    gradient = self._flat_gradient(flat, grads)
                    flat.assign(start)
                    return loss_value(f), gradient

                _, _, t, _ = strong_wolfe(along, d, t, loss_value(loss), g, float(np.dot(g, d)))
            flat.add(t, d)
        return first_loss


def _damped_solve(H, g, damping):
    """(H + lambda I)^-1 g with the smallest lambda >= damping (from a tenfold ladder) for which
    H + lambda I is positive definite."""
    scale = max(float(np.abs(H).max()), 1e-300)
    lam = damping
    identity = np.eye(H.shape[0], dtype=H.dtype)
    for _ in range(60):
        try:
            L = np.linalg.cholesky(H + lam * identity)
        except np.linalg.LinAlgError:
            lam = max(10.0 * lam, 1e-8 * scale)
            continue
        z = np.linalg.solve(L, g)
        return np.linalg.solve(L.T, z)
    raise FloatingPointError("Newton: the Hessian could not be made positive definite (non-finite values?)")
