// ModelBackend.h - where a compiled model's tensors live and how its graph
// runs: host memory for the CPU library (HostModelBackend.cpp), device memory
// for a library compiled with --target=cuda (runtime/cuda/model). The public
// API (CompiledModel.cpp) is the same for both; the archive linked into the
// library provides createModelBackend.
#ifndef AWQ_RUNTIME_MODEL_MODELBACKEND_H
#define AWQ_RUNTIME_MODEL_MODELBACKEND_H

#include "ModelDescription.h"
#include "awq_node.h"

#include <algorithm>
#include <cstddef>
#include <memory>

namespace awq::rt {

class ModelBackend {
public:
  virtual ~ModelBackend() = default;

  // The data pointer slot `constant` uses; `hostData` is the constant in the
  // library (or the mapped side file), valid for the instance's life.
  virtual void *placeConstant(const ModelConstant &constant, const void *hostData) = 0;

  // Runs the graph once. slots: the description's slots with the inputs
  // (caller memory, host) and the constants (as placed) filled in; afterwards
  // outputs[i] describes model output i in host memory the backend owns.
  // Throws OpError on failure.
  virtual void run(std::vector<awq_tensor> &slots, awq_tensor *outputs, int32_t numOutputs) = 0;

  // Bytes held for intermediates (awq_model_workspace_bytes).
  virtual size_t workspaceBytes() const = 0;
};

// Defined once per model runtime archive: the host one in AWQModelRuntime,
// the CUDA one in AWQCudaModelRuntime.
std::unique_ptr<ModelBackend> createModelBackend(const ModelDescription &description,
                                                 int32_t numThreads);

// A buffer planned by the compiler (awq_compiled_model.h): grows to the
// largest tensor any run puts in it, so repeated runs of one size allocate
// nothing. `allocate(bytes)` gets memory of at least that size.
struct GrowingBuffer {
  void *data = nullptr;
  size_t capacity = 0;
  // Rounds up so a slowly growing sequence does not reallocate each step.
  static size_t roundedCapacity(size_t bytes, size_t previous) {
    return std::max<size_t>(64, (std::max(bytes, previous * 5 / 4) + 63) & ~static_cast<size_t>(63));
  }
};

// The buffer the compiler planned for the node result `output` points at
// (an element of `slots`), or -1 when it is not a planned slot.
inline int32_t plannedBufferOf(const ModelDescription &description, const awq_tensor *slots,
                               const awq_tensor *output) {
  const ptrdiff_t slot = output - slots;
  if (slot < 0 || slot >= static_cast<ptrdiff_t>(description.numSlots))
    return -1;
  return description.slotBuffers[slot];
}

} // namespace awq::rt

#endif // AWQ_RUNTIME_MODEL_MODELBACKEND_H
