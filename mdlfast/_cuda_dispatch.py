"""The CuPy adapter of mdlfast._cuda: the functions of mdlfast._cpu, with the same arguments and
meanings, for CuPy arrays.

Each array becomes its device pointer and element strides, and every kernel is queued on CuPy's
current stream without waiting for it; temporary memory comes from CuPy's memory pool.
mdlfast.kernels validates the arguments before calling here; the checks below only keep a direct
call from handing the kernels arrays they would misread.
"""
from __future__ import annotations

import functools

_FLOAT32_BYTES = 4


@functools.lru_cache(maxsize=None)
def cupy():
    """The cupy module, once mdlfast._cuda is known to be built."""
    try:
        import cupy as cp
    except ImportError as err:
        raise ImportError(
            "CuPy arrays need CuPy: install mdlfast[cuda] (or the cupy-cudaXXx wheel that matches "
            "your CUDA driver)"
        ) from err
    _cuda()
    return cp


@functools.lru_cache(maxsize=None)
def _cuda():
    try:
        from mdlfast import _cuda as module
    except ImportError as err:
        raise ImportError(
            "this mdlfast was built without its CUDA kernels (mdlfast._cuda): no CUDA compiler "
            "(nvcc) was found when it was built, or MDLFAST_CUDA was OFF; reinstall it where nvcc "
            "is on PATH to use CuPy arrays"
        ) from err
    return module


def _stream():
    return cupy().cuda.get_current_stream().ptr


def _check_array(x, name, shape):
    cp = cupy()
    if not isinstance(x, cp.ndarray):
        raise TypeError(f"{name} must be a cupy.ndarray, got {type(x).__name__}")
    if x.dtype != cp.float32:
        raise TypeError(f"{name} must be a float32 array, got {x.dtype}")
    if tuple(x.shape) != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {tuple(x.shape)}")
    current = cp.cuda.runtime.getDevice()
    if x.device.id != current:
        raise ValueError(f"{name} is on GPU {x.device.id}, but the current device is GPU {current}")


def _ndim(x, name, ndim):
    if getattr(x, "ndim", None) != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions")
    return x.shape


def _input(x, name, shape):
    """x, checked; copied when a stride is not a whole number of elements (the kernels address
    elements). The caller holds the result until the kernels are queued: a copy dropped sooner
    could hand its memory to the next allocation of the call."""
    _check_array(x, name, shape)
    if any(s % _FLOAT32_BYTES for s in x.strides):
        return x.copy()
    return x


def _strided(x):
    """(pointer, element strides...) of an array from _input; for [batch, rows, cols] the order is
    (pointer, row stride, column stride, batch stride)."""
    strides = [s // _FLOAT32_BYTES for s in x.strides]
    if x.ndim == 3:
        strides = strides[1:] + strides[:1]
    return (x.data.ptr, *strides)


def _contiguous(x, name, shape):
    _check_array(x, name, shape)
    if not x.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    return x.data.ptr


def _optional_contiguous(x, name, shape):
    return None if x is None else _contiguous(x, name, shape)


def gemm(out, a, b, alpha, beta, c):
    """out[i] = alpha · a[i] · b[i] + beta · c[i] for out [batch, m, n] (C-contiguous), a
    [batch, m, k] and b [batch, k, n] (any strides; batch stride 0 broadcasts); c, of out's shape
    and any strides, is read only when beta != 0. All 2-D arrays are one product."""
    if getattr(out, "ndim", None) == 2:
        out, a, b = out[None], a[None], b[None]
        c = None if c is None else c[None]
    batch, m, n = _ndim(out, "out", 3)
    k = _ndim(a, "a", 3)[2]
    out_ptr = _contiguous(out, "out", (batch, m, n))
    a = _input(a, "a", (batch, m, k))
    b = _input(b, "b", (batch, k, n))
    c_view = None
    if beta != 0.0:
        if c is None:
            raise ValueError("c is required when beta != 0")
        c = _input(c, "c", (batch, m, n))
        c_view = _strided(c)
    _cuda().gemm(out_ptr, _strided(a), _strided(b), batch, m, n, k, alpha, beta, c_view, _stream())


def linear(y, z, x, w, b, activation):
    """y = activation(x · wᵀ + b) for x [m, in] and w [out, in] (any strides); y and z (the
    pre-activation, or None) C-contiguous [m, out]; b [out] or None; activation "none", "relu",
    "sigmoid", "tanh" or "gelu"."""
    m, in_features = _ndim(x, "x", 2)
    out_features = _ndim(w, "w", 2)[0]
    shape = (m, out_features)
    x = _input(x, "x", (m, in_features))
    w = _input(w, "w", (out_features, in_features))
    _cuda().linear(
        _contiguous(y, "y", shape),
        _optional_contiguous(z, "z", shape),
        _strided(x),
        _strided(w),
        _optional_contiguous(b, "b", (out_features,)),
        m,
        in_features,
        out_features,
        activation,
        _stream(),
    )


def linear_backward(dx, dw, db, dy, x, w, y, z, activation):
    """Writes dx [m, in], dw [out, in] and db [out] (C-contiguous) of linear from dy, and y or z
    where the activation needs them (C-contiguous [m, out], or None)."""
    cp = cupy()
    m, in_features = _ndim(x, "x", 2)
    out_features = _ndim(w, "w", 2)[0]
    shape = (m, out_features)
    x = _input(x, "x", (m, in_features))
    w = _input(w, "w", (out_features, in_features))
    module = _cuda()
    # Freed when this returns, while the kernels may still be queued: CuPy's pool hands the
    # memory out again only in order on the same stream, after them.
    workspace_size = module.linear_backward_workspace_size(m, out_features, activation)
    workspace = cp.empty(workspace_size, cp.float32)
    module.linear_backward(
        _contiguous(dx, "dx", (m, in_features)),
        _contiguous(dw, "dw", (out_features, in_features)),
        _contiguous(db, "db", (out_features,)),
        workspace.data.ptr,
        _contiguous(dy, "dy", shape),
        _strided(x),
        _strided(w),
        _optional_contiguous(y, "y", shape),
        _optional_contiguous(z, "z", shape),
        m,
        in_features,
        out_features,
        activation,
        _stream(),
    )
