"""LBFGS against torch.optim.LBFGS (fixed steps and strong-Wolfe line search) on an extended
Rosenbrock function split over two parameters; BFGS and Newton converging to known minima
(Rosenbrock's (1, ..., 1), a quadratic's A^-1 b). The closures compute the loss and gradient in
NumPy, so these tests check the optimizers, not the autodiff layer."""
from __future__ import annotations

import numpy as np
import pytest

import mdlfast
from _optim_params import require_tensor
from mdlfast import optim

SHAPES = [(3,), (2, 2)]
START = np.array([-1.2, 1.0, -0.8, 1.1, 0.3, -0.5, 0.9])  # 7 = 3 + 4 entries


def rosenbrock(x):
    f = np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
    g = np.zeros_like(x)
    g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return f, g


def _params(x, dtype=np.float64):
    Parameter = require_tensor()
    return [Parameter(mdlfast.tensor(x[:3].astype(dtype))), Parameter(mdlfast.tensor(x[3:].reshape(2, 2).astype(dtype)))]


def _flat(params):
    return np.concatenate([p.data.reshape(-1) for p in params])


def numpy_closure(params, fun, counter=None):
    def closure():
        f, g = fun(_flat(params))
        params[0].grad = mdlfast.tensor(g[:3].astype(params[0].data.dtype))
        params[1].grad = mdlfast.tensor(g[3:].reshape(2, 2).astype(params[1].data.dtype))
        if counter is not None:
            counter.append(f)
        return mdlfast.tensor(np.asarray(f))
    return closure


def _torch_lbfgs(options, steps):
    torch = pytest.importorskip("torch")
    a = torch.nn.Parameter(torch.tensor(START[:3]))
    b = torch.nn.Parameter(torch.tensor(START[3:].reshape(2, 2)))
    opt = torch.optim.LBFGS([a, b], **options)
    losses = []

    def closure():
        opt.zero_grad()
        x = torch.cat([a.reshape(-1), b.reshape(-1)])
        f = torch.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
        f.backward()
        losses.append(float(f.detach()))
        return f

    history = []
    for _ in range(steps):
        opt.step(closure)
        history.append(np.concatenate([a.detach().numpy().reshape(-1), b.detach().numpy().reshape(-1)]))
    return history, losses, opt.state[a]


LBFGS_OPTIONS = [
    dict(lr=0.1, max_iter=10),
    dict(lr=1.0, max_iter=15, history_size=4, line_search_fn="strong_wolfe"),
    dict(lr=1.0, max_iter=30, max_eval=40, line_search_fn="strong_wolfe", tolerance_change=1e-12),
]


@pytest.mark.parametrize("options", LBFGS_OPTIONS, ids=["fixed", "wolfe_history4", "wolfe_long"])
def test_lbfgs_matches_torch(options):
    history, torch_losses, torch_state = _torch_lbfgs(options, steps=3)
    params = _params(START)
    opt = optim.LBFGS(params, **options)
    losses = []
    for expected in history:
        opt.step(numpy_closure(params, rosenbrock, losses))
        np.testing.assert_allclose(_flat(params), expected, rtol=1e-9, atol=1e-11)
    # The evaluated points agree to ~1e-10; Rosenbrock's steep valley turns that into ~1e-8 in f.
    np.testing.assert_allclose(losses, torch_losses, rtol=1e-6, atol=1e-12)
    state = opt.state[params[0]]
    assert (state["n_iter"], state["func_evals"]) == (torch_state["n_iter"], torch_state["func_evals"])


def test_lbfgs_converges_on_rosenbrock():
    params = _params(START)
    opt = optim.LBFGS(params, max_iter=200, line_search_fn="strong_wolfe", tolerance_grad=1e-10,
                      tolerance_change=1e-14)
    opt.step(numpy_closure(params, rosenbrock))
    np.testing.assert_allclose(_flat(params), np.ones(7), atol=1e-6)


def test_lbfgs_float32_parameters_converge():
    params = _params(START, np.float32)
    opt = optim.LBFGS(params, max_iter=200, line_search_fn="strong_wolfe")
    opt.step(numpy_closure(params, rosenbrock))
    assert params[0].data.dtype == np.float32
    np.testing.assert_allclose(_flat(params), np.ones(7), atol=2e-2)


def test_bfgs_converges_on_rosenbrock():
    params = _params(START)
    opt = optim.BFGS(params, max_iter=100, max_eval=500, tolerance_grad=1e-10, tolerance_change=1e-15)
    for _ in range(3):
        opt.step(numpy_closure(params, rosenbrock))
    np.testing.assert_allclose(_flat(params), np.ones(7), atol=1e-7)


def test_bfgs_solves_a_quadratic():
    rng = np.random.default_rng(5)
    M = rng.standard_normal((7, 7))
    A, b = M @ M.T + np.eye(7), rng.standard_normal(7)
    params = _params(rng.standard_normal(7))
    opt = optim.BFGS(params, max_iter=50, tolerance_grad=1e-12, tolerance_change=0.0)
    opt.step(numpy_closure(params, lambda x: (0.5 * x @ A @ x - b @ x, A @ x - b)))
    np.testing.assert_allclose(_flat(params), np.linalg.solve(A, b), rtol=1e-8, atol=1e-10)
    H = opt.state[params[0]]["inverse_hessian"]
    np.testing.assert_allclose(H, H.T, atol=1e-12)
    assert np.linalg.eigvalsh(H).min() > 0


def test_bfgs_without_line_search_takes_lr_steps():
    params = _params(np.array([3.0, -1.0, 2.0, 0.0, 0.0, 0.0, 0.0]))
    opt = optim.BFGS(params, lr=0.5, max_iter=1, line_search_fn=None)
    opt.step(numpy_closure(params, lambda x: (0.5 * x @ x, x.copy())))
    # The first step is lr * min(1, 1/|g|_1) along -g.
    np.testing.assert_allclose(_flat(params)[:3], np.array([3.0, -1.0, 2.0]) * (1 - 0.5 / 6.0))


def test_closure_is_required():
    params = _params(START)
    for cls in (optim.LBFGS, optim.BFGS, optim.Newton):
        with pytest.raises(ValueError, match="closure"):
            cls(params).step(None)


def test_lbfgs_rejects_groups_and_unknown_line_search():
    params = _params(START)
    with pytest.raises(ValueError, match="per-parameter options"):
        optim.LBFGS([{"params": params[:1]}, {"params": params[1:]}])
    with pytest.raises(ValueError, match="line_search_fn"):
        optim.LBFGS(params, line_search_fn="backtracking")


def _autograd_rosenbrock(params):
    """Rosenbrock of the parameters, built from Tensor operations (closure without backward)."""
    def closure():
        x = mdlfast.cat([params[0].reshape(-1), params[1].reshape(-1)])
        return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2).sum()
    return closure


@pytest.mark.parametrize("hessian", ["autograd", "finite_difference"])
def test_newton_hessian_matches_the_analytic_one(hessian):
    x = START.copy()
    params = _params(x)
    opt = optim.Newton(params, hessian=hessian)
    flat = optim._flat.FlatParams(params)
    _, g, H = opt._hessian(_autograd_rosenbrock(params), flat, opt.param_groups[0])
    n = x.size
    expected = np.zeros((n, n))
    for i in range(n - 1):
        expected[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        expected[i + 1, i + 1] += 200
        expected[i, i + 1] = expected[i + 1, i] = -400 * x[i]
    np.testing.assert_allclose(g, rosenbrock(x)[1], rtol=1e-12)
    np.testing.assert_allclose(H, expected, rtol=1e-12 if hessian == "autograd" else 1e-6, atol=1e-6)
    np.testing.assert_array_equal(_flat(params), x)  # the parameters are restored


def test_newton_solves_a_quadratic_in_one_step():
    rng = np.random.default_rng(2)
    M = rng.standard_normal((4, 4))
    A, b = M @ M.T + np.eye(4), rng.standard_normal(4)
    Parameter = require_tensor()
    w = Parameter(mdlfast.tensor(rng.standard_normal(4)))
    At, bt = mdlfast.tensor(A), mdlfast.tensor(b)

    def closure():
        return 0.5 * (w * (At @ w)).sum() - (bt * w).sum()

    optim.Newton([w]).step(closure)
    np.testing.assert_allclose(w.data, np.linalg.solve(A, b), rtol=1e-10)


@pytest.mark.parametrize("hessian", ["autograd", "finite_difference"])
def test_newton_converges_on_rosenbrock(hessian):
    """The classic 2-d start (-1.2, 1); from START the 7-d function's Newton path ends in its local
    minimum near (-1, 1, ..., 1), a correct but less telling answer."""
    Parameter = require_tensor()
    x = Parameter(mdlfast.tensor(np.array([-1.2, 1.0])))

    def closure():
        return 100.0 * (x[1] - x[0] ** 2) ** 2 + (1.0 - x[0]) ** 2

    opt = optim.Newton([x], hessian=hessian, max_iter=60, line_search_fn="strong_wolfe")
    opt.step(closure)
    np.testing.assert_allclose(x.data, np.ones(2), atol=1e-8)


def test_newton_damps_an_indefinite_hessian_into_a_descent_step():
    Parameter = require_tensor()
    w = Parameter(mdlfast.tensor(np.array([0.5, 0.1])))

    def closure():  # a saddle at the origin: H = diag(2, -2)
        return (w[0] ** 2 - w[1] ** 2) + 0.25 * (w[1] ** 4)

    before = float(closure().data)
    optim.Newton([w], damping=0.1).step(closure)
    assert float(closure().data) < before


@pytest.mark.parametrize("cls,options", [(optim.LBFGS, dict(max_iter=4, history_size=3, line_search_fn="strong_wolfe")),
                                         (optim.LBFGS, dict(lr=0.1, max_iter=3)),
                                         (optim.BFGS, dict(max_iter=4))], ids=["lbfgs_wolfe", "lbfgs", "bfgs"])
def test_state_dict_resumes_exactly(tmp_path, cls, options):
    params = _params(START)
    opt = cls(params, **options)
    for _ in range(4):
        opt.step(numpy_closure(params, rosenbrock))
    expected = _flat(params)

    params = _params(START)
    opt = cls(params, **options)
    for _ in range(2):
        opt.step(numpy_closure(params, rosenbrock))
    mdlfast.save({"params": [p.data for p in params], "optimizer": opt.state_dict()}, tmp_path / "q")
    checkpoint = mdlfast.load(tmp_path / "q")
    params = _params(START * 0)
    for p, saved in zip(params, checkpoint["params"]):
        p.data[...] = saved
    opt = cls(params, **options)
    opt.load_state_dict(checkpoint["optimizer"])
    for _ in range(2):
        opt.step(numpy_closure(params, rosenbrock))
    assert _flat(params).tobytes() == expected.tobytes()
