"""The embedding family: embedding, embedding_backward."""
from __future__ import annotations

from mdlfast._kernels.common import backend as _backend
from mdlfast._kernels.common import contiguous as _contiguous
from mdlfast._validate.common import KERNEL_DTYPES
from mdlfast._validate.embedding import embedding_args, embedding_backward_args


def _int64_indices(indices, xp):
    # The kernels read int64; int32 indices (which PyTorch also accepts) are widened here.
    return xp.ascontiguousarray(indices, dtype=xp.int64)


def embedding(indices, weight, *, padding_idx=None):
    """y = weight[indices]: indices (int64 or int32) of any shape, weight [num_embeddings, dim];
    y has shape indices.shape + (dim,). padding_idx only matters to the gradient, as in PyTorch.
    An index outside [0, num_embeddings) raises ValueError before anything is copied."""
    args = embedding_args(indices, weight, padding_idx, KERNEL_DTYPES)
    backend, xp = _backend(args.device)
    y = xp.empty((args.indices.shape[0], args.weight.shape[1]), dtype=xp.float32)
    backend.embedding(y, _int64_indices(args.indices, xp), _contiguous(args.weight, xp))
    return y.reshape(args.out_shape)


def embedding_backward(dy, indices, num_embeddings, *, padding_idx=None):
    """dweight [num_embeddings, dim]: the rows of dy summed per index, the padding row zero.
    The sum is the same for any thread count."""
    args = embedding_backward_args(dy, indices, num_embeddings, padding_idx, KERNEL_DTYPES)
    backend, xp = _backend(args.device)
    dweight = xp.empty((args.num_embeddings, args.dy.shape[1]), dtype=xp.float32)
    padding = -1 if args.padding_idx is None else args.padding_idx
    backend.embedding_backward(dweight, _contiguous(args.dy, xp), _int64_indices(args.indices, xp),
                               padding)
    return dweight
