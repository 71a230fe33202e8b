"""BFGS with a dense inverse-Hessian approximation and a strong-Wolfe line search (Nocedal &
Wright, algorithm 6.1), closure-based like LBFGS, for models with up to a few thousand parameters."""
from __future__ import annotations

import numpy as np

from mdlfast.optim import _checks
from mdlfast.optim._flat import FlatParams, evaluate, loss_value
from mdlfast.optim.line_search import strong_wolfe
from mdlfast.optim.optimizer import Optimizer

__all__ = ["BFGS"]


class BFGS(Optimizer):
    """step(closure) runs up to max_iter BFGS iterations; closure() clears the gradients, computes
    the loss, calls backward and returns the loss. The inverse-Hessian approximation H starts as
    the identity, is scaled by y's/y'y after the first step (Nocedal & Wright, eq. 6.20) and is
    kept between step() calls; a pair with y's <= 1e-10 is skipped, so H stays positive definite.
    With line_search_fn=None each iteration takes the step lr * (-H g)."""

    def __init__(self, params, lr=1.0, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, line_search_fn="strong_wolfe"):
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("BFGS doesn't support per-parameter options (parameter groups)")

    def _check_options(self, group):
        _checks.learning_rate(group)
        for name in ("max_iter", "max_eval"):
            if not (isinstance(group[name], int) and group[name] > 0):
                raise ValueError(f"{name} must be a positive int, got {group[name]!r}")
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(f"line_search_fn must be None or 'strong_wolfe', got {group['line_search_fn']!r}")

    def step(self, closure):
        """Run the BFGS iterations; returns the loss of the first closure call."""
        if closure is None:
            raise ValueError("BFGS.step requires a closure that returns the loss")
        group = self.param_groups[0]
        flat = FlatParams(group["params"])
        state = self._state_of(group["params"][0])
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        H = state.get("inverse_hessian")
        if H is None or H.shape != (flat.size, flat.size):
            H = np.eye(flat.size, dtype=flat.dtype)
            state["updates"] = 0

        first_loss = self._evaluate(closure)
        loss = loss_value(first_loss)
        evaluations = 1
        g = flat.gradient()
        for iteration in range(1, group["max_iter"] + 1):
            if np.abs(g).max() <= group["tolerance_grad"]:
                break
            state["n_iter"] += 1
            d = -(H @ g)
            slope = float(np.dot(g, d))
            if slope > -group["tolerance_change"]:
                break
            t = group["lr"]
            if state["updates"] == 0:  # no curvature known yet: a cautious first step
                t = min(1.0, 1.0 / float(np.abs(g).sum())) * group["lr"]
            previous_loss = loss
            if group["line_search_fn"] == "strong_wolfe":
                start = flat.values()

                def along(step):
                    flat.add(step, d)
                    f = evaluate(closure, self)
                    gradient = flat.gradient()
                    flat.assign(start)
                    return f, gradient

                loss, g_new, t, used = strong_wolfe(along, d, t, loss, g, slope,
                                                    tolerance_change=group["tolerance_change"])
                flat.add(t, d)
            else:
                flat.add(t, d)
                loss = evaluate(closure, self)
                g_new, used = flat.gradient(), 1
            evaluations += used
            s, y = t * d, g_new - g
            g = g_new
            ys = float(np.dot(y, s))
            if ys > 1e-10:
                if state["updates"] == 0:
                    H = np.eye(flat.size, dtype=flat.dtype) * (ys / float(np.dot(y, y)))
                rho = 1.0 / ys
                Hy = H @ y
                H = H - rho * (np.outer(s, Hy) + np.outer(Hy, s)) + (rho * rho * float(np.dot(y, Hy)) + rho) * np.outer(s, s)
                state["updates"] += 1
            if (evaluations >= group["max_eval"] or np.abs(s).max() <= group["tolerance_change"]
                    or abs(loss - previous_loss) < group["tolerance_change"]):
                break
        state["func_evals"] += evaluations
        state["inverse_hessian"] = H
        return first_loss
