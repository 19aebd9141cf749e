// GroupWeightsFixture.h - random canonical group-quantized weights and their
// CUDA blob, shared by the host packing tests and the GPU kernel tests.
#ifndef AWQ_TEST_UNIT_CUDA_GROUPWEIGHTSFIXTURE_H
#define AWQ_TEST_UNIT_CUDA_GROUPWEIGHTSFIXTURE_H

#include "TestUtil.h"
#include "awq_cuda.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace awq::test {

// One group-quantized weight in the canonical (row_major) form.
struct CanonicalGroupWeights {
  int32_t bits = 4;
  int64_t groupSize = 32, k = 0, n = 0, groups = 0;
  bool hasZeros = true;
  HostTensor codes;   // u8 [N, K], one code per byte
  HostTensor qweight; // u8 [N, ceil(K * bits / 8)]
  HostTensor scales;  // f32 [N, G]
  HostTensor zeros;   // u8 [N, G] (only when hasZeros)

  const awq_tensor *zerosOrNull() const { return hasZeros ? zeros.get() : nullptr; }
  uint8_t zeroAt(int64_t row, int64_t group) const {
    return hasZeros ? zeros.data<uint8_t>()[row * groups + group]
                    : static_cast<uint8_t>(1u << (bits - 1));
  }
  std::string describe() const {
    return "bits=" + std::to_string(bits) + " group=" + std::to_string(groupSize) +
           " K=" + std::to_string(k) + " N=" + std::to_string(n) +
           (hasZeros ? " zero-points" : " symmetric");
  }
};

// Scales in [scaleLo, scaleHi]; codes and zero points uniform over the range.
inline CanonicalGroupWeights makeGroupWeights(int32_t bits, int64_t groupSize, int64_t k, int64_t n,
                                              bool hasZeros, unsigned seed,
                                              float scaleLo = 0.002f, float scaleHi = 0.02f) {
  CanonicalGroupWeights w;
  w.bits = bits;
  w.groupSize = groupSize;
  w.k = k;
  w.n = n;
  w.groups = (k + groupSize - 1) / groupSize;
  w.hasZeros = hasZeros;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> code(0, (1 << bits) - 1);
  w.codes = HostTensor(AWQ_U8, {n, k});
  for (int64_t i = 0; i < n * k; ++i)
    w.codes.data<uint8_t>()[i] = static_cast<uint8_t>(code(rng));
  awq_tensor packedShape{};
  EXPECT_EQ(awq_pack_codes_shape(w.codes.get(), bits, &packedShape), 0) << awq_last_error();
  w.qweight = HostTensor::like(packedShape);
  EXPECT_EQ(awq_pack_codes(w.codes.get(), bits, w.qweight.get()), 0) << awq_last_error();
  w.scales = makeF32({n, w.groups}, randomFloats(n * w.groups, seed + 1, scaleLo, scaleHi));
  w.zeros = HostTensor(AWQ_U8, {n, w.groups});
  for (int64_t i = 0; i < n * w.groups; ++i)
    w.zeros.data<uint8_t>()[i] = static_cast<uint8_t>(code(rng));
  return w;
}

// The CUDA blob of `w` for activations of `dtype` (host bytes, 16-aligned)
// in `layout` (row chunks unless asked: what paths 1 and 2 read).
inline std::vector<uint8_t> packForCuda(const CanonicalGroupWeights &w, int32_t dtype,
                                        int32_t layout = AWQ_CUDA_LAYOUT_ROW_CHUNKS) {
  awq_tensor blobShape{};
  EXPECT_EQ(awq_cuda_group_weights_pack_shape(w.qweight.get(), w.scales.get(), w.zerosOrNull(),
                                              w.bits, w.groupSize, w.k, dtype, layout,
                                              &blobShape),
            0)
      << awq_last_error();
  std::vector<uint8_t> blob(static_cast<size_t>(blobShape.shape[0]));
  awq_tensor blobTensor = blobShape;
  blobTensor.data = blob.data();
  EXPECT_EQ(awq_cuda_group_weights_pack(w.qweight.get(), w.scales.get(), w.zerosOrNull(), w.bits,
                                        w.groupSize, w.k, dtype, layout, &blobTensor),
            0)
      << awq_last_error();
  return blob;
}

// The header of a blob in host memory.
inline awq_cuda_group_weights_info infoOf(const std::vector<uint8_t> &blob) {
  awq_cuda_group_weights_info info{};
  EXPECT_EQ(awq_cuda_group_weights_get_info(blob.data(), static_cast<int64_t>(blob.size()), &info),
            0)
      << awq_last_error();
  return info;
}

// The scales the blob holds: each rounded through the activation dtype.
inline HostTensor scalesRoundedTo(const CanonicalGroupWeights &w, int32_t dtype) {
  HostTensor rounded(AWQ_F32, {w.n, w.groups});
  for (int64_t i = 0; i < w.n * w.groups; ++i) {
    const float s = w.scales.data<float>()[i];
    rounded.data<float>()[i] = dtype == AWQ_F16 ? awq_f16_to_f32(awq_f32_to_f16(s))
                                                : awq_bf16_to_f32(awq_f32_to_bf16(s));
  }
  return rounded;
}

// The CPU runtime's group matmul on exactly the values a kernel sees: x and
// bias already rounded to the dtype by the caller, scales rounded to the
// dtype (as the blob stores them). `magnitude` is sum_k |x_k W'[n, k]| +
// |bias[n]| per output: reordering or rounding errors scale with it.
struct GroupMatmulReference {
  std::vector<float> y;         // f32 [M, N]
  std::vector<double> magnitude; // [M, N]
};

inline GroupMatmulReference groupMatmulReference(const CanonicalGroupWeights &w, int32_t dtype,
                                                 const std::vector<float> &x, int64_t m,
                                                 const std::vector<float> *bias) {
  const HostTensor scales = scalesRoundedTo(w, dtype);
  const HostTensor xTensor = makeF32({m, w.k}, x);
  HostTensor biasTensor;
  if (bias)
    biasTensor = makeF32({w.n}, *bias);
  HostTensor out(AWQ_F32, {m, w.n});
  EXPECT_EQ(awq_group_matmul(xTensor.get(), w.qweight.get(), scales.get(), w.zerosOrNull(),
                             bias ? biasTensor.get() : nullptr, w.bits, w.groupSize, w.k,
                             out.get()),
            0)
      << awq_last_error();
  HostTensor dequantized(AWQ_F32, {w.n, w.k});
  EXPECT_EQ(awq_dequantize_groups(w.codes.get(), scales.get(), w.zerosOrNull(), w.bits,
                                  w.groupSize, dequantized.get()),
            0)
      << awq_last_error();
  GroupMatmulReference reference{out.values<float>(),
                                 std::vector<double>(static_cast<size_t>(m * w.n))};
  for (int64_t r = 0; r < m; ++r)
    for (int64_t n = 0; n < w.n; ++n) {
      double sum = bias ? std::fabs((*bias)[n]) : 0.0;
      for (int64_t k = 0; k < w.k; ++k)
        sum += std::fabs(x[r * w.k + k] * dequantized.data<float>()[n * w.k + k]);
      reference.magnitude[r * w.n + n] = sum;
    }
  return reference;
}

} // namespace awq::test

#endif // AWQ_TEST_UNIT_CUDA_GROUPWEIGHTSFIXTURE_H
