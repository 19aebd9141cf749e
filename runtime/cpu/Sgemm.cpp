// Sgemm.cpp - f32 matrix products, routed by size to a plain loop, sgemv or sgemm.
#include "Sgemm.h"

#include <algorithm>
#include <cblas.h>

namespace awq::rt {

namespace {

// Below this many multiply-adds a plain loop is used instead of OpenBLAS,
// whose per-call setup outweighs such products. stories260K's decode-time
// products ([1, 64] x [64, 172] projections, per-head [1, 8] x [8, T]
// attention) fall below it; its MatMul share of decode time went from 37% to
// about 21% (profile on a loaded 2-core machine).
constexpr int64_t kPlainLoopMaxMacs = 32 * 1024;

void plainLoop(bool transB, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
               const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    const float *aRow = a + i * lda;
    float *cRow = c + i * ldc;
    if (transB) {
      // Dot products with rows of B, in 8 partial sums so the loop vectorizes.
      for (int64_t j = 0; j < n; ++j) {
        const float *bRow = b + j * ldb;
        float lanes[8] = {};
        int64_t kk = 0;
        for (; kk + 8 <= k; kk += 8)
          for (int lane = 0; lane < 8; ++lane)
            lanes[lane] += aRow[kk + lane] * bRow[kk + lane];
        float sum = 0.0f;
        for (float lane : lanes)
          sum += lane;
        for (; kk < k; ++kk)
          sum += aRow[kk] * bRow[kk];
        cRow[j] = (beta == 0.0f ? 0.0f : beta * cRow[j]) + sum;
      }
      continue;
    }
    // Accumulate rows of B scaled by A's elements (an axpy per k).
    if (beta == 0.0f)
      std::fill(cRow, cRow + n, 0.0f);
    else if (beta != 1.0f)
      for (int64_t j = 0; j < n; ++j)
        cRow[j] *= beta;
    for (int64_t kk = 0; kk < k; ++kk) {
      const float scale = aRow[kk];
      const float *bRow = b + kk * ldb;
      for (int64_t j = 0; j < n; ++j)
        cRow[j] += scale * bRow[j];
    }
  }
}

} // namespace

void sgemmF32(bool transB, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
              const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  if (m * n * k <= kPlainLoopMaxMacs) {
    plainLoop(transB, m, n, k, a, lda, b, ldb, beta, c, ldc);
  } else if (m == 1) {
    // One row: a matrix-vector product with B (transposed when B is [k, n]).
    if (transB)
      cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0f, b, ldb, a, 1, beta, c, 1);
    else
      cblas_sgemv(CblasRowMajor, CblasTrans, k, n, 1.0f, b, ldb, a, 1, beta, c, 1);
  } else {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k, 1.0f,
                a, lda, b, ldb, beta, c, ldc);
  }
}

} // namespace awq::rt
