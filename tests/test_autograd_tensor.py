"""Tensor operations: gradients against central differences (mdlfast.testing.gradcheck), graph
semantics (accumulation, retain_graph, no_grad, detach) and gradients of gradients."""
import numpy as np
import pytest

import mdlfast
from mdlfast.testing import gradcheck


def rand(*shape, seed=0, positive=False):
    x = np.random.default_rng(seed + sum(shape)).standard_normal(shape)
    if positive:
        x = np.abs(x) + 0.5
    return mdlfast.tensor(x, requires_grad=True)


BINARY_CASES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((5,), ()), ((1, 3), (2, 1))]


@pytest.mark.parametrize("sa, sb", BINARY_CASES)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow"])
def test_broadcast_binary(sa, sb, op):
    a = rand(*sa, positive=op == "pow")
    b = rand(*sb, seed=1, positive=op in ("div", "pow"))
    fn = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
          "div": lambda a, b: a / b, "pow": lambda a, b: a ** b}[op]
    assert gradcheck(fn, [a, b])
    assert fn(a, b).shape == np.broadcast_shapes(sa, sb)


@pytest.mark.parametrize("sa, sb", [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((4,), (4, 2)), ((3, 4), (4,)),
                                     ((2, 1, 3, 4), (5, 4, 2)), ((4,), (4,))])
def test_matmul(sa, sb):
    assert gradcheck(lambda a, b: a @ b, [rand(*sa), rand(*sb, seed=1)])


def test_scalars_and_reflected():
    x = rand(3, 2)
    assert gradcheck(lambda x: 2.0 * x - 1 + 3 / (x * x + 1) - x ** 3 + 2 ** x, [x])
    assert gradcheck(lambda x: -x + np.ones((3, 2)) * x, [x])


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu"])
def test_elementwise(name):
    x = rand(4, 3, positive=name in ("log", "sqrt"))
    assert gradcheck(lambda x: getattr(x, name)(), [x])


def test_clip():
    x = rand(5, 4)
    assert gradcheck(lambda x: x.clip(-0.5, 0.7), [x])
    assert gradcheck(lambda x: x.clamp(min=0.1), [x])


@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (1, True), ((0, 2), False), (-1, True)])
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "var", "std", "logsumexp"])
def test_reductions(name, axis, keepdims):
    x = rand(3, 4, 5)
    out = getattr(x, name)(axis=axis, keepdims=keepdims)
    expected = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min,
                "var": lambda a, axis, keepdims: np.var(a, axis=axis, keepdims=keepdims, ddof=1),
                "std": lambda a, axis, keepdims: np.std(a, axis=axis, keepdims=keepdims, ddof=1),
                "logsumexp": lambda a, axis, keepdims: np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims))}
    np.testing.assert_allclose(out.data, expected[name](x.data, axis=axis, keepdims=keepdims), rtol=1e-5)
    assert gradcheck(lambda x: getattr(x, name)(axis=axis, keepdims=keepdims), [x])


def test_dim_keepdim_aliases():
    x = rand(3, 4)
    np.testing.assert_array_equal(x.sum(dim=1, keepdim=True).data, x.data.sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(x.max(axis=0).data, x.data.max(axis=0))
    values, indices = x.max(dim=0)  # PyTorch's form: (values, indices)
    np.testing.assert_array_equal(values.data, x.data.max(axis=0))
    np.testing.assert_array_equal(indices.data, x.data.argmax(axis=0))
    assert x.min(dim=1, keepdim=True).indices.shape == (3, 1)


def test_max_ties_share_the_gradient_over_all_and_pick_first_along_axis():
    x = mdlfast.tensor(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]), requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 0.5, 0.5], [0, 0, 0]])
    x.grad = None
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 1, 0], [1, 0, 0]])


def test_shape_ops():
    x = rand(2, 3, 4)
    assert gradcheck(lambda x: x.reshape(4, 6) * np.arange(24).reshape(4, 6), [x])
    assert gradcheck(lambda x: x.view(-1, 2).T, [x])
    assert gradcheck(lambda x: x.permute(2, 0, 1), [x])
    assert gradcheck(lambda x: x.transpose(0, 2), [x])
    assert gradcheck(lambda x: x.flatten(1), [x])
    assert gradcheck(lambda x: x.unsqueeze(1).squeeze(), [x])
    assert gradcheck(lambda x: x[:, :1].expand(2, 5, 4), [x])
    assert x.flatten().shape == (24,) and x.unsqueeze(-1).shape == (2, 3, 4, 1)


def test_indexing_with_repeated_indices_scatter_adds():
    x = rand(5, 3)
    idx = np.array([0, 2, 2, 4, 0])
    assert gradcheck(lambda x: x[idx], [x])
    assert gradcheck(lambda x: x[idx, [1, 1, 0, 2, 1]], [x])
    assert gradcheck(lambda x: x[x.data > 0], [x])
    assert gradcheck(lambda x: x[1:4:2, ..., None], [x])
    x[idx].sum().backward()
    np.testing.assert_array_equal(x.grad.data[:, 0], [2, 0, 2, 0, 1])


def test_cat_stack_split_chunk():
    a, b = rand(2, 3), rand(4, 3, seed=1)
    assert gradcheck(lambda a, b: mdlfast.cat([a, b], dim=0), [a, b])
    assert gradcheck(lambda a, b: mdlfast.stack([a, b[:2]], axis=1), [a, b])
    assert gradcheck(lambda b: b.split(3)[1] * 2 + b.split([1, 3])[0].sum(), [b])
    pieces = b.chunk(2, dim=0)
    assert [p.shape for p in pieces] == [(2, 3), (2, 3)]
    assert gradcheck(lambda b: b.chunk(3, dim=1)[2], [b])


def test_comparisons_do_not_require_grad():
    x = rand(3)
    for r in (x > 0, x <= 0.5, x == x, x != 1.0):
        assert not r.requires_grad and r.dtype == bool


def test_gradients_accumulate_and_graph_is_freed():
    x = rand(3)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, 4 * x.data)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_shared_subexpression_in_topological_order():
    x = rand(4)
    a = x.exp()
    y = (a * a + a).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * np.exp(2 * x.data) + np.exp(x.data))


def test_leaf_grads_are_not_aliased():
    a, b = rand(3), rand(3, seed=1)
    (a + b).sum().backward()
    a.grad.data *= 2
    np.testing.assert_array_equal(b.grad.data, np.ones(3))


def test_no_grad_and_detach():
    x = rand(3)
    with mdlfast.no_grad():
        y = x * 2
    assert not y.requires_grad
    z = (x.detach() * x).sum()
    z.backward()
    np.testing.assert_allclose(x.grad.data, x.data)

    @mdlfast.no_grad()
    def f(t):
        return t * 3

    assert not f(x).requires_grad and mdlfast.is_grad_enabled()


def test_backward_errors():
    x = rand(3)
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        mdlfast.tensor([1.0]).backward()
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(np.ones(4))


def test_autograd_grad_does_not_touch_grad_and_reports_unused():
    x, y = rand(3), rand(3, seed=1)
    gx, = mdlfast.autograd.grad((x * x).sum(), [x])
    np.testing.assert_allclose(gx.data, 2 * x.data)
    assert x.grad is None
    with pytest.raises(RuntimeError, match="allow_unused"):
        mdlfast.autograd.grad((x * 2).sum(), [x, y])
    gx, gy = mdlfast.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)
    assert gy is None
    h = x * 3
    gh, = mdlfast.autograd.grad((h * h).sum(), [h])  # an intermediate as input
    np.testing.assert_allclose(gh.data, 2 * h.data)


def _finite_difference_hvp(f, x, v, eps=1e-5):
    def grad_at(point):
        t = mdlfast.tensor(point, requires_grad=True)
        return mdlfast.autograd.grad(f(t), [t])[0].data

    return (grad_at(x + eps * v) - grad_at(x - eps * v)) / (2 * eps)


def test_hessian_vector_product_of_elementwise_ops():
    rng = np.random.default_rng(3)
    x0, v = rng.standard_normal(6), rng.standard_normal(6)

    def f(t):
        return ((t * t).tanh().sum() + (t.sigmoid() * t).sum()
                                                            + (t.abs() + 1.0).log().mean() + t.logsumexp()
                                                            + (t / (t * t + 1.0)).sum() + t.var())

    x = mdlfast.tensor(x0, requires_grad=True)
    g, = mdlfast.autograd.grad(f(x), [x], create_graph=True)
    hv, = mdlfast.autograd.grad((g * mdlfast.tensor(v)).sum(), [x])
    np.testing.assert_allclose(hv.data, _finite_difference_hvp(f, x0, v), rtol=1e-5, atol=1e-7)


def test_hessian_vector_product_of_matmul_with_broadcasting():
    rng = np.random.default_rng(4)
    A = mdlfast.tensor(rng.standard_normal((3, 4)))
    b = mdlfast.tensor(rng.standard_normal(3))
    x0, v = rng.standard_normal(4), rng.standard_normal(4)

    def f(t):
        r = (A @ t + b).relu() + (A @ t).sigmoid()
        return (r ** 2).sum() + (t.reshape(2, 2).max(axis=0) ** 2).sum()

    x = mdlfast.tensor(x0, requires_grad=True)
    g, = mdlfast.autograd.grad(f(x), [x], create_graph=True)
    hv, = mdlfast.autograd.grad((g * mdlfast.tensor(v)).sum(), [x])
    np.testing.assert_allclose(hv.data, _finite_difference_hvp(f, x0, v), rtol=1e-5, atol=1e-7)


def test_backward_create_graph_gives_differentiable_grad():
    x = rand(3)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, 6 * x.data)


def test_tensor_factory_dtypes_and_conversions():
    t = mdlfast.tensor([1.0, 2.0])
    assert t.dtype == np.float32 and t.device == "cpu" and not t.requires_grad
    assert mdlfast.tensor(np.zeros(2)).dtype == np.float64
    assert mdlfast.tensor([1, 2]).dtype == np.int64
    assert float(mdlfast.tensor(2.5)) == 2.5 and mdlfast.tensor([[3.0]]).item() == 3.0
    np.testing.assert_array_equal(np.asarray(t), [1, 2])
    assert (np.ones(2) + t).__class__ is mdlfast.Tensor
    with pytest.raises(RuntimeError, match="floating point"):
        mdlfast.tensor([1, 2], requires_grad=True)
    source = np.ones(3, np.float32)
    copied = mdlfast.tensor(source)
    source[0] = 5
    assert copied.data[0] == 1


def test_float32_stays_float32_through_ops():
    x = mdlfast.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    y = (x * 2.5 + 1).exp().mean(axis=0) ** 2
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_retain_grad_keeps_intermediate_gradients():
    x = rand(3)
    h = x * 2
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.data, 2 * h.data)
    np.testing.assert_allclose(x.grad.data, 8 * x.data)


def test_modules_deepcopy_and_tensor_softmax():
    import copy

    model = mdlfast.nn.Sequential(mdlfast.nn.Linear(3, 2), mdlfast.nn.BatchNorm1d(2))
    clone = copy.deepcopy(model)
    clone[0].weight.data += 1
    assert not np.array_equal(clone[0].weight.data, model[0].weight.data)
    assert isinstance(clone[0].weight, mdlfast.nn.Parameter) and clone[0].weight.requires_grad
    p = rand(2, 4).softmax(dim=1)
    np.testing.assert_allclose(p.data.sum(axis=1), 1)


def test_setitem_writes_data_and_refuses_graph_tensors():
    x = mdlfast.tensor(np.zeros((2, 3)))
    x[0, 1:] = 5.0
    x[x > 4] = mdlfast.tensor(7.0)
    np.testing.assert_array_equal(x.data, [[0, 7, 7], [0, 0, 0]])
    w = rand(3)
    with pytest.raises(RuntimeError, match="in place"):
        w[0] = 1.0
    with mdlfast.no_grad():
        w[0] = 1.0
    assert w.data[0] == 1.0


def test_factories():
    mdlfast.manual_seed(3)
    a = mdlfast.randn(2, 3, requires_grad=True)
    mdlfast.manual_seed(3)
    np.testing.assert_array_equal(mdlfast.randn(2, 3).data, a.data)
    assert a.dtype == np.float32 and a.requires_grad
    assert mdlfast.zeros(2, 2).data.sum() == 0 and mdlfast.ones((3,)).data.sum() == 3
    assert mdlfast.full((2,), 4.0).data.tolist() == [4.0, 4.0]
    assert mdlfast.arange(4).data.tolist() == [0, 1, 2, 3]
    assert mdlfast.zeros_like(a).shape == (2, 3) and mdlfast.ones_like(a).dtype == np.float32
    r = mdlfast.rand(1000)
    assert 0 <= r.data.min() and r.data.max() < 1


def test_softmax_methods_take_axis_as_an_alias_of_dim():
    x = mdlfast.tensor(np.random.default_rng(3).standard_normal((3, 5)).astype(np.float32))
    for method in ("softmax", "log_softmax"):
        np.testing.assert_array_equal(getattr(x, method)(axis=0).data, getattr(x, method)(0).data)
        assert not np.array_equal(getattr(x, method)(axis=0).data, getattr(x, method)(axis=1).data)
