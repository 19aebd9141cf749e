// DecodeBenchKernels.h - the two small device kernels awq-cuda-decode-bench
// needs besides awq_cuda.h (defined in DecodeBenchKernels.cu).
#ifndef AWQ_BENCH_CUDA_DECODEBENCHKERNELS_H
#define AWQ_BENCH_CUDA_DECODEBENCHKERNELS_H

#include <cuda_runtime.h>

#include <cstdint>

namespace awq::bench {

// Moves the device-side decode state one token forward, for every sequence b
// of the batch: past_len[b] += 1, positions[b] += 1, and ids[b] becomes a new
// pseudo-random token in [0, vocab). Enqueued at the end of a decode step, it
// is captured into the step's CUDA graph, so replaying the graph runs step
// after step with no host involvement.
cudaError_t launchAdvanceDecodeStep(int32_t *pastLen, int64_t *positions, int64_t *ids,
                                    int64_t batch, int64_t vocab, cudaStream_t stream);

// Fills data[count] (f16 when dtype is AWQ_F16, bf16 when AWQ_BF16) with
// mean + stddev * N(0, 1) values derived from a hash of (seed, index):
// random dense weights without generating gigabytes on the host.
cudaError_t launchFillRandomHalf(void *data, int64_t count, int32_t dtype, float mean,
                                 float stddev, uint64_t seed, cudaStream_t stream);

} // namespace awq::bench

#endif // AWQ_BENCH_CUDA_DECODEBENCHKERNELS_H
