// GroupMatmul.cpp - y = x . dequantize(qweight)^T + b for the row_major packed layout.
//
// The portable path, correct for every bits/group/zero-point combination (and
// what prepacked blobs in the row_major layout run on, see GroupMatmulKernels.h):
// few rows of x (decoding) walk each packed weight row once and accumulate
// per group; many rows (prefill) dequantize blocks of weight rows to f32 and
// multiply them with sgemm, so the cost is that of an FP32 linear plus a
// dequantization pass.
#include "GroupMatmulKernels.h"

#include <cblas.h>

using namespace awq::rt;

namespace {

// At most this many rows of x take the direct path.
constexpr int64_t kDirectMaxRows = 4;
// Weight rows dequantized per sgemm block (64 rows x 11008 inputs = 2.7 MiB).
constexpr int64_t kBlockRows = 64;
// Output features per thread at least on the direct path.
constexpr int64_t kFeatureGrain = 16;

struct GroupMatmulDims {
  int64_t m, n, k, groups, rowBytes;
};

GroupMatmulDims checkGroupMatmul(const awq_tensor *x, const awq_tensor *qweight,
                                 const awq_tensor *scales, const awq_tensor *zeros,
                                 const awq_tensor *bias, int32_t bits, int64_t groupSize,
                                 int64_t k, awq_tensor *out) {
  checkDescriptor(x, "input");
  checkDtype(x, "input", AWQ_F32);
  if (x->rank < 1)
    raise("input must have rank >= 1");
  if (k < 1 || x->shape[x->rank - 1] != k)
    raise("input has %lld features but K = %lld", static_cast<long long>(x->shape[x->rank - 1]),
          static_cast<long long>(k));
  const PackedWeightShape weight = checkPackedWeight(qweight, scales, zeros, bits, groupSize, k);
  GroupMatmulDims dims{numel(x) / k, weight.n, k, weight.groups, weight.rowBytes};
  if (bias) {
    checkDescriptor(bias, "bias");
    checkFloatDtype(bias, "bias");
    if (numel(bias) != dims.n)
      raise("bias has %lld elements, expected N = %lld", static_cast<long long>(numel(bias)),
            static_cast<long long>(dims.n));
  }
  Shape outShape = shapeOf(x);
  outShape.back() = dims.n;
  setOutput(out, AWQ_F32, outShape);
  return dims;
}

// Group parameters of weight row `row` as floats: scales, and zero points
// (2^(bits-1) when the weights have none).
void loadRowParams(const RowMajorGroupWeights &w, int64_t groups, int64_t row, float *scaleRow,
                   float *zeroRow) {
  widenToFloat(w.scales, w.scalesDtype, row * groups, groups, scaleRow);
  for (int64_t g = 0; g < groups; ++g)
    zeroRow[g] = w.zeros ? w.zeros[row * groups + g] : static_cast<float>(1 << (w.bits - 1));
}

// Dequantizes weight row `row` into dst[0, K).
void dequantizeRow(const uint8_t *packedRow, const float *scaleRow, const float *zeroRow,
                   int32_t bits, int64_t groupSize, int64_t k, float *dst) {
  for (int64_t index = 0; index < k; ++index) {
    const int64_t g = index / groupSize;
    dst[index] = (static_cast<float>(readCode(packedRow, index, bits)) - zeroRow[g]) * scaleRow[g];
  }
}

} // namespace

namespace awq::rt {

void groupMatmulRowMajor(const float *input, int64_t m, const RowMajorGroupWeights &w,
                         const float *bias, float *result) {
  const int64_t groups = groupCount(w.k, w.groupSize), rowBytes = packedRowBytes(w.k, w.bits);
  if (m <= kDirectMaxRows) {
    parallelFor(w.n, kFeatureGrain, [&](int64_t begin, int64_t end) {
      std::vector<float> weightRow(static_cast<size_t>(w.k));
      std::vector<float> scaleRow(groups), zeroRow(groups);
      for (int64_t row = begin; row < end; ++row) {
        loadRowParams(w, groups, row, scaleRow.data(), zeroRow.data());
        dequantizeRow(w.codes + row * rowBytes, scaleRow.data(), zeroRow.data(), w.bits,
                      w.groupSize, w.k, weightRow.data());
        for (int64_t i = 0; i < m; ++i) {
          const float *xi = input + i * w.k;
          float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
          for (int64_t index = 0; index < w.k; ++index)
            sum += xi[index] * weightRow[index];
          result[i * w.n + row] = sum + (bias ? bias[row] : 0.0f);
        }
      }
    });
    return;
  }

  std::vector<float> block(static_cast<size_t>(kBlockRows * w.k));
  for (int64_t first = 0; first < w.n; first += kBlockRows) {
    const int64_t rows = std::min(kBlockRows, w.n - first);
    parallelFor(rows, 1, [&](int64_t begin, int64_t end) {
      std::vector<float> scaleRow(groups), zeroRow(groups);
      for (int64_t r = begin; r < end; ++r) {
        loadRowParams(w, groups, first + r, scaleRow.data(), zeroRow.data());
        dequantizeRow(w.codes + (first + r) * rowBytes, scaleRow.data(), zeroRow.data(), w.bits,
                      w.groupSize, w.k, block.data() + r * w.k);
      }
    });
    // out[:, first:first+rows] = x . block^T
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m),
                static_cast<int>(rows), static_cast<int>(w.k), 1.0f, input,
                static_cast<int>(w.k), block.data(), static_cast<int>(w.k), 0.0f, result + first,
                static_cast<int>(w.n));
  }
  if (bias)
    parallelFor(m, 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        for (int64_t j = 0; j < w.n; ++j)
          result[i * w.n + j] += bias[j];
    });
}

} // namespace awq::rt

extern "C" {

awq_status awq_group_matmul_shape(const awq_tensor *x, const awq_tensor *qweight,
                                  const awq_tensor *scales, const awq_tensor *zeros,
                                  const awq_tensor *bias, int32_t bits, int64_t group_size,
                                  int64_t k, awq_tensor *out) {
  return guard("awq_group_matmul_shape", [&] {
    checkGroupMatmul(x, qweight, scales, zeros, bias, bits, group_size, k, out);
  });
}

awq_status awq_group_matmul(const awq_tensor *x, const awq_tensor *qweight,
                            const awq_tensor *scales, const awq_tensor *zeros,
                            const awq_tensor *bias, int32_t bits, int64_t group_size, int64_t k,
                            awq_tensor *out) {
  return guard("awq_group_matmul", [&] {
    awq_tensor expected{};
    const GroupMatmulDims d =
        checkGroupMatmul(x, qweight, scales, zeros, bias, bits, group_size, k, &expected);
    checkData(x, "input");
    checkData(qweight, "qweight");
    checkData(scales, "scales");
    checkOutput(expected, out);
    std::vector<float> biasValues;
    if (bias) {
      biasValues.resize(static_cast<size_t>(d.n));
      widenToFloat(bias->data, bias->dtype, 0, d.n, biasValues.data());
    }
    const RowMajorGroupWeights weights{static_cast<const uint8_t *>(qweight->data),
                                       scales->data,
                                       scales->dtype,
                                       zeros ? static_cast<const uint8_t *>(zeros->data) : nullptr,
                                       bits,
                                       group_size,
                                       d.k,
                                       d.n};
    groupMatmulRowMajor(static_cast<const float *>(x->data), d.m, weights,
                        bias ? biasValues.data() : nullptr, static_cast<float *>(out->data));
  });
}

} // extern "C"
