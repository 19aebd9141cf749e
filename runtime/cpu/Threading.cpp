// Threading.cpp - the thread-count setting shared by OpenMP loops and OpenBLAS.
#include "RuntimeInternal.h"

#include <algorithm>
#include <atomic>
#include <omp.h>

// Declared by OpenBLAS's cblas.h; repeated here so this file needs no BLAS header.
extern "C" void openblas_set_num_threads(int num_threads);

namespace awq::rt {

namespace {
// 0 = not chosen yet: use what OpenMP reports (OMP_NUM_THREADS or all cores).
std::atomic<int> configuredThreads{0};
} // namespace

int numThreads() {
  const int configured = configuredThreads.load(std::memory_order_relaxed);
  return configured > 0 ? configured : std::max(1, omp_get_num_procs());
}

void parallelForImpl(int64_t count, int64_t minPerThread, void (*thunk)(void *, int64_t, int64_t),
                     void *context) {
  const int64_t usefulThreads = count / std::max<int64_t>(minPerThread, 1);
  const int threads = static_cast<int>(std::min<int64_t>(numThreads(), usefulThreads));
  if (threads <= 1 || omp_in_parallel()) {
    if (count > 0)
      thunk(context, 0, count);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t begin = count * t / nt, end = count * (t + 1) / nt;
    if (begin < end)
      thunk(context, begin, end);
  }
}

} // namespace awq::rt

extern "C" void awq_set_num_threads(int n) {
  awq::rt::configuredThreads.store(n > 0 ? n : 0, std::memory_order_relaxed);
  openblas_set_num_threads(awq::rt::numThreads());
}

extern "C" int awq_get_num_threads(void) { return awq::rt::numThreads(); }
