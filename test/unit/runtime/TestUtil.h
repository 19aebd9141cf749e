// TestUtil.h - owning tensors, random data and comparison helpers for the runtime tests.
#ifndef AWQ_TEST_UNIT_RUNTIME_TESTUTIL_H
#define AWQ_TEST_UNIT_RUNTIME_TESTUTIL_H

#include "awq_runtime.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace awq::test {

using Shape = std::vector<int64_t>;

inline int64_t numelOf(const Shape &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

// A tensor that owns its bytes; get() is the descriptor passed to the ABI.
class HostTensor {
public:
  HostTensor() = default;
  HostTensor(int32_t dtype, const Shape &shape) {
    desc_.dtype = dtype;
    desc_.rank = static_cast<int32_t>(shape.size());
    for (size_t i = 0; i < shape.size(); ++i)
      desc_.shape[i] = shape[i];
    // +1 keeps data non-null for empty tensors.
    bytes_.assign(static_cast<size_t>(numelOf(shape)) * awq_dtype_size(dtype) + 1, 0);
    desc_.data = bytes_.data();
  }
  // Allocates storage for a descriptor filled in by a shape function.
  static HostTensor like(const awq_tensor &desc) {
    return HostTensor(desc.dtype, Shape(desc.shape, desc.shape + desc.rank));
  }
  HostTensor(const HostTensor &) = delete;
  HostTensor &operator=(const HostTensor &) = delete;
  HostTensor(HostTensor &&) = default; // vector moves keep the buffer, so data stays valid
  HostTensor &operator=(HostTensor &&) = default;

  awq_tensor *get() { return &desc_; }
  const awq_tensor *get() const { return &desc_; }
  Shape shape() const { return Shape(desc_.shape, desc_.shape + desc_.rank); }
  int64_t numel() const { return numelOf(shape()); }
  template <class T> T *data() { return reinterpret_cast<T *>(bytes_.data()); }
  template <class T> const T *data() const { return reinterpret_cast<const T *>(bytes_.data()); }
  template <class T> std::vector<T> values() const {
    return std::vector<T>(data<T>(), data<T>() + numel());
  }

  // Element values as double, whatever the dtype.
  std::vector<double> asDoubles() const {
    std::vector<double> out(static_cast<size_t>(numel()));
    for (int64_t i = 0; i < numel(); ++i) {
      switch (desc_.dtype) {
      case AWQ_F32: out[i] = data<float>()[i]; break;
      case AWQ_F16: out[i] = awq_f16_to_f32(data<uint16_t>()[i]); break;
      case AWQ_BF16: out[i] = awq_bf16_to_f32(data<uint16_t>()[i]); break;
      case AWQ_I64: out[i] = static_cast<double>(data<int64_t>()[i]); break;
      case AWQ_I32: out[i] = data<int32_t>()[i]; break;
      case AWQ_I8: out[i] = data<int8_t>()[i]; break;
      default: out[i] = data<uint8_t>()[i]; break;
      }
    }
    return out;
  }

private:
  awq_tensor desc_{};
  std::vector<unsigned char> bytes_;
};

template <class T> HostTensor makeTensor(int32_t dtype, const Shape &shape, const std::vector<T> &values) {
  HostTensor t(dtype, shape);
  EXPECT_EQ(static_cast<int64_t>(values.size()), t.numel()) << "test data size";
  std::memcpy(t.data<T>(), values.data(), values.size() * sizeof(T));
  return t;
}

inline HostTensor makeF32(const Shape &shape, const std::vector<float> &values) {
  return makeTensor<float>(AWQ_F32, shape, values);
}
inline HostTensor makeI64(const Shape &shape, const std::vector<int64_t> &values) {
  return makeTensor<int64_t>(AWQ_I64, shape, values);
}
inline HostTensor makeBool(const Shape &shape, const std::vector<uint8_t> &values) {
  return makeTensor<uint8_t>(AWQ_BOOL, shape, values);
}
// f16/bf16 tensor holding the rounded values (dtype AWQ_F16 or AWQ_BF16).
inline HostTensor makeHalf(int32_t dtype, const Shape &shape, const std::vector<float> &values) {
  std::vector<uint16_t> bits(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    bits[i] = dtype == AWQ_F16 ? awq_f32_to_f16(values[i]) : awq_f32_to_bf16(values[i]);
  return makeTensor<uint16_t>(dtype, shape, bits);
}

inline std::vector<float> randomFloats(int64_t n, unsigned seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (float &x : v)
    x = dist(rng);
  return v;
}

// Checks every element against the reference within abs + rel * |ref|.
inline void expectNear(const std::vector<double> &actual, const std::vector<double> &expected,
                       double abs, double rel = 0.0) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i)
    ASSERT_NEAR(actual[i], expected[i], abs + rel * std::fabs(expected[i])) << "element " << i;
}

inline std::vector<double> toDoubles(const std::vector<float> &v) {
  return std::vector<double>(v.begin(), v.end());
}

inline Shape shapeOf(const awq_tensor &t) { return Shape(t.shape, t.shape + t.rank); }

// Row-major index helpers for references.
inline Shape stridesOf(const Shape &shape) {
  Shape s(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;)
    s[i - 1] = s[i] * shape[i];
  return s;
}
inline Shape unravel(int64_t index, const Shape &shape) {
  Shape idx(shape.size());
  for (size_t i = shape.size(); i-- > 0;) {
    idx[i] = index % shape[i];
    index /= shape[i];
  }
  return idx;
}

// The error path contract: non-zero status and a message naming the op.
#define EXPECT_OP_ERROR(call, opName, fragment)                                                    \
  do {                                                                                             \
    EXPECT_NE((call), 0);                                                                          \
    const std::string message__ = awq_last_error();                                                \
    EXPECT_NE(message__.find(opName), std::string::npos) << message__;                             \
    EXPECT_NE(message__.find(fragment), std::string::npos) << message__;                           \
  } while (0)

} // namespace awq::test

#endif // AWQ_TEST_UNIT_RUNTIME_TESTUTIL_H
