// Broadcast.cpp - plans numpy-style broadcast loops as rows of a coalesced inner axis.
#include "RuntimeInternal.h"

namespace awq::rt {

int64_t BroadcastPlan::rows() const {
  int64_t n = 1;
  for (int i = 0; i + 1 < rank; ++i)
    n *= dims[i];
  return n;
}

void BroadcastPlan::rowOffsets(int64_t row, int64_t *offsets) const {
  for (int k = 0; k < numInputs; ++k)
    offsets[k] = 0;
  for (int axis = rank - 2; axis >= 0; --axis) {
    const int64_t index = row % dims[axis];
    row /= dims[axis];
    for (int k = 0; k < numInputs; ++k)
      offsets[k] += index * strides[k][axis];
  }
}

BroadcastPlan makeBroadcastPlan(const Shape &outShape, const Shape *inputShapes, int numInputs) {
  BroadcastPlan plan;
  plan.numInputs = numInputs;
  const int outRank = static_cast<int>(outShape.size());

  // Element strides of every input aligned to the output axes (0 = broadcast).
  int64_t aligned[BroadcastPlan::kMaxInputs][AWQ_MAX_RANK] = {};
  for (int k = 0; k < numInputs; ++k) {
    const Shape &in = inputShapes[k];
    const int offset = outRank - static_cast<int>(in.size());
    int64_t stride = 1;
    for (int axis = outRank - 1; axis >= offset; --axis) {
      const int64_t dim = in[axis - offset];
      aligned[k][axis] = dim == 1 ? 0 : stride;
      stride *= dim;
    }
  }

  // Keep the axes that iterate over more than one element, merging an axis
  // into its inner neighbour when every input walks both as one run.
  for (int axis = 0; axis < outRank; ++axis) {
    if (outShape[axis] == 1)
      continue;
    bool merge = plan.rank > 0;
    for (int k = 0; k < numInputs && merge; ++k)
      merge = plan.strides[k][plan.rank - 1] == aligned[k][axis] * outShape[axis];
    if (merge) {
      plan.dims[plan.rank - 1] *= outShape[axis];
      for (int k = 0; k < numInputs; ++k)
        plan.strides[k][plan.rank - 1] = aligned[k][axis];
    } else {
      plan.dims[plan.rank] = outShape[axis];
      for (int k = 0; k < numInputs; ++k)
        plan.strides[k][plan.rank] = aligned[k][axis];
      ++plan.rank;
    }
  }
  if (plan.rank == 0) { // scalar or all-ones output: one row of one element
    plan.rank = 1;
    plan.dims[0] = 1;
  }
  return plan;
}

} // namespace awq::rt
