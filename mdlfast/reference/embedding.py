"""Reference embedding lookup and its gradient (PyTorch's semantics: padding_idx only zeroes the
padding row's gradient; the forward returns that row as it is)."""
from __future__ import annotations

import numpy as np

from mdlfast._validate.common import REFERENCE_DTYPES
from mdlfast._validate.embedding import embedding_args, embedding_backward_args


def embedding(indices, weight, *, padding_idx=None):
    args = embedding_args(indices, weight, padding_idx, REFERENCE_DTYPES)
    return args.weight[args.indices].reshape(args.out_shape)


def embedding_backward(dy, indices, num_embeddings, *, padding_idx=None):
    args = embedding_backward_args(dy, indices, num_embeddings, padding_idx, REFERENCE_DTYPES)
    dweight = np.zeros((args.num_embeddings, args.dy.shape[1]), dtype=args.dy.dtype)
    np.add.at(dweight, args.indices, args.dy)
    if args.padding_idx is not None:
        dweight[args.padding_idx] = 0
    return dweight
