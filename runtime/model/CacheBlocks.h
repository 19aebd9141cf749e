// CacheBlocks.h - the memory of KV caches that grow in place, for the model
// backends (host memory for the CPU library, device memory for CUDA): what
// they hand out through awq_node.h's allocate_cache / cache_capacity.
//
// A carried cache (an output awq_model_carry_output pairs with the input it
// extends) lives in a block of [B, H, capacity, D] rows. While the block the
// carry holds has room, each run's awq.kv_cache_append writes only its new
// rows into it; when full, the append moves to a block twice the rows (each
// row is copied O(1) times over a sequence), and the old block is free for
// the next growth. A cache that is not carried goes back to the caller, so it
// stays contiguous in its planned buffer.
#ifndef AWQ_RUNTIME_MODEL_CACHEBLOCKS_H
#define AWQ_RUNTIME_MODEL_CACHEBLOCKS_H

#include "ModelBackend.h"

#include <algorithm>
#include <memory>
#include <vector>

namespace awq::rt {

template <class Buffer> class CacheBlocks {
public:
  // Fewest rows per head a block gets: short prompts grow a few times at
  // most before doubling takes over.
  static constexpr int64_t kMinRows = 16;

  explicit CacheBlocks(const ModelDescription &description)
      : outputOfSlot_(description.numSlots, -1) {
    for (size_t i = 0; i < description.outputs.size(); ++i)
      outputOfSlot_[description.outputs[i].slot] = static_cast<int32_t>(i);
  }

  // Before a run: which blocks the carries hold (their values are the run's
  // past); nothing is handed out yet. `slots` and `carries` stay valid for
  // the run.
  void beginRun(const awq_tensor *slots, const std::vector<CarriedTensor> &carries) {
    slots_ = slots;
    carries_ = &carries;
    for (auto &block : blocks_) {
      block->handedOut = false;
      block->held = false;
      for (const CarriedTensor &carry : carries)
        block->held = block->held || (carry.held && carry.value.data == block->memory.data);
    }
  }
  void endRun() { carries_ = nullptr; }

  // allocate_cache for `present` (an element of the run's slots). Returns
  // nullptr with *contiguous set when present is not carried (the caller
  // gives it its planned buffer), nullptr alone when out of memory.
  void *allocate(const awq_tensor *past, const awq_tensor *present, int64_t *capacity,
                 bool *contiguous) {
    *contiguous = false;
    const int64_t rows = present->shape[2];
    const CarriedTensor *carry = carryOf(present);
    if (!carry) {
      *contiguous = true;
      *capacity = rows;
      return nullptr;
    }
    const size_t headBytes = static_cast<size_t>(present->shape[0] * present->shape[1]) *
                             static_cast<size_t>(present->shape[3]) *
                             awq_dtype_size(present->dtype);
    // In place: past is the block this carry holds, and it has room.
    if (Block *block = live(past->data); block && carry->held &&
                                         carry->value.data == past->data &&
                                         block->capacity >= rows &&
                                         block->memory.capacity >= headBytes * block->capacity) {
      block->handedOut = true;
      *capacity = block->capacity;
      return block->memory.data;
    }
    // Otherwise the largest free block (never past's: it is read meanwhile),
    // or a new one, with twice the past's rows.
    const int64_t newCapacity = std::max({rows, 2 * past->shape[2], kMinRows});
    Block *chosen = nullptr;
    for (const auto &block : blocks_)
      if (!block->handedOut && !block->held && block->memory.data != past->data &&
          (!chosen || block->memory.capacity > chosen->memory.capacity))
        chosen = block.get();
    if (!chosen)
      chosen = blocks_.emplace_back(std::make_unique<Block>()).get();
    if (!chosen->memory.reserve(std::max<size_t>(headBytes * newCapacity, 64)))
      return nullptr;
    chosen->capacity = newCapacity;
    chosen->handedOut = true;
    *capacity = newCapacity;
    return chosen->memory.data;
  }

  // cache_capacity: rows per head of the live block at `data`, or 0.
  int64_t capacityOf(const void *data) const {
    const Block *block = live(data);
    return block ? block->capacity : 0;
  }

  // True when `data` is a block this run handed out (a carry then keeps it
  // as it is: no swap, no copy).
  bool handedOut(const void *data) const {
    for (const auto &block : blocks_)
      if (block->memory.data == data && block->handedOut)
        return true;
    return false;
  }

  size_t bytes() const {
    size_t total = 0;
    for (const auto &block : blocks_)
      total += block->memory.capacity;
    return total;
  }

private:
  struct Block {
    Buffer memory;
    int64_t capacity = 0;   // rows per head
    bool held = false;      // a held carry's value when the run began
    bool handedOut = false; // given to a node during the current run
  };

  Block *live(const void *data) const {
    for (const auto &block : blocks_)
      if (block->memory.data == data && (block->handedOut || block->held))
        return block.get();
    return nullptr;
  }

  // The carry whose output is the slot `present` points at, or nullptr.
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

  std::vector<std::unique_ptr<Block>> blocks_;
  std::vector<int32_t> outputOfSlot_; // model output index of each slot, or -1
  const awq_tensor *slots_ = nullptr;
  const std::vector<CarriedTensor> *carries_ = nullptr; // during a run
};

} // namespace awq::rt

#endif // AWQ_RUNTIME_MODEL_CACHEBLOCKS_H
