/*
 * awq_cuda.h - the CUDA half of the AWQ runtime op library (C ABI, no MLIR).
 *
 * Built when nvcc is found (AWQ_ENABLE_CUDA); the archive is AWQCudaRuntime.
 * Every compute function takes DEVICE pointers and a CUDA stream (`stream` is a
 * cudaStream_t passed as void*, NULL = the default stream), enqueues its work
 * and returns without synchronizing. Failures (bad arguments, a launch error
 * reported by the driver) return a non-zero awq_status with the message in
 * awq_last_error(), as for the CPU ops. Activations are f16 or bf16 (an
 * awq_dtype: AWQ_F16 or AWQ_BF16); everything accumulates in f32.
 *
 * Host-only functions (weight packing, device queries) work without a GPU.
 */
#ifndef AWQ_CUDA_H
#define AWQ_CUDA_H

#include "awq_runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Devices ------------------------------------------------------------ */

/* Number of usable CUDA devices; 0 (never an error) when there is no driver or
 * no device, so tests and tools can skip cleanly. */
int awq_cuda_device_count(void);
/* "NVIDIA H100 80GB HBM3, sm_90, 132 SMs, 3352 GB/s peak" or an error. */
awq_status awq_cuda_device_description(int device, char *buffer, int64_t size);
/* Theoretical peak DRAM bandwidth in GB/s from the device's memory clock and
 * bus width (0 when the driver does not report them). */
double awq_cuda_peak_bandwidth_gbps(int device);

/* ---- Group-quantized weights for the CUDA kernels ----------------------- */
/*
 * A compile-time repack of one awq.group_matmul weight (canonical row_major
 * codes, see awq_pack_codes) into the order the kernels read: a self-describing
 * blob, identical on host and device (upload = one memcpy):
 *   64-byte header: magic "AWQC", version, bits, scale dtype, group_size, K,
 *     N, K_padded, groups, has_zeros, layout (offsets follow from these);
 *   codes, scales in the activation dtype (f16 or bf16), zeros as u8 (only
 *     with zero points; else 2^(bits-1) implied), in one of two layouts:
 *
 * AWQ_CUDA_LAYOUT_ROW_CHUNKS (4 or 8 bits; the CUDA-core GEMV and the WMMA
 *   kernel): codes [N, K_padded * bits / 8], each row padded to a multiple of
 *   32 inputs (padding codes equal the group's zero point, so they dequantize
 *   to exactly 0); within every 32-bit word the inputs are interleaved so one
 *   shift and one mask yield a pair of consecutive inputs in the two halves
 *   of a 32-bit register (the magic-number dequantization):
 *     4 bits: nibble p of the word holds input [0, 2, 4, 6, 1, 3, 5, 7][p]
 *     8 bits: byte p of the word holds input   [0, 2, 1, 3][p]
 *   scales and zeros [N, groups].
 * AWQ_CUDA_LAYOUT_MMA_TILES (4 bits only; the mma.sync kernel): K_padded a
 *   multiple of 64, rows padded to tiles of 16; every 128-bit vector is one
 *   lane's A fragments of four m16n8k16 tiles, and scales / zeros are grouped
 *   by row tile (runtime/cuda/GroupWeightsLayout.h has the exact map). With
 *   bf16 scales the zero points must be below 128 (the kernel holds
 *   128 + zero in one bf16).
 * AWQ_CUDA_LAYOUT_DEFAULT is row chunks: the mma-tile kernel has been checked
 * on the host (its per-lane code and an emulated mma) but not yet run on a GPU.
 *
 * Arrays start on 256-byte boundaries. bits = 4 or 8; group_size a multiple of
 * 32, or >= K (one group per row). The blob's dequantized weight is
 *   W'[n, k] = (code - zero) * scale_in_dtype,
 * i.e. the canonical weight with its scales rounded to the activation dtype.
 */
enum {
  AWQ_CUDA_LAYOUT_DEFAULT = -1,
  AWQ_CUDA_LAYOUT_ROW_CHUNKS = 0,
  AWQ_CUDA_LAYOUT_MMA_TILES = 1,
};

typedef struct awq_cuda_group_weights_info {
  int32_t bits;
  int32_t scale_dtype; /* AWQ_F16 or AWQ_BF16: the activation dtype it runs with */
  int64_t group_size;  /* as given (>= K means one group per row) */
  int64_t k, n, k_padded, groups;
  int32_t has_zeros;
  int32_t layout;      /* AWQ_CUDA_LAYOUT_ROW_CHUNKS or AWQ_CUDA_LAYOUT_MMA_TILES */
  int64_t codes_offset, scales_offset, zeros_offset, total_bytes;
} awq_cuda_group_weights_info;

/* Host: blob size as u8 [bytes]. qweight u8/i8 [N, ceil(K*bits/8)] (row_major),
 * scales f32/f16/bf16 [N, G], zeros NULL or u8/i8 [N, G]; scale_dtype is the
 * activation dtype the weights will run with; layout an AWQ_CUDA_LAYOUT_*. */
awq_status awq_cuda_group_weights_pack_shape(const awq_tensor *qweight, const awq_tensor *scales,
                                             const awq_tensor *zeros, int32_t bits,
                                             int64_t group_size, int64_t k, int32_t scale_dtype,
                                             int32_t layout, awq_tensor *blob);
/* Host: fills a blob (host memory, at least 16-byte aligned). */
awq_status awq_cuda_group_weights_pack(const awq_tensor *qweight, const awq_tensor *scales,
                                       const awq_tensor *zeros, int32_t bits, int64_t group_size,
                                       int64_t k, int32_t scale_dtype, int32_t layout,
                                       awq_tensor *blob);
/* Host: reads and validates a blob's header (host memory). */
awq_status awq_cuda_group_weights_get_info(const void *blob, int64_t size,
                                           awq_cuda_group_weights_info *info);
/* Host: the inverse of pack: qweight u8 [N, ceil(K*bits/8)] bit-exact, scales
 * f32 [N, G] (the stored f16/bf16 values widened), zeros u8 [N, G] (when
 * has_zeros; may be NULL otherwise). */
awq_status awq_cuda_group_weights_unpack(const void *blob, int64_t size, awq_tensor *qweight,
                                         awq_tensor *scales, awq_tensor *zeros);

/* ---- Group matmul (the fused dequantize-multiply kernels) --------------- */
/*
 * y[M, N] = x[M, K] . W'^T (+ bias[N]); x, bias, y in the blob's dtype,
 * row-major and contiguous, y not overlapping x or bias; blob_device is the blob in device memory (256-byte
 * aligned, as cudaMalloc gives). `blob_info` is the host-side header (from
 * awq_cuda_group_weights_get_info on the host copy), so no device read is
 * needed to launch. Paths (awq_cuda_group_matmul_dispatched_path says which
 * one runs for a blob and M):
 *   1 GEMV (row chunks, M <= 4): CUDA-core GEMV, one warp per output,
 *     magic-number dequantization in registers, f32 sums; at 4 bits and
 *     M >= 2 the activations are staged once per block in shared memory
 *     (AWQ_CUDA_GEMV_LANES=staged|chunks|words forces a variant);
 *   2 tensor cores (row chunks, M <= 64): WMMA m16n16k16, weights
 *     dequantized tile by tile into shared memory, the next K step's loads
 *     in flight during the products; K split over blocks when there are too
 *     few output tiles, the f32 partial sums added in a fixed order;
 *   3 dequantize into `workspace` and multiply with cuBLAS (f32 compute),
 *     either layout, any M (the default past 64 rows);
 *   4 mma tiles (mma-tile blobs, M <= 64): each lane's 128-bit code vector
 *     is dequantized in registers straight into the A fragments of four
 *     mma.sync m16n8k16 (f32 accumulators), x the B operand (8 rows per mma);
 *     the warps of a block split K and add their tiles in a fixed order.
 * `workspace`: device memory of awq_cuda_group_matmul_workspace_bytes (0
 * for paths 1 and 4; the split-K partials or the dequantized weight
 * otherwise).
 */
int64_t awq_cuda_group_matmul_workspace_bytes(const awq_cuda_group_weights_info *blob_info,
                                              int64_t m);
awq_status awq_cuda_group_matmul(const void *x, int64_t m, const void *blob_device,
                                 const awq_cuda_group_weights_info *blob_info, const void *bias,
                                 void *y, void *workspace, void *stream);
/* One path forced (tests and benchmarks compare every path against the CPU
 * reference): path 0 = by M as above, 1-4 as numbered there (a path that
 * does not read the blob's layout is an error); the forced path's workspace
 * is awq_cuda_group_matmul_path_workspace_bytes. */
/* The path (1-4 as above) that awq_cuda_group_matmul takes for M rows. */
int32_t awq_cuda_group_matmul_dispatched_path(const awq_cuda_group_weights_info *blob_info,
                                              int64_t m);
int64_t awq_cuda_group_matmul_path_workspace_bytes(int32_t path,
                                                   const awq_cuda_group_weights_info *blob_info,
                                                   int64_t m);
awq_status awq_cuda_group_matmul_path(int32_t path, const void *x, int64_t m,
                                      const void *blob_device,
                                      const awq_cuda_group_weights_info *blob_info,
                                      const void *bias, void *y, void *workspace, void *stream);
/* LLaMA's MLP input: y[M, N] = SiLU(x . Wg'^T) * (x . Wu'^T), gate and up in
 * one pass over x (both blobs must agree in bits, group size, K, N, dtype and
 * layout). Fused where M is served by a fused kernel (row chunks: M <= 4 on
 * the GEMV; mma tiles: M <= 64); otherwise the two matmuls run into
 * `workspace` (awq_cuda_gate_up_silu_workspace_bytes) and the SiLU product
 * after. */
int64_t awq_cuda_gate_up_silu_workspace_bytes(const awq_cuda_group_weights_info *blob_info,
                                              int64_t m);
awq_status awq_cuda_gate_up_silu(const void *x, int64_t m, const void *gate_blob_device,
                                 const void *up_blob_device,
                                 const awq_cuda_group_weights_info *blob_info, void *y,
                                 void *workspace, void *stream);
/* f32 graphs (a compiled model's f32 activations): x, bias and y in f32. The
 * kernel rounds x to the blob's dtype as it reads it (the same values a cast
 * of x before awq_cuda_group_matmul gives), widens its f32 sums into y and
 * adds the bias in its store: no cast kernels before or after. Only the GEMV
 * serves this: awq_cuda_group_matmul_serves_f32 is 1 where it applies
 * (row-chunk blobs, M <= 4) and 0 elsewhere, where these entries fail (cast x
 * and y around awq_cuda_group_matmul instead). */
int32_t awq_cuda_group_matmul_serves_f32(const awq_cuda_group_weights_info *blob_info,
                                         int64_t m);
awq_status awq_cuda_group_matmul_f32(const float *x, int64_t m, const void *blob_device,
                                     const awq_cuda_group_weights_info *blob_info,
                                     const float *bias, float *y, void *stream);
awq_status awq_cuda_gate_up_silu_f32(const float *x, int64_t m, const void *gate_blob_device,
                                     const void *up_blob_device,
                                     const awq_cuda_group_weights_info *blob_info, float *y,
                                     void *stream);

/* ---- Dense linear (the FP16/BF16 baseline) ------------------------------ */
/* y[M, N] = x[M, K] . W[N, K]^T (+ bias[N]) through cuBLAS (f32 compute);
 * x, W, bias, y all in `dtype`. */
awq_status awq_cuda_linear(const void *x, int64_t m, const void *weight, int64_t n, int64_t k,
                           const void *bias, int32_t dtype, void *y, void *stream);

/* ---- The rest of a decoder ---------------------------------------------- */
/* All in `dtype` (f16/bf16) unless stated, row-major, contiguous. */

/* y[rows, dim] = x / sqrt(mean(x^2) + eps) * gamma. The norms also take f32. */
awq_status awq_cuda_rms_norm(const void *x, const void *gamma, int64_t rows, int64_t dim,
                             float eps, int32_t dtype, void *y, void *stream);
/* y = (x - mean) / sqrt(var + eps) * gamma + beta (beta may be NULL). */
awq_status awq_cuda_layer_norm(const void *x, const void *gamma, const void *beta, int64_t rows,
                               int64_t dim, float eps, int32_t dtype, void *y, void *stream);
/* The norms with a residual add first (awq.add_rms_norm / awq.add_layer_norm):
 * sum = x + residual, rounded to dtype as awq_cuda_add rounds it, is stored to
 * `sum` and normalized into y. residual and sum are both NULL (no add: the
 * plain norm) or both given; sum may be x or residual (an in-place residual
 * stream) but not y. The RMS
 * form multiplies by (gamma_offset + gamma): 0 normally, 1 for Gemma. */
awq_status awq_cuda_add_rms_norm(const void *x, const void *residual, const void *gamma,
                                 float gamma_offset, int64_t rows, int64_t dim, float eps,
                                 int32_t dtype, void *sum, void *y, void *stream);
awq_status awq_cuda_add_layer_norm(const void *x, const void *residual, const void *gamma,
                                   const void *beta, int64_t rows, int64_t dim, float eps,
                                   int32_t dtype, void *sum, void *y, void *stream);
/* y[i] = a[i] + b[i] (residual adds; y may alias a or b). */
awq_status awq_cuda_add(const void *a, const void *b, int64_t count, int32_t dtype, void *y,
                        void *stream);
/* y[i] = SiLU(gate[i]) * up[i]. */
awq_status awq_cuda_silu_mul(const void *gate, const void *up, int64_t count, int32_t dtype,
                             void *y, void *stream);
/* y[t, :] = table[ids[t], :] for t < count; ids int64 on the device; an id
 * outside [0, rows) writes zeros (the kernel cannot report it). */
awq_status awq_cuda_embedding(const void *table, int64_t rows, int64_t dim, const int64_t *ids,
                              int64_t count, int32_t dtype, void *y, void *stream);
/* Rotary embedding in place on x[tokens, heads, head_dim] (rotary_dim first
 * dims of each head rotated, the rest untouched), token t at position
 * positions[t] (int64, device): inv_freq[i] = theta^(-2i / rotary_dim).
 * layout: AWQ_ROPE_HALF_SPLIT (rotate_half, LLaMA/NeoX) or AWQ_ROPE_INTERLEAVED
 * (GPT-J pairs), as awq_rope. */
awq_status awq_cuda_rope(void *x, int64_t tokens, int64_t heads, int64_t head_dim,
                         int64_t rotary_dim, const int64_t *positions, float theta,
                         int32_t layout, int32_t dtype, void *stream);
/* KV cache of one layer: cache[batch, kv_heads, capacity, head_dim]. Copies
 * update[batch, new_tokens, kv_heads, head_dim] (the projection's layout) to
 * positions past_len[b] .. past_len[b] + new_tokens - 1 of sequence b
 * (past_len int32 [batch] on the device, so a captured CUDA graph replays for
 * every decode step). Positions at or beyond capacity are dropped. */
awq_status awq_cuda_kv_cache_append(void *cache, int64_t batch, int64_t kv_heads,
                                    int64_t capacity, int64_t head_dim, const void *update,
                                    int64_t new_tokens, const int32_t *past_len, int32_t dtype,
                                    void *stream);
/* Causal attention of new queries against a KV cache (prefill and decode):
 * q[batch, q_len, heads, head_dim], caches as above already holding
 * past_len[b] + q_len positions; query i of sequence b attends to cache
 * positions 0 .. past_len[b] + i. GQA: head h reads kv head h / (heads /
 * kv_heads). out[batch, q_len, heads, head_dim]; scores scaled by `scale`
 * (usually 1/sqrt(head_dim)); softmax in f32. head_dim <= 256. */
awq_status awq_cuda_attention(const void *q, const void *k_cache, const void *v_cache,
                              int64_t batch, int64_t q_len, int64_t heads, int64_t kv_heads,
                              int64_t head_dim, int64_t capacity, const int32_t *past_len,
                              float scale, int32_t dtype, void *out, void *stream);

/* awq.attention on the device: softmax(scale * q k^T + mask) v with
 * q [batch, heads, q_len, head_dim] (query_layout AWQ_HEADS_BHSD) or
 * [batch, q_len, heads, head_dim] (AWQ_HEADS_BSHD), k and v [batch, kv_heads, kv_capacity,
 * head_dim] of which the first kv_len rows of each head are read (kv_capacity
 * = kv_len for contiguous tensors; more for a KV cache with room to grow), out
 * like q; heads a multiple of kv_heads (head h reads kv head
 * h / (heads / kv_heads)); head_dim <= 256. mask: NULL, or an additive mask
 * in `dtype` read at b * s[0] + h * s[1] + i * s[2] + j * s[3] for
 * s = mask_strides (elements, 0 on broadcast axes). A query whose scores are
 * all -inf gives zeros (as awq_attention). f32, f16 or bf16; math in f32.
 * head_dim <= AWQ_CUDA_ATTENTION_MAX_HEAD_DIM (both attention functions). */
#define AWQ_CUDA_ATTENTION_MAX_HEAD_DIM 256
awq_status awq_cuda_attention_masked(const void *q, const void *k, const void *v,
                                     const void *mask, const int64_t *mask_strides,
                                     int64_t batch, int64_t heads, int64_t kv_heads,
                                     int64_t q_len, int64_t kv_len, int64_t kv_capacity,
                                     int64_t head_dim, awq_head_layout query_layout, float scale,
                                     int32_t dtype, void *out, void *stream);

/* ---- Generic graph ops (what a compiled model's ONNX nodes run) ---------- */
/* Float dtypes f32, f16 or bf16 throughout, math in f32, contiguous row-major. */

/* Batched y[b] = a[b] . op(b[b]) for b < batch: a [M, K], b [K, N] (or [N, K]
 * when b_transposed), y [M, N]; batch strides in elements (0 repeats one
 * matrix for every batch item); cuBLAS with f32 compute. */
awq_status awq_cuda_matmul(const void *a, const void *b, int64_t batch, int64_t m, int64_t n,
                           int64_t k, int32_t b_transposed, int64_t a_batch_stride,
                           int64_t b_batch_stride, int32_t dtype, void *y, void *stream);
/* ONNX Gemm: y[M, N] = alpha * op(a) . op(b) + beta * y, op(a) [M, K] (a
 * stored [K, M] when a_transposed), op(b) [K, N] (b stored [N, K] when
 * b_transposed); y is read only when beta != 0 (a compiled model's Gemm
 * broadcasts C into it first). K > 0. cuBLAS with f32 compute, one rounding
 * of the result. */
awq_status awq_cuda_gemm(const void *a, int32_t a_transposed, const void *b,
                         int32_t b_transposed, int64_t m, int64_t n, int64_t k, float alpha,
                         float beta, int32_t dtype, void *y, void *stream);
/* y[i] = op(x[i]) for an awq_unary_op from NEG to GELU_TANH (not NOT). */
int awq_cuda_unary_supported(int32_t op);
awq_status awq_cuda_unary(int32_t op, const void *x, int64_t count, int32_t dtype, void *y,
                          void *stream);
/* y[i] = op(a[.], b[.]) for an awq_binary_op from ADD to MAX over the output
 * shape[rank]; a_strides / b_strides give each input's element stride per
 * output dim (0 where it broadcasts). MIN and MAX select as the CPU runtime
 * does (b < a ? b : a, a < b ? b : a: a NaN in a wins, one in b loses). y may
 * be a when a is not broadcast (an in-place update). */
int awq_cuda_binary_supported(int32_t op);
awq_status awq_cuda_binary(int32_t op, const void *a, const int64_t *a_strides, const void *b,
                           const int64_t *b_strides, const int64_t *shape, int32_t rank,
                           int32_t dtype, void *y, void *stream);
/* awq_rotary_embedding on the device: y = x * cos + rotate(x) * sin for x
 * and y contiguous over shape[rank] (the head dim last, even); cos and sin
 * (laid out alike) read at angle_strides, their element strides per dim of
 * shape (0 where they broadcast); layout an awq_rope_layout. Rounds as the
 * CPU op does, so both give the same bits. y must not alias x. */
awq_status awq_cuda_rotary_embedding(const void *x, const void *cos, const void *sin,
                                     const int64_t *angle_strides, const int64_t *shape,
                                     int32_t rank, int32_t layout, int32_t dtype, void *y,
                                     void *stream);
/* ONNX Where: for every coordinate c of shape[rank],
 *   y[c] = cond[c . cond_strides] ? a[c . a_strides] : b[c . b_strides]
 * (element strides >= 0, 0 where an input broadcasts; cond one byte per
 * element on the device, nonzero = true; a, b and y of element_bytes 1, 2, 4
 * or 8, y contiguous). */
awq_status awq_cuda_where(const uint8_t *cond, const int64_t *cond_strides, const void *a,
                          const int64_t *a_strides, const void *b, const int64_t *b_strides,
                          const int64_t *shape, int32_t rank, int32_t element_bytes, void *y,
                          void *stream);
/* Gather of whole slices: y[o, r, :] = x[o, rows[r], :] for x [outer,
 * extent, inner] and y [outer, count, inner], elements of element_bytes (1,
 * 2, 4 or 8); rows int64 [count] on the device, each in [0, extent) (not
 * checked on the device: a compiled model's Gather checks and wraps its
 * indices on the host). */
awq_status awq_cuda_gather_rows(const void *x, int64_t outer, int64_t extent, int64_t inner,
                                const int64_t *rows, int64_t count, int32_t element_bytes,
                                void *y, void *stream);
/* For every coordinate c of shape[rank]:
 *   y[sum_d c[d] * y_strides[d]] = x[sum_d c[d] * x_strides[d]]
 * (element strides; y_strides >= 0, x_strides may be negative, x then points
 * at element c = 0 with the elements before it in the same allocation;
 * elements of element_bytes 1, 2, 4 or 8; x and y must not overlap). A
 * compiled model's Transpose, Slice (negative where a step is), Split and
 * Expand (0 where it broadcasts) are one such copy, its Concat one per input
 * into the output. */
awq_status awq_cuda_strided_copy(const void *x, const int64_t *x_strides, void *y,
                                 const int64_t *y_strides, const int64_t *shape, int32_t rank,
                                 int32_t element_bytes, void *stream);
/* y[i] = *value for i < count: elements of element_bytes (1, 2, 4 or 8),
 * value one element in host memory (read before the call returns). A
 * compiled model's ConstantOfShape. */
awq_status awq_cuda_fill(void *y, int64_t count, int32_t element_bytes, const void *value,
                         void *stream);
/* ONNX Trilu over the last two axes of x[matrices, rows, columns]: element
 * (i, j) of each matrix is kept when j - i >= k (upper) or j - i <= k (lower
 * triangle), zero bytes otherwise; elements of element_bytes (1, 2, 4 or 8),
 * y contiguous like x. */
awq_status awq_cuda_trilu(const void *x, int64_t matrices, int64_t rows, int64_t columns,
                          int64_t k, int32_t upper, int32_t element_bytes, void *y, void *stream);
/* y = x converted between float dtypes (round to nearest even). */
awq_status awq_cuda_cast(const void *x, int32_t from_dtype, int64_t count, int32_t to_dtype,
                         void *y, void *stream);
/* ONNX ReduceSum/Mean/Max/Min/Prod (an awq_reduce_op): y[o] reduces
 * x[offset(o) + offset(r)] over every r, where o walks kept_dims[kept_rank]
 * with kept_strides and r walks reduced_dims[reduced_rank] with
 * reduced_strides (element strides of x, >= 0; awq::rt::reductionAxes
 * splits an ONNX node's axes this way). Sums and products accumulate in f64
 * as the CPU runtime's do (in another order); Max and Min skip NaNs as the
 * CPU runtime does and give -inf / +inf over nothing; Mean over nothing is 0.
 * y contiguous [prod(kept_dims)]. */
awq_status awq_cuda_reduce(int32_t op, const void *x, const int64_t *kept_dims,
                           const int64_t *kept_strides, int32_t kept_rank,
                           const int64_t *reduced_dims, const int64_t *reduced_strides,
                           int32_t reduced_rank, int32_t dtype, void *y, void *stream);
/* Softmax over the last axis of x[rows, dim] (f32 max, sum and quotient). */
awq_status awq_cuda_softmax(const void *x, int64_t rows, int64_t dim, int32_t dtype, void *y,
                            void *stream);

#ifdef __cplusplus
}
#endif

#endif /* AWQ_CUDA_H */
