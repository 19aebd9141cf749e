// DecoderRope.cu - rotary position embedding in place on x[tokens, heads, head_dim].
#include "DecoderArgs.cuh"

#include <algorithm>

using namespace awq::cuda;

namespace {

// Grid (tokens, pair blocks x head blocks); a thread rotates one pair of one
// head. (A thread per pair walking every head, as before, ran 16 us per
// decode-step launch on an H100: 32 heads' loads one after another.)
template <class T>
__global__ void ropeKernel(T *x, int64_t heads, int64_t headDim, int64_t rotaryDim,
                           const int64_t *positions, float theta, bool interleaved,
                           int64_t pairBlocks) {
  const int64_t half = rotaryDim / 2;
  const int64_t pair = static_cast<int64_t>(blockIdx.y % pairBlocks) * blockDim.x + threadIdx.x;
  const int64_t head = static_cast<int64_t>(blockIdx.y / pairBlocks) * blockDim.y + threadIdx.y;
  if (pair >= half || head >= heads)
    return;
  const int64_t token = blockIdx.x;
  // The angle in f64, as the CPU runtime: in f32, position * inv_freq loses
  // ~1e-4 radians by position 4096, a visible share of an f16 ulp.
  const double inverseFrequency =
      pow(static_cast<double>(theta), -2.0 * static_cast<double>(pair) / rotaryDim);
  double sinAngle, cosAngle;
  sincos(static_cast<double>(positions[token]) * inverseFrequency, &sinAngle, &cosAngle);
  const float c = static_cast<float>(cosAngle), s = static_cast<float>(sinAngle);
  // Interleaved (GPT-J) rotates (2i, 2i + 1); half-split (NeoX) rotates (i, i + R/2).
  const int64_t first = interleaved ? 2 * pair : pair;
  const int64_t second = interleaved ? first + 1 : pair + half;
  T *vector = x + (token * heads + head) * headDim;
  const float x1 = toFloat(vector[first]), x2 = toFloat(vector[second]);
  vector[first] = fromFloat<T>(x1 * c - x2 * s);
  vector[second] = fromFloat<T>(x2 * c + x1 * s);
}

} // namespace

extern "C" awq_status awq_cuda_rope(void *x, int64_t tokens, int64_t heads, int64_t head_dim,
                                    int64_t rotary_dim, const int64_t *positions, float theta,
                                    int32_t layout, int32_t dtype, void *stream) {
  return awq::rt::guard("awq_cuda_rope", [&] {
    requireNonNull(x, "x");
    requireNonNull(positions, "positions");
    requirePositive(tokens, "tokens");
    requirePositive(heads, "heads");
    requirePositive(head_dim, "head_dim");
    requirePositive(rotary_dim, "rotary_dim");
    if (rotary_dim % 2 != 0 || rotary_dim > head_dim)
      awq::rt::raise("rotary_dim %lld must be even and <= head_dim %lld",
                     static_cast<long long>(rotary_dim), static_cast<long long>(head_dim));
    if (!(theta > 0.0f))
      awq::rt::raise("theta must be positive (%g given)", static_cast<double>(theta));
    if (layout != AWQ_ROPE_INTERLEAVED && layout != AWQ_ROPE_HALF_SPLIT)
      awq::rt::raise("layout must be AWQ_ROPE_INTERLEAVED or AWQ_ROPE_HALF_SPLIT (%d given)",
                     layout);
    requireHalfDtype(dtype);
    const int64_t half = rotary_dim / 2;
    // Blocks of up to 256 threads: pairs along x, heads along y.
    const unsigned pairThreads =
        static_cast<unsigned>(std::min<int64_t>(128, (half + 31) / 32 * 32));
    const unsigned headThreads =
        static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>(heads, 256 / pairThreads)));
    const int64_t pairBlocks = (half + pairThreads - 1) / pairThreads;
    const int64_t headBlocks = (heads + headThreads - 1) / headThreads;
    if (pairBlocks * headBlocks > 65535)
      awq::rt::raise("rotary_dim %lld x heads %lld is too large",
                     static_cast<long long>(rotary_dim), static_cast<long long>(heads));
    const dim3 grid(gridX(tokens, "tokens"), static_cast<unsigned>(pairBlocks * headBlocks));
    const dim3 block(pairThreads, headThreads);
    dispatchHalfDtype(dtype, "dtype", [&](auto tag) {
      using T = decltype(tag);
      ropeKernel<T><<<grid, block, 0, asStream(stream)>>>(
          static_cast<T *>(x), heads, head_dim, rotary_dim, positions, theta,
          layout == AWQ_ROPE_INTERLEAVED, pairBlocks);
    });
    checkLaunch("rope");
  });
}
