// Each kernel family's _cpu bindings live in csrc/bind/cpu_<family>.cpp and are registered by
// csrc/bind/cpu_module.cpp through one function declared here.
#pragma once

#include <pybind11/pybind11.h>

namespace mdlfast::bind {

void bind_cpu_gemm(pybind11::module_& module);  // gemm, linear, linear_backward
void bind_cpu_optim(pybind11::module_& module);  // sgd_step, rmsprop_step, adagrad_step, adam_step
void bind_cpu_norm(pybind11::module_& module);  // layer_norm, layer_norm_backward
void bind_cpu_embedding(pybind11::module_& module);  // embedding, embedding_backward
void bind_cpu_pool(pybind11::module_& module);  // max/avg/adaptive pooling and their backwards
void bind_cpu_batch_norm(pybind11::module_& module);  // batch_norm, batch_norm_backward
void bind_cpu_attention(pybind11::module_& module);  // attention, attention_backward
void bind_cpu_pointwise(pybind11::module_& module);  // activation, activation_backward
void bind_cpu_softmax(pybind11::module_& module);  // softmax, log_softmax and their backwards
void bind_cpu_loss(pybind11::module_& module);  // cross_entropy, mse, bce_with_logits (+ backwards)
void bind_cpu_dropout(pybind11::module_& module);  // dropout, dropout_backward
void bind_cpu_conv(pybind11::module_& module);  // conv2d, conv2d_backward, im2col
void bind_cpu_rnn(pybind11::module_& module);  // recurrent_forward, recurrent_backward

}  // namespace mdlfast::bind
