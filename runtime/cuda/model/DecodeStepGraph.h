// DecodeStepGraph.h - a CUDA model's decode steps launched as CUDA graphs.
//
// A decode step (a run that continues a sequence: it reads a carried KV
// cache the last run kept) launches tens of small kernels per layer; one
// launch at a time, the GPU idles between them while the host issues the
// next. So the backend captures such a step on its stream (the host-side
// ops still run on the CPU as the graph code reaches them) and launches the
// captured work as one graph. The previous step's executable graph is
// updated in place when the work has the same shape (cudaGraphExecUpdate:
// same kinds of nodes in the same order, new parameters such as the cache
// length); it is instantiated anew when the shape changed (a KV cache moving
// to a bigger block adds a copy).
//
// What a captured step may not do, and what follows (the capture is
// abandoned before anything runs on the device, and the step runs eagerly):
// - grow device memory (a planned buffer, scratch, a KV-cache block):
//   cudaMalloc and cudaFree cannot be captured. The eager run grows it and
//   the next step is captured again.
// - upload more host data than the pinned staging holds (a captured copy
//   reads its source when the graph launches, so the source must be memory
//   the backend owns and keeps: its pinned staging). The eager run measures its uploads and the
//   staging grows after it; the next step is captured again.
// - read device data on the host (an op without a device form): that needs
//   a synchronization, so graphs stay off for this model instance.
// - anything else failing under capture (a CUDA call refused): graphs stay
//   off for the instance once the same step has run eagerly.
//
// AWQ_CUDA_GRAPHS=0 turns graphs off; AWQ_CUDA_LOG_GRAPHS=1 prints how each
// run ran on stderr.
#ifndef AWQ_RUNTIME_CUDA_MODEL_DECODESTEPGRAPH_H
#define AWQ_RUNTIME_CUDA_MODEL_DECODESTEPGRAPH_H

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace awq::cuda {

class DecodeStepGraph {
public:
  explicit DecodeStepGraph(cudaStream_t stream);
  ~DecodeStepGraph();
  DecodeStepGraph(const DecodeStepGraph &) = delete;
  DecodeStepGraph &operator=(const DecodeStepGraph &) = delete;

  // Runs one model run: captured and launched as a graph when it continues
  // a sequence and graphs are on, else eagerly. `enqueueRun` enqueues the
  // run's device work on the stream and returns its status (0: success); it
  // may be called twice when a capture is abandoned (nothing ran on the
  // device the first time). Returns the status of the call that counted.
  int run(bool continuesSequence, const std::function<int()> &enqueueRun);

  // The graph being captured on this thread, or nullptr: code that must not
  // run under capture asks this first.
  static DecodeStepGraph *capturing();
  // Gives up the capture in progress (the step then runs eagerly). With
  // retryNextStep the cause goes away by running eagerly once (memory grows);
  // otherwise graphs stay off for this instance.
  void abandon(const char *reason, bool retryNextStep);
  // Where an upload of `bytes` from `host` reads from: under capture a
  // pinned copy of it (nullptr, the capture abandoned, when the staging is
  // too small); otherwise `host` itself, and the upload is measured for the
  // staging the next capture needs.
  const void *uploadSource(const void *host, size_t bytes);

private:
  bool captureAndLaunch(const std::function<int()> &enqueueRun, int *status);
  void growStaging();
  void log(const std::string &how) const;

  cudaStream_t stream_;
  bool enabled_ = true, logging_ = false;
  std::string disabledBecause_;    // set: graphs are off for good
  std::string disableAfterEager_;  // a capture failed for an unknown cause
  const char *abandonedBecause_ = nullptr;
  bool retryNextStep_ = false;
  cudaGraphExec_t executable_ = nullptr;
  // Pinned host memory captured uploads read (reset every run).
  void *staging_ = nullptr;
  size_t stagingCapacity_ = 0, stagingUsed_ = 0;
  size_t eagerUploadBytes_ = 0, stagingNeeded_ = 0;
  int64_t runs_ = 0;
};

} // namespace awq::cuda

#endif // AWQ_RUNTIME_CUDA_MODEL_DECODESTEPGRAPH_H
