//===- MemoryPlan.h - Sharing buffers between intermediates -----*- C++ -*-===//
//
// Assigns every intermediate tensor of a straight-line program a buffer so
// that tensors whose lifetimes do not overlap share one. Shapes may be
// dynamic, so buffers are sized at run time (they grow to the largest tensor
// put in them); the plan only decides who shares.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_LIB_CONVERSION_AWQTORUNTIME_MEMORYPLAN_H
#define AWQ_LIB_CONVERSION_AWQTORUNTIME_MEMORYPLAN_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace awq {

/// One step of the program: the slots it reads and the slots it defines.
struct PlannedStep {
  llvm::SmallVector<int32_t, 4> operands;
  llvm::SmallVector<int32_t, 2> results;
  /// Bytes of each result when its type is static (a hint for best fit).
  llvm::SmallVector<std::optional<int64_t>, 2> resultBytes;
  /// The single result is operand 0's bytes under another shape (Reshape,
  /// Squeeze, Unsqueeze, Flatten, Identity): it may live in operand 0's
  /// buffer, where the runtime's view entries find it already in place and
  /// copy nothing.
  bool resultReshapesFirstOperand = false;
};

struct MemoryPlan {
  /// The buffer of each slot; -1 for slots no step defines.
  std::vector<int32_t> slotBuffers;
  int32_t numBuffers = 0;
};

/// Plans `numSlots` slots defined and used by `steps` (in order); the slots in
/// `liveOut` (model outputs) are never given up. A step's results never share
/// a buffer with its operands or with each other, except the result of a
/// reshaping step, which shares its first operand's buffer when that operand
/// has one; a buffer is free again once every slot in it is dead.
MemoryPlan planMemory(int32_t numSlots, llvm::ArrayRef<PlannedStep> steps,
                      llvm::ArrayRef<int32_t> liveOut);

} // namespace awq

#endif // AWQ_LIB_CONVERSION_AWQTORUNTIME_MEMORYPLAN_H
