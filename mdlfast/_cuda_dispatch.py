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


def _optim_table(params, grads, states):
    """The device table of csrc/cuda/optim.cuh for one multi-tensor step, and the arrays that must
    stay referenced until the step is queued. states holds up to three lists, each empty (an unused
    slot) or one array per parameter; the updated arrays must be C-contiguous, the gradients are
    copied where they are not."""
    import numpy as np

    cp = cupy()
    module = _cuda()
    count = len(params)
    if len(grads) != count:
        raise ValueError("grads must have one array per parameter")
    rows = np.zeros((count, module.optim_table_columns), dtype=np.int64)
    chunk_starts = np.zeros(count + 1, dtype=np.int64)
    held = []
    for k, p in enumerate(params):
        shape = p.shape
        rows[k, 0] = _contiguous(p, f"params[{k}]", shape)
        g = grads[k]
        _check_array(g, f"grads[{k}]", shape)
        if not g.flags.c_contiguous:
            g = cp.ascontiguousarray(g)
            held.append(g)
        rows[k, 1] = g.data.ptr
        for slot, state in enumerate(states):
            if state:
                if len(state) != count:
                    raise ValueError("each state list must have one array per parameter")
                rows[k, 2 + slot] = _contiguous(state[k], f"state {slot} [{k}]", shape)
        rows[k, 5] = p.size
        chunks = -(-p.size // module.optim_chunk_elements)
        chunk_starts[k + 1] = chunk_starts[k] + chunks
    # One upload on the current stream; freed after the call, the pool hands its memory out again
    # only in stream order, after the step has read it.
    table = cp.asarray(np.concatenate([rows.ravel(), chunk_starts]))
    held.append(table)
    rows_ptr = table.data.ptr
    starts_ptr = rows_ptr + rows.nbytes
    return (rows_ptr, starts_ptr, count, int(chunk_starts[-1])), held


def sgd_step(params, grads, bufs, lr, momentum, dampening, nesterov, weight_decay, first_step):
    """torch.optim.SGD's step over lists of CuPy arrays in one launch (bufs: [] without momentum)."""
    table, held = _optim_table(params, grads, [bufs])
    _cuda().sgd_step(*table, lr, momentum, dampening, nesterov, weight_decay, first_step, _stream())
    del held


def rmsprop_step(params, grads, square_avgs, bufs, grad_avgs, lr, alpha, eps, weight_decay, momentum,
                 centered):
    """torch.optim.RMSprop's step over lists of CuPy arrays in one launch."""
    table, held = _optim_table(params, grads, [square_avgs, bufs, grad_avgs])
    _cuda().rmsprop_step(*table, lr, alpha, eps, weight_decay, momentum, centered, _stream())
    del held


def adagrad_step(params, grads, sum_sqs, lr, eps, weight_decay):
    """torch.optim.Adagrad's step over lists of CuPy arrays in one launch."""
    table, held = _optim_table(params, grads, [sum_sqs])
    _cuda().adagrad_step(*table, lr, eps, weight_decay, _stream())
    del held


def adam_step(params, grads, ms, vs, step, lr, beta1, beta2, eps, weight_decay, decoupled):
    """torch.optim.Adam's (AdamW's) step over lists of CuPy arrays in one launch."""
    table, held = _optim_table(params, grads, [ms, vs])
    _cuda().adam_step(*table, step, lr, beta1, beta2, eps, weight_decay, decoupled, _stream())
    del held


def _int64_contiguous(x, name, shape):
    cp = cupy()
    if not isinstance(x, cp.ndarray) or x.dtype != cp.int64 or tuple(x.shape) != tuple(shape):
        raise TypeError(f"{name} must be an int64 cupy.ndarray of shape {tuple(shape)}")
    if not x.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    return x.data.ptr


def embedding(y, indices, weight):
    """y [n, dim] = weight[indices] for contiguous int64 indices [n] (checked in range by the
    caller) and contiguous weight [num_embeddings, dim]."""
    num_embeddings, dim = _ndim(weight, "weight", 2)
    n = _ndim(indices, "indices", 1)[0]
    _cuda().embedding(_contiguous(y, "y", (n, dim)), _int64_contiguous(indices, "indices", (n,)),
                      _contiguous(weight, "weight", (num_embeddings, dim)), n, num_embeddings, dim, _stream())


def embedding_backward(dweight, dy, indices, padding_idx):
    """dweight [num_embeddings, dim] = dy's rows summed per index (the padding row, when >= 0, zero),
    each row in increasing position order: the CPU kernel's sums, bit for bit."""
    cp = cupy()
    num_embeddings, dim = _ndim(dweight, "dweight", 2)
    n = _ndim(indices, "indices", 1)[0]
    _int64_contiguous(indices, "indices", (n,))
    if n and num_embeddings > (2**62) // n:
        raise ValueError(f"embedding_backward on the GPU handles num_embeddings·n < 2**62, got "
                         f"{num_embeddings}·{n}")
    # Sorting the unique keys index·n + position gives the positions grouped by index, each group
    # in increasing position order, whatever sort CuPy uses.
    positions = cp.arange(n, dtype=cp.int64)
    order = cp.argsort(indices * n + positions).astype(cp.int64, copy=False)
    starts = cp.searchsorted(indices[order], cp.arange(num_embeddings + 1, dtype=cp.int64)).astype(
        cp.int64, copy=False)
    _cuda().embedding_backward(_contiguous(dweight, "dweight", (num_embeddings, dim)),
                               _contiguous(dy, "dy", (n, dim)), order.data.ptr, starts.data.ptr, n,
                               num_embeddings, dim, padding_idx, _stream())


def layer_norm(y, mean, rstd, x, gamma, beta, eps):
    """Layer normalisation of contiguous x [rows, d] over its last axis into y, mean and rstd."""
    rows, d = _ndim(x, "x", 2)
    _cuda().layer_norm(_contiguous(y, "y", (rows, d)), _contiguous(mean, "mean", (rows,)),
                       _contiguous(rstd, "rstd", (rows,)), _contiguous(x, "x", (rows, d)),
                       _optional_contiguous(gamma, "gamma", (d,)), _optional_contiguous(beta, "beta", (d,)),
                       rows, d, eps, _stream())


def layer_norm_backward(dx, dgamma, dbeta, dy, x, gamma, mean, rstd):
    """dx (and dgamma, dbeta when given) of layer_norm; every array C-contiguous."""
    cp = cupy()
    rows, d = _ndim(x, "x", 2)
    module = _cuda()
    workspace = None
    if dgamma is not None:
        # Freed on return while the kernels may still be queued: CuPy's pool reuses memory in
        # stream order only.
        workspace = cp.empty(module.layer_norm_backward_workspace_size(rows, d), cp.float32)
    module.layer_norm_backward(
        _contiguous(dx, "dx", (rows, d)), _optional_contiguous(dgamma, "dgamma", (d,)),
        _optional_contiguous(dbeta, "dbeta", (d,)), None if workspace is None else workspace.data.ptr,
        _contiguous(dy, "dy", (rows, d)), _contiguous(x, "x", (rows, d)),
        _optional_contiguous(gamma, "gamma", (d,)), _contiguous(mean, "mean", (rows,)),
        _contiguous(rstd, "rstd", (rows,)), rows, d, _stream())


def _flat(x, name, n, dtype):
    cp = cupy()
    if not isinstance(x, cp.ndarray) or x.dtype != dtype or x.shape != (n,) or not x.flags.c_contiguous:
        raise ValueError(f"{name} must be a C-contiguous 1-D {cp.dtype(dtype)} cupy.ndarray of {n} elements")
    return x.data.ptr


def dropout(y, mask, x, seed, offset, threshold, scale):
    """Dropout of the flat contiguous x into y and the bool mask, with the CPU kernel's Philox map."""
    cp = cupy()
    n = _ndim(x, "x", 1)[0]
    _cuda().dropout(_flat(y, "y", n, cp.float32), _flat(mask, "mask", n, cp.bool_), _flat(x, "x", n, cp.float32),
                    n, seed, offset, threshold, scale, _stream())


def dropout_backward(dx, dy, mask, scale):
    """dx = dy · (mask ? scale : 0) over flat contiguous arrays."""
    cp = cupy()
    n = _ndim(dy, "dy", 1)[0]
    _cuda().dropout_backward(_flat(dx, "dx", n, cp.float32), _flat(dy, "dy", n, cp.float32),
                             _flat(mask, "mask", n, cp.bool_), n, scale, _stream())


def activation(y, x, kind, alpha):
    """y = kind(x) over flat contiguous float32 arrays."""
    cp = cupy()
    n = _ndim(x, "x", 1)[0]
    _cuda().activation(_flat(y, "y", n, cp.float32), _flat(x, "x", n, cp.float32), n, kind, alpha, _stream())


def activation_backward(dx, dy, input_or_output, is_output, kind, alpha):
    """dx = dy · kind'(x) over flat contiguous float32 arrays (input_or_output is y when is_output)."""
    cp = cupy()
    n = _ndim(dy, "dy", 1)[0]
    _cuda().activation_backward(_flat(dx, "dx", n, cp.float32), _flat(dy, "dy", n, cp.float32),
                                _flat(input_or_output, "input_or_output", n, cp.float32), is_output, n, kind,
                                alpha, _stream())


def softmax(y, x, log):
    """softmax (log_softmax when log) along the middle axis of contiguous [outer, n, inner] arrays."""
    shape = _ndim(x, "x", 3)
    _cuda().softmax(_contiguous(y, "y", shape), _contiguous(x, "x", shape), *shape, log, _stream())


def softmax_backward(dx, dy, y, log):
    """The backward of softmax (log_softmax when log) from its output y; [outer, n, inner] arrays."""
    shape = _ndim(y, "y", 3)
    _cuda().softmax_backward(_contiguous(dx, "dx", shape), _contiguous(dy, "dy", shape), _contiguous(y, "y", shape),
                             *shape, log, _stream())


def _planes(x, name):
    """(planes, h, w) of a [planes, h, w] array."""
    return _ndim(x, name, 3)


def max_pool2d(y, indices, x, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w):
    """Max pooling of contiguous x [planes, H, W] into y and int64 indices [planes, OH, OW]."""
    planes, in_h, in_w = _planes(x, "x")
    out_h, out_w = _planes(y, "y")[1:]
    _cuda().max_pool2d(_contiguous(y, "y", (planes, out_h, out_w)),
                       _int64_contiguous(indices, "indices", (planes, out_h, out_w)),
                       _contiguous(x, "x", (planes, in_h, in_w)), planes, in_h, in_w, out_h, out_w,
                       kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, _stream())


def max_pool2d_backward(dx, dy, indices):
    """dx [planes, H, W] = dy [planes, OH, OW] scattered to indices. An index outside the plane is a
    ValueError, found by reading the indices' range back from the device (one synchronisation)."""
    planes, in_h, in_w = _planes(dx, "dx")
    out_h, out_w = _planes(dy, "dy")[1:]
    index_ptr = _int64_contiguous(indices, "indices", (planes, out_h, out_w))
    if indices.size:
        low, high = int(indices.min()), int(indices.max())
        if low < 0 or high >= in_h * in_w:
            raise ValueError(f"indices must lie in [0, {in_h * in_w}) (H·W of input_shape), got "
                             f"{low if low < 0 else high}")
    _cuda().max_pool2d_backward(_contiguous(dx, "dx", (planes, in_h, in_w)),
                                _contiguous(dy, "dy", (planes, out_h, out_w)), index_ptr, planes, in_h * in_w,
                                out_h * out_w, _stream())


def avg_pool2d(y, x, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, count_include_pad):
    """Average pooling of contiguous x [planes, H, W] into y [planes, OH, OW]."""
    planes, in_h, in_w = _planes(x, "x")
    out_h, out_w = _planes(y, "y")[1:]
    _cuda().avg_pool2d(_contiguous(y, "y", (planes, out_h, out_w)), _contiguous(x, "x", (planes, in_h, in_w)),
                       planes, in_h, in_w, out_h, out_w, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w,
                       count_include_pad, _stream())


def avg_pool2d_backward(dx, dy, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, count_include_pad):
    """The gradient dx [planes, H, W] of avg_pool2d from dy [planes, OH, OW]."""
    planes, in_h, in_w = _planes(dx, "dx")
    out_h, out_w = _planes(dy, "dy")[1:]
    _cuda().avg_pool2d_backward(_contiguous(dx, "dx", (planes, in_h, in_w)),
                                _contiguous(dy, "dy", (planes, out_h, out_w)), planes, in_h, in_w, out_h, out_w,
                                kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, count_include_pad, _stream())


def batch_norm(y, save_mean, save_invstd, x, gamma, beta, running_mean, running_var, training, momentum, eps):
    """Batch normalisation of contiguous x [n, c, s]; running_mean/running_var (or None) are updated
    in place in training."""
    n, c, s = _ndim(x, "x", 3)
    _cuda().batch_norm(_contiguous(y, "y", (n, c, s)), _contiguous(save_mean, "save_mean", (c,)),
                       _contiguous(save_invstd, "save_invstd", (c,)), _contiguous(x, "x", (n, c, s)),
                       _optional_contiguous(gamma, "gamma", (c,)), _optional_contiguous(beta, "beta", (c,)),
                       _optional_contiguous(running_mean, "running_mean", (c,)),
                       _optional_contiguous(running_var, "running_var", (c,)), n, c, s, training, momentum, eps,
                       _stream())


def batch_norm_backward(dx, dgamma, dbeta, dy, x, gamma, save_mean, save_invstd, training):
    """dx (and dgamma, dbeta when given) of batch_norm over contiguous [n, c, s] arrays."""
    n, c, s = _ndim(x, "x", 3)
    _cuda().batch_norm_backward(_contiguous(dx, "dx", (n, c, s)), _optional_contiguous(dgamma, "dgamma", (c,)),
                                _optional_contiguous(dbeta, "dbeta", (c,)), _contiguous(dy, "dy", (n, c, s)),
                                _contiguous(x, "x", (n, c, s)), _optional_contiguous(gamma, "gamma", (c,)),
                                _contiguous(save_mean, "save_mean", (c,)),
                                _contiguous(save_invstd, "save_invstd", (c,)), n, c, s, training, _stream())
