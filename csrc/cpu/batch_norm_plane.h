// The per-plane loops of batch normalisation (one contiguous run of s values of one channel),
// written once over a SIMD vocabulary V and instantiated per ISA (batch_norm_avx512.cpp,
// batch_norm_avx2.cpp, batch_norm.cpp). Callers add the per-plane results in double.
#pragma once

#include <cstdint>

namespace mdlfast::cpu::batch_norm_plane {

template <class V>
int lanes(int64_t s, int64_t i) {
  return s - i >= V::kWidth ? V::kWidth : static_cast<int>(s - i);
}

// Σx.
template <class V>
float sum(const float* x, int64_t s) {
  typename V::F acc = V::set1(0.0f);
  for (int64_t i = 0; i < s; i += V::kWidth) acc = V::add(acc, V::load(x + i, lanes<V>(s, i)));
  return V::reduce_add(acc);
}

// Σ(x − m) and Σ(x − m)². Masked-off lanes would count −m, so the ragged end is summed alone.
template <class V>
void centred_sums(const float* x, int64_t s, float m, float* sum_c, float* sum_c2) {
  using F = typename V::F;
  constexpr int W = V::kWidth;
  const F m_v = V::set1(m);
  F c1 = V::set1(0.0f), c2 = V::set1(0.0f);
  int64_t i = 0;
  for (; i + W <= s; i += W) {
    const F c = V::sub(V::load(x + i, W), m_v);
    c1 = V::add(c1, c);
    c2 = V::fmadd(c, c, c2);
  }
  float tail = 0.0f, tail2 = 0.0f;
  for (; i < s; ++i) {
    const float c = x[i] - m;
    tail += c;
    tail2 += c * c;
  }
  *sum_c = V::reduce_add(c1) + tail;
  *sum_c2 = V::reduce_add(c2) + tail2;
}

// y = (x − mean)·scale + shift. Centring first (rather than x·scale + (shift − mean·scale))
// keeps y accurate where |mean| >> std; the loop is bound by memory either way.
template <class V>
void affine(float* y, const float* x, int64_t s, float mean, float scale, float shift) {
  const typename V::F mean_v = V::set1(mean), scale_v = V::set1(scale), shift_v = V::set1(shift);
  for (int64_t i = 0; i < s; i += V::kWidth) {
    const int n = lanes<V>(s, i);
    V::store(y + i, V::fmadd(V::sub(V::load(x + i, n), mean_v), scale_v, shift_v), n);
  }
}

// Σdy and Σdy·(x − mean). Masked-off lanes load dy = 0, so both sums stay exact.
template <class V>
void gradient_sums(const float* dy, const float* x, int64_t s, float mean, float* sum_dy,
                   float* sum_dy_xc) {
  using F = typename V::F;
  const F mean_v = V::set1(mean);
  F a = V::set1(0.0f), b = V::set1(0.0f);
  for (int64_t i = 0; i < s; i += V::kWidth) {
    const int n = lanes<V>(s, i);
    const F g = V::load(dy + i, n);
    a = V::add(a, g);
    b = V::fmadd(g, V::sub(V::load(x + i, n), mean_v), b);
  }
  *sum_dy = V::reduce_add(a);
  *sum_dy_xc = V::reduce_add(b);
}

// dx = k_dy·dy + k_x·(x − mean) + k.
template <class V>
void combine(float* dx, const float* dy, const float* x, int64_t s, float mean, float k_dy,
             float k_x, float k) {
  using F = typename V::F;
  const F mean_v = V::set1(mean), a = V::set1(k_dy), b = V::set1(k_x), c = V::set1(k);
  for (int64_t i = 0; i < s; i += V::kWidth) {
    const int n = lanes<V>(s, i);
    const F centred = V::sub(V::load(x + i, n), mean_v);
    V::store(dx + i, V::fmadd(V::load(dy + i, n), a, V::fmadd(centred, b, c)), n);
  }
}

// One ISA's instantiation of the loops above.
struct Loops {
  float (*sum)(const float*, int64_t);
  void (*centred_sums)(const float*, int64_t, float, float*, float*);
  void (*affine)(float*, const float*, int64_t, float, float, float);
  void (*gradient_sums)(const float*, const float*, int64_t, float, float*, float*);
  void (*combine)(float*, const float*, const float*, int64_t, float, float, float, float);
};

template <class V>
Loops loops() {
  return {sum<V>, centred_sums<V>, affine<V>, gradient_sums<V>, combine<V>};
}

}  // namespace mdlfast::cpu::batch_norm_plane
