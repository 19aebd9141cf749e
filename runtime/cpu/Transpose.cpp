// Transpose.cpp - ONNX Transpose as a strided copy.
#include "RuntimeInternal.h"

using namespace awq::rt;

namespace {

// Resolves perm (NULL/empty = reversed axes) and checks it is a permutation.
Shape resolvePerm(const awq_tensor *data, const int64_t *perm, int64_t numPerm) {
  Shape resolved(static_cast<size_t>(data->rank));
  if (!perm || numPerm == 0) {
    for (int32_t i = 0; i < data->rank; ++i)
      resolved[i] = data->rank - 1 - i;
    return resolved;
  }
  if (numPerm != data->rank)
    raise("perm has %lld entries but data %s has rank %d", static_cast<long long>(numPerm),
          shapeString(data).c_str(), data->rank);
  std::vector<bool> seen(static_cast<size_t>(data->rank), false);
  for (int64_t i = 0; i < numPerm; ++i) {
    const int64_t axis = normalizeAxis(perm[i], data->rank, "perm entry");
    if (seen[axis])
      raise("perm %s repeats axis %lld", shapeString(Shape(perm, perm + numPerm)).c_str(),
            static_cast<long long>(perm[i]));
    seen[axis] = true;
    resolved[i] = axis;
  }
  return resolved;
}

// Describes the transposed output (without building a Shape: every Transpose
// node runs this) and returns the resolved permutation.
Shape transposeShape(const awq_tensor *data, const int64_t *perm, int64_t numPerm, awq_tensor *out) {
  checkDescriptor(data, "data");
  Shape resolved = resolvePerm(data, perm, numPerm);
  const awq_tensor input = *data; // out may be data
  setOutputLike(out, input.dtype, &input);
  for (size_t i = 0; i < resolved.size(); ++i)
    out->shape[i] = input.shape[resolved[i]];
  return resolved;
}

} // namespace

extern "C" {

awq_status awq_transpose_shape(const awq_tensor *data, const int64_t *perm, int64_t num_perm,
                               awq_tensor *out) {
  return guard("awq_transpose_shape", [&] { transposeShape(data, perm, num_perm, out); });
}

awq_status awq_transpose(const awq_tensor *data, const int64_t *perm, int64_t num_perm,
                         awq_tensor *out) {
  return guard("awq_transpose", [&] {
    checkData(data, "data");
    awq_tensor expected{};
    transposeShape(data, perm, num_perm, &expected);
    checkOutput(expected, out);
    copyView(data, transposeView(data, perm, num_perm), out->data);
  });
}

} // extern "C"

// Output axis i walks input axis perm[i].
StridedView awq::rt::transposeView(const awq_tensor *data, const int64_t *perm, int64_t numPerm) {
  awq_tensor out{};
  const Shape resolved = transposeShape(data, perm, numPerm, &out);
  const Shape inputStrides = contiguousStrides(shapeOf(data));
  StridedView view{shapeOf(&out), 0, {}};
  for (int64_t axis : resolved)
    view.strides.push_back(inputStrides[axis]);
  return view;
}
