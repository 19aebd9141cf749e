// HostModelBackend.cpp - the CPU model library's backend: constants stay where
// the loader mapped them, intermediates live in the planned host buffers, and
// the graph calls the CPU node entries (awq_node_*). Carried outputs trade
// their planned buffer for the carry's memory after each run (no copy); a
// carried KV cache (awq.kv_cache_append) lives in a cache block with room to
// grow, so each step appends its rows in place.
#include "ModelBackend.h"

#include "../cpu/RuntimeInternal.h"
#include "awq_compiled_model.h"

#include <algorithm>
#include <cstring>
#include <memory>

namespace awq::rt {
namespace {

class HostModelBackend final : public ModelBackend {
public:
  HostModelBackend(const ModelDescription &description, int32_t numThreads)
      : description_(description), numThreads_(numThreads), buffers_(description.numBuffers),
        outputOfSlot_(description.numSlots, -1) {
    for (size_t i = 0; i < description.outputs.size(); ++i)
      outputOfSlot_[description.outputs[i].slot] = static_cast<int32_t>(i);
  }

  void *placeConstant(const ModelConstant &, const void *hostData) override {
    return const_cast<void *>(hostData);
  }

  void run(std::vector<awq_tensor> &slots, std::vector<CarriedTensor> &carries,
           awq_tensor *outputs, int32_t numOutputs) override {
    if (numThreads_ > 0)
      awq_set_num_threads(numThreads_);
    slots_ = slots.data();
    carries_ = &carries;
    // Which blocks the carries hold now (their values are this run's past).
    for (auto &block : caches_) {
      block->handedOut = false;
      block->held = false;
      for (const CarriedTensor &carry : carries)
        block->held = block->held || (carry.held && carry.value.data == block->memory.data);
    }
    awq_node_allocator allocator{this, &HostModelBackend::allocate,
                                 &HostModelBackend::allocateCache,
                                 &HostModelBackend::cacheCapacity};
    if (awq_compiled_model_graph(slots.data(), &allocator) != 0)
      throw OpError{awq_last_error()}; // the node already named itself
    for (int32_t i = 0; i < numOutputs; ++i)
      outputs[i] = slots[description_.outputs[i].slot];
    if (carried_.size() < carries.size())
      carried_.resize(carries.size());
    keepAllCarried(carries, [&](size_t c) {
      const awq_tensor &result = slots[description_.outputs[carries[c].output].slot];
      if (result.data && handedOutBlock(result.data)) {
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
    carries_ = nullptr;
  }

  size_t workspaceBytes() const override {
    size_t total = 0;
    for (const HostBuffer &buffer : buffers_)
      total += buffer.capacity;
    for (const HostBuffer &buffer : carried_)
      total += buffer.capacity;
    for (const auto &block : caches_)
      total += block->memory.capacity;
    return total;
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

  // ---- KV caches that grow in place (awq_node.h's allocate_cache) ----------

  // Memory for one carried cache: [B, H, capacity, D] rows.
  struct CacheBlock {
    HostBuffer memory;
    int64_t capacity = 0;    // rows per head
    bool held = false;       // a held carry's value when the run began
    bool handedOut = false;  // given to a node during the current run
  };
  // Fewest rows per head a cache block gets: short prompts grow a few times
  // at most before doubling takes over.
  static constexpr int64_t kMinCacheRows = 16;

  // The carry whose output is the graph result `present` (an element of
  // slots_), or nullptr when that output is not carried.
  const CarriedTensor *carryOf(const awq_tensor *present) const {
    const ptrdiff_t slot = present - slots_;
    if (!carries_ || slot < 0 || slot >= static_cast<ptrdiff_t>(outputOfSlot_.size()))
      return nullptr;
    const int32_t output = outputOfSlot_[slot];
    for (const CarriedTensor &carry : *carries_)
      if (carry.output == output)
        return &carry;
    return nullptr;
  }

  // The block whose memory is `data` while a held carry keeps it or a node
  // of this run was given it; nullptr otherwise.
  CacheBlock *liveBlock(const void *data) const {
    for (const auto &block : caches_)
      if (block->memory.data == data && (block->handedOut || block->held))
        return block.get();
    return nullptr;
  }
  CacheBlock *handedOutBlock(const void *data) const {
    for (const auto &block : caches_)
      if (block->memory.data == data && block->handedOut)
        return block.get();
    return nullptr;
  }

  static void *allocateCache(void *context, const awq_tensor *past, awq_tensor *present,
                             int64_t *capacity) {
    auto *self = static_cast<HostModelBackend *>(context);
    const int64_t rows = present->shape[2];
    const CarriedTensor *carry = self->carryOf(present);
    if (!carry) { // returned to the caller: contiguous, in its planned buffer
      *capacity = rows;
      return allocate(context, present);
    }
    const int64_t heads = present->shape[0] * present->shape[1];
    const size_t rowBytes =
        static_cast<size_t>(present->shape[3]) * awq_dtype_size(present->dtype);
    // Grow in place: past is the block this carry holds, with room left.
    if (CacheBlock *block = self->liveBlock(past->data);
        block && carry->held && carry->value.data == past->data && block->capacity >= rows &&
        block->memory.capacity >= static_cast<size_t>(heads * block->capacity) * rowBytes) {
      block->handedOut = true;
      *capacity = block->capacity;
      return block->memory.data;
    }
    // Otherwise a block twice the past's rows (amortized: each row is
    // copied O(1) times over a sequence), reusing a free one.
    const int64_t newCapacity = std::max({rows, 2 * past->shape[2], kMinCacheRows});
    const size_t bytes = static_cast<size_t>(heads * newCapacity) * rowBytes;
    CacheBlock *chosen = nullptr;
    for (const auto &block : self->caches_)
      if (!block->handedOut && !block->held && block->memory.data != past->data &&
          (!chosen || block->memory.capacity > chosen->memory.capacity))
        chosen = block.get();
    if (!chosen)
      chosen = self->caches_.emplace_back(std::make_unique<CacheBlock>()).get();
    if (!chosen->memory.reserve(std::max<size_t>(bytes, 64)))
      return nullptr;
    chosen->capacity = newCapacity;
    chosen->handedOut = true;
    *capacity = newCapacity;
    return chosen->memory.data;
  }

  static int64_t cacheCapacity(void *context, const void *data) {
    const CacheBlock *block = static_cast<HostModelBackend *>(context)->liveBlock(data);
    return block ? block->capacity : 0;
  }

  const ModelDescription &description_;
  int32_t numThreads_;
  std::vector<HostBuffer> buffers_;
  std::vector<HostBuffer> carried_; // one per carry (awq_model_carry_output)
  std::vector<std::unique_ptr<CacheBlock>> caches_;
  std::vector<int32_t> outputOfSlot_; // model output index of each slot, or -1
  awq_tensor *slots_ = nullptr;
  std::vector<CarriedTensor> *carries_ = nullptr; // during run()
};

} // namespace

std::unique_ptr<ModelBackend> createModelBackend(const ModelDescription &description,
                                                 int32_t numThreads) {
  return std::make_unique<HostModelBackend>(description, numThreads);
}

} // namespace awq::rt
