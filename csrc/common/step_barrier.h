// A barrier for the threads of one parallel region that meet many times in a row (once per time
// step of a recurrence, tens of microseconds apart). It spins for a bounded time, then sleeps until
// the last thread arrives (a futex on Linux). Both halves matter on a machine shared with other
// processes: a waiter that gives its core up at once (to a busy neighbour, for a scheduler time
// slice) stalls a partner that was about to arrive, and one that spins or yields for long holds off
// a partner that shares its core. An LSTM training step of 256 units with both cores busy with
// other work took 270-600 ms with either extreme and 33-48 ms with this policy (PyTorch: 40 ms;
// quiet: 17 ms).
#pragma once

#include <immintrin.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <climits>

#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace mdlfast {

class StepBarrier {
 public:
  // Call once from one thread before anyone waits (the region's size may differ from the request).
  void set_team(int team) { team_ = team; }

  void wait() {
    const unsigned generation = generation_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == team_) {
      arrived_.store(0, std::memory_order_relaxed);
      // Sequentially consistent with the sleepers' count: either a sleeper sees the new
      // generation before it sleeps, or this thread sees the sleeper and wakes it.
      generation_.store(generation + 1, std::memory_order_seq_cst);
      if (sleepers_.load(std::memory_order_seq_cst) > 0) wake_all();
      return;
    }
    const auto give_up = std::chrono::steady_clock::now() + kSpin;
    bool spinning = true;
    for (int checks = 1; generation_.load(std::memory_order_acquire) == generation; ++checks) {
      if (spinning) {
        _mm_pause();
        if (checks % 64 == 0 && std::chrono::steady_clock::now() > give_up) spinning = false;
        continue;
      }
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      if (generation_.load(std::memory_order_seq_cst) == generation) sleep_while(generation);
      sleepers_.fetch_sub(1, std::memory_order_seq_cst);
    }
  }

 private:
  // Twice an LSTM step of 256 units: a partner that holds a core arrives within it, and a waiter
  // that has to sleep costs its own core a scheduler wake-up only.
  static constexpr std::chrono::microseconds kSpin{200};

  // Returns when generation_ may differ from `generation` (the kernel checks it atomically before
  // sleeping, so a release between the check above and this call is not missed).
  void sleep_while(unsigned generation) {
#ifdef __linux__
    syscall(SYS_futex, reinterpret_cast<unsigned*>(&generation_), FUTEX_WAIT_PRIVATE, generation, nullptr,
            nullptr, 0);
#else
    (void)generation;
    sched_yield();
#endif
  }

  void wake_all() {
#ifdef __linux__
    syscall(SYS_futex, reinterpret_cast<unsigned*>(&generation_), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr,
            0);
#endif
  }

  static_assert(sizeof(std::atomic<unsigned>) == sizeof(unsigned), "the futex word is the atomic itself");
  std::atomic<int> arrived_{0};
  std::atomic<unsigned> generation_{0};
  std::atomic<int> sleepers_{0};
  int team_ = 1;
};

}  // namespace mdlfast
