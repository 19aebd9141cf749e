// Reductions.cpp - ONNX ReduceSum/Mean/Max/Min/Prod over any set of axes.
#include "RuntimeInternal.h"

#include <limits>
#include <type_traits>

using namespace awq::rt;

namespace {

const char *reduceName(awq_reduce_op op) {
  switch (op) {
  case AWQ_REDUCE_SUM: return "ReduceSum";
  case AWQ_REDUCE_MEAN: return "ReduceMean";
  case AWQ_REDUCE_MAX: return "ReduceMax";
  case AWQ_REDUCE_MIN: return "ReduceMin";
  case AWQ_REDUCE_PROD: return "ReduceProd";
  }
  return nullptr;
}

// Marks the reduced axes; an empty set with noop means "reduce nothing".
std::vector<bool> reducedAxes(const awq_tensor *x, const int64_t *axes, int64_t numAxes,
                              int noopWithEmptyAxes) {
  std::vector<bool> reduced(static_cast<size_t>(x->rank), false);
  if (!axes || numAxes == 0) {
    if (!noopWithEmptyAxes)
      reduced.assign(reduced.size(), true);
    return reduced;
  }
  for (int64_t i = 0; i < numAxes; ++i) {
    const int64_t axis = normalizeAxis(axes[i], x->rank, "axis");
    if (reduced[axis])
      raise("axis %lld is listed twice", static_cast<long long>(axes[i]));
    reduced[axis] = true;
  }
  return reduced;
}

void reduceShape(awq_reduce_op op, const awq_tensor *x, const int64_t *axes, int64_t numAxes,
                 int keepdims, int noopWithEmptyAxes, awq_tensor *out) {
  const char *name = reduceName(op);
  if (!name)
    raise("unknown reduce op %d", static_cast<int>(op));
  checkDescriptor(x, "input");
  if (!isFloatDtype(x->dtype) && !isIntegerDtype(x->dtype))
    raise("%s does not support dtype %s", name, awq_dtype_name(x->dtype));
  if (numAxes < 0)
    raise("negative axis count %lld", static_cast<long long>(numAxes));
  const std::vector<bool> reduced = reducedAxes(x, axes, numAxes, noopWithEmptyAxes);
  Shape shape;
  for (int32_t i = 0; i < x->rank; ++i) {
    if (!reduced[i])
      shape.push_back(x->shape[i]);
    else if (keepdims)
      shape.push_back(1);
  }
  setOutput(out, x->dtype, shape);
}

} // namespace

ReductionAxes awq::rt::reductionAxes(const awq_tensor *x, const int64_t *axes, int64_t numAxes,
                                     int noopWithEmptyAxes) {
  const std::vector<bool> reduced = reducedAxes(x, axes, numAxes, noopWithEmptyAxes);
  const Shape strides = contiguousStrides(shapeOf(x));
  ReductionAxes split;
  for (int32_t i = 0; i < x->rank; ++i) {
    Shape &dims = reduced[i] ? split.reducedDims : split.keptDims;
    Shape &axisStrides = reduced[i] ? split.reducedStrides : split.keptStrides;
    // Merge with the previous axis of the same kind when they form one run.
    if (!dims.empty() && axisStrides.back() == strides[i] * x->shape[i]) {
      dims.back() *= x->shape[i];
      axisStrides.back() = strides[i];
    } else {
      dims.push_back(x->shape[i]);
      axisStrides.push_back(strides[i]);
    }
  }
  return split;
}

namespace {

template <class T>
void reduceTyped(awq_reduce_op op, const awq_tensor *x, const ReductionAxes &split,
                 awq_tensor *out) {
  using Compute = typename T::Compute;
  // Floats accumulate in double, integers in int64.
  using Acc = std::conditional_t<std::is_floating_point_v<Compute>, double, int64_t>;
  const int64_t outputs = numelOf(split.keptDims);
  const int64_t count = numelOf(split.reducedDims);
  const int64_t runLength = split.reducedDims.empty() ? 1 : split.reducedDims.back();
  const int64_t runStride = split.reducedDims.empty() ? 0 : split.reducedStrides.back();
  const auto *src = static_cast<const typename T::Storage *>(x->data);
  auto *dst = static_cast<typename T::Storage *>(out->data);
  const int64_t minOutputsPerThread = std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(count, 1));

  parallelFor(outputs, minOutputsPerThread, [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      int64_t base = 0;
      for (int64_t axis = static_cast<int64_t>(split.keptDims.size()) - 1, rest = o; axis >= 0; --axis) {
        base += (rest % split.keptDims[axis]) * split.keptStrides[axis];
        rest /= split.keptDims[axis];
      }
      Acc acc = op == AWQ_REDUCE_PROD ? Acc(1)
                : op == AWQ_REDUCE_MAX ? std::numeric_limits<Acc>::lowest()
                : op == AWQ_REDUCE_MIN ? std::numeric_limits<Acc>::max()
                                       : Acc(0);
      // The innermost reduced run is walked with a fixed stride; only the
      // remaining reduced axes need index arithmetic.
      const int64_t runs = count == 0 ? 0 : count / runLength;
      for (int64_t run = 0; run < runs; ++run) {
        int64_t offset = base;
        for (int64_t axis = static_cast<int64_t>(split.reducedDims.size()) - 2, rest = run; axis >= 0; --axis) {
          offset += (rest % split.reducedDims[axis]) * split.reducedStrides[axis];
          rest /= split.reducedDims[axis];
        }
        for (int64_t i = 0; i < runLength; ++i) {
          const Acc v = static_cast<Acc>(T::load(src[offset + i * runStride]));
          switch (op) {
          case AWQ_REDUCE_SUM: case AWQ_REDUCE_MEAN: acc += v; break;
          case AWQ_REDUCE_PROD: acc *= v; break;
          case AWQ_REDUCE_MAX: acc = v > acc ? v : acc; break;
          case AWQ_REDUCE_MIN: acc = v < acc ? v : acc; break;
          }
        }
      }
      if (op == AWQ_REDUCE_MEAN)
        acc = count > 0 ? acc / static_cast<Acc>(count) : Acc(0);
      dst[o] = T::store(static_cast<Compute>(acc));
    }
  });
}

} // namespace

extern "C" {

awq_status awq_reduce_shape(awq_reduce_op op, const awq_tensor *x, const int64_t *axes,
                            int64_t num_axes, int keepdims, int noop_with_empty_axes,
                            awq_tensor *out) {
  return guard("awq_reduce_shape", [&] {
    reduceShape(op, x, axes, num_axes, keepdims, noop_with_empty_axes, out);
  });
}

awq_status awq_reduce(awq_reduce_op op, const awq_tensor *x, const int64_t *axes,
                      int64_t num_axes, int keepdims, int noop_with_empty_axes, awq_tensor *out) {
  return guard("awq_reduce", [&] {
    checkData(x, "input");
    awq_tensor expected{};
    reduceShape(op, x, axes, num_axes, keepdims, noop_with_empty_axes, &expected);
    checkOutput(expected, out);
    const ReductionAxes split = reductionAxes(x, axes, num_axes, noop_with_empty_axes);
    dispatchAny(x->dtype, [&](auto traits) {
      using T = decltype(traits);
      if constexpr (!std::is_same_v<T, BoolT>)
        reduceTyped<T>(op, x, split, out);
    });
  });
}

} // extern "C"
