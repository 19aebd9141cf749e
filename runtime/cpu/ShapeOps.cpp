// ShapeOps.cpp - ops that only reinterpret the shape: Reshape, Flatten, Squeeze, Unsqueeze, Shape.
#include "RuntimeInternal.h"

using namespace awq::rt;

namespace {

// The compute half of a view-like op: the bytes are unchanged, so copy them
// unless the caller let the output alias the input.
void copyBytes(const awq_tensor *data, awq_tensor *out) {
  if (out->data != data->data)
    std::memcpy(out->data, data->data, static_cast<size_t>(numel(data)) * awq_dtype_size(data->dtype));
}

void reshapeShape(const awq_tensor *data, const int64_t *shape, int64_t count, int allowzero,
                  awq_tensor *out) {
  checkDescriptor(data, "data");
  if (count < 0 || count > AWQ_MAX_RANK)
    raise("target rank %lld is outside [0, %d]", static_cast<long long>(count), AWQ_MAX_RANK);
  if (count > 0 && !shape)
    raise("shape is NULL but count is %lld", static_cast<long long>(count));
  Shape result(shape, shape + count);
  int64_t inferred = -1, known = 1;
  for (int64_t i = 0; i < count; ++i) {
    if (result[i] == -1) {
      if (inferred >= 0)
        raise("shape %s has more than one -1", shapeString(result).c_str());
      inferred = i;
      continue;
    }
    if (result[i] == 0 && !allowzero) {
      if (i >= data->rank)
        raise("shape %s copies dim %lld (0) but data %s has rank %d", shapeString(result).c_str(),
              static_cast<long long>(i), shapeString(data).c_str(), data->rank);
      result[i] = data->shape[i];
    }
    if (result[i] < 0)
      raise("shape %s has invalid dim %lld", shapeString(Shape(shape, shape + count)).c_str(),
            static_cast<long long>(result[i]));
    known *= result[i];
  }
  const int64_t total = numel(data);
  if (inferred >= 0) {
    if (known == 0 || total % known != 0)
      raise("cannot infer -1 in %s for data %s", shapeString(Shape(shape, shape + count)).c_str(),
            shapeString(data).c_str());
    result[inferred] = total / known;
  } else if (known != total) {
    raise("shape %s has %lld elements but data %s has %lld",
          shapeString(Shape(shape, shape + count)).c_str(), static_cast<long long>(known),
          shapeString(data).c_str(), static_cast<long long>(total));
  }
  setOutput(out, data->dtype, result);
}

void flattenShape(const awq_tensor *data, int64_t axis, awq_tensor *out) {
  checkDescriptor(data, "data");
  const int64_t a = axis < 0 ? axis + data->rank : axis;
  if (a < 0 || a > data->rank) // axis == rank is allowed: [N, 1]
    raise("axis %lld is out of range for rank %d", static_cast<long long>(axis), data->rank);
  int64_t rows = 1, columns = 1;
  for (int64_t i = 0; i < data->rank; ++i)
    (i < a ? rows : columns) *= data->shape[i];
  setOutput(out, data->dtype, {rows, columns});
}

void squeezeShape(const awq_tensor *data, const int64_t *axes, int64_t numAxes, awq_tensor *out) {
  checkDescriptor(data, "data");
  std::vector<bool> removed(static_cast<size_t>(data->rank), false);
  if (!axes || numAxes == 0) {
    for (int32_t i = 0; i < data->rank; ++i)
      removed[i] = data->shape[i] == 1;
  } else {
    for (int64_t i = 0; i < numAxes; ++i) {
      const int64_t a = normalizeAxis(axes[i], data->rank, "axis");
      if (data->shape[a] != 1)
        raise("axis %lld of data %s has size %lld, not 1", static_cast<long long>(axes[i]),
              shapeString(data).c_str(), static_cast<long long>(data->shape[a]));
      removed[a] = true;
    }
  }
  Shape shape;
  for (int32_t i = 0; i < data->rank; ++i)
    if (!removed[i])
      shape.push_back(data->shape[i]);
  setOutput(out, data->dtype, shape);
}

void unsqueezeShape(const awq_tensor *data, const int64_t *axes, int64_t numAxes, awq_tensor *out) {
  checkDescriptor(data, "data");
  if (!axes || numAxes <= 0)
    raise("axes must list at least one axis");
  const int64_t rank = data->rank + numAxes;
  if (rank > AWQ_MAX_RANK)
    raise("result rank %lld exceeds AWQ_MAX_RANK (%d)", static_cast<long long>(rank), AWQ_MAX_RANK);
  std::vector<bool> inserted(static_cast<size_t>(rank), false);
  for (int64_t i = 0; i < numAxes; ++i) {
    const int64_t a = normalizeAxis(axes[i], rank, "axis");
    if (inserted[a])
      raise("axis %lld is listed twice", static_cast<long long>(axes[i]));
    inserted[a] = true;
  }
  Shape shape;
  for (int64_t i = 0, next = 0; i < rank; ++i)
    shape.push_back(inserted[i] ? 1 : data->shape[next++]);
  setOutput(out, data->dtype, shape);
}

// Python-style clamped [start, end) range over the axes of data.
void shapeRange(const awq_tensor *data, int64_t start, int64_t end, int64_t *first, int64_t *last) {
  const int64_t rank = data->rank;
  auto clampIndex = [rank](int64_t i) {
    if (i < 0)
      i += rank;
    return std::min(std::max<int64_t>(i, 0), rank);
  };
  *first = clampIndex(start);
  *last = std::max(*first, clampIndex(end));
}

void shapeOpShape(const awq_tensor *data, int64_t start, int64_t end, awq_tensor *out) {
  checkDescriptor(data, "data");
  int64_t first, last;
  shapeRange(data, start, end, &first, &last);
  setOutput(out, AWQ_I64, {last - first});
}

} // namespace

extern "C" {

awq_status awq_reshape_shape(const awq_tensor *data, const int64_t *shape, int64_t count,
                             int allowzero, awq_tensor *out) {
  return guard("awq_reshape_shape", [&] { reshapeShape(data, shape, count, allowzero, out); });
}

awq_status awq_reshape(const awq_tensor *data, const int64_t *shape, int64_t count, int allowzero,
                       awq_tensor *out) {
  return guard("awq_reshape", [&] {
    checkData(data, "data");
    awq_tensor expected{};
    reshapeShape(data, shape, count, allowzero, &expected);
    checkOutput(expected, out);
    copyBytes(data, out);
  });
}

awq_status awq_flatten_shape(const awq_tensor *data, int64_t axis, awq_tensor *out) {
  return guard("awq_flatten_shape", [&] { flattenShape(data, axis, out); });
}

awq_status awq_flatten(const awq_tensor *data, int64_t axis, awq_tensor *out) {
  return guard("awq_flatten", [&] {
    checkData(data, "data");
    awq_tensor expected{};
    flattenShape(data, axis, &expected);
    checkOutput(expected, out);
    copyBytes(data, out);
  });
}

awq_status awq_squeeze_shape(const awq_tensor *data, const int64_t *axes, int64_t num_axes,
                             awq_tensor *out) {
  return guard("awq_squeeze_shape", [&] { squeezeShape(data, axes, num_axes, out); });
}

awq_status awq_squeeze(const awq_tensor *data, const int64_t *axes, int64_t num_axes,
                       awq_tensor *out) {
  return guard("awq_squeeze", [&] {
    checkData(data, "data");
    awq_tensor expected{};
    squeezeShape(data, axes, num_axes, &expected);
    checkOutput(expected, out);
    copyBytes(data, out);
  });
}

awq_status awq_unsqueeze_shape(const awq_tensor *data, const int64_t *axes, int64_t num_axes,
                               awq_tensor *out) {
  return guard("awq_unsqueeze_shape", [&] { unsqueezeShape(data, axes, num_axes, out); });
}

awq_status awq_unsqueeze(const awq_tensor *data, const int64_t *axes, int64_t num_axes,
                         awq_tensor *out) {
  return guard("awq_unsqueeze", [&] {
    checkData(data, "data");
    awq_tensor expected{};
    unsqueezeShape(data, axes, num_axes, &expected);
    checkOutput(expected, out);
    copyBytes(data, out);
  });
}

awq_status awq_shape_op_shape(const awq_tensor *data, int64_t start, int64_t end, awq_tensor *out) {
  return guard("awq_shape_op_shape", [&] { shapeOpShape(data, start, end, out); });
}

awq_status awq_shape_op(const awq_tensor *data, int64_t start, int64_t end, awq_tensor *out) {
  return guard("awq_shape_op", [&] {
    checkDescriptor(data, "data"); // only the descriptor is read, never the data
    awq_tensor expected{};
    shapeOpShape(data, start, end, &expected);
    checkOutput(expected, out);
    int64_t first, last;
    shapeRange(data, start, end, &first, &last);
    auto *dims = static_cast<int64_t *>(out->data);
    for (int64_t i = first; i < last; ++i)
      dims[i - first] = data->shape[i];
  });
}

} // extern "C"
