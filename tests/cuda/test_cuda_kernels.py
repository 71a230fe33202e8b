"""The CUDA GEMM family (gemm, linear, linear_backward) against mdlfast.reference in float64 and
against the CPU kernels. Outputs are poisoned with NaN before the kernels run, so an element they
fail to write shows up. Runs only where CuPy and a GPU are present."""
import numpy as np
import pytest

cp = pytest.importorskip("cupy")
_cuda = pytest.importorskip("mdlfast._cuda")
if not _cuda.device_info():
    pytest.skip("no GPU is visible", allow_module_level=True)

from mdlfast import _cuda_dispatch, kernels, reference  # noqa: E402

pytestmark = pytest.mark.cuda

ACTIVATIONS = [None, "relu", "sigmoid", "tanh", "gelu"]
rng = np.random.default_rng(20240611)


def random(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def poisoned(*shape):
    return cp.full(shape, cp.nan, dtype=cp.float32)


def f64(x):
    return None if x is None else np.asarray(x, dtype=np.float64)


def assert_close(actual, expected, k):
    """‖actual − expected‖ / ‖expected‖ ≤ 1e-5·√k, the float32 accumulation bound of the design."""
    actual = cp.asnumpy(actual) if isinstance(actual, cp.ndarray) else np.asarray(actual)
    assert actual.shape == expected.shape
    assert np.isfinite(actual).all(), "an output element is NaN or inf (unwritten?)"
    scale = np.linalg.norm(expected)
    error = np.linalg.norm(actual.astype(np.float64) - expected)
    if scale == 0.0:
        assert error == 0.0
    else:
        assert error / scale <= 1e-5 * np.sqrt(max(k, 1)), f"relative error {error / scale:.3g}"


def cuda_gemm(a, b, *, trans_a=False, trans_b=False, alpha=1.0, beta=0.0, c=None):
    """The path of kernels.gemm into _cuda_dispatch.gemm, on a poisoned output."""
    op_a = a.swapaxes(-1, -2) if trans_a else a
    op_b = b.swapaxes(-1, -2) if trans_b else b
    batched = a.ndim == 3 or b.ndim == 3
    batch = max(x.shape[0] if x.ndim == 3 else 1 for x in (op_a, op_b))
    (m, k), n = op_a.shape[-2:], op_b.shape[-1]
    out = poisoned(batch, m, n)
    a3 = cp.broadcast_to(op_a if op_a.ndim == 3 else op_a[None], (batch, m, k))
    b3 = cp.broadcast_to(op_b if op_b.ndim == 3 else op_b[None], (batch, k, n))
    c3 = None if c is None else cp.broadcast_to(c, out.shape)
    _cuda_dispatch.gemm(out, a3, b3, alpha, beta, c3)
    return out if batched else out[0]


def check_gemm(a, b, *, k, **options):
    """The CUDA gemm on copies of the NumPy operands against the reference (float64) and the
    CPU kernel; the public kernels.gemm on CuPy arrays must give the CUDA result exactly."""
    expected = reference.gemm(f64(a), f64(b), **{**options, "c": f64(options.get("c"))})
    on_gpu = {**options, "c": None if options.get("c") is None else cp.asarray(options["c"])}
    out = cuda_gemm(cp.asarray(a), cp.asarray(b), **on_gpu)
    assert_close(out, expected, k)
    assert_close(kernels.gemm(a, b, **options), expected, k)
    assert_close(out, kernels.gemm(a, b, **options).astype(np.float64), k)
    public = kernels.gemm(cp.asarray(a), cp.asarray(b), **on_gpu)
    np.testing.assert_array_equal(cp.asnumpy(public), cp.asnumpy(out))


@pytest.mark.parametrize("trans_b", [False, True])
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize(
    "m,n,k", [(1, 1, 1), (1, 7, 1), (7, 1, 13), (13, 17, 31), (64, 64, 16), (65, 63, 17),
              (127, 129, 257), (33, 40, 4099)]
)
def test_gemm_every_transpose_and_odd_sizes(m, n, k, trans_a, trans_b):
    a = random(k, m) if trans_a else random(m, k)
    b = random(n, k) if trans_b else random(k, n)
    check_gemm(a, b, k=k, trans_a=trans_a, trans_b=trans_b)


@pytest.mark.parametrize(
    "a_shape,b_shape",
    [((5, 19, 23), (5, 23, 11)), ((5, 19, 23), (23, 11)), ((19, 23), (5, 23, 11)),
     ((1, 19, 23), (5, 23, 11)), ((5, 70, 33), (1, 33, 65))],
)
def test_gemm_batched_and_broadcast(a_shape, b_shape):
    check_gemm(random(*a_shape), random(*b_shape), k=a_shape[-1])


def test_gemm_batch_beyond_the_grid_z_limit():
    check_gemm(random(70_000, 2, 3), random(3, 5), k=3)


@pytest.mark.parametrize("c_shape", [(37, 45), (45,), (37, 1), (1, 1), (3, 37, 45), (3, 1, 45)])
def test_gemm_alpha_beta_c(c_shape):
    a, b = random(3, 37, 29), random(29, 45)
    check_gemm(a, b, k=29, alpha=-0.5, beta=2.0, c=random(*c_shape))


def test_gemm_ignores_c_when_beta_is_zero():
    a, b = cp.asarray(random(9, 8)), cp.asarray(random(8, 7))
    out = cuda_gemm(a, b, c=cp.full((9, 7), cp.nan, dtype=cp.float32))
    assert_close(out, f64(cp.asnumpy(a)) @ f64(cp.asnumpy(b)), 8)


@pytest.mark.parametrize(
    "view_a,view_b",
    [
        (lambda x: x[::2, 1::3], lambda x: x[:23, ::-2]),  # no unit stride; negative stride
        (lambda x: x[:23, ::-1][:, :45].T, lambda x: x[5:28, :17]),  # transposed and reversed
    ],
)
def test_gemm_strided_and_negative_stride_inputs(view_a, view_b):
    # The views are taken on the GPU: cp.asarray of a NumPy view would make it contiguous.
    a_base, b_base = random(90, 70), random(80, 60)
    a, b = view_a(a_base), view_b(b_base)
    out = cuda_gemm(view_a(cp.asarray(a_base)), view_b(cp.asarray(b_base)))
    assert_close(out, f64(a) @ f64(b), a.shape[1])
    assert_close(out, kernels.gemm(a, b).astype(np.float64), a.shape[1])


def test_gemm_with_empty_k_gives_the_epilogue_of_zero():
    a, b, c = random(6, 0), random(0, 5), random(6, 5)
    check_gemm(a, b, k=1, alpha=3.0, beta=0.5, c=c)
    assert_close(cuda_gemm(cp.asarray(a), cp.asarray(b)), np.zeros((6, 5)), 1)


@pytest.mark.parametrize("shape", [((0, 4), (4, 5)), ((3, 4), (4, 0)), ((2, 0, 4), (4, 5))])
def test_gemm_with_empty_output(shape):
    out = kernels.gemm(cp.asarray(random(*shape[0])), cp.asarray(random(*shape[1])))
    assert out.shape == reference.gemm(random(*shape[0]), random(*shape[1])).shape


def test_gemm_runs_on_the_current_stream():
    a, b = random(300, 200), random(200, 100)
    with cp.cuda.Stream(non_blocking=True) as stream:
        out = kernels.gemm(cp.asarray(a), cp.asarray(b))
        stream.synchronize()
    assert_close(out, f64(a) @ f64(b), 200)


def cuda_linear(x, w, b, activation):
    """_cuda_dispatch.linear on poisoned y and z; returns (y, z)."""
    y, z = poisoned(x.shape[0], w.shape[0]), poisoned(x.shape[0], w.shape[0])
    _cuda_dispatch.linear(y, z, x, w, b, activation or "none")
    return y, z


LINEAR_SIZES = [(1, 1, 1), (37, 53, 29), (130, 300, 70)]


@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("m,in_features,out_features", LINEAR_SIZES)
def test_linear(m, in_features, out_features, activation, with_bias):
    x, w = random(m, in_features), random(out_features, in_features)
    b = random(out_features) if with_bias else None
    b_gpu = None if b is None else cp.asarray(b)
    y_ref, z_ref = reference.linear(f64(x), f64(w), f64(b), activation, return_preactivation=True)
    y, z = cuda_linear(cp.asarray(x), cp.asarray(w), b_gpu, activation)
    assert_close(y, y_ref, in_features)
    assert_close(z, z_ref, in_features)
    assert_close(y, kernels.linear(x, w, b, activation).astype(np.float64), in_features)
    public = kernels.linear(cp.asarray(x), cp.asarray(w), b_gpu, activation)
    np.testing.assert_array_equal(cp.asnumpy(public), cp.asnumpy(y))


def test_linear_strided_inputs():
    x_base, w_t = random(50, 90), random(45, 33)  # x: every other row and column; w: transposed
    x, w = x_base[::2, ::2], w_t.T
    y, _ = cuda_linear(cp.asarray(x_base)[::2, ::2], cp.asarray(w_t).T, None, "tanh")
    assert_close(y, reference.linear(f64(x), f64(w), None, "tanh"), 45)


def cuda_linear_backward(dy, x, w, y, z, activation):
    """_cuda_dispatch.linear_backward on poisoned dx, dw, db."""
    (m, in_features), out_features = x.shape, w.shape[0]
    dx, dw = poisoned(m, in_features), poisoned(out_features, in_features)
    db = poisoned(out_features)
    _cuda_dispatch.linear_backward(dx, dw, db, dy, x, w, y, z, activation or "none")
    return dx, dw, db


def forward_cases():
    """(activation, uses y, uses z) for every way linear_backward can be asked."""
    yield None, False, False
    for activation in ("relu", "sigmoid", "tanh"):
        yield activation, True, False
        yield activation, False, True
    yield "gelu", False, True


@pytest.mark.parametrize("activation,uses_y,uses_z", list(forward_cases()))
@pytest.mark.parametrize("m,in_features,out_features", LINEAR_SIZES + [(1000, 17, 3)])
def test_linear_backward(m, in_features, out_features, activation, uses_y, uses_z):
    x, w, b = random(m, in_features), random(out_features, in_features), random(out_features)
    y, z = reference.linear(x, w, b, activation, return_preactivation=True)  # float32, shared
    y, z = (y if uses_y else None), (z if uses_z else None)
    dy = random(m, out_features)
    expected = reference.linear_backward(f64(dy), f64(x), f64(w), f64(y), activation, z=f64(z))
    on_gpu = [None if v is None else cp.asarray(v) for v in (dy, x, w, y, z)]
    got = cuda_linear_backward(*on_gpu, activation)
    on_cpu = kernels.linear_backward(dy, x, w, y, activation, z=z)
    public = kernels.linear_backward(*on_gpu[:4], activation, z=on_gpu[4])
    for name, g, e, c, p, k in zip(("dx", "dw", "db"), got, expected, on_cpu, public,
                                   (out_features, m, m)):
        assert_close(g, e, k)
        assert_close(g, c.astype(np.float64), k)
        np.testing.assert_array_equal(cp.asnumpy(p), cp.asnumpy(g), err_msg=name)


@pytest.mark.parametrize("m", [0, 256, 257, 65_536, 70_001])
def test_linear_backward_bias_gradient_every_reduction_depth(m):
    x, w, dy = random(m, 2), random(5, 2), random(m, 5)
    got = cuda_linear_backward(cp.asarray(dy), cp.asarray(x), cp.asarray(w), None, None, None)
    expected = reference.linear_backward(f64(dy), f64(x), f64(w))
    for g, e, k in zip(got, expected, (5, m, m)):
        assert_close(g, e, k)


def test_linear_backward_is_deterministic():
    x, w, dy = (cp.asarray(v) for v in (random(5000, 40), random(300, 40), random(5000, 300)))
    first = cuda_linear_backward(dy, x, w, None, dy, "gelu")
    for _ in range(3):
        again = cuda_linear_backward(dy, x, w, None, dy, "gelu")
        for f, a in zip(first, again):
            np.testing.assert_array_equal(cp.asnumpy(f), cp.asnumpy(a))


def test_device_info():
    info = _cuda.device_info()
    assert len(info) == cp.cuda.runtime.getDeviceCount()
    for gpu in info:
        assert set(gpu) == {"name", "compute_capability", "total_memory_bytes", "multiprocessors"}
        major, minor = (int(part) for part in gpu["compute_capability"].split("."))
        assert major >= 1 and minor >= 0
        assert gpu["total_memory_bytes"] > 0 and gpu["multiprocessors"] > 0


def test_arrays_on_another_device_are_refused():
    if cp.cuda.runtime.getDeviceCount() < 2:
        pytest.skip("needs two GPUs")
    with cp.cuda.Device(1):
        b = cp.asarray(random(4, 5))
    a = cp.asarray(random(3, 4))
    with pytest.raises(ValueError, match="current device"):
        _cuda_dispatch.gemm(poisoned(1, 3, 5), a[None], b[None], 1.0, 0.0, None)


def test_direct_calls_reject_bad_arguments():
    x, w = cp.asarray(random(3, 4)), cp.asarray(random(5, 4))
    y = poisoned(3, 5)
    with pytest.raises(ValueError, match="activation"):
        _cuda_dispatch.linear(y, None, x, w, None, "swish")
    with pytest.raises(ValueError, match="shape"):
        _cuda_dispatch.linear(poisoned(3, 4), None, x, w, None, "none")
    with pytest.raises(TypeError, match="float32"):
        _cuda_dispatch.linear(y, None, x.astype(cp.float64), w, None, "none")
    with pytest.raises(ValueError, match="gelu"):
        cuda_linear_backward(poisoned(3, 5), x, w, y, None, "gelu")
