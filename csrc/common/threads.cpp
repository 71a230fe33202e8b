#include "common/threads.h"

#include <omp.h>

#include <atomic>

namespace mdlfast {
namespace {

std::atomic<int>& thread_slot() {
  static std::atomic<int> slot{omp_get_max_threads()};  // honours OMP_NUM_THREADS
  return slot;
}

}  // namespace

int num_threads() { return thread_slot().load(std::memory_order_relaxed); }

void set_num_threads(int n) { thread_slot().store(n < 1 ? 1 : n, std::memory_order_relaxed); }

}  // namespace mdlfast
