"""Tensor: a NumPy array (or CuPy array) with reverse-mode automatic differentiation."""
from __future__ import annotations

import collections
import numbers
import weakref

import numpy as np

from mdlfast.autograd import engine, grad_mode
from mdlfast.autograd.ops_arith import (
    Add, Sub, Mul, Div, Neg, PowScalar, Pow, MatMul, broadcast_to, sum_to)
from mdlfast.autograd.ops_math import Exp, Log, Sqrt, Abs, Clip, Tanh, Sigmoid, Relu, Where, Cast
from mdlfast.autograd.ops_reduce import Sum, Extreme, normalize_axis
from mdlfast.autograd.ops_shape import Reshape, Permute, GetItem, Cat

_FLOAT32 = np.dtype(np.float32)

MinMax = collections.namedtuple("MinMax", ["values", "indices"])


def _axis(axis, dim):
    return dim if axis is None else axis


def _keep(keepdims, keepdim):
    return bool(keepdims or keepdim)


def _as_operand(x, like):
    """Tensors pass; Python numbers become 0-d arrays of like's dtype; arrays pass."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, numbers.Number):
        dtype = like.data.dtype
        if dtype.kind in "fc" or isinstance(x, numbers.Integral):
            return np.asarray(x, dtype=dtype)
        return np.asarray(x, dtype=_FLOAT32)
    return np.asarray(x)


def _unpack_index(index):
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


class Tensor:
    """An n-dimensional array that records the operations on it for backward().

    .data is the array (NumPy, or CuPy on a GPU); optimizers update it in place. .grad is a Tensor
    or None. Operations broadcast as NumPy does; gradients are summed back to each input's shape.
    """

    __slots__ = ("data", "grad", "requires_grad", "_node", "_out_idx", "__weakref__")
    __array_priority__ = 1000  # ndarray (op) Tensor defers to Tensor's reflected operator

    def __init__(self, data, requires_grad=False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        self.data = _to_array(data, dtype)
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._node = None
        self._out_idx = 0
        if requires_grad and self.data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")

    @classmethod
    def _wrap(cls, array, requires_grad, node, out_idx):
        """A Tensor around an array the caller owns, without checks (the hot path)."""
        t = object.__new__(Tensor)
        t.data = array
        t.grad = None
        t.requires_grad = requires_grad
        t._node = node
        t._out_idx = out_idx
        return t

    # ---- properties -------------------------------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def device(self):
        return "cpu" if isinstance(self.data, np.ndarray) else "cuda"

    @property
    def is_leaf(self):
        return self._node is None

    @property
    def grad_fn(self):
        return self._node

    @property
    def T(self):
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def dim(self):
        return self.data.ndim

    def size(self, dim=None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self):
        return int(self.data.size)

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        body = np.array2string(np.asarray(self.data), separator=", ", prefix="tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        return f"tensor({body}{extra})"

    # ---- conversion -------------------------------------------------------------------------
    def numpy(self):
        """The underlying array (shares memory)."""
        return self.data

    def __array__(self, dtype=None, copy=None):
        data = np.asarray(self.data)
        return data if dtype is None else data.astype(dtype)

    def item(self):
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def __float__(self):
        return float(self.data)

    def __int__(self):
        return int(self.data)

    def __bool__(self):
        return bool(self.data)

    def __index__(self):
        return int(self.data)

    def to(self, target):
        """A copy on another device ('cpu', 'cuda') or with another dtype; self when nothing
        changes. Dtype changes are differentiable."""
        if isinstance(target, str) and target.split(":")[0] in ("cpu", "cuda"):
            return self._to_device(target.split(":")[0])
        dtype = np.dtype(target)
        return self if dtype == self.data.dtype else Cast.apply(self, dtype=dtype)

    def _to_device(self, device):
        if device == self.device:
            return self
        if device == "cuda":
            from mdlfast import _cuda_dispatch

            data = _cuda_dispatch.cupy().asarray(self.data)
        else:
            data = self.data.get()
        return Tensor(data, requires_grad=self.requires_grad)

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def long(self):
        return Tensor(self.data.astype(np.int64))

    def type_as(self, other):
        return self.to(other.dtype)

    # ---- autograd ---------------------------------------------------------------------------
    def backward(self, grad=None, retain_graph=None, create_graph=False):
        """Accumulate d(self)/d(leaf) into the .grad of every leaf that requires grad.

        grad is the gradient of some scalar with respect to self (implicit 1 for a scalar). The
        graph is freed afterwards unless retain_graph (default: create_graph) is true.
        """
        if not self.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            grad = np.ones(self.data.shape, dtype=self.data.dtype)
        else:
            grad = _grad_like(grad, self, create_graph)
        if create_graph and not isinstance(grad, Tensor):
            grad = Tensor._wrap(grad, False, None, 0)
        if retain_graph is None:
            retain_graph = create_graph
        engine.run([self], [grad], retain_graph=retain_graph, create_graph=create_graph)

    def detach(self):
        """The same data, cut from the graph."""
        return Tensor._wrap(self.data, False, None, 0)

    def detach_(self):
        self._node = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad=True):
        if self._node is not None and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables")
        if requires_grad and self.data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in .grad during backward()."""
        if self._node is None:
            return
        retained = self._node.__dict__.setdefault("retained", {})
        retained[self._out_idx] = weakref.ref(self)

    def softmax(self, dim=-1, *, axis=None):
        from mdlfast.nn.functional import softmax

        return softmax(self, dim if axis is None else axis)

    def log_softmax(self, dim=-1, *, axis=None):
        from mdlfast.nn.functional import log_softmax

        return log_softmax(self, dim if axis is None else axis)

    def clone(self):
        return self + 0.0 if self.requires_grad else Tensor._wrap(self.data.copy(), False, None, 0)

    # ---- in-place helpers (on .data; they are not recorded) --------------------------------
    def zero_(self):
        self.data[...] = 0
        return self

    def fill_(self, value):
        self.data[...] = value
        return self

    def copy_(self, other):
        self.data[...] = np.asarray(other.data if isinstance(other, Tensor) else other)
        return self

    def add_(self, other, alpha=1):
        self.data += alpha * np.asarray(other.data if isinstance(other, Tensor) else other)
        return self

    def sub_(self, other, alpha=1):
        return self.add_(other, -alpha)

    def mul_(self, other):
        self.data *= np.asarray(other.data if isinstance(other, Tensor) else other)
        return self

    def div_(self, other):
        self.data /= np.asarray(other.data if isinstance(other, Tensor) else other)
        return self

    def clamp_(self, min=None, max=None):
        np.clip(self.data, min, max, out=self.data)
        return self

    def uniform_(self, a=0.0, b=1.0):
        from mdlfast.random import generator

        self.data[...] = generator().uniform(a, b, self.data.shape)
        return self

    def normal_(self, mean=0.0, std=1.0):
        from mdlfast.random import generator

        self.data[...] = generator().normal(mean, std, self.data.shape)
        return self

    # ---- arithmetic -------------------------------------------------------------------------
    def __add__(self, other):
        return Add.apply(self, _as_operand(other, self))

    def __radd__(self, other):
        return Add.apply(_as_operand(other, self), self)

    def __sub__(self, other):
        return Sub.apply(self, _as_operand(other, self))

    def __rsub__(self, other):
        return Sub.apply(_as_operand(other, self), self)

    def __mul__(self, other):
        return Mul.apply(self, _as_operand(other, self))

    def __rmul__(self, other):
        return Mul.apply(_as_operand(other, self), self)

    def __truediv__(self, other):
        return Div.apply(self, _as_operand(other, self))

    def __rtruediv__(self, other):
        return Div.apply(_as_operand(other, self), self)

    def __neg__(self):
        return Neg.apply(self)

    def __pos__(self):
        return self

    def __pow__(self, exponent):
        if isinstance(exponent, numbers.Number):
            return PowScalar.apply(self, exponent=exponent)
        return Pow.apply(self, _as_operand(exponent, self))

    def __rpow__(self, base):
        return Pow.apply(_as_operand(base, self), self)

    def __matmul__(self, other):
        return MatMul.apply(self, _as_operand(other, self))

    def __rmatmul__(self, other):
        return MatMul.apply(_as_operand(other, self), self)

    add, sub, mul, div, matmul, pow = __add__, __sub__, __mul__, __truediv__, __matmul__, __pow__

    # ---- comparisons (no gradient) ----------------------------------------------------------
    def _compare(self, other, op):
        other = other.data if isinstance(other, Tensor) else other
        return Tensor._wrap(np.asarray(op(self.data, other)), False, None, 0)

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    __hash__ = object.__hash__
    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        return Tensor._wrap(np.asarray(np.argmax(self.data, axis=_axis(axis, dim),
                                                 keepdims=_keep(keepdims, keepdim))), False, None, 0)

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        return Tensor._wrap(np.asarray(np.argmin(self.data, axis=_axis(axis, dim),
                                                 keepdims=_keep(keepdims, keepdim))), False, None, 0)

    # ---- elementwise ------------------------------------------------------------------------
    def exp(self):
        return Exp.apply(self)

    def log(self):
        return Log.apply(self)

    def sqrt(self):
        return Sqrt.apply(self)

    def abs(self):
        return Abs.apply(self)

    def tanh(self):
        return Tanh.apply(self)

    def sigmoid(self):
        return Sigmoid.apply(self)

    def relu(self):
        return Relu.apply(self)

    def clip(self, min=None, max=None):
        return Clip.apply(self, lo=min, hi=max)

    clamp = clip

    def where(self, condition, other):
        """self where condition, else other (torch.Tensor.where)."""
        condition = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
        return Where.apply(condition, self, _as_operand(other, self))

    # ---- reductions -------------------------------------------------------------------------
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        axes = normalize_axis(_axis(axis, dim), self.ndim)
        return Sum.apply(self, axis=axes, keepdims=_keep(keepdims, keepdim))

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        axes = normalize_axis(_axis(axis, dim), self.ndim)
        count = self.data.size if axes is None else int(np.prod([self.shape[a] for a in axes]))
        scale = 1.0 / count if count else np.nan
        return Sum.apply(self, axis=axes, keepdims=_keep(keepdims, keepdim)) * scale

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        """The maximum over axis (NumPy style: the values). With PyTorch's dim=, the pair
        (values, indices), as torch.max(dim=...)."""
        return self._extreme(axis, keepdims, dim, keepdim, largest=True)

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        """The minimum; see max."""
        return self._extreme(axis, keepdims, dim, keepdim, largest=False)

    def _extreme(self, axis, keepdims, dim, keepdim, largest):
        keep = _keep(keepdims, keepdim)
        axes = normalize_axis(_axis(axis, dim), self.ndim)
        values = Extreme.apply(self, axis=axes, keepdims=keep, largest=largest)
        if dim is None:
            return values
        pick = self.argmax if largest else self.argmin
        return MinMax(values, pick(dim, keepdims=keep))

    def var(self, axis=None, keepdims=False, *, dim=None, keepdim=False, correction=1, unbiased=None):
        """Variance; correction=1 (PyTorch's default) divides by n - 1."""
        if unbiased is not None:
            correction = int(unbiased)
        axes = normalize_axis(_axis(axis, dim), self.ndim)
        count = self.data.size if axes is None else int(np.prod([self.shape[a] for a in axes]))
        centred = self - self.mean(axis=axes, keepdims=True)
        scale = 1.0 / (count - correction) if count > correction else np.inf
        return (centred * centred).sum(axis=axes, keepdims=_keep(keepdims, keepdim)) * scale

    def std(self, axis=None, keepdims=False, *, dim=None, keepdim=False, correction=1, unbiased=None):
        return self.var(axis, keepdims, dim=dim, keepdim=keepdim, correction=correction,
                        unbiased=unbiased).sqrt()

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        """log Σ exp(x), stable: the maximum is taken out first (as a constant)."""
        axes = normalize_axis(_axis(axis, dim), self.ndim)
        shift = np.max(self.data, axis=axes, keepdims=True)
        shift = np.where(np.isfinite(shift), shift, 0).astype(self.data.dtype)
        shift_t = Tensor._wrap(shift, False, None, 0)
        out = (self - shift_t).exp().sum(axis=axes, keepdims=True).log() + shift_t
        if _keep(keepdims, keepdim):
            return out
        return out.reshape(np.squeeze(shift, axis=axes).shape if axes is not None else ())

    # ---- shape ------------------------------------------------------------------------------
    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return Reshape.apply(self, shape=tuple(shape))

    view = reshape

    def view_as(self, other):
        return self.reshape(other.shape)

    def permute(self, *axes):
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        axes = tuple(int(a) % self.ndim for a in axes)
        return Permute.apply(self, axes=axes)

    def transpose(self, dim0=None, dim1=None):
        """Swap two axes; with no arguments, reverse them all (NumPy's transpose)."""
        if dim0 is None:
            return self.T
        axes = list(range(self.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return Permute.apply(self, axes=tuple(axes))

    swapaxes = transpose

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        start, end = start_dim % self.ndim, end_dim % self.ndim
        shape = self.shape[:start] + (-1,) + self.shape[end + 1:]
        return self.reshape(shape if end >= start else self.shape)

    def squeeze(self, dim=None):
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dims = {d % self.ndim for d in ((dim,) if isinstance(dim, int) else dim)}
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if not (i in dims and n == 1)))

    def unsqueeze(self, dim):
        dim = dim % (self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def expand(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        lead = len(shape) - self.ndim
        shape = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
        return broadcast_to(self, shape)

    def broadcast_to(self, shape):
        return broadcast_to(self, shape)

    def sum_to(self, shape):
        return sum_to(self, shape)

    def __getitem__(self, index):
        return GetItem.apply(self, index=_unpack_index(index))

    def __setitem__(self, index, value):
        """In-place assignment into .data; not recorded, so not allowed on a tensor that takes
        part in a graph while gradients are recorded."""
        if self.requires_grad and grad_mode._state["enabled"]:
            raise RuntimeError("a tensor that requires grad cannot be assigned to in place outside "
                               "mdlfast.no_grad()")
        self.data[_unpack_index(index)] = value.data if isinstance(value, Tensor) else value

    def split(self, split_size_or_sections, dim=0):
        """Pieces of split_size along dim (the last may be smaller), or of the listed sizes."""
        n = self.shape[dim]
        if isinstance(split_size_or_sections, int):
            step = split_size_or_sections
            sizes = [min(step, n - start) for start in range(0, n, step)]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise ValueError(f"split: sizes {sizes} do not add up to dimension {dim} of size {n}")
        pieces, start = [], 0
        prefix = (slice(None),) * (dim % self.ndim)
        for size in sizes:
            pieces.append(self[prefix + (slice(start, start + size),)])
            start += size
        return tuple(pieces)

    def chunk(self, chunks, dim=0):
        n = self.shape[dim]
        return self.split(-(-n // chunks), dim)


def _to_array(data, dtype):
    if isinstance(data, np.ndarray):
        return data if dtype is None else data.astype(dtype, copy=False)
    if hasattr(data, "__cuda_array_interface__") and hasattr(data, "get"):
        return data if dtype is None else data.astype(dtype)
    if hasattr(data, "detach") and hasattr(data, "numpy"):  # a torch tensor
        data = data.detach().cpu().numpy()
        return data if dtype is None else data.astype(dtype)
    array = np.asarray(data, dtype=dtype)
    if dtype is None and array.dtype == np.float64 and not isinstance(data, np.generic):
        array = array.astype(np.float32)  # Python floats make float32 tensors, as in PyTorch
    return array


def _grad_like(grad, tensor, create_graph):
    if isinstance(grad, Tensor):
        if create_graph:
            return grad
        grad = grad.data
    grad = np.asarray(grad, dtype=tensor.data.dtype) if isinstance(tensor.data, np.ndarray) else grad
    if grad.shape != tensor.shape:
        raise RuntimeError(f"Mismatch in shape: grad_output has shape {grad.shape} and output has "
                           f"shape {tensor.shape}")
    return grad


def as_tensor(x, like=None):
    """x as a Tensor (no copy); numbers take like's dtype."""
    if isinstance(x, Tensor):
        return x
    if like is not None:
        return Tensor._wrap(_as_operand(x, like), False, None, 0)
    return Tensor(x)


def tensor(data, requires_grad=False, device="cpu", dtype=None):
    """A new Tensor from data (array, nested lists, numbers, or a Tensor), copied.

    Python floats give float32 (PyTorch's default); NumPy arrays keep their dtype.
    """
    if isinstance(data, Tensor):
        data = data.data
    array = _to_array(data, dtype)
    array = np.array(array, copy=True) if isinstance(array, np.ndarray) else array.copy()
    t = Tensor(array, requires_grad=requires_grad)
    return t.to(device) if device not in (None, "cpu") else t


def cat(tensors, axis=0, *, dim=None):
    """Concatenate along an existing axis."""
    axis = dim if dim is not None else axis
    tensors = [as_tensor(t) for t in tensors]
    return Cat.apply(*tensors, axis=axis % tensors[0].ndim)


concatenate = cat


def stack(tensors, axis=0, *, dim=None):
    """Join along a new axis."""
    axis = dim if dim is not None else axis
    tensors = [as_tensor(t) for t in tensors]
    axis = axis % (tensors[0].ndim + 1)
    return cat([t.unsqueeze(axis) for t in tensors], axis)


def where(condition, a, b):
    """a where condition, else b (differentiable in a and b)."""
    condition = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if isinstance(a, Tensor):
        return Where.apply(condition, a, _as_operand(b, a))
    b = as_tensor(b)
    return Where.apply(condition, _as_operand(a, b), b)
