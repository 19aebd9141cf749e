/* awq_runtime.h - the C ABI of the awq CPU op library (the only public runtime header). */
#ifndef AWQ_RUNTIME_H
#define AWQ_RUNTIME_H

/*
 * Conventions shared by every op
 * ------------------------------
 * - Tensors are dense, row-major and contiguous. `awq_tensor` only describes
 *   memory; the caller owns it. A rank-0 tensor is a scalar with one element.
 * - Every op `X` has a shape function `awq_X_shape(inputs..., attributes...,
 *   out)` that fills `out->dtype`, `out->rank` and `out->shape` (it never
 *   touches `out->data`, and never reads input data except for the small
 *   int64 arrays that ONNX semantics need, which are passed as plain arrays).
 * - The compute function `awq_X(inputs..., attributes..., out)` takes the same
 *   arguments, re-runs the shape function, rejects an `out` whose dtype or
 *   shape differ, and writes into the caller-allocated `out->data`.
 * - Every function returns an `awq_status`: 0 on success; otherwise non-zero
 *   and `awq_last_error()` (thread-local) names the op and the mismatch.
 *   Nothing aborts or throws across this ABI.
 * - Axes may be negative (counted from the back) wherever ONNX allows it.
 * - Unless stated otherwise an output must not alias an input.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AWQ_MAX_RANK 8

typedef enum awq_dtype {
  AWQ_F32 = 1,
  AWQ_F16,
  AWQ_BF16,
  AWQ_I64,
  AWQ_I32,
  AWQ_I8,
  AWQ_U8,
  AWQ_BOOL /* one byte per element, 0 or 1 */
} awq_dtype;

typedef struct awq_tensor {
  void *data;
  int32_t dtype; /* an awq_dtype */
  int32_t rank;
  int64_t shape[AWQ_MAX_RANK];
} awq_tensor;

typedef int awq_status; /* 0 = ok; non-zero = error */

/* ---- Status, threads, basic helpers ------------------------------------ */

/* Message of the last failure on the calling thread ("" if none yet). */
const char *awq_last_error(void);

/* Threads used by every parallel loop and by OpenBLAS. n <= 0 restores the
 * default (all cores OpenMP reports). */
void awq_set_num_threads(int n);
int awq_get_num_threads(void);

/* Bytes per element; 0 for an unknown dtype. */
size_t awq_dtype_size(int32_t dtype);
/* Product of the shape (1 for rank 0); -1 if the descriptor is invalid. */
int64_t awq_tensor_numel(const awq_tensor *t);
/* Short name such as "f32"; "invalid" for an unknown dtype. */
const char *awq_dtype_name(int32_t dtype);

/* IEEE binary16 and bfloat16 conversions; f32 -> half rounds to nearest even. */
float awq_f16_to_f32(uint16_t h);
uint16_t awq_f32_to_f16(float f);
float awq_bf16_to_f32(uint16_t h);
uint16_t awq_f32_to_bf16(float f);

/* ---- Elementwise (numpy/ONNX multidirectional broadcasting) -------------- */

typedef enum awq_unary_op {
  AWQ_UNARY_NEG = 1,
  AWQ_UNARY_ABS,
  AWQ_UNARY_SQRT,
  AWQ_UNARY_RECIPROCAL,
  AWQ_UNARY_EXP,
  AWQ_UNARY_LOG,
  AWQ_UNARY_ERF,
  AWQ_UNARY_TANH,
  AWQ_UNARY_SIGMOID,
  AWQ_UNARY_SIN,
  AWQ_UNARY_COS,
  AWQ_UNARY_FLOOR,
  AWQ_UNARY_CEIL,
  AWQ_UNARY_RELU,
  AWQ_UNARY_SILU,      /* x * sigmoid(x) */
  AWQ_UNARY_GELU,      /* exact: 0.5 x (1 + erf(x / sqrt 2)) */
  AWQ_UNARY_GELU_TANH, /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
  AWQ_UNARY_NOT        /* bool only */
} awq_unary_op;

/* Output has the input's dtype and shape. Float ops accept f32/f16/bf16
 * (computed in f32); NEG/ABS/RELU also accept signed integers; NOT takes bool.
 * In-place (out->data == x->data) is allowed. */
awq_status awq_unary_shape(awq_unary_op op, const awq_tensor *x, awq_tensor *out);
awq_status awq_unary(awq_unary_op op, const awq_tensor *x, awq_tensor *out);

/* Named entry points for the activations the raised IR uses (same as awq_unary). */
awq_status awq_relu(const awq_tensor *x, awq_tensor *out);
awq_status awq_silu(const awq_tensor *x, awq_tensor *out);
/* approximate_tanh = 0: exact erf form; non-zero: tanh approximation. */
awq_status awq_gelu(const awq_tensor *x, int approximate_tanh, awq_tensor *out);

typedef enum awq_binary_op {
  AWQ_BINARY_ADD = 1,
  AWQ_BINARY_SUB,
  AWQ_BINARY_MUL,
  AWQ_BINARY_DIV, /* integer division truncates; division by zero is an error */
  AWQ_BINARY_POW,
  AWQ_BINARY_MIN,
  AWQ_BINARY_MAX,
  AWQ_BINARY_EQUAL,         /* comparisons produce bool */
  AWQ_BINARY_LESS,
  AWQ_BINARY_LESS_OR_EQUAL,
  AWQ_BINARY_GREATER,
  AWQ_BINARY_GREATER_OR_EQUAL,
  AWQ_BINARY_AND, /* logical ops: bool inputs and output */
  AWQ_BINARY_OR,
  AWQ_BINARY_XOR
} awq_binary_op;

/* a and b must share a dtype (Pow also allows a float base with any numeric
 * exponent dtype, as ONNX does). Output shape is the broadcast of both shapes;
 * dtype is a's dtype, or bool for comparisons. */
awq_status awq_binary_shape(awq_binary_op op, const awq_tensor *a, const awq_tensor *b,
                            awq_tensor *out);
awq_status awq_binary(awq_binary_op op, const awq_tensor *a, const awq_tensor *b,
                      awq_tensor *out);

/* ONNX Where: out = cond ? x : y, three-way broadcasting; cond is bool, x and
 * y share any dtype. */
awq_status awq_where_shape(const awq_tensor *cond, const awq_tensor *x, const awq_tensor *y,
                           awq_tensor *out);
awq_status awq_where(const awq_tensor *cond, const awq_tensor *x, const awq_tensor *y,
                     awq_tensor *out);

/* ONNX Cast between any two dtypes. Float -> integer truncates toward zero
 * (out-of-range values are saturated); anything -> bool is (x != 0). */
awq_status awq_cast_shape(const awq_tensor *x, int32_t to_dtype, awq_tensor *out);
awq_status awq_cast(const awq_tensor *x, int32_t to_dtype, awq_tensor *out);

/* ---- Reductions and normalisation --------------------------------------- */

typedef enum awq_reduce_op {
  AWQ_REDUCE_SUM = 1,
  AWQ_REDUCE_MEAN,
  AWQ_REDUCE_MAX,
  AWQ_REDUCE_MIN,
  AWQ_REDUCE_PROD
} awq_reduce_op;

/* ONNX ReduceX (opset 18 form): axes may be NULL/empty, meaning all axes, or
 * the identity when noop_with_empty_axes != 0. Duplicated axes are an error.
 * Float dtypes accumulate in double; integers in int64 (MEAN truncates). */
awq_status awq_reduce_shape(awq_reduce_op op, const awq_tensor *x, const int64_t *axes,
                            int64_t num_axes, int keepdims, int noop_with_empty_axes,
                            awq_tensor *out);
awq_status awq_reduce(awq_reduce_op op, const awq_tensor *x, const int64_t *axes,
                      int64_t num_axes, int keepdims, int noop_with_empty_axes,
                      awq_tensor *out);

/* Softmax along `axis` (f32/f16/bf16), numerically stable (max subtracted). */
awq_status awq_softmax_shape(const awq_tensor *x, int64_t axis, awq_tensor *out);
awq_status awq_softmax(const awq_tensor *x, int64_t axis, awq_tensor *out);

/* RMSNorm over the last axis: y = x / sqrt(mean(x^2) + eps) * (gamma_offset + gamma).
 * gamma has shape [H] (H = last dim of x); gamma_offset is 0 normally and 1 for
 * Gemma's x * (1 + w). x and gamma: f32/f16/bf16 (may differ); out has x's dtype. */
awq_status awq_rms_norm_shape(const awq_tensor *x, const awq_tensor *gamma, float eps,
                              float gamma_offset, awq_tensor *out);
awq_status awq_rms_norm(const awq_tensor *x, const awq_tensor *gamma, float eps,
                        float gamma_offset, awq_tensor *out);

/* ONNX LayerNormalization: normalise over x.shape[axis:] (axis usually -1);
 * gamma (and optional beta, may be NULL) hold prod(x.shape[axis:]) elements. */
awq_status awq_layer_norm_shape(const awq_tensor *x, const awq_tensor *gamma,
                                const awq_tensor *beta, int64_t axis, float eps,
                                awq_tensor *out);
awq_status awq_layer_norm(const awq_tensor *x, const awq_tensor *gamma, const awq_tensor *beta,
                          int64_t axis, float eps, awq_tensor *out);

/* A residual add fused with the norm of the sum (a pre-norm block's
 * `h = x + r; y = norm(h)`): sum = x + residual, rounded to x's dtype exactly
 * as awq_binary's ADD rounds it, and out = the norm of sum (over the last
 * axis), bit-identical to awq_binary followed by awq_rms_norm /
 * awq_layer_norm. residual has x's dtype and shape; sum and out get them. */
awq_status awq_add_rms_norm_shape(const awq_tensor *x, const awq_tensor *residual,
                                  const awq_tensor *gamma, float eps, float gamma_offset,
                                  awq_tensor *sum, awq_tensor *out);
awq_status awq_add_rms_norm(const awq_tensor *x, const awq_tensor *residual,
                            const awq_tensor *gamma, float eps, float gamma_offset,
                            awq_tensor *sum, awq_tensor *out);
awq_status awq_add_layer_norm_shape(const awq_tensor *x, const awq_tensor *residual,
                                    const awq_tensor *gamma, const awq_tensor *beta, float eps,
                                    awq_tensor *sum, awq_tensor *out);
awq_status awq_add_layer_norm(const awq_tensor *x, const awq_tensor *residual,
                              const awq_tensor *gamma, const awq_tensor *beta, float eps,
                              awq_tensor *sum, awq_tensor *out);

/* ---- Matrix products ---------------------------------------------------- */

/* y[..., N] = x[..., K] . W (+ bias[N]).
 * x: f32. W: f32/f16/bf16, shape [K, N] when weight_is_nk = 0, or [N, K] (the
 * nn.Linear layout) when weight_is_nk != 0. bias: NULL or [N] of f32/f16/bf16.
 * Half weights are widened to f32 one block at a time; math is cblas_sgemm. */
awq_status awq_linear_shape(const awq_tensor *x, const awq_tensor *weight, const awq_tensor *bias,
                            int weight_is_nk, awq_tensor *out);
awq_status awq_linear(const awq_tensor *x, const awq_tensor *weight, const awq_tensor *bias,
                      int weight_is_nk, awq_tensor *out);

/* ONNX MatMul (numpy matmul): 1-D operands are promoted and the added axis
 * removed again; batch axes broadcast. a and b share a dtype: f32/f16/bf16
 * (half types computed in f32 one batch matrix at a time). */
awq_status awq_matmul_shape(const awq_tensor *a, const awq_tensor *b, awq_tensor *out);
awq_status awq_matmul(const awq_tensor *a, const awq_tensor *b, awq_tensor *out);

/* ONNX Gemm on f32: out = alpha * op(A) . op(B) + beta * C, C (may be NULL)
 * unidirectionally broadcast to [M, N]. */
awq_status awq_gemm_shape(const awq_tensor *a, const awq_tensor *b, const awq_tensor *c,
                          float alpha, float beta, int trans_a, int trans_b, awq_tensor *out);
awq_status awq_gemm(const awq_tensor *a, const awq_tensor *b, const awq_tensor *c, float alpha,
                    float beta, int trans_a, int trans_b, awq_tensor *out);

/* ---- Attention and positional encoding ---------------------------------- */

/* Axis order of a rank-4 tensor of attention heads. */
typedef enum awq_head_layout {
  AWQ_HEADS_BHSD = 0, /* [batch, heads, sequence, head dim] */
  AWQ_HEADS_BSHD = 1  /* [batch, sequence, heads, head dim]: a projection's
                         output reshaped, before exporters transpose it */
} awq_head_layout;

/* Scaled dot-product attention, f32.
 *   q [B, Hq, S, D], k [B, Hkv, T, D], v [B, Hkv, T, Dv] -> out [B, Hq, S, Dv],
 * or with query_layout AWQ_HEADS_BSHD q [B, S, Hq, D] -> out [B, S, Hq, Dv]
 * (keys and values stay [B, Hkv, T, D]; same results bit for bit).
 * Hq must be a multiple of Hkv (GQA/MQA): query head h reads kv head
 * h / (Hq / Hkv). Only keys j < kv_len are read (kv_len < 0 means T), so a
 * preallocated cache of capacity T can be passed whole. Query i sits at
 * absolute position past_len + i (past_len < 0 means kv_len - S); with
 * causal != 0 it attends keys j <= past_len + i. scale <= 0 means 1/sqrt(D).
 * mask: NULL, or an additive f32 mask broadcastable to [B, Hq, S, T] (or to
 * [B, Hq, S, kv_len] when a cache of capacity T is passed whole).
 * A query row whose keys are all masked out produces zeros. */
awq_status awq_attention_shape(const awq_tensor *q, const awq_tensor *k, const awq_tensor *v,
                               const awq_tensor *mask, float scale, int causal,
                               int64_t past_len, int64_t kv_len, awq_head_layout query_layout,
                               awq_tensor *out);
awq_status awq_attention(const awq_tensor *q, const awq_tensor *k, const awq_tensor *v,
                         const awq_tensor *mask, float scale, int causal, int64_t past_len,
                         int64_t kv_len, awq_head_layout query_layout, awq_tensor *out);

/* Copy `update` [B, H, S, D] into `cache` [B, H, T, D] at positions
 * [offset, offset + S) of axis 2 (in place; same dtype; offset + S <= T). */
awq_status awq_kv_cache_append(awq_tensor *cache, const awq_tensor *update, int64_t offset);

typedef enum awq_rope_layout {
  AWQ_ROPE_INTERLEAVED = 1, /* rotates pairs (x[2i], x[2i+1]) (GPT-J style) */
  AWQ_ROPE_HALF_SPLIT       /* rotates (x[i], x[i + R/2]) (GPT-NeoX / Llama style) */
} awq_rope_layout;

/* Rotary position embedding on f32/f16/bf16 x of rank >= 2 whose last axis is
 * the head dim D and whose axis `seq_axis` indexes positions (S = its extent).
 * Only the first rotary_dim channels rotate (rotary_dim <= 0 means D; must be
 * even and <= D); the rest pass through. Angle for pair i at position p is
 * p * theta^(-2i / rotary_dim). Positions: position_ids (i64/i32, shape [S]
 * or [B, S] with B = x.shape[0]) if non-NULL, else position_offset + s.
 * In-place (out->data == x->data) is allowed. */
awq_status awq_rope_shape(const awq_tensor *x, const awq_tensor *position_ids,
                          int64_t position_offset, int64_t seq_axis, int64_t rotary_dim,
                          float theta, awq_rope_layout layout, awq_tensor *out);
awq_status awq_rope(const awq_tensor *x, const awq_tensor *position_ids, int64_t position_offset,
                    int64_t seq_axis, int64_t rotary_dim, float theta, awq_rope_layout layout,
                    awq_tensor *out);

/* Rotary embedding with the cos and sin a model computed itself:
 *   out = x * cos + rotate(x) * sin
 * x f32/f16/bf16 [..., D] (D even); cos and sin of x's dtype and one shape
 * that broadcasts to x's without widening it, D last. rotate pairs channel i
 * with i + D/2 (HALF_SPLIT) or 2i with 2i + 1 (INTERLEAVED) and gives each
 * the other's value, the first of the pair negated. Each product and the sum
 * round to the dtype, as ONNX's Mul, Mul and Add do, so the result has the
 * bits of the graph awq.rotary_embedding replaces. Output: x's dtype and
 * shape; it must not alias x. */
awq_status awq_rotary_embedding_shape(const awq_tensor *x, const awq_tensor *cos,
                                      const awq_tensor *sin, awq_rope_layout layout,
                                      awq_tensor *out);
awq_status awq_rotary_embedding(const awq_tensor *x, const awq_tensor *cos, const awq_tensor *sin,
                                awq_rope_layout layout, awq_tensor *out);

/* ---- Indexing ----------------------------------------------------------- */

/* ONNX Gather: out.shape = data.shape[:axis] + indices.shape + data.shape[axis+1:].
 * indices: i64/i32, negative values count from the end, out of range is an error. */
awq_status awq_gather_shape(const awq_tensor *data, const awq_tensor *indices, int64_t axis,
                            awq_tensor *out);
awq_status awq_gather(const awq_tensor *data, const awq_tensor *indices, int64_t axis,
                      awq_tensor *out);

/* ---- Shape-family ops (any dtype) --------------------------------------- */

/* ONNX Reshape: 0 copies the input dim (unless allowzero), one -1 is inferred.
 * Reshape, Flatten, Squeeze and Unsqueeze only copy bytes; they may run in
 * place (out->data == data->data), which makes the compute call free. */
awq_status awq_reshape_shape(const awq_tensor *data, const int64_t *shape, int64_t count,
                             int allowzero, awq_tensor *out);
awq_status awq_reshape(const awq_tensor *data, const int64_t *shape, int64_t count, int allowzero,
                       awq_tensor *out);

/* ONNX Flatten to 2-D: [prod(shape[:axis]), prod(shape[axis:])]. */
awq_status awq_flatten_shape(const awq_tensor *data, int64_t axis, awq_tensor *out);
awq_status awq_flatten(const awq_tensor *data, int64_t axis, awq_tensor *out);

/* ONNX Squeeze; axes NULL/empty removes every size-1 axis. */
awq_status awq_squeeze_shape(const awq_tensor *data, const int64_t *axes, int64_t num_axes,
                             awq_tensor *out);
awq_status awq_squeeze(const awq_tensor *data, const int64_t *axes, int64_t num_axes,
                       awq_tensor *out);

/* ONNX Unsqueeze; axes index the output rank. */
awq_status awq_unsqueeze_shape(const awq_tensor *data, const int64_t *axes, int64_t num_axes,
                               awq_tensor *out);
awq_status awq_unsqueeze(const awq_tensor *data, const int64_t *axes, int64_t num_axes,
                         awq_tensor *out);

/* ONNX Transpose; perm NULL/empty reverses the axes. */
awq_status awq_transpose_shape(const awq_tensor *data, const int64_t *perm, int64_t num_perm,
                               awq_tensor *out);
awq_status awq_transpose(const awq_tensor *data, const int64_t *perm, int64_t num_perm,
                         awq_tensor *out);

/* ONNX Concat of `count` tensors of one dtype along `axis`. */
awq_status awq_concat_shape(const awq_tensor *const *inputs, int64_t count, int64_t axis,
                            awq_tensor *out);
awq_status awq_concat(const awq_tensor *const *inputs, int64_t count, int64_t axis,
                      awq_tensor *out);

/* ONNX Slice: starts/ends/axes/steps have `count` entries (axes NULL means
 * 0..count-1, steps NULL means 1). Negative indices count from the end and
 * are clamped like numpy, for positive and negative steps; step 0 is an error. */
awq_status awq_slice_shape(const awq_tensor *data, const int64_t *starts, const int64_t *ends,
                           const int64_t *axes, const int64_t *steps, int64_t count,
                           awq_tensor *out);
awq_status awq_slice(const awq_tensor *data, const int64_t *starts, const int64_t *ends,
                     const int64_t *axes, const int64_t *steps, int64_t count, awq_tensor *out);

/* ONNX Split into num_outputs tensors along axis. split: NULL (equal parts,
 * the last one smaller when the extent does not divide, as in opset 18) or
 * num_outputs sizes summing to the extent. outputs is an array of num_outputs. */
awq_status awq_split_shape(const awq_tensor *data, int64_t axis, const int64_t *split,
                           int64_t num_outputs, awq_tensor *outputs);
awq_status awq_split(const awq_tensor *data, int64_t axis, const int64_t *split,
                     int64_t num_outputs, awq_tensor *outputs);

/* ONNX Expand: broadcast data against `shape` (result may be larger than shape). */
awq_status awq_expand_shape(const awq_tensor *data, const int64_t *shape, int64_t count,
                            awq_tensor *out);
awq_status awq_expand(const awq_tensor *data, const int64_t *shape, int64_t count,
                      awq_tensor *out);

/* ONNX Shape: 1-D i64 holding data.shape[start:end] (python-style clamped
 * slice; pass end = INT64_MAX for "to the end"). */
awq_status awq_shape_op_shape(const awq_tensor *data, int64_t start, int64_t end, awq_tensor *out);
awq_status awq_shape_op(const awq_tensor *data, int64_t start, int64_t end, awq_tensor *out);

/* ONNX ConstantOfShape: tensor of the given shape filled with value's single
 * element (its dtype becomes the output dtype); value NULL means f32 0. */
awq_status awq_constant_of_shape_shape(const int64_t *shape, int64_t count,
                                       const awq_tensor *value, awq_tensor *out);
awq_status awq_constant_of_shape(const int64_t *shape, int64_t count, const awq_tensor *value,
                                 awq_tensor *out);

/* ONNX Range: 1-D tensor of `dtype` (f32/f16/bf16/i64/i32/i8/u8) with
 * max(ceil((limit - start) / delta), 0) elements start + i * delta. */
awq_status awq_range_shape(double start, double limit, double delta, int32_t dtype,
                           awq_tensor *out);
awq_status awq_range(double start, double limit, double delta, int32_t dtype, awq_tensor *out);

/* ONNX Trilu on the last two axes: keep the upper (upper != 0) or lower
 * triangle relative to diagonal k, zero the rest. */
awq_status awq_trilu_shape(const awq_tensor *x, int64_t k, int upper, awq_tensor *out);
awq_status awq_trilu(const awq_tensor *x, int64_t k, int upper, awq_tensor *out);

/* ---- Low-bit group quantization ---------------------------------------- */
/*
 * A weight W of N output rows and K inputs is quantized along K: each row is
 * cut into G = ceil(K / group_size) groups of group_size consecutive inputs
 * (the last group may be partial), each with one scale and one zero point.
 * Codes are unsigned `bits`-wide integers (bits = 2, 3, 4 or 8):
 *   asymmetric (zero_point != 0), AWQ's default:
 *     scale = max(max - min, 1e-5) / (2^bits - 1)
 *     zero  = clamp(-round(min / scale), 0, 2^bits - 1)
 *     q     = clamp(round(w / scale) + zero, 0, 2^bits - 1)
 *   symmetric (zero_point == 0): zero is implicitly 2^(bits-1) and
 *     scale = max(absmax, 1e-5) / (2^(bits-1) - 1)
 *     q     = clamp(round(w / scale), -2^(bits-1), 2^(bits-1) - 1) + 2^(bits-1)
 * and w' = (q - zero) * scale. round() is round-half-to-even; min/max are
 * taken in double, and zero and q are computed from the scale as stored (f32). With `clip` ([N, G] f32, AWQ's clipping search
 * result) each group is first clamped to [-clip, clip].
 * Weights are f32 [N, K]; codes u8 [N, K] (one code per byte); scales f32
 * [N, G]; zeros u8 [N, G].
 */
awq_status awq_quantize_groups_shape(const awq_tensor *w, int32_t bits, int64_t group_size,
                                     awq_tensor *codes, awq_tensor *scales, awq_tensor *zeros);
/* zeros is written only when zero_point != 0 (it may be NULL otherwise). */
awq_status awq_quantize_groups(const awq_tensor *w, int32_t bits, int64_t group_size,
                               int zero_point, const awq_tensor *clip, awq_tensor *codes,
                               awq_tensor *scales, awq_tensor *zeros);
/* w' = (codes - zeros) * scales as f32 [N, K]; zeros NULL means 2^(bits-1). */
awq_status awq_dequantize_groups(const awq_tensor *codes, const awq_tensor *scales,
                                 const awq_tensor *zeros, int32_t bits, int64_t group_size,
                                 awq_tensor *w);
/* dequantize(quantize(w)) in one pass (AWQ's search evaluates this);
 * out is f32 [N, K] and may alias w. */
awq_status awq_fake_quantize_groups(const awq_tensor *w, int32_t bits, int64_t group_size,
                                    int zero_point, const awq_tensor *clip, awq_tensor *out);

/* The canonical packed layout (the awq dialect's `row_major`): codes [N, K]
 * become [N, ceil(K * bits / 8)] u8, each row a little-endian bit stream
 * with input 0 in the lowest bits of byte 0 (4 bits: low nibble first).
 * Unpacking needs K because the last byte may be partly padding. */
awq_status awq_pack_codes_shape(const awq_tensor *codes, int32_t bits, awq_tensor *packed);
awq_status awq_pack_codes(const awq_tensor *codes, int32_t bits, awq_tensor *packed);
awq_status awq_unpack_codes_shape(const awq_tensor *packed, int32_t bits, int64_t k,
                                  awq_tensor *codes);
awq_status awq_unpack_codes(const awq_tensor *packed, int32_t bits, int64_t k,
                            awq_tensor *codes);

/* The awq.group_matmul op: y[..., N] = x[..., K] . W'^T (+ bias[N]) with
 * W' = dequantize(unpack(qweight)). x: f32; qweight: u8/i8 [N, ceil(K*bits/8)]
 * (row_major); scales: f32/f16/bf16 [N, G]; zeros: NULL or u8/i8 [N, G];
 * bias: NULL or [N] f32/f16/bf16. Output f32 [..., N]. */
awq_status awq_group_matmul_shape(const awq_tensor *x, const awq_tensor *qweight,
                                  const awq_tensor *scales, const awq_tensor *zeros,
                                  const awq_tensor *bias, int32_t bits, int64_t group_size,
                                  int64_t k, awq_tensor *out);
awq_status awq_group_matmul(const awq_tensor *x, const awq_tensor *qweight,
                            const awq_tensor *scales, const awq_tensor *zeros,
                            const awq_tensor *bias, int32_t bits, int64_t group_size, int64_t k,
                            awq_tensor *out);

/* ---- Prepacked group weights and the fast CPU group-matmul kernels ------ */
/*
 * A compiled model repacks each group-quantized weight once, at compile time,
 * into a self-describing blob: a u8 [bytes] tensor holding a 64-byte header
 * (magic "AWQG", version, layout, bits, group_size, K, N, zero-point flag,
 * total size) and then the codes in the order the kernels read them, with the
 * scales as f32 and the zero points as u8. Blobs are native-endian and must
 * be at least 4-byte aligned (64 is best). Layouts:
 *   AWQ_GROUP_LAYOUT_TILED_W4: bits = 4 and every group whole blocks of 32
 *     inputs (group_size a multiple of 32, or group_size >= K, i.e. one group
 *     per row). Runs on the fast kernels (AVX2, AVX-512 VNNI, or scalar).
 *   AWQ_GROUP_LAYOUT_ROW_MAJOR: everything else (bits 2, 3, 8; group sizes
 *     such as 16 or 48). The blob holds the canonical packed codes and runs on
 *     the portable awq_group_matmul path (fp32 activations in every mode).
 * The layout is chosen by awq_group_weights_prepack; the caller never picks it.
 */
typedef enum awq_group_layout {
  AWQ_GROUP_LAYOUT_ROW_MAJOR = 1,
  AWQ_GROUP_LAYOUT_TILED_W4 = 2
} awq_group_layout;

typedef struct awq_group_weights_info {
  int32_t layout; /* an awq_group_layout */
  int32_t bits;
  int64_t group_size, k, n;
  int32_t has_zeros; /* 0: zero point 2^(bits-1) */
} awq_group_weights_info;

/* Blob for the weights of awq_group_matmul (same qweight/scales/zeros/bits/
 * group_size/K rules; scales of any float dtype are stored as f32, i8 zero
 * points as their bytes). The shape function gives the blob's u8 [bytes]. */
awq_status awq_group_weights_prepack_shape(const awq_tensor *qweight, const awq_tensor *scales,
                                           const awq_tensor *zeros, int32_t bits,
                                           int64_t group_size, int64_t k, awq_tensor *blob);
awq_status awq_group_weights_prepack(const awq_tensor *qweight, const awq_tensor *scales,
                                     const awq_tensor *zeros, int32_t bits, int64_t group_size,
                                     int64_t k, awq_tensor *blob);
/* Reads and validates a blob's header. */
awq_status awq_group_weights_get_info(const awq_tensor *blob, awq_group_weights_info *info);
/* The inverse of prepack: qweight u8 [N, ceil(K*bits/8)] (row_major, bit-exact),
 * scales f32 [N, G], zeros u8 [N, G] (only when has_zeros; may be NULL otherwise). */
awq_status awq_group_weights_unpack(const awq_tensor *blob, awq_tensor *qweight,
                                    awq_tensor *scales, awq_tensor *zeros);

/* How activations meet the 4-bit weights (tiled layout):
 *   AWQ_GROUP_ACT_F32: codes are converted to f32 and multiplied with x in f32,
 *     accumulated in f32 per group, then scaled: the result equals the
 *     dequantized matmul up to f32 rounding (like onnxruntime accuracy_level 0/1).
 *   AWQ_GROUP_ACT_INT8: x is quantized per block of 32 inputs to int8
 *     (scale = absmax / 127, round to nearest even) and multiplied with the
 *     unsigned codes in int32; zero points are applied through the per-group
 *     sums of the quantized activations (like accuracy_level 4). Each x element
 *     moves by at most absmax(block) / 254, so
 *     |y - y_f32| <= sum over blocks of absmax(block) / 254 * sum |W'[n, k in block]|.
 * Row_major blobs compute in f32 whatever the mode. */
typedef enum awq_group_activation {
  AWQ_GROUP_ACT_F32 = 0,
  AWQ_GROUP_ACT_INT8 = 1
} awq_group_activation;

/* y[..., N] = x[..., K] . W'^T (+ bias[N]) with W' the blob's dequantized
 * weights. x: f32 [..., K]; bias: NULL or f32/f16/bf16 [N]; out f32 [..., N].
 * Threads split N (tiles of 16 outputs). With fp32 activations, more than 4
 * rows of x dequantize tiles to f32 and multiply with sgemm. The shape
 * functions here read the blob's 64-byte header (N lives there). */
awq_status awq_group_matmul_prepacked_shape(const awq_tensor *x, const awq_tensor *blob,
                                            const awq_tensor *bias, awq_tensor *out);
awq_status awq_group_matmul_prepacked(const awq_tensor *x, const awq_tensor *blob,
                                      const awq_tensor *bias, int32_t activation,
                                      awq_tensor *out);

/* The LLaMA MLP's first half: out = SiLU(x . Wg'^T) * (x . Wu'^T), SiLU(v) =
 * v / (1 + exp(-v)). gate and up must have the same K, N and layout. x is
 * prepared (padded or quantized) once, each tile of both weights is computed
 * on the same thread and combined there: no [.., N] intermediates. Same
 * shapes and accuracy as two awq_group_matmul_prepacked calls. */
awq_status awq_group_matmul_gate_up_silu_prepacked_shape(const awq_tensor *x,
                                                         const awq_tensor *gate_blob,
                                                         const awq_tensor *up_blob,
                                                         awq_tensor *out);
awq_status awq_group_matmul_gate_up_silu_prepacked(const awq_tensor *x,
                                                   const awq_tensor *gate_blob,
                                                   const awq_tensor *up_blob, int32_t activation,
                                                   awq_tensor *out);

/* Kernel selection for tiled blobs. AUTO picks the best the CPU supports:
 * AVX512 needs AVX-512 F/BW/VL + VNNI, AVX2 needs AVX2 + FMA, SCALAR runs
 * anywhere. The environment variable AWQ_GROUP_ISA=scalar|avx2|avx512 read at
 * the first call caps the choice (an unsupported request gets the best below
 * it); awq_group_set_isa overrides it for the process (tests use it to run
 * every path). All paths give the same results up to f32 summation order. */
typedef enum awq_group_isa {
  AWQ_GROUP_ISA_AUTO = 0,
  AWQ_GROUP_ISA_SCALAR = 1,
  AWQ_GROUP_ISA_AVX2 = 2,
  AWQ_GROUP_ISA_AVX512 = 3
} awq_group_isa;

/* 1 when this CPU (and build) can run `isa`; AUTO is always supported. */
int awq_group_isa_supported(int32_t isa);
/* Fails (non-zero status) for an unsupported isa; AUTO restores the default. */
awq_status awq_group_set_isa(int32_t isa);
/* The isa kernels run with now (never AUTO). */
int32_t awq_group_get_isa(void);
/* "scalar", "avx2", "avx512", "auto"; "invalid" otherwise. */
const char *awq_group_isa_name(int32_t isa);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AWQ_RUNTIME_H */
