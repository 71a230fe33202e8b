"""NumPy reference implementations: the same names, signatures and semantics as mdlfast.kernels,
in plain NumPy, float32 or float64. They are the ground truth of the tests and the baseline of the
benchmarks; clarity beats speed here.
"""
from mdlfast.reference.conv import conv2d, conv2d_backward, conv2d_matrix, im2col
from mdlfast.reference.attention import attention, attention_backward
from mdlfast.reference.embedding import embedding, embedding_backward
from mdlfast.reference.gemm import gemm, linear, linear_backward
from mdlfast.reference.norm import layer_norm, layer_norm_backward
from mdlfast.reference.pointwise import activation, activation_backward
from mdlfast.reference.softmax import softmax, log_softmax, softmax_backward, log_softmax_backward
from mdlfast.reference.loss import (
    cross_entropy,
    cross_entropy_backward,
    mse,
    mse_backward,
    bce_with_logits,
    bce_with_logits_backward,
)
from mdlfast.reference.dropout import dropout, dropout_backward
from mdlfast.reference.batch_norm import batch_norm, batch_norm_backward
from mdlfast.reference.pool import (
    max_pool2d, max_pool2d_backward, avg_pool2d, avg_pool2d_backward,
    max_pool1d, max_pool1d_backward, avg_pool1d, avg_pool1d_backward,
    adaptive_avg_pool2d, adaptive_avg_pool2d_backward, global_avg_pool2d, global_avg_pool2d_backward,
)
from mdlfast.reference.optim import (
    sgd_step,
    sgd_step_multi,
    rmsprop_step,
    rmsprop_step_multi,
    adagrad_step,
    adagrad_step_multi,
    adam_step,
    adam_step_multi,
)
from mdlfast.reference.rnn import (
    rnn,
    rnn_backward,
    lstm,
    lstm_backward,
    gru,
    gru_backward,
    rnn_cell,
    rnn_cell_backward,
    lstm_cell,
    lstm_cell_backward,
    gru_cell,
    gru_cell_backward,
)

__all__ = [
    "gemm", "linear", "linear_backward",
    "layer_norm", "layer_norm_backward",
    "batch_norm", "batch_norm_backward",
    "max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward",
    "max_pool1d", "max_pool1d_backward", "avg_pool1d", "avg_pool1d_backward",
    "adaptive_avg_pool2d", "adaptive_avg_pool2d_backward", "global_avg_pool2d", "global_avg_pool2d_backward",
    "embedding", "embedding_backward",
    "conv2d", "conv2d_backward", "im2col", "conv2d_matrix",
    "attention", "attention_backward",
    "sgd_step", "sgd_step_multi", "rmsprop_step", "rmsprop_step_multi",
    "adagrad_step", "adagrad_step_multi", "adam_step", "adam_step_multi",
    "activation", "activation_backward",
    "softmax", "log_softmax", "softmax_backward", "log_softmax_backward",
    "cross_entropy", "cross_entropy_backward", "mse", "mse_backward",
    "bce_with_logits", "bce_with_logits_backward",
    "dropout", "dropout_backward",
    "rnn", "rnn_backward", "lstm", "lstm_backward", "gru", "gru_backward",
    "rnn_cell", "rnn_cell_backward", "lstm_cell", "lstm_cell_backward",
    "gru_cell", "gru_cell_backward",
]
