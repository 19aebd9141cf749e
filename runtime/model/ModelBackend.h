// ModelBackend.h - where a compiled model's tensors live and how its graph
// runs: host memory for the CPU library (HostModelBackend.cpp), device memory
// for a library compiled with --target=cuda (runtime/cuda/model). The public
// API (CompiledModel.cpp) is the same for both; the archive linked into the
// library provides createModelBackend.
#ifndef AWQ_RUNTIME_MODEL_MODELBACKEND_H
#define AWQ_RUNTIME_MODEL_MODELBACKEND_H

#include "ModelDescription.h"
#include "awq_node.h"

#include "../cpu/RuntimeInternal.h"

#include <algorithm>
#include <cstddef>
#include <memory>
#include <utility>

namespace awq::rt {

// An output that each run keeps inside the instance to feed an input of the
// next run (awq_model_carry_output): a decoding loop's KV cache.
struct CarriedTensor {
  int32_t output = 0; // model output index
  int32_t input = 0;  // model input index
  bool held = false;  // `value` is the last successful run's output
  awq_tensor value{}; // in the backend's memory (on the device for CUDA floats)
};

class ModelBackend {
public:
  virtual ~ModelBackend() = default;

  // The data pointer slot `constant` uses; `hostData` is the constant in the
  // library (or the mapped side file), valid for the instance's life.
  virtual void *placeConstant(const ModelConstant &constant, const void *hostData) = 0;

  // Runs the graph once. slots: the description's slots with the inputs
  // (caller memory, host) and the constants (as placed) filled in, except
  // that the input of a held carry holds carry.value (backend memory);
  // afterwards outputs[i] describes model output i in host memory the backend
  // owns, and each carry's output is kept as its value (keepCarried) with
  // data NULL in `outputs`. Throws OpError on failure.
  virtual void run(std::vector<awq_tensor> &slots, std::vector<CarriedTensor> &carries,
                   awq_tensor *outputs, int32_t numOutputs) = 0;

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
  // Trades memory with `other` (same kind of memory): hands a planned
  // buffer's result to a carry without copying it.
  void swapStorage(GrowingBuffer &other) {
    std::swap(data, other.data);
    std::swap(capacity, other.capacity);
  }
};

// Host memory that only grows, 64-byte aligned.
struct HostBuffer : GrowingBuffer {
  HostBuffer() = default;
  HostBuffer(const HostBuffer &) = delete;
  HostBuffer &operator=(const HostBuffer &) = delete;
  HostBuffer(HostBuffer &&other) noexcept { swapStorage(other); }
  HostBuffer &operator=(HostBuffer &&other) noexcept {
    swapStorage(other);
    return *this;
  }
  ~HostBuffer();
  // At least `bytes` (previous contents are not kept); nullptr when out of memory.
  void *reserve(size_t bytes);
};

// Keeps `result`, a run's output in the backend's memory, as `carry`'s value
// in `storage` (a HostBuffer or a device buffer). When `result` lies in its
// planned buffer `planned` (or null), the two trade memory and nothing is
// copied: the planned buffer gets the storage's previous memory, whose
// contents (the input this run read) are no longer needed. Otherwise
// copy(destination, source, bytes) copies it.
template <class Buffer, class CopyFn>
void keepCarried(CarriedTensor &carry, const awq_tensor &result, Buffer *planned, Buffer &storage,
                 CopyFn &&copy) {
  const size_t bytes = static_cast<size_t>(numel(&result)) * awq_dtype_size(result.dtype);
  if (planned && result.data && planned->data == result.data) {
    storage.swapStorage(*planned);
  } else if (!result.data || result.data != storage.data) { // not already the kept memory
    if (!storage.reserve(bytes))
      raise("out of memory keeping a %zu-byte output for the next run", bytes);
    if (bytes)
      copy(storage.data, result.data, bytes);
  }
  carry.value = result;
  carry.value.data = storage.data;
  carry.held = true;
}

// Calls keep(index) for every carry. When one fails (out of memory), some
// would hold this run's output and some the last run's: all are forgotten
// and the error passes on.
template <class KeepFn> void keepAllCarried(std::vector<CarriedTensor> &carries, KeepFn &&keep) {
  try {
    for (size_t c = 0; c < carries.size(); ++c)
      keep(c);
  } catch (...) {
    for (CarriedTensor &carry : carries)
      carry.held = false;
    throw;
  }
}

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
