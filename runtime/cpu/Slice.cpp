// Slice.cpp - ONNX Slice with negative indices, numpy clamping and any non-zero step.
#include "RuntimeInternal.h"

using namespace awq::rt;

namespace {

// Per-axis first element, step and element count of the slice.
struct SlicePlan {
  Shape first, step, count;
};

SlicePlan planSlice(const awq_tensor *data, const int64_t *starts, const int64_t *ends,
                    const int64_t *axes, const int64_t *steps, int64_t count) {
  checkDescriptor(data, "data");
  if (count < 0 || count > data->rank)
    raise("%lld slice entries for data %s of rank %d", static_cast<long long>(count),
          shapeString(data).c_str(), data->rank);
  if (count > 0 && (!starts || !ends))
    raise("starts and ends must not be NULL");
  SlicePlan plan;
  plan.first.assign(static_cast<size_t>(data->rank), 0);
  plan.step.assign(static_cast<size_t>(data->rank), 1);
  plan.count = shapeOf(data);
  std::vector<bool> sliced(static_cast<size_t>(data->rank), false);
  for (int64_t i = 0; i < count; ++i) {
    const int64_t axis = normalizeAxis(axes ? axes[i] : i, data->rank, "axis");
    if (sliced[axis])
      raise("axis %lld is sliced twice", static_cast<long long>(axis));
    sliced[axis] = true;
    const int64_t step = steps ? steps[i] : 1;
    if (step == 0)
      raise("step for axis %lld is 0", static_cast<long long>(axis));
    const int64_t dim = data->shape[axis];
    // Negative indices count from the end; INT64_MIN/MAX style sentinels
    // must not overflow, hence the explicit comparisons before adding.
    int64_t start = starts[i], end = ends[i];
    if (start < 0)
      start = start < -dim ? -1 : start + dim;
    if (end < 0)
      end = end < -dim ? -1 : end + dim;
    if (step > 0) {
      start = std::min(std::max<int64_t>(start, 0), dim);
      end = std::min(std::max<int64_t>(end, 0), dim);
      plan.count[axis] = end > start ? (end - start + step - 1) / step : 0;
    } else {
      start = std::min(std::max<int64_t>(start, -1), dim - 1);
      end = std::min(std::max<int64_t>(end, -1), dim - 1);
      plan.count[axis] = start > end ? (start - end - step - 1) / -step : 0;
    }
    plan.first[axis] = start;
    plan.step[axis] = step;
  }
  return plan;
}

} // namespace

extern "C" {

awq_status awq_slice_shape(const awq_tensor *data, const int64_t *starts, const int64_t *ends,
                           const int64_t *axes, const int64_t *steps, int64_t count,
                           awq_tensor *out) {
  return guard("awq_slice_shape", [&] {
    const SlicePlan plan = planSlice(data, starts, ends, axes, steps, count);
    setOutput(out, data->dtype, plan.count);
  });
}

awq_status awq_slice(const awq_tensor *data, const int64_t *starts, const int64_t *ends,
                     const int64_t *axes, const int64_t *steps, int64_t count, awq_tensor *out) {
  return guard("awq_slice", [&] {
    checkData(data, "data");
    const StridedView view = sliceView(data, starts, ends, axes, steps, count);
    awq_tensor expected{};
    setOutput(&expected, data->dtype, view.shape);
    checkOutput(expected, out);
    copyView(data, view, out->data);
  });
}

} // extern "C"

StridedView awq::rt::sliceView(const awq_tensor *data, const int64_t *starts, const int64_t *ends,
                               const int64_t *axes, const int64_t *steps, int64_t count) {
  const SlicePlan plan = planSlice(data, starts, ends, axes, steps, count);
  const Shape inputStrides = contiguousStrides(shapeOf(data));
  StridedView view{plan.count, 0, Shape(inputStrides.size())};
  for (size_t axis = 0; axis < inputStrides.size(); ++axis) {
    view.offset += plan.first[axis] * inputStrides[axis];
    view.strides[axis] = plan.step[axis] * inputStrides[axis];
  }
  return view;
}
