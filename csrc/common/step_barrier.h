// A barrier for the threads of one parallel region that meet many times in a row (once per time
// step of a recurrence, tens of microseconds apart). It spins briefly, then yields the core on
// every further check: on a machine shared with other processes, two threads of a team can land
// on one core, and a waiter that kept spinning there would hold off the very thread it waits for
// until the scheduler's time slice ran out (milliseconds per step). OpenMP's barrier spins far
// longer before it sleeps.
#pragma once

#include <immintrin.h>
#include <sched.h>

#include <atomic>

namespace mdlfast {

class StepBarrier {
 public:
  // Call once from one thread before anyone waits (the region's size may differ from the request).
  void set_team(int team) { team_ = team; }

  void wait() {
    const unsigned generation = generation_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == team_) {
      arrived_.store(0, std::memory_order_relaxed);
      generation_.store(generation + 1, std::memory_order_release);
      return;
    }
    for (int checks = 0; generation_.load(std::memory_order_acquire) == generation; ++checks) {
      if (checks < kSpinChecks)
        _mm_pause();
      else
        sched_yield();
    }
  }

 private:
  static constexpr int kSpinChecks = 2000;  // a few microseconds of pause instructions
  std::atomic<int> arrived_{0};
  std::atomic<unsigned> generation_{0};
  int team_ = 1;
};

}  // namespace mdlfast
