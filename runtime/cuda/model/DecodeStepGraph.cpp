// DecodeStepGraph.cpp - decode steps captured and launched as CUDA graphs
// (see DecodeStepGraph.h).
#include "DecodeStepGraph.h"

#include "RuntimeInternal.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace awq::cuda {
namespace {

thread_local DecodeStepGraph *activeCapture = nullptr;

// Uploads start 64 bytes apart in the staging (whole cache lines).
size_t aligned(size_t bytes) { return (bytes + 63) & ~static_cast<size_t>(63); }

bool environmentFlag(const char *name, bool byDefault) {
  const char *value = std::getenv(name);
  if (!value || !*value)
    return byDefault;
  if (std::strcmp(value, "0") == 0)
    return false;
  if (std::strcmp(value, "1") == 0)
    return true;
  awq::rt::raise("%s must be 0 or 1, not '%s'", name, value);
}

// Sets the capture in progress for the duration of one capture.
struct CaptureScope {
  explicit CaptureScope(DecodeStepGraph *graph) { activeCapture = graph; }
  ~CaptureScope() { activeCapture = nullptr; }
};

} // namespace

DecodeStepGraph::DecodeStepGraph(cudaStream_t stream)
    : stream_(stream), enabled_(environmentFlag("AWQ_CUDA_GRAPHS", true)),
      logging_(environmentFlag("AWQ_CUDA_LOG_GRAPHS", false)) {}

DecodeStepGraph::~DecodeStepGraph() {
  if (executable_)
    cudaGraphExecDestroy(executable_);
  if (staging_)
    cudaFreeHost(staging_);
}

DecodeStepGraph *DecodeStepGraph::capturing() { return activeCapture; }

void DecodeStepGraph::abandon(const char *reason, bool retryNextStep) {
  if (abandonedBecause_)
    return; // the first cause is the one to report
  abandonedBecause_ = reason;
  retryNextStep_ = retryNextStep;
}

const void *DecodeStepGraph::uploadSource(const void *host, size_t bytes) {
  if (activeCapture != this) {
    eagerUploadBytes_ += aligned(bytes);
    return host;
  }
  const size_t end = stagingUsed_ + aligned(bytes);
  if (end > stagingCapacity_) {
    stagingNeeded_ = std::max(stagingNeeded_, end);
    abandon("the pinned upload staging grows", /*retryNextStep=*/true);
    return nullptr;
  }
  void *copy = static_cast<uint8_t *>(staging_) + stagingUsed_;
  std::memcpy(copy, host, bytes);
  stagingUsed_ = end;
  return copy;
}

void DecodeStepGraph::log(const std::string &how) const {
  if (logging_)
    std::fprintf(stderr, "awq-cuda: run %lld: %s\n", static_cast<long long>(runs_), how.c_str());
}

// Called between runs (the last one synchronized): no copy reads the staging.
void DecodeStepGraph::growStaging() {
  if (stagingNeeded_ <= stagingCapacity_)
    return;
  if (staging_)
    cudaFreeHost(staging_);
  staging_ = nullptr;
  stagingCapacity_ = 0;
  const size_t capacity = aligned(stagingNeeded_ + stagingNeeded_ / 4);
  if (cudaError_t error = cudaMallocHost(&staging_, capacity)) {
    cudaGetLastError();
    staging_ = nullptr;
    // Every capture that uploads would be abandoned again.
    disabledBecause_ = std::string("no pinned memory for uploads: ") + cudaGetErrorString(error);
    return;
  }
  stagingCapacity_ = capacity;
}

int DecodeStepGraph::run(bool continuesSequence, const std::function<int()> &enqueueRun) {
  ++runs_;
  std::string eagerBecause;
  if (!enabled_)
    eagerBecause = "graphs off: AWQ_CUDA_GRAPHS=0";
  else if (!disabledBecause_.empty())
    eagerBecause = "graphs off: " + disabledBecause_;
  else if (!continuesSequence)
    eagerBecause = "reads no kept cache";
  else {
    int status = 0;
    if (captureAndLaunch(enqueueRun, &status))
      return status;
    if (abandonedBecause_)
      eagerBecause = std::string("capture abandoned: ") + abandonedBecause_;
    else if (!disableAfterEager_.empty())
      eagerBecause = "capture failed: " + disableAfterEager_;
    else
      eagerBecause = "graphs off: " + disabledBecause_;
  }
  log("eager (" + eagerBecause + ")");
  eagerUploadBytes_ = 0;
  const int status = enqueueRun();
  stagingNeeded_ = std::max(stagingNeeded_, eagerUploadBytes_);
  if (!disableAfterEager_.empty()) {
    // The step itself is fine where it ran eagerly: its capture is not.
    if (status == 0)
      disabledBecause_ = disableAfterEager_;
    disableAfterEager_.clear();
  }
  return status;
}

bool DecodeStepGraph::captureAndLaunch(const std::function<int()> &enqueueRun, int *status) {
  abandonedBecause_ = nullptr;
  retryNextStep_ = false;
  growStaging();
  if (!disabledBecause_.empty())
    return false;
  stagingUsed_ = 0;
  if (cudaError_t error = cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal)) {
    cudaGetLastError();
    disabledBecause_ = std::string("cudaStreamBeginCapture: ") + cudaGetErrorString(error);
    disableAfterEager_ = disabledBecause_;
    return false;
  }
  try {
    CaptureScope scope(this);
    *status = enqueueRun();
  } catch (...) { // end the capture, so the stream stays usable
    cudaGraph_t partial = nullptr;
    if (cudaStreamEndCapture(stream_, &partial) == cudaSuccess && partial)
      cudaGraphDestroy(partial);
    cudaGetLastError();
    throw;
  }
  cudaGraph_t graph = nullptr;
  const cudaError_t ended = cudaStreamEndCapture(stream_, &graph);
  if (ended != cudaSuccess)
    cudaGetLastError(); // capture errors are not sticky
  if (abandonedBecause_ || *status != 0 || ended != cudaSuccess) {
    if (graph)
      cudaGraphDestroy(graph);
    if (abandonedBecause_) {
      if (!retryNextStep_)
        disabledBecause_ = abandonedBecause_;
    } else if (*status != 0) {
      disableAfterEager_ = std::string("a node failed under capture: ") + awq_last_error();
    } else {
      disableAfterEager_ = std::string("cudaStreamEndCapture: ") + cudaGetErrorString(ended);
    }
    return false;
  }
  size_t nodes = 0;
  cudaGraphGetNodes(graph, nullptr, &nodes);
  const char *how = "updated";
  if (executable_) {
    cudaGraphExecUpdateResultInfo result{};
    if (cudaGraphExecUpdate(executable_, graph, &result) != cudaSuccess) {
      cudaGetLastError(); // the work changed shape: instantiate the new graph
      cudaGraphExecDestroy(executable_);
      executable_ = nullptr;
    }
  }
  if (!executable_) {
    how = "instantiated";
    if (cudaError_t error = cudaGraphInstantiate(&executable_, graph, 0)) {
      cudaGetLastError();
      executable_ = nullptr;
      disableAfterEager_ = std::string("cudaGraphInstantiate: ") + cudaGetErrorString(error);
    }
  }
  cudaGraphDestroy(graph);
  if (!executable_)
    return false;
  if (cudaError_t error = cudaGraphLaunch(executable_, stream_)) {
    cudaGetLastError();
    disableAfterEager_ = std::string("cudaGraphLaunch: ") + cudaGetErrorString(error);
    return false;
  }
  log("CUDA graph of " + std::to_string(nodes) + " nodes (" + how + ")");
  return true;
}

} // namespace awq::cuda
