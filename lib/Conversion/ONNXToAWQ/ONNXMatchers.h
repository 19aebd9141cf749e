//===- ONNXMatchers.h - Helpers to match generic onnx.node ops --*- C++ -*-===//
//
// Small queries that the raising patterns share: "is this value produced by an
// ONNX node of type X", "is this a constant", "is this the last axis".
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_LIB_CONVERSION_ONNXTOAWQ_ONNXMATCHERS_H
#define AWQ_LIB_CONVERSION_ONNXTOAWQ_ONNXMATCHERS_H

#include "awq/Dialect/ONNX/ONNXDialect.h"

#include "mlir/IR/PatternMatch.h"

namespace awq {

/// True when `node` is `opType` of `domain` ("" is the default ai.onnx domain,
/// which ONNX also spells "ai.onnx").
bool isONNXNode(onnx::NodeOp node, llvm::StringRef opType,
                llvm::StringRef domain = "");

/// The node of type `opType` that produces `value`, or null.
onnx::NodeOp getDefiningNode(mlir::Value value, llvm::StringRef opType,
                             llvm::StringRef domain = "");

/// True when `value` is a compile-time constant (e.g. an onnx.initializer).
bool isConstant(mlir::Value value);

/// The elements of a constant value: an initializer, a ConstantLike op or an
/// ONNX Constant node; null otherwise.
mlir::ElementsAttr getConstantElements(mlir::Value value);

/// The value of a one-element float constant, or std::nullopt.
std::optional<double> getScalarFloat(mlir::Value value);

/// True when `value` is a one-element float constant within a relative
/// 1e-4 of `expected` (exporters write constants such as sqrt(2) rounded).
bool isScalarNear(mlir::Value value, double expected);

/// For Gemma's norm weight `Add(w, 1)` (either order), returns w; else null.
mlir::Value matchUnitOffsetWeight(mlir::Value weight);

/// `value`'s type as a ranked tensor of f32/f16/bf16, or null.
mlir::RankedTensorType getFloatTensorType(mlir::Value value);

/// True when `axis` (possibly negative) names the last dimension of a tensor
/// of rank `rank`.
bool isLastAxis(int64_t axis, int64_t rank);

/// True when results beyond the first (optional ONNX outputs such as a norm's
/// Mean and InvStdDev) have no uses, so the node can become a one-result op.
bool onlyFirstResultUsed(onnx::NodeOp node);

/// True when `node` has a single result used once: fusing it removes the
/// node instead of computing its value twice.
bool singleUse(onnx::NodeOp node);

/// The values of a small integer tensor (rank 0 or 1) that is known at
/// compile time: a constant, or arithmetic on static dims. TorchScript
/// exports spell `x[..., : x.shape[-1] // 2]`'s end as Shape -> Gather ->
/// Div -> Unsqueeze even when the dim is static; this evaluates Shape (its
/// static dims), Gather, Add/Sub/Mul/Div, integer Cast, Unsqueeze/Squeeze/
/// Reshape/Identity and Concat of such values. std::nullopt otherwise.
std::optional<llvm::SmallVector<int64_t>> evaluateShapeInts(mlir::Value value);

/// The constant integers of an ONNX node's INTS attribute `attrName`, or of
/// its input `inputIndex` where newer opsets moved the attribute to an input
/// (Unsqueeze's axes, Slice's starts), evaluated by evaluateShapeInts;
/// std::nullopt when neither is known at compile time.
std::optional<llvm::SmallVector<int64_t>> getConstantInts(onnx::NodeOp node,
                                                          llvm::StringRef attrName,
                                                          unsigned inputIndex);

} // namespace awq

#endif // AWQ_LIB_CONVERSION_ONNXTOAWQ_ONNXMATCHERS_H
