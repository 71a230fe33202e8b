"""Checks for kernels that update arrays in place (the optimizer steps): parallel lists of arrays
of one dtype and matching shapes, where every updated array is a C-contiguous, writeable NumPy
or CuPy array (a copy would silently lose the update), every array lives on the parameters' device,
and no updated array overlaps any other argument.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np

from mdlfast._validate.common import array_module, check_array

Named = List[Tuple[str, np.ndarray]]  # (the argument's name as reported, the array)


def named(name, value, multi, *, required=False):
    """(name, array) pairs: one for a single tensor, `name[k]` for each item of a list; None for
    an optional argument not given."""
    if value is None:
        if required:
            raise TypeError(f"{name} must be {'a list of arrays' if multi else 'an array'}, got None")
        return None
    if not multi:
        return [(name, value)]
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{name} must be a list or tuple of arrays, got {type(value).__name__}")
    return [(f"{name}[{k}]", x) for k, x in enumerate(value)]


def _byte_range(x):
    """[first, last) byte addresses an array's elements can touch."""
    start = end = _data_address(x)
    for size, stride in zip(x.shape, x.strides):
        reach = (size - 1) * stride
        if reach < 0:
            start += reach
        else:
            end += reach
    return start, end + x.itemsize


def _data_address(x):
    """The address of a NumPy or CuPy array's first element (device addresses for CuPy)."""
    if isinstance(x, np.ndarray):
        return x.__array_interface__["data"][0]
    return x.data.ptr


def _check_no_overlap(lists):
    """No written array shares memory with any other array; read-only arrays may share."""
    ranges = []
    for pairs, written in lists:
        for name, x in pairs:
            if x.size:
                ranges.append((*_byte_range(x), written, name))
    ranges.sort(key=lambda r: r[0])
    furthest_any = furthest_written = (0, None)  # (end, name) of the ranges seen so far
    for start, end, written, name in ranges:
        other = furthest_any if written else furthest_written
        if start < other[0]:
            raise ValueError(f"{name} shares memory with {other[1]}; updated arrays must not alias")
        furthest_any = max(furthest_any, (end, name), key=lambda e: e[0])
        if written:
            furthest_written = max(furthest_written, (end, name), key=lambda e: e[0])


def check_inplace_lists(params: Named, others: Sequence[Tuple[str, Optional[Named], bool]], dtypes):
    """params are updated in place; each of `others` is (list name, pairs or None, written).

    Checks types, dtypes (all that of the first parameter), lengths, shapes, layout and aliasing.
    """
    for name, x in params:
        check_array(x, name, dtypes)
    dtype = params[0][1].dtype if params else None
    device = array_module(params[0][1]) if params else None
    for name, p in params:
        _check_device(p, name, device)
    given = [(name, pairs, written) for name, pairs, written in others if pairs is not None]
    for list_name, pairs, written in given:
        if len(pairs) != len(params):
            raise ValueError(f"{list_name} must have one array per parameter ({len(params)}), got {len(pairs)}")
        for (name, x), (p_name, p) in zip(pairs, params):
            check_array(x, name, dtypes)
            _check_device(x, name, device)
            if x.dtype != dtype:
                raise TypeError(f"{name} must have the dtype of the parameters ({dtype}), got {x.dtype}")
            if x.shape != p.shape:
                raise ValueError(f"{name} must have the shape of {p_name} {tuple(p.shape)}, got {tuple(x.shape)}")
    for name, p in params:
        if p.dtype != dtype:
            raise TypeError(f"{name} must have the dtype of the parameters ({dtype}), got {p.dtype}")
    lists = [(params, True)] + [(pairs, written) for _, pairs, written in given]
    for pairs, written in lists:
        if written:
            for name, x in pairs:
                _check_updatable(x, name)
    _check_no_overlap(lists)


def _check_device(x, name, device):
    if array_module(x) != device:
        raise ValueError(f"{name} is a {array_module(x)} array but the parameters are {device} arrays; "
                         "every argument must be on one device")


def _check_updatable(x, name):
    if not x.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous: it is updated in place")
    if not getattr(x.flags, "writeable", True):  # CuPy arrays are always writeable
        raise ValueError(f"{name} must be writeable: it is updated in place")
