// Recurrent gate tiles compiled for AVX2 + FMA: the templates of rnn_gates.h on the Avx2 vocabulary.
#include "cpu/rnn_gates.h"
#include "cpu/simd_avx2.h"

namespace mdlfast::cpu {

RecurrentTileFns recurrent_tiles_avx2(RecurrentKind kind) { return rnn_gates::tiles_for<Avx2>(kind); }

}  // namespace mdlfast::cpu
