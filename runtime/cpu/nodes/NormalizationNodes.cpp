// NormalizationNodes.cpp - ONNX reductions, Softmax, LayerNormalization and the RMS norms.
#include "NodeCall.h"

using namespace awq::rt;

namespace {

template <awq_reduce_op Kind> void reduce(NodeCall &call) {
  const awq_tensor *x = call.input(0);
  const std::vector<int64_t> axes = readReduceAxes(call, 1);
  const int keepdims = static_cast<int>(call.node.getInt("keepdims", 1));
  const int noop = static_cast<int>(call.node.getInt("noop_with_empty_axes", 0));
  call.runSingle(
      [&](awq_tensor *out) {
        return awq_reduce_shape(Kind, x, axes.data(), static_cast<int64_t>(axes.size()), keepdims,
                                noop, out);
      },
      [&](awq_tensor *out) {
        return awq_reduce(Kind, x, axes.data(), static_cast<int64_t>(axes.size()), keepdims, noop,
                          out);
      });
}

void softmax(NodeCall &call) {
  const awq_tensor *x = call.input(0);
  // Before opset 13 Softmax flattened the input at `axis` (default 1); that
  // equals a per-axis softmax only when axis is the last one.
  const bool flattens = call.node.opset() < 13;
  const int64_t axis = call.node.getInt("axis", flattens ? 1 : -1);
  if (flattens && axis != -1 && axis != x->rank - 1)
    raise("Softmax before opset 13 is supported on the last axis only");
  call.runSingle([&](awq_tensor *out) { return awq_softmax_shape(x, axis, out); },
                 [&](awq_tensor *out) { return awq_softmax(x, axis, out); });
}

void layerNormalization(NodeCall &call) {
  if (call.numOutputs() != 1)
    raise("the Mean and InvStdDev outputs are not supported");
  const awq_tensor *x = call.input(0), *gamma = call.input(1);
  const awq_tensor *beta = call.optionalInput(2);
  const int64_t axis = call.node.getInt("axis", -1);
  const float eps = call.node.getFloat("epsilon", 1e-5f);
  call.runSingle(
      [&](awq_tensor *out) { return awq_layer_norm_shape(x, gamma, beta, axis, eps, out); },
      [&](awq_tensor *out) { return awq_layer_norm(x, gamma, beta, axis, eps, out); });
}

// SimplifiedLayerNormalization (onnxruntime) and RMSNormalization (opset 23).
void rmsNormalization(NodeCall &call) {
  if (call.numOutputs() != 1)
    raise("the InvStdDev output is not supported");
  const awq_tensor *x = call.input(0), *gamma = call.input(1);
  const int64_t axis = call.node.getInt("axis", -1);
  if (axis != -1 && axis != x->rank - 1)
    raise("RMS normalization is supported over the last axis only");
  const float eps = call.node.getFloat("epsilon", 1e-5f);
  call.runSingle([&](awq_tensor *out) { return awq_rms_norm_shape(x, gamma, eps, 0.0f, out); },
                 [&](awq_tensor *out) { return awq_rms_norm(x, gamma, eps, 0.0f, out); });
}

} // namespace

AWQ_DEFINE_NODE(onnx, ReduceSum, reduce<AWQ_REDUCE_SUM>)
AWQ_DEFINE_NODE(onnx, ReduceMean, reduce<AWQ_REDUCE_MEAN>)
AWQ_DEFINE_NODE(onnx, ReduceMax, reduce<AWQ_REDUCE_MAX>)
AWQ_DEFINE_NODE(onnx, ReduceMin, reduce<AWQ_REDUCE_MIN>)
AWQ_DEFINE_NODE(onnx, ReduceProd, reduce<AWQ_REDUCE_PROD>)
AWQ_DEFINE_NODE(onnx, Softmax, softmax)
AWQ_DEFINE_NODE(onnx, LayerNormalization, layerNormalization)
AWQ_DEFINE_NODE(onnx, SimplifiedLayerNormalization, rmsNormalization)
AWQ_DEFINE_NODE(onnx, RMSNormalization, rmsNormalization)
