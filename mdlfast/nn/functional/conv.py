"""conv2d and conv1d (a conv2d over height 1): one kernel call each way."""
from __future__ import annotations

from mdlfast.autograd.backend import ops
from mdlfast.autograd.function import Function


class Conv2d(Function):
    @staticmethod
    def forward(ctx, x, w, b, *, stride, padding, dilation, groups):
        ctx.geometry = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        return ops(x).conv2d(x, w, b, **ctx.geometry)

    @staticmethod
    def backward(ctx, g):
        x, w, b = ctx.inputs
        dx, dw, db = ops(g).conv2d_backward(g, x.data, w.data, **ctx.geometry)
        return (dx if x.requires_grad else None, dw if w.requires_grad else None,
                db if b is not None and b.requires_grad else None)


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def same_padding(kernel_hw, dilation):
    """The symmetric padding that keeps the size at stride 1 ('same')."""
    pads = []
    for k, d in zip(kernel_hw, dilation):
        total = d * (k - 1)
        if total % 2:
            raise NotImplementedError("padding='same' needs an even total padding d·(k-1) per axis")
        pads.append(total // 2)
    return tuple(pads)


def _resolve_padding(padding, kernel_hw, stride, dilation):
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        if _pair(stride) != (1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions")
        return same_padding(kernel_hw, _pair(dilation))
    return _pair(padding)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) of [N, C, H, W] with [O, C/groups, kh, kw], as
    torch.nn.functional.conv2d; an unbatched [C, H, W] input gives [O, OH, OW]."""
    if input.ndim == 3:
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups)[0]
    padding = _resolve_padding(padding, weight.shape[2:], stride, dilation)
    return Conv2d.apply(input, weight, bias, stride=_pair(stride), padding=padding,
                        dilation=_pair(dilation), groups=groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution of [N, C, L] with [O, C/groups, k] (a conv2d over a height of 1)."""
    if input.ndim == 2:
        return conv1d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups)[0]
    one = lambda v: v[0] if isinstance(v, (tuple, list)) else v
    if padding == "valid":
        padding = 0
    elif padding == "same":
        if one(stride) != 1:
            raise ValueError("padding='same' is not supported for strided convolutions")
        padding = same_padding((weight.shape[2],), (one(dilation),))[0]
    y = Conv2d.apply(input.unsqueeze(2), weight.unsqueeze(2), bias, stride=(1, one(stride)),
                     padding=(0, one(padding)), dilation=(1, one(dilation)), groups=groups)
    return y.squeeze(2)
