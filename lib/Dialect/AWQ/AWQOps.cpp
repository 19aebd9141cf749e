//===- AWQOps.cpp - Verifiers and helpers of the awq ops -------------------===//
//
// Each verifier checks every relation between shapes and attributes and says
// exactly which one is broken, with the numbers involved.
//
//===----------------------------------------------------------------------===//

#include "awq/Dialect/AWQ/AWQDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace awq;

/// Prints a shape as `[2, ?, 64]`.
static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  llvm::raw_string_ostream os(text);
  llvm::interleaveComma(shape, os, [&](int64_t dim) {
    if (ShapedType::isDynamic(dim))
      os << "?";
    else
      os << dim;
  });
  os << "]";
  return text;
}

/// Two dimensions agree unless both are static and differ.
static bool dimsCompatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Checks that `result` is `input` with its last dimension replaced by
/// `outFeatures`, with the input's element type.
static LogicalResult verifyLinearResult(Operation *op, RankedTensorType input,
                                        RankedTensorType result,
                                        int64_t outFeatures) {
  if (result.getElementType() != input.getElementType())
    return op->emitOpError("result element type ")
           << result.getElementType() << " differs from input element type "
           << input.getElementType();
  SmallVector<int64_t> expected(input.getShape());
  expected.back() = outFeatures;
  if (result.getRank() != input.getRank())
    return op->emitOpError("result must have rank ")
           << input.getRank() << " like the input, got " << result.getRank();
  for (auto [want, got] : llvm::zip(expected, result.getShape()))
    if (!dimsCompatible(want, got))
      return op->emitOpError("result shape ")
             << formatShape(result.getShape()) << " does not match expected "
             << formatShape(expected);
  return success();
}

/// Checks that an optional bias has exactly `outFeatures` elements.
static LogicalResult verifyBias(Operation *op, Value bias,
                                int64_t outFeatures) {
  if (!bias)
    return success();
  int64_t size = cast<RankedTensorType>(bias.getType()).getDimSize(0);
  if (!dimsCompatible(size, outFeatures))
    return op->emitOpError("bias has ")
           << size << " elements but the op has " << outFeatures
           << " output features";
  return success();
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

int64_t LinearOp::getInFeatures() {
  auto shape = getWeight().getType().getShape();
  return getTransposeWeight() ? shape[1] : shape[0];
}

int64_t LinearOp::getOutFeatures() {
  auto shape = getWeight().getType().getShape();
  return getTransposeWeight() ? shape[0] : shape[1];
}

LogicalResult LinearOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType weight = getWeight().getType();
  if (input.getRank() < 1)
    return emitOpError("input must have rank >= 1");
  if (weight.getRank() != 2)
    return emitOpError("weight must have rank 2, got rank ")
           << weight.getRank();
  StringRef layout = getTransposeWeight() ? "[N, K]" : "[K, N]";
  if (!dimsCompatible(input.getShape().back(), getInFeatures()))
    return emitOpError("input has ")
           << input.getShape().back() << " features but the " << layout
           << " weight of shape " << formatShape(weight.getShape())
           << " expects " << getInFeatures();
  if (failed(verifyBias(*this, getBias(), getOutFeatures())))
    return failure();
  if (failed(verifyClip()))
    return failure();
  return verifyLinearResult(*this, input, getResult().getType(),
                            getOutFeatures());
}

LogicalResult LinearOp::verifyClip() {
  std::optional<ElementsAttr> clip = getClip();
  std::optional<uint64_t> clipGroupSize = getClipGroupSize();
  if (!clip && !clipGroupSize)
    return success();
  if (!clip || !clipGroupSize)
    return emitOpError("clip and clip_group_size must be given together");
  int64_t groupSize = static_cast<int64_t>(*clipGroupSize);
  if (groupSize < 1 || groupSize > getInFeatures())
    return emitOpError("clip_group_size must be in [1, in_features = ")
           << getInFeatures() << "], got " << groupSize;
  auto type = cast<ShapedType>(clip->getType());
  SmallVector<int64_t> expected = {
      getOutFeatures(),
      static_cast<int64_t>(llvm::divideCeil(getInFeatures(), groupSize))};
  if (!type.getElementType().isF32() || type.getShape() != ArrayRef(expected))
    return emitOpError("clip must be an f32 tensor of shape [N, ceil(K / "
                       "clip_group_size)] = ")
           << formatShape(expected) << ", got " << type;
  return success();
}

//===----------------------------------------------------------------------===//
// ScaleOp
//===----------------------------------------------------------------------===//

LogicalResult ScaleOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType scales = getScales().getType();
  if (input.getRank() < 1)
    return emitOpError("input must have rank >= 1");
  if (scales.getElementType() != input.getElementType())
    return emitOpError("scales element type ")
           << scales.getElementType() << " differs from input element type "
           << input.getElementType();
  if (!dimsCompatible(scales.getDimSize(0), input.getShape().back()))
    return emitOpError("has ")
           << scales.getDimSize(0) << " scales but the input has "
           << input.getShape().back() << " channels";
  return success();
}

//===----------------------------------------------------------------------===//
// GroupMatmulOp
//===----------------------------------------------------------------------===//

int64_t GroupMatmulOp::getNumGroups() {
  return llvm::divideCeil(getInFeatures(), getGroupSize());
}

int64_t GroupMatmulOp::getOutFeatures() {
  return getQweight().getType().getDimSize(0);
}

LogicalResult GroupMatmulOp::verify() {
  int64_t bits = getBits();
  int64_t groupSize = getGroupSize();
  int64_t inFeatures = getInFeatures();
  if (bits != 2 && bits != 3 && bits != 4 && bits != 8)
    return emitOpError("bits must be 2, 3, 4 or 8, got ") << bits;
  if (inFeatures < 1)
    return emitOpError("in_features must be positive, got ") << inFeatures;
  if (groupSize < 1 || groupSize > inFeatures)
    return emitOpError("group_size must be in [1, in_features = ")
           << inFeatures << "], got " << groupSize;

  RankedTensorType input = getInput().getType();
  if (input.getRank() < 1)
    return emitOpError("input must have rank >= 1");
  if (!dimsCompatible(input.getShape().back(), inFeatures))
    return emitOpError("input has ")
           << input.getShape().back() << " features but in_features is "
           << inFeatures;

  RankedTensorType qweight = getQweight().getType();
  int64_t outFeatures = qweight.getRank() >= 1 ? qweight.getDimSize(0) : 0;
  int64_t rowBytes = llvm::divideCeil(inFeatures * bits, 8);
  SmallVector<int64_t> expectedQweight = {outFeatures, rowBytes};
  if (qweight.getRank() != 2 || qweight.isDynamicDim(0) ||
      qweight.getDimSize(1) != rowBytes)
    return emitOpError("qweight shape ")
           << formatShape(qweight.getShape()) << " does not match [N, ceil("
           << inFeatures << " * " << bits << " / 8)] = [N, " << rowBytes
           << "] for the row_major layout";

  int64_t numGroups = getNumGroups();
  SmallVector<int64_t> groupShape = {outFeatures, numGroups};
  auto checkGroupShaped = [&](Value value, StringRef what) -> LogicalResult {
    auto type = cast<RankedTensorType>(value.getType());
    if (type.getShape() != ArrayRef<int64_t>(groupShape))
      return emitOpError()
             << what << " shape " << formatShape(type.getShape())
             << " does not match [N, ceil(in_features / group_size)] = "
             << formatShape(groupShape);
    return success();
  };
  if (failed(checkGroupShaped(getScales(), "scales")))
    return failure();
  if (getZeroPoints() && failed(checkGroupShaped(getZeroPoints(), "zero_points")))
    return failure();
  if (failed(verifyBias(*this, getBias(), outFeatures)))
    return failure();
  return verifyLinearResult(*this, input, getResult().getType(), outFeatures);
}

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

/// A norm's weight (and bias) must have one element per channel of the input.
static LogicalResult verifyNormParameter(Operation *op, Value input,
                                         Value parameter, StringRef what) {
  if (!parameter)
    return success();
  auto inputType = cast<RankedTensorType>(input.getType());
  auto paramType = cast<RankedTensorType>(parameter.getType());
  if (inputType.getRank() < 1)
    return op->emitOpError("input must have rank >= 1");
  if (!dimsCompatible(paramType.getDimSize(0), inputType.getShape().back()))
    return op->emitOpError()
           << what << " has " << paramType.getDimSize(0)
           << " elements but the input has " << inputType.getShape().back()
           << " channels";
  return success();
}

/// Epsilon is added under a square root: it must be a non-negative number.
static LogicalResult verifyEpsilon(Operation *op, APFloat epsilon) {
  if (epsilon.isNaN() || epsilon.isNegative())
    return op->emitOpError("epsilon must be >= 0");
  return success();
}

LogicalResult RMSNormOp::verify() {
  if (failed(verifyEpsilon(*this, getEpsilonAttr().getValue())))
    return failure();
  return verifyNormParameter(*this, getInput(), getWeight(), "weight");
}

LogicalResult LayerNormOp::verify() {
  if (failed(verifyEpsilon(*this, getEpsilonAttr().getValue())))
    return failure();
  if (failed(verifyNormParameter(*this, getInput(), getWeight(), "weight")))
    return failure();
  return verifyNormParameter(*this, getInput(), getBias(), "bias");
}

LogicalResult AddRMSNormOp::verify() {
  if (failed(verifyEpsilon(*this, getEpsilonAttr().getValue())))
    return failure();
  return verifyNormParameter(*this, getInput(), getWeight(), "weight");
}

LogicalResult AddLayerNormOp::verify() {
  if (failed(verifyEpsilon(*this, getEpsilonAttr().getValue())))
    return failure();
  if (failed(verifyNormParameter(*this, getInput(), getWeight(), "weight")))
    return failure();
  return verifyNormParameter(*this, getInput(), getBias(), "bias");
}

//===----------------------------------------------------------------------===//
// KVCacheAppendOp
//===----------------------------------------------------------------------===//

LogicalResult KVCacheAppendOp::verify() {
  auto past = cast<RankedTensorType>(getPast().getType());
  auto update = cast<RankedTensorType>(getUpdate().getType());
  auto present = cast<RankedTensorType>(getPresent().getType());
  const std::pair<StringRef, RankedTensorType> tensors[] = {
      {"past", past}, {"update", update}, {"present", present}};
  for (auto [name, type] : tensors)
    if (type.getRank() != 4)
      return emitOpError() << name << " must have rank 4 ([B, H, T, D]), got "
                           << formatShape(type.getShape());
  ArrayRef<int64_t> p = past.getShape(), r = present.getShape();
  // The update as [B, H, S, D] whatever its layout.
  SmallVector<int64_t, 4> u(update.getShape());
  if (isSequenceFirst())
    std::swap(u[1], u[2]);
  for (int axis : {0, 1, 3})
    if (!dimsCompatible(p[axis], u[axis]) || !dimsCompatible(p[axis], r[axis]) ||
        !dimsCompatible(u[axis], r[axis]))
      return emitOpError("past ") << formatShape(p) << ", update "
                                  << formatShape(update.getShape())
                                  << " and present " << formatShape(r)
                                  << " differ outside axis 2";
  if (!ShapedType::isDynamic(p[2]) && !ShapedType::isDynamic(u[2]) &&
      !dimsCompatible(r[2], p[2] + u[2]))
    return emitOpError("present has ") << r[2] << " rows on axis 2, past and update "
                                       << p[2] << " + " << u[2];
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::verify() {
  auto query = cast<RankedTensorType>(getQuery().getType());
  auto key = cast<RankedTensorType>(getKey().getType());
  auto value = cast<RankedTensorType>(getValue().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  const std::pair<StringRef, RankedTensorType> tensors[] = {
      {"query", query}, {"key", key}, {"value", value}, {"result", result}};
  for (auto [name, type] : tensors) {
    if (type.getRank() != 4)
      return emitOpError() << name << " must have rank 4 ([B, H, S, D]), got "
                           << formatShape(type.getShape());
    if (type.getElementType() != query.getElementType())
      return emitOpError() << name << " element type " << type.getElementType()
                           << " differs from the query's " << query.getElementType();
  }
  ArrayRef<int64_t> k = key.getShape(), v = value.getShape();
  // The query as [B, Hq, S, D] whatever its layout.
  SmallVector<int64_t, 4> q(query.getShape());
  if (isSequenceFirst())
    std::swap(q[1], q[2]);
  if (!dimsCompatible(k[0], q[0]) || !dimsCompatible(v[0], q[0]))
    return emitOpError("batch sizes differ: query ")
           << formatShape(query.getShape()) << ", key " << formatShape(k) << ", value "
           << formatShape(v);
  if (!dimsCompatible(k[3], q[3]))
    return emitOpError("head dims differ: query ")
           << formatShape(query.getShape()) << ", key " << formatShape(k);
  if (!dimsCompatible(v[1], k[1]) || !dimsCompatible(v[2], k[2]))
    return emitOpError("key ") << formatShape(k) << " and value " << formatShape(v)
                               << " disagree on heads or length";
  if (!ShapedType::isDynamic(q[1]) && !ShapedType::isDynamic(k[1]) &&
      (k[1] == 0 || q[1] % k[1] != 0))
    return emitOpError("query heads (")
           << q[1] << ") must be a multiple of key/value heads (" << k[1] << ")";
  int64_t expected[] = {q[0], q[1], q[2], v[3]};
  if (isSequenceFirst())
    std::swap(expected[1], expected[2]);
  for (auto [want, got] : llvm::zip(expected, result.getShape()))
    if (!dimsCompatible(want, got))
      return emitOpError("result shape ")
             << formatShape(result.getShape()) << " does not match "
             << (isSequenceFirst() ? "[B, S, Hq, Dv]" : "[B, Hq, S, Dv]") << " = "
             << formatShape(expected);
  if (Value mask = getMask()) {
    auto maskType = cast<RankedTensorType>(mask.getType());
    if (maskType.getElementType() != query.getElementType())
      return emitOpError("mask element type ")
             << maskType.getElementType() << " differs from the query's "
             << query.getElementType();
    // The mask broadcasts into the scores [B, Hq, S, T] without widening them.
    const int64_t scores[] = {q[0], q[1], q[2], k[2]};
    int64_t rank = maskType.getRank();
    bool fits = rank <= 4;
    for (int64_t i = 0; fits && i < rank; ++i) {
      int64_t dim = maskType.getDimSize(i), into = scores[4 - rank + i];
      fits = dim == 1 || dimsCompatible(dim, into);
    }
    if (!fits)
      return emitOpError("mask ") << formatShape(maskType.getShape())
                                  << " does not broadcast to the scores [B, Hq, S, T] = "
                                  << formatShape(scores);
  }
  return success();
}

LogicalResult RotaryEmbeddingOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto cos = cast<RankedTensorType>(getCos().getType());
  if (input.getRank() < 1)
    return emitOpError("input must have rank >= 1 ([..., D])");
  const int64_t headDim = input.getShape().back();
  if (ShapedType::isDynamic(headDim) || headDim <= 0 || headDim % 2 != 0)
    return emitOpError("the input's last dim (the head dim) must be static, positive and even, "
                       "got ")
           << formatShape(input.getShape());
  if (cos.getElementType() != input.getElementType())
    return emitOpError("cos/sin element type ")
           << cos.getElementType() << " differs from the input's " << input.getElementType();
  // cos and sin broadcast into the input without widening it, and carry one
  // angle per channel.
  bool fits = cos.getRank() >= 1 && cos.getRank() <= input.getRank() &&
              dimsCompatible(cos.getShape().back(), headDim);
  for (int64_t i = 0; fits && i < cos.getRank(); ++i) {
    const int64_t dim = cos.getDimSize(i), into = input.getDimSize(input.getRank() - cos.getRank() + i);
    fits = (dim == 1 && i + 1 < cos.getRank()) || dimsCompatible(dim, into);
  }
  if (!fits)
    return emitOpError("cos/sin ") << formatShape(cos.getShape())
                                   << " must broadcast to the input " << formatShape(input.getShape())
                                   << " with the head dim " << headDim << " last";
  return success();
}

#define GET_OP_CLASSES
#include "awq/Dialect/AWQ/AWQOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Prepacked group matmuls
//===----------------------------------------------------------------------===//

/// What the two prepacked ops check: activation mode, 1-D blobs, and a
/// result that is the input with its last dim replaced by out_features.
static LogicalResult verifyPrepacked(Operation *op, RankedTensorType input,
                                     ValueRange blobs, RankedTensorType result,
                                     int64_t outFeatures, StringRef activations) {
  if (activations != "f32" && activations != "int8")
    return op->emitOpError("activations must be \"f32\" or \"int8\", got \"")
           << activations << "\"";
  for (Value blob : blobs)
    if (cast<RankedTensorType>(blob.getType()).getRank() != 1)
      return op->emitOpError("prepacked weights must be a 1-D byte blob, got ")
             << blob.getType();
  if (outFeatures < 1)
    return op->emitOpError("out_features must be positive, got ") << outFeatures;
  if (input.getRank() < 1 || result.getRank() != input.getRank() ||
      !dimsCompatible(result.getShape().back(), outFeatures))
    return op->emitOpError("result type ")
           << result << " is not the input's shape with out_features = " << outFeatures
           << " last";
  return success();
}

LogicalResult PrepackedMatmulOp::verify() {
  return verifyPrepacked(*this, getInput().getType(), {getWeights()}, getResult().getType(),
                         getOutFeatures(), getActivations());
}

LogicalResult PrepackedGateUpSiLUOp::verify() {
  return verifyPrepacked(*this, getInput().getType(), {getGateWeights(), getUpWeights()},
                         getResult().getType(), getOutFeatures(), getActivations());
}
