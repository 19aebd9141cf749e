// Scheduler.cpp - CUDA threads as fibers, one block at a time.
#include "Scheduler.h"

#include <cuda_fp16.h>
#include <sys/mman.h>
#if !defined(__x86_64__)
#include <ucontext.h>
#endif

// Built with AddressSanitizer (the checked emulator, AWQCudaEmulatorChecked):
// every stack switch is announced, or ASan would take a thread's frames for
// overflows of the stack it was running on before.
#if defined(__SANITIZE_ADDRESS__)
#define AWQ_EMULATOR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AWQ_EMULATOR_ASAN 1
#endif
#endif
#ifdef AWQ_EMULATOR_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#include <array>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

namespace awq::emu {
namespace {

// Kernel threads keep small frames (a few arrays of registers); 256 KiB
// leaves room for unoptimized builds. A PROT_NONE page under each stack
// turns an overflow into a crash at the faulting frame instead of silent
// corruption of the neighbour's stack.
constexpr size_t kStackBytes = 64 * 1024;
constexpr size_t kGuardBytes = 4096;
constexpr int kMaxThreadsPerBlock = 1024;

// ---- Switching stacks ----------------------------------------------------------
//
// A switch happens at every barrier and shuffle of every thread, millions of
// times in a test run, so on x86-64 it is the bare minimum: push the
// callee-saved registers and the FPU/SSE control words, swap stack pointers,
// pop. (swapcontext also saves the signal mask: two system calls per switch,
// half of an emulated run's time.) Other architectures use ucontext.

#if defined(__x86_64__)
struct StackContext {
  void *stackPointer = nullptr;
};
extern "C" void awqEmulatorSwitch(void **save, void *load);
asm(R"(
  .text
  .p2align 4
  .globl awqEmulatorSwitch
  .hidden awqEmulatorSwitch
  .type awqEmulatorSwitch, @function
awqEmulatorSwitch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $16, %rsp
  stmxcsr 8(%rsp)
  fnstcw (%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  fldcw (%rsp)
  ldmxcsr 8(%rsp)
  addq $16, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size awqEmulatorSwitch, .-awqEmulatorSwitch
)");

// A fresh stack that awqEmulatorSwitch "returns" into entry: the saved
// registers (zeros), the default control words, entry's address, and the
// alignment the ABI promises at a function's first instruction.
void prepareContext(StackContext &context, char *stack, size_t bytes, void (*entry)()) {
  char *top = stack + bytes; // 16-byte aligned: stacks are page aligned
  uint64_t *frame = reinterpret_cast<uint64_t *>(top - 80);
  std::memset(frame, 0, 80);
  const uint16_t fpuControl = 0x037F; // x87 default: round to nearest, all masked
  const uint32_t sseControl = 0x1F80; // MXCSR default
  std::memcpy(&frame[0], &fpuControl, sizeof fpuControl);
  std::memcpy(&frame[1], &sseControl, sizeof sseControl);
  frame[8] = reinterpret_cast<uint64_t>(entry); // popped by ret; rsp is then 8 mod 16
  context.stackPointer = frame;
}
void switchContext(StackContext &from, StackContext &to) {
  awqEmulatorSwitch(&from.stackPointer, to.stackPointer);
}
#else
struct StackContext {
  ucontext_t context;
};
void prepareContext(StackContext &context, char *stack, size_t bytes, void (*entry)()) {
  getcontext(&context.context);
  context.context.uc_stack.ss_sp = stack;
  context.context.uc_stack.ss_size = bytes;
  context.context.uc_link = nullptr; // entry never returns
  makecontext(&context.context, entry, 0);
}
void switchContext(StackContext &from, StackContext &to) {
  swapcontext(&from.context, &to.context);
}
#endif

enum class FiberState { Runnable, AtBlockBarrier, AtWarpExchange, Done };

struct Fiber {
  StackContext context;
  char *stack = nullptr;
  void *asanFakeStack = nullptr;
  FiberState state = FiberState::Runnable;
  ThreadCoordinates coordinates{};
  int linear = 0;
  unsigned exchangeMask = 0;
  std::array<uint32_t, kExchangeWords> deposit{};
};

// Stacks are mapped once and reused by every block of every launch.
char *stackFor(int thread) {
  static std::vector<char *> stacks;
  while (static_cast<int>(stacks.size()) <= thread) {
    void *mapping = mmap(nullptr, kStackBytes + kGuardBytes, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapping == MAP_FAILED) {
      std::fprintf(stderr, "awq CUDA emulator: cannot map a %zu-byte thread stack\n", kStackBytes);
      std::abort();
    }
    mprotect(mapping, kGuardBytes, PROT_NONE); // stacks grow down into the guard
    stacks.push_back(static_cast<char *>(mapping) + kGuardBytes);
  }
  return stacks[thread];
}

// The block being run. Launches hold gLaunchLock, so there is one.
struct BlockRun {
  const GridLaunch *launch = nullptr;
  std::vector<Fiber> fibers;
  Fiber *current = nullptr;
  StackContext scheduler;
  void *schedulerFakeStack = nullptr;           // ASan's bookkeeping of the
  const void *schedulerStackBottom = nullptr;   // scheduler's stack
  size_t schedulerStackBytes = 0;
  std::vector<unsigned char> dynamicShared;
  // After a warp exchange: what each lane deposited, and whether it took part.
  std::vector<std::array<uint32_t, kExchangeWords>> exchanged;
  std::vector<bool> exchangedValid;
  std::string failure;
};
BlockRun *gRun = nullptr;
std::mutex gLaunchLock;

// The order threads and blocks run in: AWQ_CUDA_EMULATOR_ORDER=forward (the
// default) or reverse. A GPU promises no order between two barriers or
// between blocks, so a kernel whose results depend on it has a race (a
// missing __syncthreads(), blocks that read each other's output); running the
// tests both ways shows most of them, the emulator's counterpart of
// racecheck.
bool reverseOrder() {
  static const bool reverse = [] {
    const char *value = std::getenv("AWQ_CUDA_EMULATOR_ORDER");
    if (!value || !*value || std::strcmp(value, "forward") == 0)
      return false;
    if (std::strcmp(value, "reverse") == 0)
      return true;
    std::fprintf(stderr, "awq CUDA emulator: AWQ_CUDA_EMULATOR_ORDER must be forward or reverse "
                         "(got '%s')\n", value);
    std::exit(2);
  }();
  return reverse;
}

BlockRun &run() {
  if (!gRun) {
    std::fprintf(stderr, "awq CUDA emulator: a device function ran outside a kernel launch\n");
    std::abort();
  }
  return *gRun;
}

// Runs `fiber` until it waits or returns.
void resumeFiber(BlockRun &block, Fiber &fiber) {
  block.current = &fiber;
#ifdef AWQ_EMULATOR_ASAN
  __sanitizer_start_switch_fiber(&block.schedulerFakeStack, fiber.stack, kStackBytes);
#endif
  switchContext(block.scheduler, fiber.context);
#ifdef AWQ_EMULATOR_ASAN
  __sanitizer_finish_switch_fiber(block.schedulerFakeStack, nullptr, nullptr);
#endif
  block.current = nullptr;
}

// Back to the scheduler until this thread's wait is released (never, once
// it returned or failed the launch).
void yieldToScheduler(bool exiting = false) {
  BlockRun &block = run();
  Fiber &fiber = *block.current;
#ifdef AWQ_EMULATOR_ASAN
  __sanitizer_start_switch_fiber(exiting ? nullptr : &fiber.asanFakeStack,
                                 block.schedulerStackBottom, block.schedulerStackBytes);
#else
  (void)exiting;
#endif
  switchContext(fiber.context, block.scheduler);
#ifdef AWQ_EMULATOR_ASAN
  __sanitizer_finish_switch_fiber(fiber.asanFakeStack, nullptr, nullptr);
#endif
}

// Every thread's first frame; it never returns (its stack has no caller).
void fiberMain() {
  BlockRun &block = run();
#ifdef AWQ_EMULATOR_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &block.schedulerStackBottom,
                                  &block.schedulerStackBytes);
#endif
  block.launch->threadBody();
  block.current->state = FiberState::Done;
  yieldToScheduler(/*exiting=*/true);
  std::abort(); // never resumed
}

std::string threadName(const Fiber &fiber) {
  char text[96];
  std::snprintf(text, sizeof text, "thread (%u,%u,%u) (warp %d lane %d)",
                fiber.coordinates.threadIdx.x, fiber.coordinates.threadIdx.y,
                fiber.coordinates.threadIdx.z, fiber.linear / 32, fiber.linear % 32);
  return text;
}

void fail(BlockRun &block, const std::string &what) {
  if (!block.failure.empty())
    return;
  const uint3 b = block.fibers.empty() ? uint3{} : block.fibers[0].coordinates.blockIdx;
  char where[160];
  std::snprintf(where, sizeof where, "kernel %s, block (%u,%u,%u): ", block.launch->kernelName,
                b.x, b.y, b.z);
  block.failure = where + what;
}

// Releases the waits that can be released; returns whether any was, and
// records a failure for a wait no thread can ever complete.
bool releaseWaits(BlockRun &block) {
  bool released = false;
  const int threads = static_cast<int>(block.fibers.size());

  // Warp exchanges: every lane in the mask must be waiting in one.
  for (int warpBase = 0; warpBase < threads; warpBase += 32) {
    const Fiber *first = nullptr;
    for (int lane = 0; lane < 32 && warpBase + lane < threads; ++lane)
      if (block.fibers[warpBase + lane].state == FiberState::AtWarpExchange) {
        first = &block.fibers[warpBase + lane];
        break;
      }
    if (!first)
      continue;
    const unsigned mask = first->exchangeMask;
    bool complete = true;
    for (int lane = 0; lane < 32; ++lane) {
      const Fiber *fiber = warpBase + lane < threads ? &block.fibers[warpBase + lane] : nullptr;
      const bool named = (mask >> lane) & 1u;
      if (fiber && fiber->state == FiberState::AtWarpExchange && fiber->exchangeMask != mask) {
        char text[160];
        std::snprintf(text, sizeof text,
                      "lanes of warp %d disagree on a warp-collective's mask (0x%08x and 0x%08x)",
                      warpBase / 32, mask, fiber->exchangeMask);
        fail(block, text);
        return false;
      }
      if (!named)
        continue;
      if (!fiber) {
        char text[128];
        std::snprintf(text, sizeof text,
                      "a warp-collective's mask 0x%08x names lane %d, which warp %d does not have",
                      mask, lane, warpBase / 32);
        fail(block, text);
        return false;
      }
      if (fiber->state == FiberState::Done) {
        fail(block, threadName(*fiber) +
                        " returned while the other lanes of its warp wait for it in a "
                        "warp-collective (shuffle or mma)");
        return false;
      }
      if (fiber->state != FiberState::AtWarpExchange)
        complete = false;
    }
    if (!complete)
      continue;
    for (int lane = 0; lane < 32 && warpBase + lane < threads; ++lane) {
      Fiber &fiber = block.fibers[warpBase + lane];
      const bool named = (mask >> lane) & 1u;
      block.exchangedValid[warpBase + lane] = named;
      if (named) {
        block.exchanged[warpBase + lane] = fiber.deposit;
        fiber.state = FiberState::Runnable;
      }
    }
    released = true;
  }

  // The block barrier: every thread that has not returned is at it.
  bool anyAtBarrier = false, allAtBarrierOrDone = true;
  for (const Fiber &fiber : block.fibers) {
    anyAtBarrier |= fiber.state == FiberState::AtBlockBarrier;
    allAtBarrierOrDone &=
        fiber.state == FiberState::AtBlockBarrier || fiber.state == FiberState::Done;
  }
  if (anyAtBarrier && allAtBarrierOrDone) {
    for (Fiber &fiber : block.fibers)
      if (fiber.state == FiberState::AtBlockBarrier)
        fiber.state = FiberState::Runnable;
    released = true;
  }
  return released;
}

std::string describeHang(const BlockRun &block) {
  int atBarrier = 0, inExchange = 0, done = 0;
  for (const Fiber &fiber : block.fibers) {
    atBarrier += fiber.state == FiberState::AtBlockBarrier;
    inExchange += fiber.state == FiberState::AtWarpExchange;
    done += fiber.state == FiberState::Done;
  }
  char text[200];
  std::snprintf(text, sizeof text,
                "the block would hang: %d threads wait at __syncthreads(), %d in a "
                "warp-collective, %d returned",
                atBarrier, inExchange, done);
  return text;
}

void runBlock(BlockRun &block, uint3 blockIdx) {
  const GridLaunch &launch = *block.launch;
  const int threads = static_cast<int>(launch.block.x * launch.block.y * launch.block.z);
  block.fibers.assign(threads, Fiber{});
  block.exchanged.assign(threads, {});
  block.exchangedValid.assign(threads, false);
  if (!block.dynamicShared.empty())
    std::memset(block.dynamicShared.data(), 0xFF, block.dynamicShared.size());
  for (int i = 0; i < threads; ++i) {
    Fiber &fiber = block.fibers[i];
    fiber.linear = i;
    fiber.coordinates.threadIdx = {i % launch.block.x, (i / launch.block.x) % launch.block.y,
                                   i / (launch.block.x * launch.block.y)};
    fiber.coordinates.blockIdx = blockIdx;
    fiber.coordinates.blockDim = launch.block;
    fiber.coordinates.gridDim = launch.grid;
    fiber.stack = stackFor(i);
    prepareContext(fiber.context, fiber.stack, kStackBytes, fiberMain);
  }
  for (;;) {
    bool progress = false;
    const int threads = static_cast<int>(block.fibers.size());
    for (int k = 0; k < threads; ++k) {
      Fiber &fiber = block.fibers[reverseOrder() ? threads - 1 - k : k];
      if (fiber.state != FiberState::Runnable)
        continue;
      resumeFiber(block, fiber);
      progress = true;
      if (!block.failure.empty())
        return;
    }
    progress |= releaseWaits(block);
    if (!block.failure.empty())
      return;
    bool allDone = true;
    for (const Fiber &fiber : block.fibers)
      allDone &= fiber.state == FiberState::Done;
    if (allDone)
      return;
    if (!progress) {
      fail(block, describeHang(block));
      return;
    }
  }
}

} // namespace

const ThreadCoordinates &thisThread() { return run().current->coordinates; }

void *dynamicSharedMemory() { return run().dynamicShared.data(); }

void syncThreads() {
  run().current->state = FiberState::AtBlockBarrier;
  yieldToScheduler();
}

int laneId() { return run().current->linear % 32; }

void warpExchange(unsigned mask, const uint32_t *words, int count) {
  Fiber &fiber = *run().current;
  if (!((mask >> (fiber.linear % 32)) & 1u)) {
    fail(run(), threadName(fiber) + " runs a warp-collective whose mask leaves it out");
    yieldToScheduler(); // never resumed: the launch has failed
  }
  fiber.deposit.fill(0);
  std::memcpy(fiber.deposit.data(), words, sizeof(uint32_t) * count);
  fiber.exchangeMask = mask;
  fiber.state = FiberState::AtWarpExchange;
  yieldToScheduler();
}

const uint32_t *exchangedWords(int lane) {
  BlockRun &block = run();
  const int index = (block.current->linear / 32) * 32 + lane;
  if (index >= static_cast<int>(block.exchanged.size()) || !block.exchangedValid[index]) {
    char text[96];
    std::snprintf(text, sizeof text, "reads lane %d, which took no part in the warp-collective",
                  lane);
    fail(block, threadName(*block.current) + " " + text);
    yieldToScheduler(); // never resumed
  }
  return block.exchanged[index].data();
}

void trap() {
  BlockRun &block = run();
  fail(block, threadName(*block.current) + " executed __trap()");
  yieldToScheduler(); // never resumed
  std::abort();
}

void mmaM16N8K16(float c[4], const uint32_t a[4], uint32_t b0, uint32_t b1, bool bf16) {
  const uint32_t words[6] = {a[0], a[1], a[2], a[3], b0, b1};
  warpExchange(0xFFFFFFFFu, words, 6);
  // Fragment layout (PTX ISA, "mma.m16n8k16" for .f16/.bf16): lane = 4 g + t.
  // A (16 x 16, row major): register r of lane (g, t) holds rows
  // g + 8 (r % 2), inputs 2t + 8 (r / 2) and the next, low half first.
  // B (16 x 8, column major): register r holds inputs 2t + 8 r and the next
  // of column g. C: c[i] is row g + 8 (i / 2), column 2t + i % 2.
  auto half = [bf16](uint32_t word, int which) {
    const uint32_t bits = (word >> (16 * which)) & 0xFFFFu;
    float value;
    if (bf16) {
      const uint32_t wide = bits << 16;
      std::memcpy(&value, &wide, sizeof value);
    } else {
      value = __half2float(__ushort_as_half(static_cast<unsigned short>(bits)));
    }
    return value;
  };
  const int lane = laneId();
  const int g = lane / 4, t = lane % 4;
  for (int i = 0; i < 4; ++i) {
    const int row = g + 8 * (i / 2), column = 2 * t + i % 2;
    float sum = c[i];
    for (int k = 0; k < 16; ++k) {
      const int aLane = 4 * (row % 8) + (k % 8) / 2;
      const int aRegister = row / 8 + 2 * (k / 8);
      const int bLane = 4 * column + (k % 8) / 2;
      const int bRegister = 4 + k / 8;
      sum += half(exchangedWords(aLane)[aRegister], k % 2) *
             half(exchangedWords(bLane)[bRegister], k % 2);
    }
    c[i] = sum;
  }
}

std::string runGrid(const GridLaunch &launch) {
  std::lock_guard<std::mutex> lock(gLaunchLock);
  const int64_t threads = static_cast<int64_t>(launch.block.x) * launch.block.y * launch.block.z;
  if (threads <= 0 || threads > kMaxThreadsPerBlock || launch.grid.x == 0 || launch.grid.y == 0 ||
      launch.grid.z == 0)
    return std::string("kernel ") + launch.kernelName + ": invalid launch configuration";
  BlockRun block;
  block.launch = &launch;
  block.dynamicShared.resize(launch.dynamicSharedBytes);
  gRun = &block;
  const uint64_t blocks = static_cast<uint64_t>(launch.grid.x) * launch.grid.y * launch.grid.z;
  for (uint64_t k = 0; k < blocks; ++k) {
    const uint64_t linear = reverseOrder() ? blocks - 1 - k : k;
    const uint3 blockIdx{static_cast<unsigned>(linear % launch.grid.x),
                         static_cast<unsigned>(linear / launch.grid.x % launch.grid.y),
                         static_cast<unsigned>(linear / launch.grid.x / launch.grid.y)};
    runBlock(block, blockIdx);
    if (!block.failure.empty()) {
      gRun = nullptr;
      return block.failure;
    }
  }
  gRun = nullptr;
  return {};
}

} // namespace awq::emu
