// The per-step scalars of each optimizer, computed once per call in double precision and rounded
// to float, as PyTorch computes its Python-float hyper-parameters before a float32 kernel sees them.
#pragma once

namespace mdlfast::cpu {

struct SgdCoefficients {
  float lr, weight_decay, momentum, one_minus_dampening;
  bool use_momentum, nesterov, first_step;
};

struct RmspropCoefficients {
  float lr, alpha, one_minus_alpha, eps, weight_decay, momentum;
  bool use_momentum, centered;
};

struct AdagradCoefficients {
  float lr, eps, weight_decay;
};

struct AdamCoefficients {
  float beta1_complement;        // lerp weight 1 - beta1
  float beta2, one_minus_beta2;
  float step_size;               // lr / (1 - beta1^step)
  float bias_correction2_sqrt;   // sqrt(1 - beta2^step)
  float eps;
  float weight_decay;            // added to the gradient (Adam); 0 when decoupled
  float param_scale;             // 1 - lr * weight_decay (AdamW); 1 otherwise
};

}  // namespace mdlfast::cpu
