// EmulatedRuntime.cpp - the part of the CUDA runtime API (cuda_runtime_api.h)
// the AWQ CUDA runtime and its tests call, on the CPU: one device, host
// memory standing in for device memory, synchronous streams, and CUDA graphs
// as recorded stream work.
//
// What the emulator checks that a GPU would refuse (and silent host code
// would not):
// - copies whose kind does not match where the pointers live (a
//   cudaMemcpyHostToDevice into host memory, a device range that runs past
//   its allocation), frees of pointers cudaMalloc did not return;
// - dynamic shared memory past 48 KiB without cudaFuncSetAttribute, blocks
//   of more than 1024 threads, empty grids (launch errors);
// - during stream capture: synchronizing the capturing stream, cudaMalloc,
//   cudaFree, synchronous copies and cudaDeviceSynchronize, and
//   asynchronous copies to or from pageable host memory (they fail and
//   invalidate the capture: stricter than an H100's driver 580, which records
//   them, because a graph reads its copies' host side when it launches, and
//   only memory the caller pins and owns is sure to be there then); a
//   cudaGraphExecUpdate whose graph has other node kinds or another order;
// - hangs and traps inside kernels (Scheduler.h): a sticky
//   cudaErrorLaunchFailure, every later call failing, as after a GPU fault.
#include "DeviceActivity.h"
#include "Launch.h"

#include <cuda_runtime_api.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <unistd.h>
#include <vector>

// One node of a captured graph: its kind (what cudaGraphExecUpdate compares)
// and its work.
struct CapturedNode {
  std::string kind;
  awq::emu::StreamWork work;
};
struct CUstream_st {
  bool capturing = false;
  bool captureInvalidated = false;
  std::vector<CapturedNode> captured;
};
struct CUgraph_st {
  std::vector<CapturedNode> nodes;
};
struct CUgraphExec_st {
  std::vector<CapturedNode> nodes;
};
struct CUevent_st {
  std::chrono::steady_clock::time_point at;
};

namespace {

constexpr size_t kDefaultSharedBytes = 48 * 1024;
constexpr size_t kMaxSharedBytes = 227 * 1024; // an H100's opt-in limit
constexpr int kMultiprocessors = 4;             // small grids: persistent kernels stay quick

std::mutex gMutex;
cudaError_t gStickyError = cudaSuccess;
cudaError_t gLastError = cudaSuccess;
std::map<uintptr_t, size_t> gAllocations; // device memory: start -> bytes
std::map<uintptr_t, size_t> gPinned;      // cudaMallocHost memory: start -> bytes
std::map<const void *, int> gMaxDynamicShared;
int gCapturingStreams = 0;

cudaError_t record(cudaError_t error) {
  if (error != cudaSuccess)
    gLastError = error;
  return error;
}

void fault(const std::string &what) {
  std::fprintf(stderr, "awq CUDA emulator: %s\n", what.c_str());
  gStickyError = gLastError = cudaErrorLaunchFailure;
}

bool isDevice(const void *pointer, size_t bytes) {
  const uintptr_t address = reinterpret_cast<uintptr_t>(pointer);
  auto it = gAllocations.upper_bound(address);
  if (it == gAllocations.begin())
    return false;
  --it;
  return address >= it->first && address + bytes <= it->first + it->second;
}
bool touchesDevice(const void *pointer) { return isDevice(pointer, 1); }

bool isPinned(const void *pointer, size_t bytes) {
  const uintptr_t address = reinterpret_cast<uintptr_t>(pointer);
  auto it = gPinned.upper_bound(address);
  if (it == gPinned.begin())
    return false;
  --it;
  return address >= it->first && address + bytes <= it->first + it->second;
}

// Whether `bytes` at `pointer` live where a copy's kind says they do: inside
// one device allocation, or outside every one.
bool checkSide(const void *pointer, size_t bytes, bool device, const char *call,
               const char *role) {
  if (device && !isDevice(pointer, bytes)) {
    std::fprintf(stderr,
                 "awq CUDA emulator: %s: the %s (%zu bytes at %p) is not inside a device "
                 "allocation\n",
                 call, role, bytes, pointer);
    return false;
  }
  if (!device && touchesDevice(pointer)) {
    std::fprintf(stderr, "awq CUDA emulator: %s: the %s (%p) is device memory, the kind says host\n",
                 call, role, pointer);
    return false;
  }
  return true;
}

// A copy of dstBytes at dst from srcBytes at src (equal, except for 2D copies).
cudaError_t checkCopy(void *dst, size_t dstBytes, const void *src, size_t srcBytes,
                      cudaMemcpyKind kind, const char *call) {
  if (dstBytes == 0)
    return cudaSuccess;
  if (!dst || !src)
    return cudaErrorInvalidValue;
  if (kind == cudaMemcpyDefault)
    return cudaSuccess;
  const bool dstDevice = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  const bool srcDevice = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  if (!checkSide(dst, dstBytes, dstDevice, call, "destination") ||
      !checkSide(src, srcBytes, srcDevice, call, "source"))
    return cudaErrorInvalidValue;
  return cudaSuccess;
}

// A call that may not run while a stream is being captured (it would
// synchronize with, or allocate behind, the work being recorded).
cudaError_t refuseDuringCapture(const char *call) {
  if (gCapturingStreams == 0)
    return cudaSuccess;
  std::fprintf(stderr, "awq CUDA emulator: %s during stream capture\n", call);
  return cudaErrorStreamCaptureUnsupported;
}

// An asynchronous copy on a capturing stream must not touch pageable host
// memory: the graph reads it when it launches, after the caller may have
// reused or freed it. Refused here (the capture fails and is invalidated)
// although an H100's driver 580 records such copies.
cudaError_t checkCapturedCopy(cudaStream_t stream, const void *dst, size_t dstBytes,
                              const void *src, size_t srcBytes, cudaMemcpyKind kind,
                              const char *call) {
  if (!stream || !stream->capturing || dstBytes == 0)
    return cudaSuccess;
  const bool hostDst = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyHostToHost;
  const bool hostSrc = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyHostToHost;
  if ((hostDst && !isPinned(dst, dstBytes)) || (hostSrc && !isPinned(src, srcBytes))) {
    std::fprintf(stderr,
                 "awq CUDA emulator: %s with pageable host memory during stream capture "
                 "(cudaMallocHost memory can be captured)\n",
                 call);
    stream->captureInvalidated = true;
    return cudaErrorStreamCaptureUnsupported;
  }
  return cudaSuccess;
}

const char *copyNodeKind(cudaMemcpyKind kind, bool twoDimensional) {
  static const char *const kinds[2][5] = {
      {"memcpy HtoH", "memcpy HtoD", "memcpy DtoH", "memcpy DtoD", "memcpy default"},
      {"memcpy2D HtoH", "memcpy2D HtoD", "memcpy2D DtoH", "memcpy2D DtoD", "memcpy2D default"}};
  const int index = kind >= cudaMemcpyHostToHost && kind <= cudaMemcpyDefault ? kind : 4;
  return kinds[twoDimensional][index];
}

} // namespace

namespace awq::emu {

void enqueue(cudaStream_t stream, StreamWork work, const char *node) {
  std::unique_lock<std::mutex> lock(gMutex);
  if (gStickyError != cudaSuccess)
    return;
  if (stream && stream->capturing) {
    stream->captured.push_back({node, std::move(work)});
    return;
  }
  lock.unlock(); // the work may call back into the runtime (memcpy inside cuBLAS)
  const std::string failure = work();
  if (!failure.empty()) {
    std::lock_guard<std::mutex> relock(gMutex);
    fault(failure);
  }
}

void launchGrid(cudaStream_t stream, const void *kernel, GridLaunch launch) {
  {
    std::lock_guard<std::mutex> lock(gMutex);
    const uint64_t threads =
        static_cast<uint64_t>(launch.block.x) * launch.block.y * launch.block.z;
    if (threads == 0 || threads > 1024 || launch.grid.x == 0 || launch.grid.y == 0 ||
        launch.grid.z == 0 || launch.grid.y > 65535 || launch.grid.z > 65535) {
      std::fprintf(stderr, "awq CUDA emulator: %s: invalid launch configuration\n",
                   launch.kernelName);
      gLastError = cudaErrorInvalidConfiguration;
      return;
    }
    size_t allowed = kDefaultSharedBytes;
    auto it = gMaxDynamicShared.find(kernel);
    if (it != gMaxDynamicShared.end())
      allowed = std::max(allowed, static_cast<size_t>(it->second));
    if (launch.dynamicSharedBytes > allowed) {
      std::fprintf(stderr,
                   "awq CUDA emulator: %s: %zu bytes of dynamic shared memory, %zu allowed "
                   "(cudaFuncSetAttribute raises the limit)\n",
                   launch.kernelName, launch.dynamicSharedBytes, allowed);
      gLastError = cudaErrorInvalidValue;
      return;
    }
  }
  // Counted when the grid runs: a graph's kernels at every launch of it,
  // none of an abandoned capture's.
  auto shared = std::make_shared<GridLaunch>(std::move(launch));
  enqueue(stream, [shared] {
    countLaunch(shared->kernelName);
    return runGrid(*shared);
  });
}

} // namespace awq::emu

using awq::emu::enqueue;

#define AWQ_EMU_STICKY()                                                                         \
  do {                                                                                           \
    if (gStickyError != cudaSuccess)                                                             \
      return gStickyError;                                                                       \
  } while (0)

extern "C" {

// ---- Errors -------------------------------------------------------------------

cudaError_t cudaGetLastError(void) {
  std::lock_guard<std::mutex> lock(gMutex);
  const cudaError_t error = gLastError;
  gLastError = gStickyError;
  return error;
}

cudaError_t cudaPeekAtLastError(void) {
  std::lock_guard<std::mutex> lock(gMutex);
  return gLastError;
}

const char *cudaGetErrorName(cudaError_t error) {
  switch (error) {
  case cudaSuccess: return "cudaSuccess";
  case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
  case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
  case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
  case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
  case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
  case cudaErrorStreamCaptureUnsupported: return "cudaErrorStreamCaptureUnsupported";
  case cudaErrorStreamCaptureInvalidated: return "cudaErrorStreamCaptureInvalidated";
  case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
  case cudaErrorGraphExecUpdateFailure: return "cudaErrorGraphExecUpdateFailure";
  case cudaErrorIllegalState: return "cudaErrorIllegalState";
  default: return "cudaErrorUnknown";
  }
}

const char *cudaGetErrorString(cudaError_t error) {
  switch (error) {
  case cudaSuccess: return "no error";
  case cudaErrorInvalidValue: return "invalid argument";
  case cudaErrorMemoryAllocation: return "out of memory";
  case cudaErrorInvalidConfiguration: return "invalid configuration argument";
  case cudaErrorInvalidDevice: return "invalid device ordinal";
  case cudaErrorLaunchFailure: return "unspecified launch failure (see the emulator's message above)";
  case cudaErrorStreamCaptureUnsupported: return "operation not permitted when stream is capturing";
  case cudaErrorStreamCaptureInvalidated: return "operation failed due to a previous error during capture";
  case cudaErrorInvalidResourceHandle: return "invalid resource handle";
  case cudaErrorGraphExecUpdateFailure: return "the graph update was not performed because it included changes which violated constraints specific to instantiated graph update";
  case cudaErrorIllegalState: return "operation not permitted in the current state";
  default: return "unknown error";
  }
}

// ---- The device ----------------------------------------------------------------

cudaError_t cudaGetDeviceCount(int *count) {
  *count = 1;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int *device) {
  *device = 0;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
  std::lock_guard<std::mutex> lock(gMutex);
  return record(device == 0 ? cudaSuccess : cudaErrorInvalidDevice);
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp *prop, int device) {
  std::lock_guard<std::mutex> lock(gMutex);
  if (device != 0)
    return record(cudaErrorInvalidDevice);
  std::memset(prop, 0, sizeof *prop);
  std::snprintf(prop->name, sizeof prop->name, "awq CUDA emulator (CPU)");
  prop->major = 9;
  prop->minor = 0;
  prop->multiProcessorCount = kMultiprocessors;
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = 1024;
  prop->maxThreadsPerMultiProcessor = 2048;
  prop->sharedMemPerBlock = kDefaultSharedBytes;
  prop->sharedMemPerBlockOptin = kMaxSharedBytes;
  prop->sharedMemPerMultiprocessor = 228 * 1024;
  prop->regsPerBlock = 65536;
  prop->totalGlobalMem = static_cast<size_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGE_SIZE);
  prop->l2CacheSize = 50 * 1024 * 1024;
  prop->maxGridSize[0] = 0x7FFFFFFF;
  prop->maxGridSize[1] = prop->maxGridSize[2] = 65535;
  prop->maxThreadsDim[0] = prop->maxThreadsDim[1] = 1024;
  prop->maxThreadsDim[2] = 64;
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int *value, cudaDeviceAttr attr, int device) {
  std::lock_guard<std::mutex> lock(gMutex);
  if (device != 0)
    return record(cudaErrorInvalidDevice);
  switch (attr) {
  case cudaDevAttrMultiProcessorCount: *value = kMultiprocessors; break;
  case cudaDevAttrMaxSharedMemoryPerBlockOptin: *value = static_cast<int>(kMaxSharedBytes); break;
  case cudaDevAttrMaxThreadsPerBlock: *value = 1024; break;
  case cudaDevAttrWarpSize: *value = 32; break;
  case cudaDevAttrComputeCapabilityMajor: *value = 9; break;
  case cudaDevAttrComputeCapabilityMinor: *value = 0; break;
  // A nominal memory system (1 GHz, 64-bit bus: 16 GB/s): bandwidth figures
  // made under the emulator mean nothing and should look like it.
  case cudaDevAttrMemoryClockRate: *value = 1000000; break;
  case cudaDevAttrGlobalMemoryBusWidth: *value = 64; break;
  default: return record(cudaErrorInvalidValue);
  }
  return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t *free, size_t *total) {
  *total = static_cast<size_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGE_SIZE);
  *free = static_cast<size_t>(sysconf(_SC_AVPHYS_PAGES)) * sysconf(_SC_PAGE_SIZE);
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize(void) {
  awq::emu::countSynchronization("cudaDeviceSynchronize");
  std::lock_guard<std::mutex> lock(gMutex);
  AWQ_EMU_STICKY();
  return record(refuseDuringCapture("cudaDeviceSynchronize"));
}

cudaError_t cudaFuncSetAttribute(const void *func, cudaFuncAttribute attr, int value) {
  std::lock_guard<std::mutex> lock(gMutex);
  if (attr != cudaFuncAttributeMaxDynamicSharedMemorySize)
    return cudaSuccess; // preferences (carveout and the like) change no result
  if (value < 0 || static_cast<size_t>(value) > kMaxSharedBytes)
    return record(cudaErrorInvalidValue);
  gMaxDynamicShared[func] = value;
  return cudaSuccess;
}

cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int *numBlocks, const void *func,
                                                          int blockSize, size_t dynamicSMemSize) {
  (void)func;
  if (blockSize <= 0 || blockSize > 1024)
    return cudaErrorInvalidValue;
  // By threads and shared memory alone (registers are unknown here).
  int blocks = 2048 / blockSize;
  if (dynamicSMemSize > 0)
    blocks = std::min<int>(blocks, static_cast<int>((228 * 1024) / dynamicSMemSize));
  *numBlocks = std::max(blocks, 0);
  return cudaSuccess;
}

// ---- Memory ---------------------------------------------------------------------

cudaError_t cudaMalloc(void **devPtr, size_t size) {
  std::lock_guard<std::mutex> lock(gMutex);
  AWQ_EMU_STICKY();
  if (cudaError_t error = refuseDuringCapture("cudaMalloc"))
    return record(error);
  // 256-byte aligned as cudaMalloc's, but exactly `size` long: the checked
  // emulator's AddressSanitizer then faults the first byte past the end,
  // as compute-sanitizer's memcheck reports it (a GPU would not fault inside
  // the allocation's rounding).
  const size_t bytes = size ? size : 1;
  void *memory = nullptr;
  if (posix_memalign(&memory, 256, bytes) != 0)
    return record(cudaErrorMemoryAllocation);
  // Fresh device memory holds whatever was there: NaN bytes, not zeros.
  std::memset(memory, 0xFF, bytes);
  gAllocations[reinterpret_cast<uintptr_t>(memory)] = bytes;
  awq::emu::countAllocation(bytes);
  *devPtr = memory;
  return cudaSuccess;
}

cudaError_t cudaFree(void *devPtr) {
  std::lock_guard<std::mutex> lock(gMutex);
  if (!devPtr)
    return cudaSuccess;
  if (cudaError_t error = refuseDuringCapture("cudaFree"))
    return record(error);
  auto it = gAllocations.find(reinterpret_cast<uintptr_t>(devPtr));
  if (it == gAllocations.end()) {
    std::fprintf(stderr, "awq CUDA emulator: cudaFree(%p): not a pointer cudaMalloc returned\n",
                 devPtr);
    return record(cudaErrorInvalidValue);
  }
  gAllocations.erase(it);
  std::free(devPtr);
  awq::emu::countFree();
  return cudaSuccess;
}

// Pinned host memory: host memory the emulator remembers, so that captured
// copies may use it.
cudaError_t cudaMallocHost(void **ptr, size_t size) {
  std::lock_guard<std::mutex> lock(gMutex);
  AWQ_EMU_STICKY();
  if (cudaError_t error = refuseDuringCapture("cudaMallocHost"))
    return record(error);
  void *memory = nullptr;
  if (posix_memalign(&memory, 256, size ? size : 1) != 0)
    return record(cudaErrorMemoryAllocation);
  gPinned[reinterpret_cast<uintptr_t>(memory)] = size ? size : 1;
  *ptr = memory;
  return cudaSuccess;
}

cudaError_t cudaFreeHost(void *ptr) {
  std::lock_guard<std::mutex> lock(gMutex);
  if (!ptr)
    return cudaSuccess;
  if (cudaError_t error = refuseDuringCapture("cudaFreeHost"))
    return record(error);
  auto it = gPinned.find(reinterpret_cast<uintptr_t>(ptr));
  if (it == gPinned.end()) {
    std::fprintf(stderr, "awq CUDA emulator: cudaFreeHost(%p): not a pointer cudaMallocHost returned\n",
                 ptr);
    return record(cudaErrorInvalidValue);
  }
  gPinned.erase(it);
  std::free(ptr);
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count, cudaMemcpyKind kind,
                            cudaStream_t stream) {
  {
    std::lock_guard<std::mutex> lock(gMutex);
    AWQ_EMU_STICKY();
    if (cudaError_t error = checkCopy(dst, count, src, count, kind, "cudaMemcpyAsync"))
      return record(error);
    if (cudaError_t error =
            checkCapturedCopy(stream, dst, count, src, count, kind, "cudaMemcpyAsync"))
      return record(error);
  }
  // Asynchronous work is counted when it runs (graphs: at every launch).
  if (count)
    enqueue(
        stream,
        [dst, src, count, kind] {
          awq::emu::countCopy(kind, count, /*synchronous=*/false);
          std::memmove(dst, src, count);
          return std::string();
        },
        copyNodeKind(kind, false));
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void *dst, const void *src, size_t count, cudaMemcpyKind kind) {
  {
    std::lock_guard<std::mutex> lock(gMutex);
    AWQ_EMU_STICKY();
    if (cudaError_t error = refuseDuringCapture("cudaMemcpy"))
      return record(error);
    if (cudaError_t error = checkCopy(dst, count, src, count, kind, "cudaMemcpy"))
      return record(error);
  }
  awq::emu::countCopy(kind, count, /*synchronous=*/true);
  if (count)
    std::memmove(dst, src, count);
  return cudaSuccess;
}

cudaError_t cudaMemcpy2DAsync(void *dst, size_t dpitch, const void *src, size_t spitch,
                              size_t width, size_t height, cudaMemcpyKind kind,
                              cudaStream_t stream) {
  if (height == 0 || width == 0)
    return cudaSuccess;
  {
    std::lock_guard<std::mutex> lock(gMutex);
    AWQ_EMU_STICKY();
    if (width > dpitch || width > spitch)
      return record(cudaErrorInvalidValue);
    const size_t dstBytes = dpitch * (height - 1) + width, srcBytes = spitch * (height - 1) + width;
    cudaError_t error = checkCopy(dst, dstBytes, src, srcBytes, kind, "cudaMemcpy2DAsync");
    if (!error)
      error = checkCapturedCopy(stream, dst, dstBytes, src, srcBytes, kind, "cudaMemcpy2DAsync");
    if (error)
      return record(error);
  }
  enqueue(
      stream,
      [=] {
        awq::emu::countCopy(kind, width * height, /*synchronous=*/false);
        for (size_t row = 0; row < height; ++row)
          std::memmove(static_cast<char *>(dst) + row * dpitch,
                       static_cast<const char *>(src) + row * spitch, width);
        return std::string();
      },
      copyNodeKind(kind, true));
  return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void *devPtr, int value, size_t count, cudaStream_t stream) {
  {
    std::lock_guard<std::mutex> lock(gMutex);
    AWQ_EMU_STICKY();
    if (count && !isDevice(devPtr, count)) {
      std::fprintf(stderr, "awq CUDA emulator: cudaMemsetAsync: %zu bytes at %p are not device memory\n",
                   count, devPtr);
      return record(cudaErrorInvalidValue);
    }
  }
  if (count)
    enqueue(
        stream,
        [devPtr, value, count] {
          awq::emu::countMemset(count);
          std::memset(devPtr, value, count);
          return std::string();
        },
        "memset");
  return cudaSuccess;
}

cudaError_t cudaMemset(void *devPtr, int value, size_t count) {
  {
    std::lock_guard<std::mutex> lock(gMutex);
    if (cudaError_t error = refuseDuringCapture("cudaMemset"))
      return record(error);
  }
  return cudaMemsetAsync(devPtr, value, count, nullptr);
}

// ---- Streams, graphs, events ------------------------------------------------------

cudaError_t cudaStreamCreate(cudaStream_t *pStream) {
  *pStream = new CUstream_st;
  return cudaSuccess;
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t *pStream, unsigned int flags) {
  (void)flags; // every emulated stream runs its work in order, at once
  return cudaStreamCreate(pStream);
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  if (!stream)
    return cudaErrorInvalidResourceHandle;
  std::lock_guard<std::mutex> lock(gMutex);
  if (stream->capturing)
    --gCapturingStreams;
  delete stream;
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  awq::emu::countSynchronization("cudaStreamSynchronize");
  std::lock_guard<std::mutex> lock(gMutex);
  AWQ_EMU_STICKY();
  if (stream && stream->capturing) {
    std::fprintf(stderr, "awq CUDA emulator: cudaStreamSynchronize on a capturing stream\n");
    stream->captureInvalidated = true;
    return record(cudaErrorStreamCaptureUnsupported);
  }
  if (!stream)
    return record(refuseDuringCapture("cudaStreamSynchronize on the legacy stream"));
  return cudaSuccess;
}

cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode mode) {
  (void)mode;
  std::lock_guard<std::mutex> lock(gMutex);
  AWQ_EMU_STICKY();
  if (!stream) // the legacy stream cannot be captured
    return record(cudaErrorStreamCaptureUnsupported);
  if (stream->capturing)
    return record(cudaErrorIllegalState);
  stream->capturing = true;
  stream->captureInvalidated = false;
  stream->captured.clear();
  ++gCapturingStreams;
  return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t *pGraph) {
  std::lock_guard<std::mutex> lock(gMutex);
  if (!stream || !stream->capturing)
    return record(cudaErrorIllegalState);
  stream->capturing = false;
  --gCapturingStreams;
  if (stream->captureInvalidated) {
    *pGraph = nullptr;
    return record(cudaErrorStreamCaptureInvalidated);
  }
  *pGraph = new CUgraph_st{std::move(stream->captured)};
  stream->captured.clear();
  return cudaSuccess;
}

cudaError_t cudaGraphInstantiate(cudaGraphExec_t *pGraphExec, cudaGraph_t graph,
                                 unsigned long long flags) {
  (void)flags;
  if (!graph)
    return cudaErrorInvalidValue;
  *pGraphExec = new CUgraphExec_st{graph->nodes};
  awq::emu::countGraphInstantiation();
  return cudaSuccess;
}

cudaError_t cudaGraphGetNodes(cudaGraph_t graph, cudaGraphNode_t *nodes, size_t *numNodes) {
  if (!graph || !numNodes)
    return record(cudaErrorInvalidValue);
  if (nodes) { // node handles are not emulated: only the count
    std::fprintf(stderr, "awq CUDA emulator: cudaGraphGetNodes returns only the count\n");
    return record(cudaErrorNotSupported);
  }
  *numNodes = graph->nodes.size();
  return cudaSuccess;
}

// Takes `graph`'s parameters into `graphExec` when its nodes are of the same
// kinds in the same order (a captured stream is a chain, so that is its
// topology); otherwise fails and leaves graphExec as it was.
cudaError_t cudaGraphExecUpdate(cudaGraphExec_t graphExec, cudaGraph_t graph,
                                cudaGraphExecUpdateResultInfo *resultInfo) {
  if (!graphExec || !graph)
    return record(cudaErrorInvalidValue);
  cudaGraphExecUpdateResult result = cudaGraphExecUpdateSuccess;
  if (graph->nodes.size() != graphExec->nodes.size())
    result = cudaGraphExecUpdateErrorTopologyChanged;
  else
    for (size_t i = 0; i < graph->nodes.size() && result == cudaGraphExecUpdateSuccess; ++i)
      if (graph->nodes[i].kind != graphExec->nodes[i].kind)
        result = graph->nodes[i].kind.compare(0, 6, "memcpy") == 0 &&
                         graphExec->nodes[i].kind.compare(0, 6, "memcpy") == 0
                     ? cudaGraphExecUpdateErrorParametersChanged
                     : cudaGraphExecUpdateErrorNodeTypeChanged;
  if (resultInfo) {
    resultInfo->result = result;
    resultInfo->errorNode = nullptr;
    resultInfo->errorFromNode = nullptr;
  }
  if (result != cudaGraphExecUpdateSuccess)
    return record(cudaErrorGraphExecUpdateFailure);
  graphExec->nodes = graph->nodes;
  awq::emu::countGraphUpdate();
  return cudaSuccess;
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t graphExec, cudaStream_t stream) {
  if (!graphExec)
    return cudaErrorInvalidValue;
  awq::emu::countGraphLaunch();
  {
    std::lock_guard<std::mutex> lock(gMutex);
    AWQ_EMU_STICKY();
  }
  for (const CapturedNode &node : graphExec->nodes)
    enqueue(stream, node.work, node.kind.c_str());
  return cudaSuccess;
}

cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  delete graph;
  return cudaSuccess;
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t graphExec) {
  delete graphExec;
  return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t *event) {
  *event = new CUevent_st;
  return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  delete event;
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  enqueue(
      stream,
      [event] {
        event->at = std::chrono::steady_clock::now();
        return std::string();
      },
      "event record");
  return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  (void)event;
  awq::emu::countSynchronization("cudaEventSynchronize");
  std::lock_guard<std::mutex> lock(gMutex);
  AWQ_EMU_STICKY();
  return cudaSuccess;
}

cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t start, cudaEvent_t end) {
  *ms = std::chrono::duration<float, std::milli>(end->at - start->at).count();
  return cudaSuccess;
}

} // extern "C"
