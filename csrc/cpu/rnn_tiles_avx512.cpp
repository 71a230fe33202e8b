// Recurrent gate tiles compiled for AVX-512: the templates of rnn_gates.h on the Avx512 vocabulary.
#include "cpu/rnn_gates.h"
#include "cpu/simd_avx512.h"

namespace mdlfast::cpu {

RecurrentTileFns recurrent_tiles_avx512(RecurrentKind kind) { return rnn_gates::tiles_for<Avx512>(kind); }

}  // namespace mdlfast::cpu
