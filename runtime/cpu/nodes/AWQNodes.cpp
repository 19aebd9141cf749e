// AWQNodes.cpp - the awq dialect's ops. Inputs come in the op's operand order,
// with NULL for an absent optional operand (bias, zero_points); attributes
// are the op's inherent attributes, enums as their keywords.
#include "NodeCall.h"

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
  call.expectOutputs(2);
  awq_tensor *sum = call.output(0), *out = call.output(1);
  NodeCall::check(awq_add_rms_norm_shape(x, residual, gamma, eps, offset, sum, out));
  call.allocate(sum);
  call.allocate(out);
  NodeCall::check(awq_add_rms_norm(x, residual, gamma, eps, offset, sum, out));
}

void addLayerNorm(NodeCall &call) {
  const awq_tensor *x = call.input(0), *residual = call.input(1), *gamma = call.input(2);
  const awq_tensor *beta = call.optionalInput(3);
  const float eps = call.node.getFloat("epsilon");
  call.expectOutputs(2);
  awq_tensor *sum = call.output(0), *out = call.output(1);
  NodeCall::check(awq_add_layer_norm_shape(x, residual, gamma, beta, eps, sum, out));
  call.allocate(sum);
  call.allocate(out);
  NodeCall::check(awq_add_layer_norm(x, residual, gamma, beta, eps, sum, out));
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

// softmax(scale * q k^T + mask) v; the mask carries any causality, so the
// causal form's flag and past_len stay off.
void attention(NodeCall &call) {
  const awq_tensor *q = call.input(0), *k = call.input(1), *v = call.input(2);
  const awq_tensor *mask = call.optionalInput(3);
  const float scale = readAttentionScale(call);
  call.runSingle(
      [&](awq_tensor *out) { return awq_attention_shape(q, k, v, mask, scale, 0, 0, -1, out); },
      [&](awq_tensor *out) { return awq_attention(q, k, v, mask, scale, 0, 0, -1, out); });
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
AWQ_DEFINE_NODE(awq, scale, scale)
AWQ_DEFINE_NODE(awq, group_matmul, groupMatmul)
