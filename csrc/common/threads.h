// The thread count every CPU kernel uses. Kept here rather than in OpenMP's per-thread ICV so
// that mdlfast.set_num_threads() holds for kernels called from any Python thread.
#pragma once

namespace mdlfast {

int num_threads();
void set_num_threads(int n);  // n >= 1; the caller validates

}  // namespace mdlfast
