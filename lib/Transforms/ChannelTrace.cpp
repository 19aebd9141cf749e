//===- ChannelTrace.cpp - Follow channels back through scale-commuting ops ===//
//
// Backward: walk from the traced value to a linear or norm through ops that
// commute with a positive per-channel scale. Forward: replay the path on a
// symbolic description of where the producer's channel index lives in each
// tensor, as "digits" (index along an axis, divided and taken modulo), which
// Reshape splits and merges and Transpose moves between axes.
//
//===----------------------------------------------------------------------===//

#include "awq/Transforms/ChannelTrace.h"

#include "awq/Dialect/AWQ/AWQDialect.h"
#include "awq/Dialect/ONNX/ONNXDialect.h"
#include "awq/Transforms/WeightConstants.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"

#include <optional>

using namespace mlir;

namespace awq {
namespace {

StringRef opTypeOf(Operation *op) {
  auto node = dyn_cast_if_present<onnx::NodeOp>(op);
  return node ? node.getOpType() : StringRef();
}

bool isProducerOp(Operation *op) {
  return isa_and_present<LinearOp, RMSNormOp, LayerNormOp>(op);
}

/// The ops that move or repeat elements without mixing channels.
bool isLayoutOp(StringRef opType) {
  return opType == "Reshape" || opType == "Transpose" ||
         opType == "Unsqueeze" || opType == "Squeeze" || opType == "Expand";
}

/// Elementwise ops f with f(x / s) = f(x) / s for s > 0.
bool isPositivelyHomogeneous(Operation *op) {
  StringRef opType = opTypeOf(op);
  if (opType == "Relu" || opType == "Identity")
    return true;
  // A float-to-float Cast of the same type is the identity.
  return opType == "Cast" &&
         op->getOperand(0).getType() == op->getResult(0).getType();
}

/// One digit of the producer's channel index: the digit's value in a tensor
/// element is (index along `axis` / `divisor`) % `modulus`, and it weighs
/// `weight` in the producer channel.
struct Digit {
  int64_t axis;
  int64_t divisor;
  int64_t modulus;
  int64_t weight;
};

/// The int64 elements of a constant (Unsqueeze/Squeeze axes from opset 13).
std::optional<SmallVector<int64_t>> readIntConstant(Value value) {
  ElementsAttr elements;
  if (auto node = value.getDefiningOp<onnx::NodeOp>()) {
    if (node.getOpType() != "Constant")
      return std::nullopt;
    elements = dyn_cast_if_present<ElementsAttr>(node.getOnnxAttr("value"));
  } else if (!matchPattern(value, m_Constant(&elements))) {
    return std::nullopt;
  }
  if (!elements || !elements.getElementType().isInteger(64))
    return std::nullopt;
  return SmallVector<int64_t>(elements.getValues<int64_t>());
}

/// The axes of an Unsqueeze/Squeeze, normalized against `rank`.
std::optional<SmallVector<int64_t>> readAxes(onnx::NodeOp node, int64_t rank) {
  std::optional<SmallVector<int64_t>> axes;
  if (std::optional<ArrayRef<int64_t>> attr = node.getIntsAttr("axes"))
    axes = SmallVector<int64_t>(*attr);
  else if (node.getInputs().size() > 1)
    axes = readIntConstant(node.getInputs()[1]);
  if (!axes)
    return std::nullopt;
  for (int64_t &axis : *axes)
    if (axis < 0)
      axis += rank;
  llvm::sort(*axes);
  return axes;
}

/// Moves `digits` from `from` to `to` (the result of a Reshape), splitting
/// a digit across axes where the reshape splits or merges them. Dims are
/// aligned in groups of equal product; dynamic dims must match one to one.
LogicalResult reshapeDigits(SmallVector<Digit> &digits, ArrayRef<int64_t> from,
                            ArrayRef<int64_t> to) {
  // Align: groups [i0, i1) of `from` with [j0, j1) of `to`.
  struct AxisGroup {
    int64_t i0, i1, j0, j1;
  };
  SmallVector<AxisGroup> groups;
  int64_t i = 0, j = 0;
  while (i < static_cast<int64_t>(from.size()) ||
         j < static_cast<int64_t>(to.size())) {
    if (i < static_cast<int64_t>(from.size()) &&
        j < static_cast<int64_t>(to.size()) && ShapedType::isDynamic(from[i]) &&
        ShapedType::isDynamic(to[j])) {
      groups.push_back({i, i + 1, j, j + 1});
      ++i, ++j;
      continue;
    }
    AxisGroup group{i, i, j, j};
    int64_t fromProduct = 1, toProduct = 1;
    do {
      if (fromProduct <= toProduct && group.i1 < static_cast<int64_t>(from.size())) {
        if (ShapedType::isDynamic(from[group.i1]))
          return failure();
        fromProduct *= from[group.i1++];
      } else if (group.j1 < static_cast<int64_t>(to.size())) {
        if (ShapedType::isDynamic(to[group.j1]))
          return failure();
        toProduct *= to[group.j1++];
      } else {
        return failure();
      }
    } while (fromProduct != toProduct);
    groups.push_back(group);
    i = group.i1;
    j = group.j1;
  }

  SmallVector<Digit> moved;
  for (const Digit &digit : digits) {
    const AxisGroup *group = llvm::find_if(groups, [&](const AxisGroup &g) {
      return digit.axis >= g.i0 && digit.axis < g.i1;
    });
    if (group == groups.end())
      return failure();
    if (group->i1 - group->i0 == 1 && group->j1 - group->j0 == 1 &&
        ShapedType::isDynamic(from[group->i0]))
      return failure(); // digits never live on dynamic axes
    // The digit as (flat index within the group / stride) % modulus.
    int64_t stride = digit.divisor;
    for (int64_t axis = digit.axis + 1; axis < group->i1; ++axis)
      stride *= from[axis];
    if (from[digit.axis] % (digit.divisor * digit.modulus) != 0)
      return failure();
    int64_t modulus = digit.modulus, weight = digit.weight;
    // Carve it into the output axes, innermost first.
    while (modulus > 1) {
      int64_t axisStride = 1, axis = group->j1 - 1;
      for (; axis >= group->j0; --axis) {
        if (stride < axisStride * to[axis])
          break;
        axisStride *= to[axis];
      }
      if (axis < group->j0 || stride % axisStride != 0)
        return failure();
      int64_t divisor = stride / axisStride;
      if (to[axis] % divisor != 0)
        return failure();
      int64_t available = to[axis] / divisor;
      int64_t part = std::min(modulus, available);
      if (modulus % part != 0)
        return failure();
      moved.push_back({axis, divisor, part, weight});
      stride *= part;
      modulus /= part;
      weight *= part;
    }
  }
  digits = std::move(moved);
  return success();
}

/// Replays `op` (a path op whose operand `pathOperand` carries the digits)
/// on `digits`; failure when the op would mix channels.
LogicalResult propagateDigits(Operation *op, unsigned pathOperand,
                              SmallVector<Digit> &digits) {
  auto inputType = dyn_cast<RankedTensorType>(op->getOperand(pathOperand).getType());
  auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!inputType || !resultType)
    return failure();
  int64_t inRank = inputType.getRank(), outRank = resultType.getRank();
  StringRef opType = opTypeOf(op);

  if (isPositivelyHomogeneous(op) || opType == "Mul")
    return success(inputType == resultType);
  if (opType == "Transpose") {
    SmallVector<int64_t> perm;
    if (std::optional<ArrayRef<int64_t>> attr =
            cast<onnx::NodeOp>(op).getIntsAttr("perm"))
      perm.assign(attr->begin(), attr->end());
    else
      for (int64_t axis = inRank - 1; axis >= 0; --axis)
        perm.push_back(axis);
    for (Digit &digit : digits)
      digit.axis = llvm::find(perm, digit.axis) - perm.begin();
    return success();
  }
  if (opType == "Reshape")
    return reshapeDigits(digits, inputType.getShape(), resultType.getShape());
  if (opType == "Unsqueeze" || opType == "Squeeze") {
    bool unsqueeze = opType == "Unsqueeze";
    std::optional<SmallVector<int64_t>> axes =
        readAxes(cast<onnx::NodeOp>(op), unsqueeze ? outRank : inRank);
    if (!axes)
      return failure();
    for (Digit &digit : digits) {
      if (unsqueeze) {
        for (int64_t axis : *axes)
          if (axis <= digit.axis)
            ++digit.axis;
      } else {
        if (llvm::is_contained(*axes, digit.axis))
          return failure();
        digit.axis -= llvm::count_if(*axes, [&](int64_t a) { return a < digit.axis; });
      }
    }
    return success();
  }
  if (opType == "Expand") {
    // Leading axes may be added; existing axes keep their size or grow from 1.
    int64_t added = outRank - inRank;
    if (added < 0)
      return failure();
    for (Digit &digit : digits) {
      digit.axis += added;
      if (resultType.getDimSize(digit.axis) != inputType.getDimSize(digit.axis - added))
        return failure();
    }
    return success();
  }
  if (opType == "MatMul" && pathOperand == 1) {
    // P x V: V's last axis stays last, its second-to-last is summed over,
    // its batch axes align with the result's trailing batch axes.
    for (Digit &digit : digits) {
      if (digit.axis == inRank - 2)
        return failure();
      digit.axis += outRank - inRank;
    }
    return success();
  }
  return failure();
}

/// The operand of `op` the backward walk continues through, or nullopt when
/// `op` does not commute with a per-channel scale on that operand.
std::optional<unsigned> chooseOperand(Operation *op, unsigned depth);

/// Walks back from `value` to a producer; fills `path` (value side first).
Operation *walkBack(Value value, SmallVector<std::pair<Operation *, unsigned>> &path,
                    unsigned depth) {
  Operation *op = value.getDefiningOp();
  while (op && !isProducerOp(op)) {
    std::optional<unsigned> operand = chooseOperand(op, depth);
    if (!operand)
      return nullptr;
    path.push_back({op, *operand});
    op = op->getOperand(*operand).getDefiningOp();
  }
  return op;
}

std::optional<unsigned> chooseOperand(Operation *op, unsigned depth) {
  // Paths are short (a handful of ops per attention or MLP); the bound only
  // stops pathological recursion through chains of Muls.
  constexpr unsigned kMaxMulDepth = 8;
  StringRef opType = opTypeOf(op);
  if (isLayoutOp(opType) || isPositivelyHomogeneous(op))
    return 0;
  if (opType == "MatMul" && op->getNumOperands() == 2 &&
      !isConstantValue(op->getOperand(0)) && !isConstantValue(op->getOperand(1)))
    return 1;
  if (opType == "Mul" && op->getNumOperands() == 2 && depth < kMaxMulDepth) {
    // The branch that leads back to a linear carries the channels; the other
    // (SwiGLU's activated gate) is a per-element factor.
    for (unsigned index : {0u, 1u}) {
      if (op->getOperand(index).getType() != op->getResult(0).getType())
        continue;
      SmallVector<std::pair<Operation *, unsigned>> branch;
      if (isa_and_present<LinearOp>(walkBack(op->getOperand(index), branch, depth + 1)))
        return index;
    }
  }
  return std::nullopt;
}

} // namespace

ChannelTrace traceChannels(Value value) {
  ChannelTrace trace;
  auto valueType = dyn_cast<RankedTensorType>(value.getType());
  int64_t channels = valueType && valueType.getRank() >= 1
                         ? valueType.getShape().back()
                         : ShapedType::kDynamic;
  auto identity = [&] {
    trace.producer = value.getDefiningOp();
    trace.path.clear();
    trace.producerChannels = ShapedType::isDynamic(channels) ? 0 : channels;
    trace.channelMap.resize(trace.producerChannels);
    for (int64_t c = 0; c < trace.producerChannels; ++c)
      trace.channelMap[c] = c;
    trace.exclusive = value.getDefiningOp() && value.getDefiningOp()->getNumResults() == 1;
    return trace;
  };
  if (ShapedType::isDynamic(channels))
    return identity();

  SmallVector<std::pair<Operation *, unsigned>> backward;
  Operation *producer = walkBack(value, backward, 0);
  if (!producer)
    return identity();
  auto producerType = dyn_cast<RankedTensorType>(producer->getResult(0).getType());
  if (!producerType || producerType.getRank() < 1 ||
      ShapedType::isDynamic(producerType.getShape().back()))
    return identity();
  int64_t producerChannels = producerType.getShape().back();

  // Replay the path forward on the producer's channel digit.
  SmallVector<Digit> digits = {{producerType.getRank() - 1, 1, producerChannels, 1}};
  for (auto [op, operand] : llvm::reverse(backward))
    if (failed(propagateDigits(op, operand, digits)))
      return identity();
  if (llvm::any_of(digits, [&](const Digit &digit) {
        return digit.axis != valueType.getRank() - 1;
      }))
    return identity();

  trace.producer = producer;
  trace.producerChannels = producerChannels;
  for (auto [op, operand] : llvm::reverse(backward))
    trace.path.push_back(op);
  trace.channelMap.assign(channels, 0);
  for (int64_t c = 0; c < channels; ++c)
    for (const Digit &digit : digits)
      trace.channelMap[c] += (c / digit.divisor) % digit.modulus * digit.weight;

  // Exclusive: each value on the path has exactly one user, the next op.
  trace.exclusive = producer->getResult(0).hasOneUse() || backward.empty();
  for (auto [op, operand] : backward)
    if (op != value.getDefiningOp() && !op->getResult(0).hasOneUse())
      trace.exclusive = false;
  if (!backward.empty() && !producer->getResult(0).hasOneUse())
    trace.exclusive = false;
  return trace;
}

} // namespace awq
