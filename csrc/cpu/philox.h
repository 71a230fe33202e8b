// Philox-4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3",
// SC 2011), evaluated for a run of consecutive block counters at once. Written as plain loops over
// lanes so that each ISA's translation unit vectorises it (the 32 x 32 -> 64-bit products map to
// vpmuludq).
#pragma once

#include <cstdint>

namespace mdlfast::cpu::philox {
// Internal linkage: each ISA's translation unit keeps its own compiled copy (one shared copy would
// be built with whichever ISA's flags the linker picked).
namespace {

constexpr uint32_t kMultiplier0 = 0xD2511F53u;
constexpr uint32_t kMultiplier1 = 0xCD9E8D57u;
constexpr uint32_t kWeyl0 = 0x9E3779B9u;  // the key schedule's increments
constexpr uint32_t kWeyl1 = 0xBB67AE85u;
constexpr int kRounds = 10;

// Lane l gets the counter (low 32 bits of first_block + l, its high 32 bits, 0, 0); its four output
// words land in out[4·l + w], the order of the elements they serve.
template <int kLanes>
inline void generate(uint32_t* out, uint64_t first_block, uint32_t key0, uint32_t key1) {
  uint32_t c0[kLanes], c1[kLanes], c2[kLanes], c3[kLanes];
  for (int l = 0; l < kLanes; ++l) {
    const uint64_t block = first_block + static_cast<uint64_t>(l);
    c0[l] = static_cast<uint32_t>(block);
    c1[l] = static_cast<uint32_t>(block >> 32);
    c2[l] = 0;
    c3[l] = 0;
  }
  uint32_t k0 = key0, k1 = key1;
  for (int round = 0; round < kRounds; ++round) {
    for (int l = 0; l < kLanes; ++l) {
      const uint64_t p0 = static_cast<uint64_t>(kMultiplier0) * c0[l];
      const uint64_t p1 = static_cast<uint64_t>(kMultiplier1) * c2[l];
      const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1[l] ^ k0;
      const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3[l] ^ k1;
      c1[l] = static_cast<uint32_t>(p1);
      c3[l] = static_cast<uint32_t>(p0);
      c0[l] = n0;
      c2[l] = n2;
    }
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  for (int l = 0; l < kLanes; ++l) {
    out[4 * l + 0] = c0[l];
    out[4 * l + 1] = c1[l];
    out[4 * l + 2] = c2[l];
    out[4 * l + 3] = c3[l];
  }
}

}  // namespace
}  // namespace mdlfast::cpu::philox
