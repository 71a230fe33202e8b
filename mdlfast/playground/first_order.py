"""First-order optimisers on a TestFunction, each returning the Trajectory of its iterates.

Every method takes `grad=` to replace the exact gradient (a noisy or mini-batch estimate) and
`tol=` to stop once the gradient norm falls to it. `lr` may be a float or a schedule k -> lr.
"""
from __future__ import annotations

import numpy as np

from mdlfast.playground.trajectory import run


def _schedule(lr):
    if callable(lr):
        return lr
    if not lr > 0:
        raise ValueError(f"lr must be > 0 (or a schedule k -> lr), got {lr!r}")
    return lambda k: lr


def _unit_interval(name, value):
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must lie in [0, 1), got {value!r}")
    return float(value)


def inverse_time_decay(lr0, rate):
    """The schedule k -> lr0 / (1 + rate k): the decaying steps SGD needs to converge."""
    return lambda k: lr0 / (1.0 + rate * k)


def exponential_decay(lr0, gamma):
    """The schedule k -> lr0 gamma^k."""
    return lambda k: lr0 * gamma ** k


def gradient_descent(fn, x0, lr=0.01, steps=100, *, grad=None, tol=0.0):
    """x <- x - lr_k g(x) with a fixed or scheduled step size."""
    step = _schedule(lr)
    return run("gd", fn, x0, steps, lambda x, g, k: x - step(k) * g, grad=grad, tol=tol)


def momentum(fn, x0, lr=0.01, steps=100, *, beta=0.9, grad=None, tol=0.0):
    """Heavy ball: v <- beta v + g, x <- x - lr v (PyTorch's SGD momentum)."""
    step = _schedule(lr)
    beta = _unit_interval("beta", beta)
    v = None

    def update(x, g, k):
        nonlocal v
        v = g if v is None else beta * v + g
        return x - step(k) * v

    return run("momentum", fn, x0, steps, update, grad=grad, tol=tol)


def nesterov(fn, x0, lr=0.01, steps=100, *, beta=0.9, grad=None, tol=0.0):
    """Nesterov's accelerated gradient: the gradient is taken at the look-ahead point
    x + beta v, then v <- beta v - lr g(x + beta v) and x <- x + v."""
    step = _schedule(lr)
    beta = _unit_interval("beta", beta)
    gradient = fn.grad if grad is None else grad
    v = None

    def update(x, g, k):
        nonlocal v
        v = np.zeros_like(x) if v is None else v
        v = beta * v - step(k) * gradient(x + beta * v)
        return x + v

    return run("nesterov", fn, x0, steps, update, grad=grad, tol=tol)


def adagrad(fn, x0, lr=0.1, steps=100, *, eps=1e-10, grad=None, tol=0.0):
    """Adagrad: s <- s + g^2, x <- x - lr g / (sqrt(s) + eps)."""
    step = _schedule(lr)
    s = 0.0

    def update(x, g, k):
        nonlocal s
        s = s + g * g
        return x - step(k) * g / (np.sqrt(s) + eps)

    return run("adagrad", fn, x0, steps, update, grad=grad, tol=tol)


def rmsprop(fn, x0, lr=0.01, steps=100, *, alpha=0.99, eps=1e-8, grad=None, tol=0.0):
    """RMSprop: s <- alpha s + (1 - alpha) g^2, x <- x - lr g / (sqrt(s) + eps)."""
    step = _schedule(lr)
    alpha = _unit_interval("alpha", alpha)
    s = 0.0

    def update(x, g, k):
        nonlocal s
        s = alpha * s + (1 - alpha) * g * g
        return x - step(k) * g / (np.sqrt(s) + eps)

    return run("rmsprop", fn, x0, steps, update, grad=grad, tol=tol)


def adam(fn, x0, lr=0.01, steps=100, *, beta1=0.9, beta2=0.999, eps=1e-8, grad=None, tol=0.0):
    """Adam: bias-corrected moving averages m of g and v of g^2, x <- x - lr m̂ / (sqrt(v̂) + eps)."""
    step = _schedule(lr)
    beta1 = _unit_interval("beta1", beta1)
    beta2 = _unit_interval("beta2", beta2)
    m = v = 0.0

    def update(x, g, k):
        nonlocal m, v
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** (k + 1))
        v_hat = v / (1 - beta2 ** (k + 1))
        return x - step(k) * m_hat / (np.sqrt(v_hat) + eps)

    return run("adam", fn, x0, steps, update, grad=grad, tol=tol)


def noisy_gradient(fn, std, *, seed=None):
    """fn's gradient plus independent N(0, std^2) noise: a stand-in for a stochastic gradient."""
    if not std >= 0:
        raise ValueError(f"std must be >= 0, got {std!r}")
    rng = np.random.default_rng(seed)
    return lambda x: fn.grad(x) + rng.normal(0.0, std, np.shape(x))
