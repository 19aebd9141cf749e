// Wmma.h - nvcuda::wmma for emulated kernels (the subset GroupGemmTensorCore.cu
// uses). A real fragment is spread over the warp's 32 lanes in an unspecified
// layout; here every lane holds the whole tile and computes the whole product,
// which gives each lane the same view a warp-wide fragment does as long as the
// kernel only touches fragments through these functions (it does).
#ifndef AWQ_RUNTIME_CUDA_EMULATOR_WMMA_H
#define AWQ_RUNTIME_CUDA_EMULATOR_WMMA_H

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace nvcuda::wmma {

struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };

template <class Use, int M, int N, int K> struct FragmentShape;
template <int M, int N, int K> struct FragmentShape<matrix_a, M, N, K> {
  static constexpr int rows = M, columns = K;
};
template <int M, int N, int K> struct FragmentShape<matrix_b, M, N, K> {
  static constexpr int rows = K, columns = N;
};
template <int M, int N, int K> struct FragmentShape<accumulator, M, N, K> {
  static constexpr int rows = M, columns = N;
};

// Elements in row-major order of the logical tile, whatever the memory
// layout they were loaded from.
template <class Use, int M, int N, int K, class T, class Layout = void> struct fragment {
  static constexpr int rows = FragmentShape<Use, M, N, K>::rows;
  static constexpr int columns = FragmentShape<Use, M, N, K>::columns;
  static constexpr int num_elements = rows * columns;
  T x[num_elements];
};

inline float wmmaToFloat(float v) { return v; }
inline float wmmaToFloat(__half v) { return __half2float(v); }
inline float wmmaToFloat(__nv_bfloat16 v) { return __bfloat162float(v); }

template <class Use, int M, int N, int K, class T, class Layout, class V>
void fill_fragment(fragment<Use, M, N, K, T, Layout> &f, const V &value) {
  for (int i = 0; i < f.num_elements; ++i)
    f.x[i] = static_cast<T>(value);
}

template <class Use, int M, int N, int K, class T>
void load_matrix_sync(fragment<Use, M, N, K, T, row_major> &f, const T *p, unsigned ldm) {
  for (int r = 0; r < f.rows; ++r)
    for (int c = 0; c < f.columns; ++c)
      f.x[r * f.columns + c] = p[r * ldm + c];
}
template <class Use, int M, int N, int K, class T>
void load_matrix_sync(fragment<Use, M, N, K, T, col_major> &f, const T *p, unsigned ldm) {
  for (int r = 0; r < f.rows; ++r)
    for (int c = 0; c < f.columns; ++c)
      f.x[r * f.columns + c] = p[c * ldm + r];
}

// d = a . b + c with f32 accumulation (products of f16/bf16 are exact in f32).
template <int M, int N, int K, class T, class LayoutA, class LayoutB>
void mma_sync(fragment<accumulator, M, N, K, float> &d,
              const fragment<matrix_a, M, N, K, T, LayoutA> &a,
              const fragment<matrix_b, M, N, K, T, LayoutB> &b,
              const fragment<accumulator, M, N, K, float> &c) {
  float result[M * N];
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      float sum = c.x[i * N + j];
      for (int k = 0; k < K; ++k)
        sum += wmmaToFloat(a.x[i * K + k]) * wmmaToFloat(b.x[k * N + j]);
      result[i * N + j] = sum;
    }
  for (int i = 0; i < M * N; ++i)
    d.x[i] = result[i];
}

template <int M, int N, int K>
void store_matrix_sync(float *p, const fragment<accumulator, M, N, K, float> &f, unsigned ldm,
                       layout_t layout) {
  for (int r = 0; r < M; ++r)
    for (int c = 0; c < N; ++c)
      (layout == mem_row_major ? p[r * ldm + c] : p[c * ldm + r]) = f.x[r * N + c];
}

} // namespace nvcuda::wmma

#endif // AWQ_RUNTIME_CUDA_EMULATOR_WMMA_H
