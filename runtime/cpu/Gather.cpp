// Gather.cpp - ONNX Gather: select slices along one axis by (possibly negative) indices.
#include "RuntimeInternal.h"

using namespace awq::rt;

namespace {

void gatherShape(const awq_tensor *data, const awq_tensor *indices, int64_t axis, awq_tensor *out) {
  checkDescriptor(data, "data");
  checkDescriptor(indices, "indices");
  if (indices->dtype != AWQ_I64 && indices->dtype != AWQ_I32)
    raise("indices must be i64 or i32, got %s", awq_dtype_name(indices->dtype));
  const int64_t a = normalizeAxis(axis, data->rank, "axis");
  Shape shape(data->shape, data->shape + a);
  shape.insert(shape.end(), indices->shape, indices->shape + indices->rank);
  shape.insert(shape.end(), data->shape + a + 1, data->shape + data->rank);
  setOutput(out, data->dtype, shape);
}

} // namespace

extern "C" {

awq_status awq_gather_shape(const awq_tensor *data, const awq_tensor *indices, int64_t axis,
                            awq_tensor *out) {
  return guard("awq_gather_shape", [&] { gatherShape(data, indices, axis, out); });
}

awq_status awq_gather(const awq_tensor *data, const awq_tensor *indices, int64_t axis,
                      awq_tensor *out) {
  return guard("awq_gather", [&] {
    checkData(data, "data");
    checkData(indices, "indices");
    awq_tensor expected{};
    gatherShape(data, indices, axis, &expected);
    checkOutput(expected, out);
    const GatherRows plan = gatherRows(data, indices, axis);
    const int64_t count = static_cast<int64_t>(plan.rows.size());
    const size_t sliceBytes = static_cast<size_t>(plan.inner) * awq_dtype_size(data->dtype);
    const auto *src = static_cast<const char *>(data->data);
    auto *dst = static_cast<char *>(out->data);
    // One task = copy one selected slice for one outer index.
    parallelFor(plan.outer * count,
                std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(plan.inner, 1)),
                [&](int64_t begin, int64_t end) {
                  for (int64_t task = begin; task < end; ++task) {
                    const int64_t o = task / count, i = task % count;
                    std::memcpy(dst + task * sliceBytes,
                                src + (o * plan.extent + plan.rows[i]) * sliceBytes, sliceBytes);
                  }
                });
  });
}

} // extern "C"

GatherRows awq::rt::gatherRows(const awq_tensor *data, const awq_tensor *indices, int64_t axis) {
  awq_tensor out{};
  gatherShape(data, indices, axis, &out);
  checkData(indices, "indices");
  const int64_t a = normalizeAxis(axis, data->rank, "axis");
  GatherRows plan;
  plan.extent = data->shape[a];
  for (int64_t i = 0; i < a; ++i)
    plan.outer *= data->shape[i];
  for (int64_t i = a + 1; i < data->rank; ++i)
    plan.inner *= data->shape[i];
  // Validate and wrap every index before any copying starts.
  const int64_t count = numel(indices);
  plan.rows.resize(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const int64_t index = indices->dtype == AWQ_I64
                              ? static_cast<const int64_t *>(indices->data)[i]
                              : static_cast<const int32_t *>(indices->data)[i];
    if (index < -plan.extent || index >= plan.extent)
      raise("index %lld is out of range for axis %lld of size %lld",
            static_cast<long long>(index), static_cast<long long>(axis),
            static_cast<long long>(plan.extent));
    plan.rows[i] = index < 0 ? index + plan.extent : index;
  }
  return plan;
}
