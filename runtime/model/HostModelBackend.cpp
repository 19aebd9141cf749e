// HostModelBackend.cpp - the CPU model library's backend: constants stay where
// the loader mapped them, intermediates live in the planned host buffers, and
// the graph calls the CPU node entries (awq_node_*). Carried outputs trade
// their planned buffer for the carry's memory after each run (no copy); a
// carried KV cache (awq.kv_cache_append) lives in a cache block with room to
// grow, so each step appends its rows in place.
#include "CacheBlocks.h"
#include "ModelBackend.h"

#include "../cpu/RuntimeInternal.h"
#include "awq_compiled_model.h"

#include <cstring>

namespace awq::rt {
namespace {

class HostModelBackend final : public ModelBackend {
public:
  HostModelBackend(const ModelDescription &description, int32_t numThreads)
      : description_(description), numThreads_(numThreads), buffers_(description.numBuffers),
        caches_(description) {}

  void *placeConstant(const ModelConstant &, const void *hostData) override {
    return const_cast<void *>(hostData);
  }

  void run(std::vector<awq_tensor> &slots, std::vector<CarriedTensor> &carries,
           awq_tensor *outputs, int32_t numOutputs) override {
    if (numThreads_ > 0)
      awq_set_num_threads(numThreads_);
    slots_ = slots.data();
    caches_.beginRun(slots.data(), carries);
    awq_node_allocator allocator{this, &HostModelBackend::allocate,
                                 &HostModelBackend::allocateCache,
                                 &HostModelBackend::cacheCapacity};
    const int status = awq_compiled_model_graph(slots.data(), &allocator);
    caches_.endRun();
    if (status != 0)
      throw OpError{awq_last_error()}; // the node already named itself
    for (int32_t i = 0; i < numOutputs; ++i)
      outputs[i] = slots[description_.outputs[i].slot];
    if (carried_.size() < carries.size())
      carried_.resize(carries.size());
    keepAllCarried(carries, [&](size_t c) {
      const awq_tensor &result = slots[description_.outputs[carries[c].output].slot];
      if (result.data && caches_.handedOut(result.data)) {
        // A cache block this run grew: the carry holds it as it is (the
        // block it held before, if another, is free again).
        carries[c].value = result;
        carries[c].held = true;
      } else {
        const int32_t planned = plannedBufferOf(description_, slots.data(), &result);
        keepCarried(carries[c], result, planned >= 0 ? &buffers_[planned] : nullptr, carried_[c],
                    [](void *to, const void *from, size_t bytes) { std::memcpy(to, from, bytes); });
      }
      outputs[carries[c].output].data = nullptr;
    });
  }

  size_t workspaceBytes() const override {
    size_t total = 0;
    for (const HostBuffer &buffer : buffers_)
      total += buffer.capacity;
    for (const HostBuffer &buffer : carried_)
      total += buffer.capacity;
    return total + caches_.bytes();
  }

private:
  // The node allocator: hands out the buffer planned for the output's slot.
  static void *allocate(void *context, awq_tensor *output) {
    auto *self = static_cast<HostModelBackend *>(context);
    const int32_t bufferIndex = plannedBufferOf(self->description_, self->slots_, output);
    if (bufferIndex < 0)
      return nullptr;
    const size_t bytes = static_cast<size_t>(numel(output)) * awq_dtype_size(output->dtype);
    return self->buffers_[bufferIndex].reserve(bytes);
  }

  // awq_node.h's KV-cache functions, on the CacheBlocks policy.
  static void *allocateCache(void *context, const awq_tensor *past, awq_tensor *present,
                             int64_t *capacity) {
    auto *self = static_cast<HostModelBackend *>(context);
    bool contiguous = false;
    void *data = self->caches_.allocate(past, present, capacity, &contiguous);
    return contiguous ? allocate(context, present) : data;
  }
  static int64_t cacheCapacity(void *context, const void *data) {
    return static_cast<HostModelBackend *>(context)->caches_.capacityOf(data);
  }

  const ModelDescription &description_;
  int32_t numThreads_;
  std::vector<HostBuffer> buffers_;
  std::vector<HostBuffer> carried_; // one per carry (awq_model_carry_output)
  CacheBlocks<HostBuffer> caches_; // carried KV caches that grow in place
  awq_tensor *slots_ = nullptr;
};

} // namespace

std::unique_ptr<ModelBackend> createModelBackend(const ModelDescription &description,
                                                 int32_t numThreads) {
  return std::make_unique<HostModelBackend>(description, numThreads);
}

} // namespace awq::rt
