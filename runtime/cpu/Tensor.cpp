// Tensor.cpp - dtype facts and validation of awq_tensor descriptors.
#include "RuntimeInternal.h"

#include <algorithm>

namespace awq::rt {

bool isValidDtype(int32_t dtype) { return dtype >= AWQ_F32 && dtype <= AWQ_BOOL; }

bool isFloatDtype(int32_t dtype) {
  return dtype == AWQ_F32 || dtype == AWQ_F16 || dtype == AWQ_BF16;
}

bool isIntegerDtype(int32_t dtype) {
  return dtype == AWQ_I64 || dtype == AWQ_I32 || dtype == AWQ_I8 || dtype == AWQ_U8;
}

void checkDescriptor(const awq_tensor *t, const char *role) {
  if (!t)
    raise("%s is NULL", role);
  if (!isValidDtype(t->dtype))
    raise("%s has invalid dtype %d", role, t->dtype);
  if (t->rank < 0 || t->rank > AWQ_MAX_RANK)
    raise("%s has rank %d, outside [0, %d]", role, t->rank, AWQ_MAX_RANK);
  for (int i = 0; i < t->rank; ++i)
    if (t->shape[i] < 0)
      raise("%s has negative dim %lld at axis %d", role, static_cast<long long>(t->shape[i]), i);
}

void checkData(const awq_tensor *t, const char *role) {
  checkDescriptor(t, role);
  if (!t->data && numel(t) > 0)
    raise("%s has NULL data", role);
}

void checkDtype(const awq_tensor *t, const char *role, int32_t dtype) {
  if (t->dtype != dtype)
    raise("%s must be %s, got %s", role, awq_dtype_name(dtype), awq_dtype_name(t->dtype));
}

void checkFloatDtype(const awq_tensor *t, const char *role) {
  if (!isFloatDtype(t->dtype))
    raise("%s must be f32, f16 or bf16, got %s", role, awq_dtype_name(t->dtype));
}

void checkRank(const awq_tensor *t, const char *role, int32_t rank) {
  if (t->rank != rank)
    raise("%s must have rank %d, got shape %s", role, rank, shapeString(t).c_str());
}

Shape shapeOf(const awq_tensor *t) { return Shape(t->shape, t->shape + t->rank); }

int64_t numelOf(const Shape &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

int64_t numel(const awq_tensor *t) {
  int64_t n = 1;
  for (int32_t i = 0; i < t->rank; ++i)
    n *= t->shape[i];
  return n;
}

bool sameShape(const awq_tensor *a, const awq_tensor *b) {
  if (a->rank != b->rank)
    return false;
  for (int32_t i = 0; i < a->rank; ++i)
    if (a->shape[i] != b->shape[i])
      return false;
  return true;
}

std::string shapeString(const Shape &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string shapeString(const awq_tensor *t) { return shapeString(shapeOf(t)); }

void setOutput(awq_tensor *out, int32_t dtype, const Shape &shape) {
  if (!out)
    raise("output descriptor is NULL");
  if (shape.size() > AWQ_MAX_RANK)
    raise("output rank %zu exceeds AWQ_MAX_RANK (%d)", shape.size(), AWQ_MAX_RANK);
  out->dtype = dtype;
  out->rank = static_cast<int32_t>(shape.size());
  for (int i = 0; i < AWQ_MAX_RANK; ++i)
    out->shape[i] = i < out->rank ? shape[i] : 0;
}

void setOutputLike(awq_tensor *out, int32_t dtype, const awq_tensor *like) {
  if (!out)
    raise("output descriptor is NULL");
  // Copied through a local: `like` may be `out` itself.
  const awq_tensor shape = *like;
  out->dtype = dtype;
  out->rank = shape.rank;
  for (int i = 0; i < AWQ_MAX_RANK; ++i)
    out->shape[i] = i < shape.rank ? shape.shape[i] : 0;
}

void checkOutput(const awq_tensor &expected, const awq_tensor *out) {
  checkData(out, "output");
  if (out->dtype != expected.dtype)
    raise("output dtype is %s, expected %s", awq_dtype_name(out->dtype),
          awq_dtype_name(expected.dtype));
  if (!sameShape(out, &expected))
    raise("output shape is %s, expected %s", shapeString(out).c_str(),
          shapeString(&expected).c_str());
}

int64_t normalizeAxis(int64_t axis, int64_t rank, const char *what) {
  const int64_t normalized = axis < 0 ? axis + rank : axis;
  if (normalized < 0 || normalized >= rank)
    raise("%s %lld is out of range for rank %lld", what, static_cast<long long>(axis),
          static_cast<long long>(rank));
  return normalized;
}

Shape contiguousStrides(const Shape &shape) {
  Shape strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;)
    strides[i - 1] = strides[i] * shape[i];
  return strides;
}

Shape broadcastShapes(const Shape &a, const Shape &b, const char *what_a, const char *what_b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape result(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align from the back: missing leading dims act as 1.
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      raise("cannot broadcast %s %s with %s %s", what_a, shapeString(a).c_str(), what_b,
            shapeString(b).c_str());
    result[i] = da == 1 ? db : da;
  }
  return result;
}

void widenToFloat(const void *data, int32_t dtype, int64_t first, int64_t n, float *dst) {
  switch (dtype) {
  case AWQ_F16: {
    const uint16_t *src = static_cast<const uint16_t *>(data) + first;
    for (int64_t i = 0; i < n; ++i)
      dst[i] = halfToFloat(src[i]);
    return;
  }
  case AWQ_BF16: {
    const uint16_t *src = static_cast<const uint16_t *>(data) + first;
    for (int64_t i = 0; i < n; ++i)
      dst[i] = bfloatToFloat(src[i]);
    return;
  }
  default:
    std::memcpy(dst, static_cast<const float *>(data) + first, static_cast<size_t>(n) * 4);
  }
}

} // namespace awq::rt

using namespace awq::rt;

extern "C" size_t awq_dtype_size(int32_t dtype) {
  switch (dtype) {
  case AWQ_F32: case AWQ_I32: return 4;
  case AWQ_F16: case AWQ_BF16: return 2;
  case AWQ_I64: return 8;
  case AWQ_I8: case AWQ_U8: case AWQ_BOOL: return 1;
  default: return 0;
  }
}

extern "C" int64_t awq_tensor_numel(const awq_tensor *t) {
  int64_t n = -1;
  const awq_status status = guard("awq_tensor_numel", [&] {
    checkDescriptor(t, "tensor");
    n = numel(t);
  });
  return status == 0 ? n : -1;
}

extern "C" const char *awq_dtype_name(int32_t dtype) {
  switch (dtype) {
  case AWQ_F32: return "f32";
  case AWQ_F16: return "f16";
  case AWQ_BF16: return "bf16";
  case AWQ_I64: return "i64";
  case AWQ_I32: return "i32";
  case AWQ_I8: return "i8";
  case AWQ_U8: return "u8";
  case AWQ_BOOL: return "bool";
  default: return "invalid";
  }
}
