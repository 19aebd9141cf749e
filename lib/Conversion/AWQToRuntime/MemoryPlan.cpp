//===- MemoryPlan.cpp - Sharing buffers between intermediates -------------===//

#include "MemoryPlan.h"

#include "llvm/ADT/DenseSet.h"

namespace awq {

MemoryPlan planMemory(int32_t numSlots, llvm::ArrayRef<PlannedStep> steps,
                      llvm::ArrayRef<int32_t> liveOut) {
  MemoryPlan plan;
  plan.slotBuffers.assign(numSlots, -1);

  // Last step reading each slot; model outputs live past the end.
  std::vector<int64_t> lastUse(numSlots, -1);
  for (auto [index, step] : llvm::enumerate(steps))
    for (int32_t slot : step.operands)
      if (slot >= 0)
        lastUse[slot] = static_cast<int64_t>(index);
  for (int32_t slot : liveOut)
    lastUse[slot] = static_cast<int64_t>(steps.size());

  // Free buffers with the largest static size seen in each (0 = unknown).
  struct FreeBuffer {
    int32_t buffer;
    int64_t bytes;
  };
  std::vector<FreeBuffer> freeBuffers;
  std::vector<int64_t> bufferBytes;

  // Live slots in each buffer (more than one where a reshape aliases).
  std::vector<int32_t> bufferSlots;

  for (auto [index, step] : llvm::enumerate(steps)) {
    // A reshape's result stays in its operand's bytes: same buffer, no copy.
    const int32_t source = step.operands.empty() ? -1 : step.operands[0];
    if (step.resultReshapesFirstOperand && step.results.size() == 1 && source >= 0 &&
        plan.slotBuffers[source] >= 0) {
      plan.slotBuffers[step.results[0]] = plan.slotBuffers[source];
      ++bufferSlots[plan.slotBuffers[source]];
    }
    // Results first, while the operands still hold their buffers.
    for (auto [slot, bytes] : llvm::zip(step.results, step.resultBytes)) {
      if (plan.slotBuffers[slot] >= 0)
        continue; // aliased above
      int64_t wanted = bytes.value_or(0);
      // Best fit: the smallest free buffer at least as large; else the
      // largest one (it grows); else a new buffer.
      auto best = freeBuffers.end();
      for (auto it = freeBuffers.begin(); it != freeBuffers.end(); ++it) {
        bool fits = it->bytes >= wanted;
        if (best == freeBuffers.end()) {
          best = it;
          continue;
        }
        bool bestFits = best->bytes >= wanted;
        if ((fits && (!bestFits || it->bytes < best->bytes)) ||
            (!fits && !bestFits && it->bytes > best->bytes))
          best = it;
      }
      int32_t buffer;
      if (best != freeBuffers.end()) {
        buffer = best->buffer;
        freeBuffers.erase(best);
      } else {
        buffer = plan.numBuffers++;
        bufferBytes.push_back(0);
        bufferSlots.push_back(0);
      }
      bufferBytes[buffer] = std::max(bufferBytes[buffer], wanted);
      plan.slotBuffers[slot] = buffer;
      ++bufferSlots[buffer];
    }
    // Then give back what died here: operands read for the last time, and
    // results nobody reads.
    llvm::SmallDenseSet<int32_t, 8> released;
    auto release = [&](int32_t slot) {
      int32_t buffer = plan.slotBuffers[slot];
      if (buffer < 0 || !released.insert(slot).second)
        return;
      if (--bufferSlots[buffer] == 0)
        freeBuffers.push_back({buffer, bufferBytes[buffer]});
    };
    for (int32_t slot : step.operands)
      if (slot >= 0 && lastUse[slot] == static_cast<int64_t>(index))
        release(slot);
    for (int32_t slot : step.results)
      if (lastUse[slot] < 0)
        release(slot);
  }
  return plan;
}

} // namespace awq
