// Sgemm.h - f32 matrix products, routed by size to a plain loop, sgemv or sgemm.
#ifndef AWQ_RUNTIME_CPU_SGEMM_H
#define AWQ_RUNTIME_CPU_SGEMM_H

#include <cstdint>

namespace awq::rt {

// Row-major C[m, n] = A[m, k] . op(B) + beta * C, with op(B) = B ([k, n])
// or, with transB, B^T (B is [n, k], the nn.Linear layout). lda/ldb/ldc are
// row strides. Tiny products (decode-time projections and per-head attention
// of small models) run as plain loops, since a BLAS call costs more than
// their arithmetic; single-row products go to sgemv; the rest to sgemm.
void sgemmF32(bool transB, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
              const float *b, int64_t ldb, float beta, float *c, int64_t ldc);

} // namespace awq::rt

#endif // AWQ_RUNTIME_CPU_SGEMM_H
