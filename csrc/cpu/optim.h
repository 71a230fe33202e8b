// Fused optimizer steps with PyTorch's update rules (torch.optim.*, foreach=False), in place on
// float32 tensors. Each call updates a list of tensors in one parallel region over all their
// elements, so a model's many small tensors share the threads as well as one large tensor does.
#pragma once

#include <cstdint>

namespace mdlfast::cpu {

// One parameter tensor: its gradient and up to three state tensors of the same size. Which
// state slot holds what is listed by each optimizer below; unused slots are null.
struct OptimTensor {
  float* param = nullptr;
  const float* grad = nullptr;
  float* state[3] = {nullptr, nullptr, nullptr};
  int64_t size = 0;
};

// state[0]: the momentum buffer (when momentum > 0).
struct SgdOptions {
  double lr = 0.0, momentum = 0.0, dampening = 0.0, weight_decay = 0.0;
  bool nesterov = false;
  bool first_step = false;  // the buffer starts as the gradient, as PyTorch's first step does
};

// state[0]: square_avg; state[1]: the momentum buffer (momentum > 0); state[2]: grad_avg (centered).
struct RmspropOptions {
  double lr = 0.0, alpha = 0.99, eps = 1e-8, weight_decay = 0.0, momentum = 0.0;
  bool centered = false;
};

// state[0]: the running sum of squared gradients.
struct AdagradOptions {
  double lr = 0.0, eps = 1e-10, weight_decay = 0.0;
};

// state[0]: m (exp_avg); state[1]: v (exp_avg_sq). step is 1-based.
struct AdamOptions {
  double lr = 0.0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  int64_t step = 1;
  bool decoupled = false;  // AdamW
};

void sgd_step(const OptimTensor* tensors, int64_t count, const SgdOptions& options);
void rmsprop_step(const OptimTensor* tensors, int64_t count, const RmspropOptions& options);
void adagrad_step(const OptimTensor* tensors, int64_t count, const AdagradOptions& options);
void adam_step(const OptimTensor* tensors, int64_t count, const AdamOptions& options);

}  // namespace mdlfast::cpu
