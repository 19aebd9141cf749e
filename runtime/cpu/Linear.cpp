// Linear.cpp - y = x . W + b with f32/f16/bf16 weights, fp32 math through cblas_sgemm.
#include "Kernels.h"
#include "RuntimeInternal.h"
#include "Sgemm.h"

#include <cblas.h>

using namespace awq::rt;

namespace {

// Half weights are widened to f32 in blocks of about this many elements
// (4 MiB of f32), so a large weight never exists in f32 all at once.
constexpr int64_t kWidenBlockElements = int64_t(1) << 20;
// Up to this many rows of x, half weights are read directly by a GEMV-style
// kernel instead of being widened for sgemm: with few rows the cost is
// dominated by streaming the weight once, which the direct kernel does.
constexpr int64_t kDirectKernelMaxRows = 4;

struct LinearDims {
  int64_t m, k, n;
};

LinearDims linearShape(const awq_tensor *x, const awq_tensor *w, const awq_tensor *bias,
                       int weightIsNk, awq_tensor *out) {
  checkDescriptor(x, "input");
  checkDescriptor(w, "weight");
  checkDtype(x, "input", AWQ_F32);
  checkFloatDtype(w, "weight");
  if (x->rank < 1)
    raise("input must have rank >= 1, got a scalar");
  checkRank(w, "weight", 2);
  const int64_t k = x->shape[x->rank - 1];
  const int64_t wk = weightIsNk ? w->shape[1] : w->shape[0];
  const int64_t n = weightIsNk ? w->shape[0] : w->shape[1];
  if (wk != k)
    raise("input %s has K = %lld but weight %s (%s layout) has K = %lld",
          shapeString(x).c_str(), static_cast<long long>(k), shapeString(w).c_str(),
          weightIsNk ? "[N, K]" : "[K, N]", static_cast<long long>(wk));
  if (bias) {
    checkDescriptor(bias, "bias");
    checkFloatDtype(bias, "bias");
    if (numel(bias) != n)
      raise("bias has shape %s, expected %lld elements", shapeString(bias).c_str(),
            static_cast<long long>(n));
  }
  const int64_t rows = numel(x) / std::max<int64_t>(k, 1);
  setOutputLike(out, AWQ_F32, x);
  out->shape[out->rank - 1] = n;
  return {rows, k, n};
}

// Writes the bias (or zeros) into every output row, so every product below
// can accumulate into out.
void initialiseOutput(const awq_tensor *bias, const LinearDims &d, float *out) {
  std::vector<float> row(static_cast<size_t>(d.n), 0.0f);
  if (bias)
    widenToFloat(bias->data, bias->dtype, 0, d.n, row.data());
  parallelFor(d.m, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(d.n, 1)),
              [&](int64_t begin, int64_t end) {
                for (int64_t r = begin; r < end; ++r)
                  std::memcpy(out + r * d.n, row.data(), static_cast<size_t>(d.n) * 4);
              });
}

// Few rows: read half weights in place, parallel over output columns.
void linearHalfDirect(const float *x, const awq_tensor *w, int weightIsNk, const LinearDims &d,
                      float *out) {
  const auto *weight = static_cast<const uint16_t *>(w->data);
  const bool isBf16 = w->dtype == AWQ_BF16;
  if (weightIsNk) {
    // Row n of W is column n of the product: one dot product per (m, n).
    parallelFor(d.n, 16, [&](int64_t begin, int64_t end) {
      for (int64_t col = begin; col < end; ++col)
        for (int64_t r = 0; r < d.m; ++r)
          out[r * d.n + col] += dotF32Half(x + r * d.k, weight + col * d.k, d.k, isBf16);
    });
  } else {
    // W is [K, N]: accumulate x[r, k] * W[k, cols] over k for a slice of columns.
    parallelFor(d.n, 256, [&](int64_t begin, int64_t end) {
      for (int64_t r = 0; r < d.m; ++r)
        for (int64_t kk = 0; kk < d.k; ++kk)
          axpyHalf(x[r * d.k + kk], weight + kk * d.n + begin, out + r * d.n + begin, end - begin,
                   isBf16);
    });
  }
}

// Many rows: widen a block of weight rows to f32, then one sgemm per block.
void linearHalfBlocked(const float *x, const awq_tensor *w, int weightIsNk, const LinearDims &d,
                       float *out) {
  const int64_t rowLength = weightIsNk ? d.k : d.n; // W's row length
  const int64_t weightRows = weightIsNk ? d.n : d.k;
  const int64_t blockRows = std::max<int64_t>(1, kWidenBlockElements / std::max<int64_t>(rowLength, 1));
  std::vector<float> block(static_cast<size_t>(std::min(blockRows, weightRows) * rowLength));
  for (int64_t first = 0; first < weightRows; first += blockRows) {
    const int64_t rows = std::min(blockRows, weightRows - first);
    parallelFor(rows, 8, [&](int64_t begin, int64_t end) {
      widenToFloat(w->data, w->dtype, (first + begin) * rowLength, (end - begin) * rowLength,
                   block.data() + begin * rowLength);
    });
    if (weightIsNk) // block = W[first:first+rows, :]  ->  out[:, first:first+rows]
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, d.m, rows, d.k, 1.0f, x, d.k,
                  block.data(), d.k, 1.0f, out + first, d.n);
    else // block = W[first:first+rows, :]  ->  partial sum over that K range
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d.m, d.n, rows, 1.0f, x + first,
                  d.k, block.data(), d.n, 1.0f, out, d.n);
  }
}

} // namespace

extern "C" {

awq_status awq_linear_shape(const awq_tensor *x, const awq_tensor *weight, const awq_tensor *bias,
                            int weight_is_nk, awq_tensor *out) {
  return guard("awq_linear_shape", [&] { linearShape(x, weight, bias, weight_is_nk, out); });
}

awq_status awq_linear(const awq_tensor *x, const awq_tensor *weight, const awq_tensor *bias,
                      int weight_is_nk, awq_tensor *out) {
  return guard("awq_linear", [&] {
    checkData(x, "input");
    checkData(weight, "weight");
    if (bias)
      checkData(bias, "bias");
    awq_tensor expected{};
    const LinearDims d = linearShape(x, weight, bias, weight_is_nk, &expected);
    checkOutput(expected, out);
    if (d.m == 0 || d.n == 0)
      return;
    const auto *input = static_cast<const float *>(x->data);
    auto *result = static_cast<float *>(out->data);
    initialiseOutput(bias, d, result);
    if (d.k == 0)
      return;
    if (weight->dtype == AWQ_F32)
      sgemmF32(weight_is_nk != 0, d.m, d.n, d.k, input, d.k,
               static_cast<const float *>(weight->data), weight_is_nk ? d.k : d.n, 1.0f,
               result, d.n);
    else if (d.m <= kDirectKernelMaxRows)
      linearHalfDirect(input, weight, weight_is_nk, d, result);
    else
      linearHalfBlocked(input, weight, weight_is_nk, d, result);
  });
}

} // extern "C"
