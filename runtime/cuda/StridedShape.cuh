// StridedShape.cuh - the launch argument of the kernels that walk a shape
// through N tensors with their own element strides (binary ops, the strided
// copy, Where, reductions), its checked construction and dim merging.
#ifndef AWQ_RUNTIME_CUDA_STRIDEDSHAPE_CUH
#define AWQ_RUNTIME_CUDA_STRIDEDSHAPE_CUH

#include "CudaCommon.cuh"

#include <cstdint>

namespace awq::cuda {

// A shape walked by N tensors, each with its element strides per dim (a
// binary op's inputs, a strided copy's source and destination, Where's
// condition and two sources); by value: a launch argument, no device copy.
template <int N> struct StridedShape {
  int32_t rank;
  int64_t shape[AWQ_MAX_RANK];
  int64_t strides[N][AWQ_MAX_RANK];
};

// The tensors' offsets of element i of the shape (row-major order).
template <int N>
__device__ inline void stridedOffsets(const StridedShape<N> &layout, int64_t i,
                                      int64_t (&offsets)[N]) {
  int64_t rest = i;
  for (int t = 0; t < N; ++t)
    offsets[t] = 0;
  for (int32_t d = layout.rank - 1; d >= 0; --d) {
    const int64_t coordinate = rest % layout.shape[d];
    rest /= layout.shape[d];
    for (int t = 0; t < N; ++t)
      offsets[t] += coordinate * layout.strides[t][d];
  }
}

// The checked launch argument for a shape and N tensors' strides; *count
// gets the number of elements. Only a strided copy's source may step
// backwards (a reversed slice); every other stride must be >= 0.
enum class Strides { NonNegative, FirstMayBeNegative };
template <int N>
inline StridedShape<N> makeStridedShape(const int64_t *shape, const int64_t *const (&strides)[N],
                                 int32_t rank, int64_t *count,
                                 Strides allowed = Strides::NonNegative) {
  if (rank < 0 || rank > AWQ_MAX_RANK)
    awq::rt::raise("rank %d is outside [0, %d]", rank, AWQ_MAX_RANK);
  StridedShape<N> layout{};
  layout.rank = rank;
  *count = 1;
  for (int32_t d = 0; d < rank; ++d) {
    if (shape[d] < 0)
      awq::rt::raise("dim %d is negative", d);
    for (int t = 0; t < N; ++t) {
      if (strides[t][d] < 0 && (t > 0 || allowed == Strides::NonNegative))
        awq::rt::raise("dim %d: %s must be >= 0", d,
                       allowed == Strides::NonNegative ? "strides" : "y_strides");
      layout.strides[t][d] = strides[t][d];
    }
    layout.shape[d] = shape[d];
    *count *= shape[d];
  }
  return layout;
}

// Drops dims of size 1 and merges each dim into the one before where every
// tensor steps through the pair as one (a transpose's untouched tail, a
// concat's rows), so the kernel divides as few times as it can.
template <int N> StridedShape<N> mergeDims(const StridedShape<N> &in) {
  StridedShape<N> out{};
  for (int32_t d = 0; d < in.rank; ++d) {
    if (in.shape[d] == 1)
      continue;
    const int32_t last = out.rank - 1;
    bool merges = last >= 0;
    for (int t = 0; t < N && merges; ++t)
      merges = out.strides[t][last] == in.shape[d] * in.strides[t][d];
    const int32_t at = merges ? last : out.rank++;
    out.shape[at] = merges ? out.shape[at] * in.shape[d] : in.shape[d];
    for (int t = 0; t < N; ++t)
      out.strides[t][at] = in.strides[t][d];
  }
  return out;
}

} // namespace awq::cuda

#endif // AWQ_RUNTIME_CUDA_STRIDEDSHAPE_CUH
