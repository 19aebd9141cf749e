// Kernels.h - small vector kernels with AVX2/FMA clones chosen at load time.
#ifndef AWQ_RUNTIME_CPU_KERNELS_H
#define AWQ_RUNTIME_CPU_KERNELS_H

#include <cstdint>

namespace awq::rt {

// sum_i a[i] * b[i]
float dotF32(const float *a, const float *b, int64_t n);
// sum_i a[i] * widen(b[i]) where b holds f16 (isBf16 = false) or bf16 bits.
float dotF32Half(const float *a, const uint16_t *b, int64_t n, bool isBf16);
// y[i] += alpha * x[i]
void axpyF32(float alpha, const float *x, float *y, int64_t n);
// y[i] += alpha * widen(x[i]) where x holds f16 or bf16 bits.
void axpyHalf(float alpha, const uint16_t *x, float *y, int64_t n, bool isBf16);

// dst = softmax(src) over n contiguous floats (best not in place: aliasing
// keeps its loops from vectorizing), exponentials
// by fastExp, the sum in double. Returns false, writing nothing, when every
// element is -inf (callers write zeros). Shared by Softmax and attention so
// both round alike; in Softmax.cpp, not multiversioned.
bool softmaxContiguousF32(const float *src, float *dst, int64_t n);

} // namespace awq::rt

#endif // AWQ_RUNTIME_CPU_KERNELS_H
