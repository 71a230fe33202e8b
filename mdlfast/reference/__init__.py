"""NumPy reference implementations: the same names, signatures and semantics as mdlfast.kernels,
in plain NumPy, float32 or float64. They are the ground truth of the tests and the baseline of the
benchmarks; clarity beats speed here.
"""
from mdlfast.reference.embedding import embedding, embedding_backward
from mdlfast.reference.gemm import gemm, linear, linear_backward
from mdlfast.reference.norm import layer_norm, layer_norm_backward
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
    "embedding", "embedding_backward",
    "sgd_step", "sgd_step_multi", "rmsprop_step", "rmsprop_step_multi",
    "adagrad_step", "adagrad_step_multi", "adam_step", "adam_step_multi",
    "rnn", "rnn_backward", "lstm", "lstm_backward", "gru", "gru_backward",
    "rnn_cell", "rnn_cell_backward", "lstm_cell", "lstm_cell_backward",
    "gru_cell", "gru_cell_backward",
]
