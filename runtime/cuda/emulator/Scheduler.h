// Scheduler.h - runs a kernel's threads on the CPU: each CUDA thread of a
// block is a fiber (its own stack), and the fibers switch only where CUDA
// threads wait for each other: __syncthreads() and warp-collective operations
// (shuffles, mma.sync). Blocks run one after another, so shared memory is
// one static per kernel and no two blocks ever see each other's.
//
// Waits that would hang a GPU are errors here: a __syncthreads() or shuffle
// that some thread of the block or warp can never reach (it returned, or
// waits elsewhere), and shuffle lanes that disagree on the mask. They fail
// the launch like a fault on a device (a sticky cudaErrorLaunchFailure) with
// a message that names the kernel, the block and the threads.
#ifndef AWQ_RUNTIME_CUDA_EMULATOR_SCHEDULER_H
#define AWQ_RUNTIME_CUDA_EMULATOR_SCHEDULER_H

#include <vector_types.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>

namespace awq::emu {

// The built-in variables of the thread that runs now.
struct ThreadCoordinates {
  uint3 threadIdx;
  uint3 blockIdx;
  dim3 blockDim;
  dim3 gridDim;
};
const ThreadCoordinates &thisThread();

// A grid: `threadBody` runs once per thread, with thisThread() set.
struct GridLaunch {
  const char *kernelName;
  dim3 grid, block;
  size_t dynamicSharedBytes;
  std::function<void()> threadBody;
};
// Runs every block to completion. Returns an empty string, or what went
// wrong (a hang the GPU would have, a trap).
std::string runGrid(const GridLaunch &launch);

// The dynamic shared memory of the running block (extern __shared__), filled
// with 0xFF bytes (NaN as floats) before the block starts: real shared
// memory starts undefined, and a kernel that reads it before writing should
// not see zeros that happen to work.
void *dynamicSharedMemory();

// __syncthreads(): returns when every thread of the block that has not
// returned is here.
void syncThreads();

// Every lane in `mask` deposits `words` (up to kExchangeWords 32-bit words);
// returns when all of them have, with the deposits of the whole warp
// readable through exchangedWords(lane) until the next exchange.
constexpr int kExchangeWords = 8;
void warpExchange(unsigned mask, const uint32_t *words, int count);
const uint32_t *exchangedWords(int lane);
// The lane of the running thread (linear thread index % 32).
int laneId();

// __shfl_xor_sync.
template <class T> T shuffleXor(unsigned mask, T value, int laneMask) {
  static_assert(sizeof(T) <= sizeof(uint32_t) * kExchangeWords, "shuffled value too large");
  uint32_t words[kExchangeWords] = {};
  std::memcpy(words, &value, sizeof value);
  warpExchange(mask, words, kExchangeWords);
  const int source = laneId() ^ laneMask;
  T result;
  std::memcpy(&result, exchangedWords(source < 32 ? source : laneId()), sizeof result);
  return result;
}

// __trap(): fails the launch.
[[noreturn]] void trap();

// mma.sync.aligned.m16n8k16.row.col.f32.{f16,bf16}: c += A . B over the
// warp's fragments, laid out as the PTX ISA documents.
void mmaM16N8K16(float c[4], const uint32_t a[4], uint32_t b0, uint32_t b1, bool bf16);

} // namespace awq::emu

#endif // AWQ_RUNTIME_CUDA_EMULATOR_SCHEDULER_H
