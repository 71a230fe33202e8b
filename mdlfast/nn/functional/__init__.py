"""Functional forms of the layers, as torch.nn.functional; each runs one kernel call forward
and one backward (mdlfast.kernels, or mdlfast.reference under use_backend('reference'))."""
from mdlfast.nn.functional.activation import (
    elu, gelu, hardtanh, leaky_relu, log_softmax, relu, selu, sigmoid, silu, softmax, softplus, tanh)
from mdlfast.nn.functional.linear import linear
from mdlfast.nn.functional.conv import conv1d, conv2d
from mdlfast.nn.functional.dropout import dropout
from mdlfast.nn.functional.loss import binary_cross_entropy_with_logits, cross_entropy, mse_loss, nll_loss
from mdlfast.nn.functional.norm import batch_norm, embedding, layer_norm
from mdlfast.nn.functional.pool import (
    adaptive_avg_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d)
from mdlfast.nn.functional.attention import scaled_dot_product_attention
