"""L-BFGS with torch.optim.LBFGS's arguments and iteration (two-loop recursion, the same stopping
rules and first step, optional strong-Wolfe line search), on the parameters as one flat vector."""
from __future__ import annotations

import numpy as np

from mdlfast.optim import _checks
from mdlfast.optim._flat import FlatParams, evaluate, loss_value
from mdlfast.optim.line_search import strong_wolfe
from mdlfast.optim.optimizer import Optimizer

__all__ = ["LBFGS"]


class LBFGS(Optimizer):
    """torch.optim.LBFGS: step(closure) runs up to max_iter iterations (max_eval closure calls),
    where closure() clears the gradients, computes the loss, calls backward and returns the loss.
    A single parameter group; memory is history_size pairs of steps and gradient changes."""

    def __init__(self, params, lr=1.0, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size,
                        line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

    def _check_options(self, group):
        _checks.learning_rate(group)
        for name in ("max_iter", "max_eval", "history_size"):
            if not (isinstance(group[name], int) and group[name] > 0):
                raise ValueError(f"{name} must be a positive int, got {group[name]!r}")
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(f"line_search_fn must be None or 'strong_wolfe', got {group['line_search_fn']!r}")

    def step(self, closure):
        """Run the L-BFGS iterations; returns the loss of the first closure call."""
        if closure is None:
            raise ValueError("LBFGS.step requires a closure that returns the loss")
        group = self.param_groups[0]
        lr, history_size = group["lr"], group["history_size"]
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        flat = FlatParams(group["params"])
        # The whole memory lives in the first parameter's state, as in PyTorch.
        state = self._state_of(group["params"][0])
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        first_loss = self._evaluate(closure)
        loss = loss_value(first_loss)
        evaluations = 1
        state["func_evals"] += 1
        g = flat.gradient()
        if np.abs(g).max() <= tolerance_grad:
            return first_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag, prev_g, prev_loss = state.get("H_diag"), state.get("prev_flat_grad"), state.get("prev_loss")

        iteration = 0
        while iteration < max_iter:
            iteration += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -g
                old_dirs, old_stps, ro, H_diag = [], [], [], 1.0
            else:
                y = g - prev_g
                s = d * t
                ys = float(np.dot(y, s))
                if ys > 1e-10:  # keep only pairs of positive curvature
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / float(np.dot(y, y))
                d = _two_loop(g, old_dirs, old_stps, ro, H_diag)
            prev_g = g.copy()
            prev_loss = loss
            t = min(1.0, 1.0 / float(np.abs(g).sum())) * lr if state["n_iter"] == 1 else lr
            slope = float(np.dot(g, d))
            if slope > -tolerance_change:
                break

            if group["line_search_fn"] == "strong_wolfe":
                start = flat.values()

                def along(step):
                    flat.add(step, d)
                    f = evaluate(closure, self)
                    gradient = flat.gradient()
                    flat.assign(start)
                    return f, gradient

                loss, g, t, used = strong_wolfe(along, d, t, loss, g, slope,
                                                tolerance_change=tolerance_change)
                flat.add(t, d)
                converged = np.abs(g).max() <= tolerance_grad
            else:
                flat.add(t, d)
                used, converged = 0, False
                if iteration != max_iter:
                    loss = evaluate(closure, self)
                    g = flat.gradient()
                    converged = np.abs(g).max() <= tolerance_grad
                    used = 1
            evaluations += used
            state["func_evals"] += used

            if (iteration == max_iter or evaluations >= max_eval or converged
                    or np.abs(d * t).max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change):
                break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_g, prev_loss=prev_loss)
        return first_loss


def _two_loop(g, old_dirs, old_stps, ro, H_diag):
    """-H g for the L-BFGS inverse-Hessian approximation H (Nocedal & Wright, algorithm 7.4)."""
    alphas = [0.0] * len(old_dirs)
    q = -g
    for i in range(len(old_dirs) - 1, -1, -1):
        alphas[i] = float(np.dot(old_stps[i], q)) * ro[i]
        q = q - alphas[i] * old_dirs[i]
    r = q * H_diag
    for i in range(len(old_dirs)):
        beta = float(np.dot(old_dirs[i], r)) * ro[i]
        r = r + (alphas[i] - beta) * old_stps[i]
    return r
