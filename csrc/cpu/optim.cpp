#include "cpu/optim.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/isa.h"
#include "common/threads.h"
#include "cpu/optim_isa.h"
#include "cpu/optim_math.h"
#include "cpu/simd_scalar.h"

namespace mdlfast::cpu {
namespace {

// Below this many elements in all, a second thread costs more to wake than it saves.
constexpr int64_t kParallelElements = int64_t{1} << 16;
// Thread boundaries fall on whole cache lines (16 floats) of the concatenated elements.
constexpr int64_t kAlignment = 16;

template <class Coefficients>
using SliceFunction = void (*)(const OptimTensor&, int64_t, int64_t, const Coefficients&);

template <class Coefficients>
SliceFunction<Coefficients> pick(SliceFunction<Coefficients> avx512, SliceFunction<Coefficients> avx2,
                                 SliceFunction<Coefficients> portable) {
  switch (active_isa()) {
    case Isa::avx512: return avx512;
    case Isa::avx2: return avx2;
    default: return portable;
  }
}

// Splits the tensors' elements, taken end to end, into one contiguous share per thread, and
// applies `slice` to the part of each tensor that falls in a thread's share.
template <class Coefficients>
void for_each_share(const OptimTensor* tensors, int64_t count, SliceFunction<Coefficients> slice,
                    const Coefficients& c) {
  std::vector<int64_t> starts(count + 1, 0);  // starts[k]: tensor k's first element overall
  for (int64_t k = 0; k < count; ++k) starts[k + 1] = starts[k] + tensors[k].size;
  const int64_t total = starts[count];
  if (total == 0) return;
  const int threads = total >= kParallelElements ? num_threads() : 1;
#pragma omp parallel num_threads(threads)
  {
    const int64_t team = omp_get_num_threads(), id = omp_get_thread_num();
    const int64_t lines = (total + kAlignment - 1) / kAlignment;
    const int64_t begin = std::min(total, lines * id / team * kAlignment);
    const int64_t end = std::min(total, lines * (id + 1) / team * kAlignment);
    int64_t k = std::upper_bound(starts.begin(), starts.end(), begin) - starts.begin() - 1;
    for (; begin < end && k < count && starts[k] < end; ++k) {
      const int64_t from = std::max(begin, starts[k]) - starts[k];
      const int64_t to = std::min(end, starts[k + 1]) - starts[k];
      if (from < to) slice(tensors[k], from, to, c);
    }
  }
}

}  // namespace

void sgd_step(const OptimTensor* tensors, int64_t count, const SgdOptions& o) {
  const SgdCoefficients c{static_cast<float>(o.lr),
                          static_cast<float>(o.weight_decay),
                          static_cast<float>(o.momentum),
                          static_cast<float>(1.0 - o.dampening),
                          o.momentum != 0.0,
                          o.nesterov,
                          o.first_step};
  for_each_share(tensors, count,
                 pick<SgdCoefficients>(sgd_slice_avx512, sgd_slice_avx2, optim_math::sgd_slice<Scalar>), c);
}

void rmsprop_step(const OptimTensor* tensors, int64_t count, const RmspropOptions& o) {
  const RmspropCoefficients c{static_cast<float>(o.lr),
                              static_cast<float>(o.alpha),
                              static_cast<float>(1.0 - o.alpha),
                              static_cast<float>(o.eps),
                              static_cast<float>(o.weight_decay),
                              static_cast<float>(o.momentum),
                              o.momentum > 0.0,
                              o.centered};
  for_each_share(tensors, count,
                 pick<RmspropCoefficients>(rmsprop_slice_avx512, rmsprop_slice_avx2,
                                           optim_math::rmsprop_slice<Scalar>),
                 c);
}

void adagrad_step(const OptimTensor* tensors, int64_t count, const AdagradOptions& o) {
  const AdagradCoefficients c{static_cast<float>(o.lr), static_cast<float>(o.eps),
                              static_cast<float>(o.weight_decay)};
  for_each_share(tensors, count,
                 pick<AdagradCoefficients>(adagrad_slice_avx512, adagrad_slice_avx2,
                                           optim_math::adagrad_slice<Scalar>),
                 c);
}

void adam_step(const OptimTensor* tensors, int64_t count, const AdamOptions& o) {
  const double step = static_cast<double>(o.step);
  const double bias_correction1 = 1.0 - std::pow(o.beta1, step);
  const double bias_correction2 = 1.0 - std::pow(o.beta2, step);
  const AdamCoefficients c{static_cast<float>(1.0 - o.beta1),
                           static_cast<float>(o.beta2),
                           static_cast<float>(1.0 - o.beta2),
                           static_cast<float>(o.lr / bias_correction1),
                           static_cast<float>(std::sqrt(bias_correction2)),
                           static_cast<float>(o.eps),
                           static_cast<float>(o.decoupled ? 0.0 : o.weight_decay),
                           static_cast<float>(o.decoupled ? 1.0 - o.lr * o.weight_decay : 1.0)};
  for_each_share(tensors, count,
                 pick<AdamCoefficients>(adam_slice_avx512, adam_slice_avx2, optim_math::adam_slice<Scalar>),
                 c);
}

}  // namespace mdlfast::cpu
