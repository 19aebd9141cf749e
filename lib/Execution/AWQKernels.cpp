//===- AWQKernels.cpp - awq dialect ops on the runtime --------------------===//

#include "OpKernels.h"

#include "awq/Dialect/AWQ/AWQDialect.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

namespace awq {
namespace {

using Inputs = ArrayRef<const HostTensor *>;

/// Operand `index` as a runtime descriptor, or null when absent (an
/// optional operand such as a bias).
const awq_tensor *operandAt(Inputs inputs, unsigned index) {
  return index < inputs.size() && inputs[index] ? &inputs[index]->desc()
                                                 : nullptr;
}

llvm::Expected<TensorList> runLinear(Operation *op, Inputs inputs) {
  auto linear = cast<LinearOp>(op);
  const awq_tensor *x = operandAt(inputs, 0), *w = operandAt(inputs, 1);
  const awq_tensor *bias = linear.getBias() ? operandAt(inputs, 2) : nullptr;
  int weightIsNK = linear.getTransposeWeight();
  return singleResult(callRuntime(
      [&](awq_tensor *out) { return awq_linear_shape(x, w, bias, weightIsNK, out); },
      [&](awq_tensor *out) { return awq_linear(x, w, bias, weightIsNK, out); }));
}

llvm::Expected<TensorList> runRMSNorm(Operation *op, Inputs inputs) {
  auto norm = cast<RMSNormOp>(op);
  const awq_tensor *x = operandAt(inputs, 0), *gamma = operandAt(inputs, 1);
  float eps = norm.getEpsilon().convertToFloat();
  // Gemma's norm multiplies by (1 + w).
  float offset = norm.getUnitOffset() ? 1.0f : 0.0f;
  return singleResult(callRuntime(
      [&](awq_tensor *out) { return awq_rms_norm_shape(x, gamma, eps, offset, out); },
      [&](awq_tensor *out) { return awq_rms_norm(x, gamma, eps, offset, out); }));
}

llvm::Expected<TensorList> runLayerNorm(Operation *op, Inputs inputs) {
  auto norm = cast<LayerNormOp>(op);
  const awq_tensor *x = operandAt(inputs, 0), *gamma = operandAt(inputs, 1);
  const awq_tensor *beta = norm.getBias() ? operandAt(inputs, 2) : nullptr;
  float eps = norm.getEpsilon().convertToFloat();
  return singleResult(callRuntime(
      [&](awq_tensor *out) {
        return awq_layer_norm_shape(x, gamma, beta, -1, eps, out);
      },
      [&](awq_tensor *out) { return awq_layer_norm(x, gamma, beta, -1, eps, out); }));
}

llvm::Expected<TensorList> runSiLU(Operation *, Inputs inputs) {
  return singleResult(callUnary(AWQ_UNARY_SILU, operandAt(inputs, 0)));
}

llvm::Expected<TensorList> runGELU(Operation *op, Inputs inputs) {
  bool useTanh = cast<GELUOp>(op).getApproximate() == GeluApproximation::Tanh;
  return singleResult(callUnary(useTanh ? AWQ_UNARY_GELU_TANH : AWQ_UNARY_GELU,
                                operandAt(inputs, 0)));
}

/// x / s, with s broadcast along the last axis.
llvm::Expected<TensorList> runScale(Operation *, Inputs inputs) {
  const awq_tensor *x = operandAt(inputs, 0), *scales = operandAt(inputs, 1);
  return singleResult(callRuntime(
      [&](awq_tensor *out) {
        return awq_binary_shape(AWQ_BINARY_DIV, x, scales, out);
      },
      [&](awq_tensor *out) { return awq_binary(AWQ_BINARY_DIV, x, scales, out); }));
}

/// The packed low-bit linear, on the runtime's awq_group_matmul.
llvm::Expected<TensorList> runGroupMatmul(Operation *op, Inputs inputs) {
  auto matmul = cast<GroupMatmulOp>(op);
  const awq_tensor *x = operandAt(inputs, 0), *qweight = operandAt(inputs, 1),
                   *scales = operandAt(inputs, 2);
  unsigned next = 3;
  const awq_tensor *zeros =
      matmul.getZeroPoints() ? operandAt(inputs, next++) : nullptr;
  const awq_tensor *bias = matmul.getBias() ? operandAt(inputs, next) : nullptr;
  auto bits = static_cast<int32_t>(matmul.getBits());
  int64_t groupSize = matmul.getGroupSize(), k = matmul.getInFeatures();
  return singleResult(callRuntime(
      [&](awq_tensor *out) {
        return awq_group_matmul_shape(x, qweight, scales, zeros, bias, bits,
                                      groupSize, k, out);
      },
      [&](awq_tensor *out) {
        return awq_group_matmul(x, qweight, scales, zeros, bias, bits,
                                groupSize, k, out);
      }));
}

} // namespace

OpKernel lookupAWQKernel(Operation *op) {
  return llvm::TypeSwitch<Operation *, OpKernel>(op)
      .Case<LinearOp>([](auto) { return runLinear; })
      .Case<RMSNormOp>([](auto) { return runRMSNorm; })
      .Case<LayerNormOp>([](auto) { return runLayerNorm; })
      .Case<SiLUOp>([](auto) { return runSiLU; })
      .Case<GELUOp>([](auto) { return runGELU; })
      .Case<ScaleOp>([](auto) { return runScale; })
      .Case<GroupMatmulOp>([](auto) { return runGroupMatmul; })
      .Default([](Operation *) { return nullptr; });
}

} // namespace awq
