// AWQNodes.cpp - the awq dialect's ops. Inputs come in the op's operand order,
// with NULL for an absent optional operand (bias, zero_points); attributes
// are the op's inherent attributes, enums as their keywords.
#include "NodeCall.h"

#include <cstring>
#include <vector>

using namespace awq::rt;

namespace {

void linear(NodeCall &call) {
  const awq_tensor *x = call.input(0), *weight = call.input(1);
  const awq_tensor *bias = call.optionalInput(2);
  const int weightIsNK = call.node.getInt("transpose_weight", 0) != 0;
  call.runSingle(
      [&](awq_tensor *out) { return awq_linear_shape(x, weight, bias, weightIsNK, out); },
      [&](awq_tensor *out) { return awq_linear(x, weight, bias, weightIsNK, out); });
}

void rmsNorm(NodeCall &call) {
  const awq_tensor *x = call.input(0), *gamma = call.input(1);
  const float eps = call.node.getFloat("epsilon");
  // Gemma's norm multiplies by (1 + w).
  const float offset = call.node.getInt("unit_offset", 0) ? 1.0f : 0.0f;
  call.runSingle([&](awq_tensor *out) { return awq_rms_norm_shape(x, gamma, eps, offset, out); },
                 [&](awq_tensor *out) { return awq_rms_norm(x, gamma, eps, offset, out); });
}

void layerNorm(NodeCall &call) {
  const awq_tensor *x = call.input(0), *gamma = call.input(1);
  const awq_tensor *beta = call.optionalInput(2);
  const float eps = call.node.getFloat("epsilon");
  call.runSingle(
      [&](awq_tensor *out) { return awq_layer_norm_shape(x, gamma, beta, -1, eps, out); },
      [&](awq_tensor *out) { return awq_layer_norm(x, gamma, beta, -1, eps, out); });
}

// The residual add fused with the next norm: outputs sum, then the norm.
void addRmsNorm(NodeCall &call) {
  const awq_tensor *x = call.input(0), *residual = call.input(1), *gamma = call.input(2);
  const float eps = call.node.getFloat("epsilon");
  const float offset = call.node.getInt("unit_offset", 0) ? 1.0f : 0.0f;
  call.runPair(
      [&](awq_tensor *sum, awq_tensor *out) {
        return awq_add_rms_norm_shape(x, residual, gamma, eps, offset, sum, out);
      },
      [&](awq_tensor *sum, awq_tensor *out) {
        return awq_add_rms_norm(x, residual, gamma, eps, offset, sum, out);
      });
}

void addLayerNorm(NodeCall &call) {
  const awq_tensor *x = call.input(0), *residual = call.input(1), *gamma = call.input(2);
  const awq_tensor *beta = call.optionalInput(3);
  const float eps = call.node.getFloat("epsilon");
  call.runPair(
      [&](awq_tensor *sum, awq_tensor *out) {
        return awq_add_layer_norm_shape(x, residual, gamma, beta, eps, sum, out);
      },
      [&](awq_tensor *sum, awq_tensor *out) {
        return awq_add_layer_norm(x, residual, gamma, beta, eps, sum, out);
      });
}

void silu(NodeCall &call) {
  const awq_tensor *x = call.input(0);
  call.runSingle([&](awq_tensor *out) { return awq_unary_shape(AWQ_UNARY_SILU, x, out); },
                 [&](awq_tensor *out) { return awq_unary(AWQ_UNARY_SILU, x, out); });
}

void gelu(NodeCall &call) {
  const awq_tensor *x = call.input(0);
  const std::string approximate = call.node.getString("approximate", "none");
  if (approximate != "none" && approximate != "tanh")
    raise("unknown approximation '%s' (expected none or tanh)", approximate.c_str());
  const awq_unary_op kind = approximate == "tanh" ? AWQ_UNARY_GELU_TANH : AWQ_UNARY_GELU;
  call.runSingle([&](awq_tensor *out) { return awq_unary_shape(kind, x, out); },
                 [&](awq_tensor *out) { return awq_unary(kind, x, out); });
}

// x * cos + rotate(x) * sin.
void rotaryEmbedding(NodeCall &call) {
  const awq_tensor *x = call.input(0), *cos = call.input(1), *sin = call.input(2);
  const awq_rope_layout layout = readRotaryLayout(call);
  call.runSingle(
      [&](awq_tensor *out) { return awq_rotary_embedding_shape(x, cos, sin, layout, out); },
      [&](awq_tensor *out) { return awq_rotary_embedding(x, cos, sin, layout, out); });
}

// Copies `rows` rows of each of `heads` heads from src (rowsPerHead apart)
// to dst (capacity apart) starting at row `offset` of each dst head.
void copyHeadRows(const void *src, int64_t srcRowsPerHead, void *dst, int64_t capacity,
                  int64_t offset, int64_t rows, int64_t heads, size_t rowBytes) {
  if (rows == 0 || heads == 0)
    return;
  const auto *from = static_cast<const uint8_t *>(src);
  auto *to = static_cast<uint8_t *>(dst);
  parallelFor(heads, 1, [&](int64_t begin, int64_t end) {
    for (int64_t h = begin; h < end; ++h)
      std::memcpy(to + static_cast<size_t>(h * capacity + offset) * rowBytes,
                  from + static_cast<size_t>(h * srcRowsPerHead) * rowBytes,
                  static_cast<size_t>(rows) * rowBytes);
  });
}

// Copies the rows of `update` [B, S, H, D] to rows offset.. of each of the
// B * H heads of dst (capacity rows apart): the head transpose done as the
// rows are appended.
void copySequenceFirstRows(const awq_tensor *update, void *dst, int64_t capacity, int64_t offset,
                           size_t rowBytes) {
  const int64_t batch = update->shape[0], steps = update->shape[1], heads = update->shape[2];
  if (batch * steps * heads == 0)
    return;
  const auto *from = static_cast<const uint8_t *>(update->data);
  auto *to = static_cast<uint8_t *>(dst);
  parallelFor(batch * heads, 1, [&](int64_t begin, int64_t end) {
    for (int64_t head = begin; head < end; ++head) {
      const int64_t b = head / heads, h = head % heads;
      for (int64_t s = 0; s < steps; ++s)
        std::memcpy(to + static_cast<size_t>(head * capacity + offset + s) * rowBytes,
                    from + static_cast<size_t>((b * steps + s) * heads + h) * rowBytes, rowBytes);
    }
  });
}

// present = Concat(past, update, axis 2), the update [B, H, S, D] or, with
// update_layout bshd, [B, S, H, D]. With the caller's cache functions
// (awq_node.h) present lives in memory with room to grow; when that memory
// is past's own, only the update's rows are written.
void kvCacheAppend(NodeCall &call) {
  const awq_tensor *past = call.input(0), *update = call.input(1);
  call.expectOutputs(1);
  checkData(past, "past");
  checkData(update, "update");
  const CacheUpdate cacheUpdate = readCacheUpdate(call);
  awq_tensor *present = call.output(0);
  const int64_t capacity = call.allocateAppendedCache(past, &cacheUpdate.headsFirst, present);
  const int64_t heads = present->shape[0] * present->shape[1], pastRows = past->shape[2];
  const size_t rowBytes = static_cast<size_t>(present->shape[3]) * awq_dtype_size(present->dtype);
  if (present->data != past->data)
    copyHeadRows(past->data, call.rowsPerHead(past), present->data, capacity, 0, pastRows, heads,
                 rowBytes);
  if (cacheUpdate.sequenceFirst)
    copySequenceFirstRows(update, present->data, capacity, pastRows, rowBytes);
  else
    copyHeadRows(update->data, update->shape[2], present->data, capacity, pastRows,
                 update->shape[2], heads, rowBytes);
}

// A [B, H, T, D] key or value as the attention reads it: over its memory's
// rows per head (a KV cache's capacity), of which the first T are valid.
awq_tensor withRowsPerHead(const awq_tensor *tensor, int64_t rows) {
  awq_tensor view = *tensor;
  view.shape[2] = rows;
  return view;
}

// The rows of a cache laid out with `rowsPerHead` rows per head, compacted.
std::vector<uint8_t> compacted(const awq_tensor *tensor, int64_t rowsPerHead) {
  const int64_t heads = tensor->shape[0] * tensor->shape[1];
  const size_t rowBytes = static_cast<size_t>(tensor->shape[3]) * awq_dtype_size(tensor->dtype);
  std::vector<uint8_t> bytes(static_cast<size_t>(heads * tensor->shape[2]) * rowBytes);
  copyHeadRows(tensor->data, rowsPerHead, bytes.data(), tensor->shape[2], 0, tensor->shape[2],
               heads, rowBytes);
  return bytes;
}

// softmax(scale * q k^T + mask) v; the mask carries any causality, so the
// causal form's flag and past_len stay off. Keys and values in KV-cache
// memory are read in place: kv_len = their T, over the rows of the capacity.
void attention(NodeCall &call) {
  const awq_tensor *q = call.input(0), *k = call.input(1), *v = call.input(2);
  const awq_tensor *mask = call.optionalInput(3);
  const float scale = readAttentionScale(call);
  const awq_head_layout layout = readHeadLayout(call, "query_layout");
  call.runSingle(
      [&](awq_tensor *out) {
        return awq_attention_shape(q, k, v, mask, scale, 0, 0, -1, layout, out);
      },
      [&](awq_tensor *out) {
        if (k->rank != 4 || v->rank != 4)
          return awq_attention(q, k, v, mask, scale, 0, 0, -1, layout, out);
        const int64_t kRows = call.rowsPerHead(k), vRows = call.rowsPerHead(v);
        if (kRows == k->shape[2] && vRows == v->shape[2])
          return awq_attention(q, k, v, mask, scale, 0, 0, -1, layout, out);
        if (kRows == vRows && k->shape[2] == v->shape[2]) {
          const awq_tensor keys = withRowsPerHead(k, kRows), values = withRowsPerHead(v, vRows);
          return awq_attention(q, &keys, &values, mask, scale, 0, 0, k->shape[2], layout, out);
        }
        // Key and value caches of different capacities (only one of the
        // pair kept by the caller): read both compacted.
        std::vector<uint8_t> keyBytes = compacted(k, kRows), valueBytes = compacted(v, vRows);
        awq_tensor keys = *k, values = *v;
        keys.data = keyBytes.data();
        values.data = valueBytes.data();
        return awq_attention(q, &keys, &values, mask, scale, 0, 0, -1, layout, out);
      });
}

// x / s, with s broadcast along the last axis.
void scale(NodeCall &call) {
  const awq_tensor *x = call.input(0), *scales = call.input(1);
  call.runSingle([&](awq_tensor *out) { return awq_binary_shape(AWQ_BINARY_DIV, x, scales, out); },
                 [&](awq_tensor *out) { return awq_binary(AWQ_BINARY_DIV, x, scales, out); });
}

// The packed low-bit linear, on the portable awq_group_matmul.
void groupMatmul(NodeCall &call) {
  const awq_tensor *x = call.input(0), *qweight = call.input(1), *scales = call.input(2);
  const awq_tensor *zeros = call.optionalInput(3), *bias = call.optionalInput(4);
  const std::string layout = call.node.getString("layout", "row_major");
  if (layout != "row_major")
    raise("weight layout '%s' is not supported", layout.c_str());
  const int64_t bits = call.node.getInt("bits");
  if (bits < INT32_MIN || bits > INT32_MAX)
    raise("bits %lld is out of range", static_cast<long long>(bits));
  const int64_t groupSize = call.node.getInt("group_size"), k = call.node.getInt("in_features");
  const auto bits32 = static_cast<int32_t>(bits);
  call.runSingle(
      [&](awq_tensor *out) {
        return awq_group_matmul_shape(x, qweight, scales, zeros, bias, bits32, groupSize, k, out);
      },
      [&](awq_tensor *out) {
        return awq_group_matmul(x, qweight, scales, zeros, bias, bits32, groupSize, k, out);
      });
}

} // namespace

AWQ_DEFINE_NODE(awq, linear, linear)
AWQ_DEFINE_NODE(awq, rms_norm, rmsNorm)
AWQ_DEFINE_NODE(awq, layer_norm, layerNorm)
AWQ_DEFINE_NODE(awq, add_rms_norm, addRmsNorm)
AWQ_DEFINE_NODE(awq, add_layer_norm, addLayerNorm)
AWQ_DEFINE_NODE(awq, silu, silu)
AWQ_DEFINE_NODE(awq, gelu, gelu)
AWQ_DEFINE_NODE(awq, attention, attention)
AWQ_DEFINE_NODE(awq, rotary_embedding, rotaryEmbedding)
AWQ_DEFINE_NODE(awq, kv_cache_append, kvCacheAppend)
AWQ_DEFINE_NODE(awq, scale, scale)
AWQ_DEFINE_NODE(awq, group_matmul, groupMatmul)
