// Kernels.cpp - dot/axpy kernels for attention and half-weight GEMV, multiversioned for AVX2.
#include "Kernels.h"

#include "RuntimeInternal.h"

// Each function is compiled twice: for x86-64-v3 (AVX2 + FMA + F16C) and a
// portable default; the loader picks the best one for the running CPU. The
// `omp simd` reductions allow the compiler to reassociate the sums.
#define AWQ_MULTIVERSION __attribute__((target_clones("arch=x86-64-v3", "default")))

namespace awq::rt {

AWQ_MULTIVERSION float dotF32(const float *a, const float *b, int64_t n) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < n; ++i)
    sum += a[i] * b[i];
  return sum;
}

AWQ_MULTIVERSION float dotF32Half(const float *a, const uint16_t *b, int64_t n, bool isBf16) {
  float sum = 0.0f;
  if (isBf16) {
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < n; ++i)
      sum += a[i] * bfloatToFloat(b[i]);
  } else {
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < n; ++i)
      sum += a[i] * halfToFloat(b[i]);
  }
  return sum;
}

AWQ_MULTIVERSION void axpyF32(float alpha, const float *x, float *y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i)
    y[i] += alpha * x[i];
}

AWQ_MULTIVERSION void axpyHalf(float alpha, const uint16_t *x, float *y, int64_t n, bool isBf16) {
  if (isBf16) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i)
      y[i] += alpha * bfloatToFloat(x[i]);
  } else {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i)
      y[i] += alpha * halfToFloat(x[i]);
  }
}

} // namespace awq::rt
