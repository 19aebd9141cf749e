/* awq_node.h - graph nodes on the runtime: one uniform C entry per operator.
 *
 * The executor (lib/Execution) and the libraries awq-compile generates run a
 * model the same way: node after node, each a call of that node's operator
 * entry below. The entry reads the node's attributes (with ONNX's defaults
 * and opset differences), reads small shape tensors where ONNX semantics need
 * their values, computes the output descriptors with the op's shape function,
 * asks the caller's allocator for the output memory, and runs the op. The
 * mapping from an ONNX node (or an awq dialect op) to the typed functions of
 * awq_runtime.h therefore exists once, here.
 */
#ifndef AWQ_NODE_H
#define AWQ_NODE_H

#include "awq_runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Serialized node (all integers little-endian, no padding, no alignment
 * assumed by readers):
 *   u32  total size in bytes (this field included)
 *   i64  opset of the node's domain (0 for awq dialect ops)
 *   str  op type (e.g. "Reshape", "group_matmul")
 *   str  node name (for error messages; may be empty)
 *   u32  number of attributes, then each attribute:
 *     str  name
 *     u8   kind (awq_attribute_kind), then its payload:
 *          INT    i64
 *          FLOAT  f32
 *          STRING str
 *          INTS   u32 count, count x i64
 *          FLOATS u32 count, count x f32
 *          TENSOR i32 dtype (awq_dtype), i32 rank, rank x i64 dims,
 *                 u64 byte count, bytes (row-major)
 * where `str` is u32 length + bytes (no terminating NUL).
 * Attributes of the awq dialect encode as: integers and booleans INT, floats
 * FLOAT, enums STRING (their keyword, e.g. "tanh"), unit attributes INT 1.
 */
typedef enum awq_attribute_kind {
  AWQ_ATTRIBUTE_INT = 1,
  AWQ_ATTRIBUTE_FLOAT = 2,
  AWQ_ATTRIBUTE_STRING = 3,
  AWQ_ATTRIBUTE_INTS = 4,
  AWQ_ATTRIBUTE_FLOATS = 5,
  AWQ_ATTRIBUTE_TENSOR = 6
} awq_attribute_kind;

/* Output memory comes from the caller: the entry fills outputs[i]'s dtype
 * and shape, then calls allocate(context, &outputs[i]), which returns at
 * least numel * dtype size bytes aligned to 64 (or NULL: the entry fails with
 * an out-of-memory error). The memory never aliases an input.
 *
 * KV caches that grow in place (awq.kv_cache_append, read by awq.attention).
 * A caller that keeps a decoder's cache between runs may provide both
 * functions below; one that leaves them NULL gets contiguous tensors only.
 *   allocate_cache(context, past, present, &capacity): memory for `present`
 *     ([B, H, T, D], dtype and shape set), the rows of `past` ([B, H, P, D])
 *     followed by new ones along axis 2, laid out as [B, H, capacity, D] with
 *     capacity >= T: head h's row t at (h * capacity + t) * D elements. It
 *     returns past->data itself when past already lies in such memory with
 *     room for T rows and may grow in place (the first P rows of each head
 *     are then already there); otherwise memory that does not alias past.
 *     NULL: out of memory.
 *   cache_capacity(context, data): the rows per head of the memory at
 *     `data` when allocate_cache handed it out (an input or result whose
 *     dims say [B, H, T, D] is then laid out as [B, H, capacity, D]), or 0
 *     for a contiguous tensor. */
typedef struct awq_node_allocator {
  void *context;
  void *(*allocate)(void *context, awq_tensor *output);
  void *(*allocate_cache)(void *context, const awq_tensor *past, awq_tensor *present,
                          int64_t *capacity);
  int64_t (*cache_capacity)(void *context, const void *data);
} awq_node_allocator;

/* One operator entry. inputs[i] is NULL for an absent optional input (ONNX's
 * empty name, awq's missing bias). On failure the entry returns non-zero and
 * awq_last_error() reads "<op type> node '<name>': <what went wrong>". */
typedef awq_status (*awq_node_fn)(const uint8_t *node, const awq_tensor *const *inputs,
                                  int32_t num_inputs, awq_tensor *outputs, int32_t num_outputs,
                                  const awq_node_allocator *allocator);

/* The entry for an operator, or NULL when the runtime has none. domain is ""
 * or "ai.onnx" for ONNX's default domain, "com.microsoft" for its contrib
 * ops, and "awq" for the awq dialect's ops (op_type without the "awq."). */
awq_node_fn awq_find_node_fn(const char *domain, const char *op_type);

/* The exported C symbol of that entry (what compiled code calls directly),
 * or NULL when there is none. Symbols look like awq_node_onnx_Reshape,
 * awq_node_ms_FastGelu, awq_node_awq_group_matmul. */
const char *awq_find_node_symbol(const char *domain, const char *op_type);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AWQ_NODE_H */
