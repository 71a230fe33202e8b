// Philox-4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3",
// SC 2011), evaluated for a run of consecutive block counters at once: with AVX-512 or AVX2
// intrinsics where the including translation unit is compiled for them (compilers do not vectorise
// the 32 x 32 -> 64-bit products of the plain loop), as a plain loop over lanes otherwise.
#pragma once

#include <cstdint>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace mdlfast::cpu::philox {
// Internal linkage: each ISA's translation unit keeps its own compiled copy (one shared copy would
// be built with whichever ISA's flags the linker picked).
namespace {

constexpr uint32_t kMultiplier0 = 0xD2511F53u;
constexpr uint32_t kMultiplier1 = 0xCD9E8D57u;
constexpr uint32_t kWeyl0 = 0x9E3779B9u;  // the key schedule's increments
constexpr uint32_t kWeyl1 = 0xBB67AE85u;
constexpr int kRounds = 10;

inline void split_counters(uint32_t* low, uint32_t* high, int lanes, uint64_t first_block) {
  for (int l = 0; l < lanes; ++l) {
    const uint64_t block = first_block + static_cast<uint64_t>(l);  // wraps mod 2^64
    low[l] = static_cast<uint32_t>(block);
    high[l] = static_cast<uint32_t>(block >> 32);
  }
}

// words[w][l] (word w of lane l) to out[4·l + w], the order of the elements the words serve.
template <int kLanes>
inline void interleave(uint32_t* out, const uint32_t (&words)[4][kLanes]) {
  for (int l = 0; l < kLanes; ++l)
    for (int w = 0; w < 4; ++w) out[4 * l + w] = words[w][l];
}

#if defined(__AVX512F__)
constexpr int kLanes = 16;

// The high and low 32 bits of a·b per 32-bit lane: vpmuludq multiplies the even lanes, so the odd
// ones are shifted down for a second product and the halves blended back.
inline void multiply_high_low(__m512i a, __m512i b, __m512i* high, __m512i* low) {
  const __m512i even = _mm512_mul_epu32(a, b);
  const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), b);
  *low = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
  *high = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
}

inline void generate(uint32_t* out, uint64_t first_block, uint32_t key0, uint32_t key1) {
  uint32_t low[kLanes], high[kLanes];
  split_counters(low, high, kLanes, first_block);
  __m512i c0 = _mm512_loadu_si512(low), c1 = _mm512_loadu_si512(high);
  __m512i c2 = _mm512_setzero_si512(), c3 = _mm512_setzero_si512();
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(kMultiplier0));
  const __m512i m1 = _mm512_set1_epi32(static_cast<int>(kMultiplier1));
  uint32_t k0 = key0, k1 = key1;
  for (int round = 0; round < kRounds; ++round) {
    __m512i high0, low0, high1, low1;
    multiply_high_low(c0, m0, &high0, &low0);
    multiply_high_low(c2, m1, &high1, &low1);
    c0 = _mm512_xor_si512(_mm512_xor_si512(high1, c1), _mm512_set1_epi32(static_cast<int>(k0)));
    c2 = _mm512_xor_si512(_mm512_xor_si512(high0, c3), _mm512_set1_epi32(static_cast<int>(k1)));
    c1 = low1;
    c3 = low0;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  uint32_t words[4][kLanes];
  _mm512_storeu_si512(words[0], c0);
  _mm512_storeu_si512(words[1], c1);
  _mm512_storeu_si512(words[2], c2);
  _mm512_storeu_si512(words[3], c3);
  interleave<kLanes>(out, words);
}

#elif defined(__AVX2__)
constexpr int kLanes = 8;

inline void multiply_high_low(__m256i a, __m256i b, __m256i* high, __m256i* low) {
  const __m256i even = _mm256_mul_epu32(a, b);
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), b);
  *low = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  *high = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

inline void generate(uint32_t* out, uint64_t first_block, uint32_t key0, uint32_t key1) {
  uint32_t low[kLanes], high[kLanes];
  split_counters(low, high, kLanes, first_block);
  __m256i c0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(low));
  __m256i c1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(high));
  __m256i c2 = _mm256_setzero_si256(), c3 = _mm256_setzero_si256();
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(kMultiplier0));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(kMultiplier1));
  uint32_t k0 = key0, k1 = key1;
  for (int round = 0; round < kRounds; ++round) {
    __m256i high0, low0, high1, low1;
    multiply_high_low(c0, m0, &high0, &low0);
    multiply_high_low(c2, m1, &high1, &low1);
    c0 = _mm256_xor_si256(_mm256_xor_si256(high1, c1), _mm256_set1_epi32(static_cast<int>(k0)));
    c2 = _mm256_xor_si256(_mm256_xor_si256(high0, c3), _mm256_set1_epi32(static_cast<int>(k1)));
    c1 = low1;
    c3 = low0;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  uint32_t words[4][kLanes];
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(words[0]), c0);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(words[1]), c1);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(words[2]), c2);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(words[3]), c3);
  interleave<kLanes>(out, words);
}

#else
constexpr int kLanes = 4;

inline void generate(uint32_t* out, uint64_t first_block, uint32_t key0, uint32_t key1) {
  uint32_t words[4][kLanes];
  split_counters(words[0], words[1], kLanes, first_block);
  for (int l = 0; l < kLanes; ++l) words[2][l] = words[3][l] = 0;
  uint32_t k0 = key0, k1 = key1;
  for (int round = 0; round < kRounds; ++round) {
    for (int l = 0; l < kLanes; ++l) {
      const uint64_t p0 = static_cast<uint64_t>(kMultiplier0) * words[0][l];
      const uint64_t p1 = static_cast<uint64_t>(kMultiplier1) * words[2][l];
      words[0][l] = static_cast<uint32_t>(p1 >> 32) ^ words[1][l] ^ k0;
      words[2][l] = static_cast<uint32_t>(p0 >> 32) ^ words[3][l] ^ k1;
      words[1][l] = static_cast<uint32_t>(p1);
      words[3][l] = static_cast<uint32_t>(p0);
    }
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  interleave<kLanes>(out, words);
}
#endif

// generate(out, first_block, key0, key1): kLanes consecutive blocks, lane l's counter being (low
// 32 bits of first_block + l, its high 32 bits, 0, 0) and its four output words landing in
// out[4·l + w].

}  // namespace
}  // namespace mdlfast::cpu::philox
