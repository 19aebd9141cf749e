//===- Executor.cpp - Run onnx/awq IR on the runtime op library -----------===//

#include "awq/Execution/Executor.h"

#include "OpKernels.h"

#include "awq/Dialect/AWQ/AWQDialect.h"
#include "awq/Dialect/ONNX/ONNXDialect.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <chrono>

using namespace mlir;

namespace awq {

std::optional<awq_dtype> getRuntimeDType(Type elementType) {
  if (elementType.isF32())
    return AWQ_F32;
  if (elementType.isF16())
    return AWQ_F16;
  if (elementType.isBF16())
    return AWQ_BF16;
  if (elementType.isInteger(1))
    return AWQ_BOOL;
  if (elementType.isInteger(64))
    return AWQ_I64;
  if (elementType.isInteger(32))
    return AWQ_I32;
  if (elementType.isUnsignedInteger(8))
    return AWQ_U8;
  if (elementType.isInteger(8))
    return AWQ_I8;
  return std::nullopt;
}

/// How to name `op` in a message: its ONNX op type and node name if any.
static std::string describeOp(Operation *op) {
  if (auto node = dyn_cast<onnx::NodeOp>(op)) {
    std::string text = llvm::formatv("ONNX node {0}", node.getOpType());
    if (auto name = node.getName())
      text += llvm::formatv(" '{0}'", *name).str();
    return text;
  }
  if (auto name = op->getAttrOfType<StringAttr>("name"))
    return llvm::formatv("{0} '{1}'", op->getName(), name.getValue());
  return op->getName().getStringRef().str();
}

/// The kernel that runs `op`, or null. Constants and `none` need none.
static OpKernel lookupKernel(Operation *op) {
  if (auto node = dyn_cast<onnx::NodeOp>(op))
    return lookupONNXKernel(node.getDomain(), node.getOpType());
  if (isa_and_present<AWQDialect>(op->getDialect()))
    return lookupAWQKernel(op);
  return nullptr;
}

/// A signature read off a ranked tensor type; failure for other types.
static FailureOr<TensorSignature> makeSignature(Type type, std::string name) {
  auto tensorType = dyn_cast<RankedTensorType>(type);
  if (!tensorType)
    return failure();
  std::optional<awq_dtype> dtype = getRuntimeDType(tensorType.getElementType());
  if (!dtype)
    return failure();
  return TensorSignature{std::move(name), *dtype,
                         std::vector<int64_t>(tensorType.getShape().begin(),
                                              tensorType.getShape().end())};
}

struct Executor::Step {
  Operation *op;
  OpKernel kernel;
  SmallVector<int32_t, 4> operandSlots; ///< -1 for a `none` operand
  SmallVector<int32_t, 2> resultSlots;
  /// Slots whose value is dead once this step has run.
  SmallVector<int32_t, 4> releasedSlots;
  /// Index into `kindProfiles`.
  uint32_t kindIndex;
};

Executor::Executor() = default;
Executor::~Executor() = default;

/// The profile key of `op`: its ONNX op type, or its MLIR name.
static StringRef getOpKind(Operation *op) {
  if (auto node = dyn_cast<onnx::NodeOp>(op))
    return node.getOpType();
  return op->getName().getStringRef();
}

/// The value of a constant op (an initializer, a Constant node with a
/// `value`, any ConstantLike op with an elements value), or null.
static ElementsAttr getConstantValue(Operation &op) {
  if (auto node = dyn_cast<onnx::NodeOp>(op))
    return node.getOpType() == "Constant"
               ? dyn_cast_if_present<ElementsAttr>(node.getOnnxAttr("value"))
               : nullptr;
  ElementsAttr value;
  if (op.getNumResults() == 1 && matchPattern(op.getResult(0), m_Constant(&value)))
    return value;
  return nullptr;
}

FailureOr<std::unique_ptr<Executor>> Executor::create(func::FuncOp function) {
  if (!function.getBody().hasOneBlock())
    return function.emitError("the executor runs single-block functions only");
  std::unique_ptr<Executor> executor(new Executor());
  Block &body = function.getBody().front();

  for (BlockArgument argument : body.getArguments()) {
    std::string name =
        llvm::formatv("argument #{0}", argument.getArgNumber()).str();
    if (auto onnxName = function.getArgAttrOfType<StringAttr>(
            argument.getArgNumber(), "onnx.name"))
      name = onnxName.str();
    FailureOr<TensorSignature> signature =
        makeSignature(argument.getType(), name);
    if (failed(signature))
      return function.emitError("input '")
             << name << "' has type " << argument.getType()
             << ", which the runtime cannot hold";
    executor->inputSignatures.push_back(*signature);
  }
  auto outputNames = function->getAttrOfType<ArrayAttr>("onnx.output_names");
  for (auto [index, type] : llvm::enumerate(function.getResultTypes())) {
    std::string name = llvm::formatv("result #{0}", index).str();
    if (outputNames && index < outputNames.size())
      if (auto onnxName = dyn_cast<StringAttr>(outputNames[index]))
        name = onnxName.str();
    FailureOr<TensorSignature> signature = makeSignature(type, name);
    if (failed(signature))
      return function.emitError("output '")
             << name << "' has type " << type
             << ", which the runtime cannot hold";
    executor->outputSignatures.push_back(*signature);
  }

  // Number every value; constants get their tensor now, `none` stays null.
  llvm::DenseMap<Value, int32_t> slotOf;
  auto newSlot = [&](Value value) {
    slotOf[value] = executor->initialSlots.size();
    executor->initialSlots.emplace_back();
  };
  for (BlockArgument argument : body.getArguments()) {
    executor->inputSlots.push_back(executor->initialSlots.size());
    newSlot(argument);
  }
  llvm::StringMap<uint32_t> kindIndices;
  llvm::DenseMap<Value, size_t> lastUse;
  for (Operation &op : body) {
    for (Value result : op.getResults())
      newSlot(result);
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (Value operand : ret.getOperands())
        executor->outputSlots.push_back(slotOf.lookup(operand));
      continue;
    }
    if (isa<onnx::NoneOp>(op))
      continue;
    if (ElementsAttr value = getConstantValue(op)) {
      llvm::Expected<HostTensor> tensor = tensorFromElements(value);
      if (!tensor)
        return op.emitError("cannot load constant: ")
               << llvm::toString(tensor.takeError());
      executor->initialSlots[slotOf.lookup(op.getResult(0))] = std::move(*tensor);
      continue;
    }
    OpKernel kernel = lookupKernel(&op);
    if (!kernel)
      return op.emitError("the executor cannot run ")
             << describeOp(&op) << " (no runtime kernel for it)";
    Step step{&op, kernel, {}, {}, {}, 0};
    for (Value operand : op.getOperands()) {
      step.operandSlots.push_back(
          isa<NoneType>(operand.getType()) ? -1 : slotOf.lookup(operand));
      lastUse[operand] = executor->steps.size();
    }
    for (Value result : op.getResults()) {
      step.resultSlots.push_back(slotOf.lookup(result));
      // A result nobody reads dies at once.
      if (result.use_empty())
        step.releasedSlots.push_back(slotOf.lookup(result));
    }
    auto [kind, inserted] = kindIndices.try_emplace(
        getOpKind(&op), executor->kindProfiles.size());
    if (inserted)
      executor->kindProfiles.push_back({getOpKind(&op).str(), 0, 0});
    step.kindIndex = kind->second;
    executor->steps.push_back(std::move(step));
  }
  // Values read by steps die after their last reader, unless the function
  // returns them. Constants stay in `initialSlots` for the next run.
  llvm::DenseSet<Value> returned;
  if (auto ret = dyn_cast<func::ReturnOp>(body.getTerminator()))
    returned.insert(ret.getOperands().begin(), ret.getOperands().end());
  for (auto [value, stepIndex] : lastUse)
    if (!returned.contains(value))
      executor->steps[stepIndex].releasedSlots.push_back(slotOf.lookup(value));
  return executor;
}

std::vector<OpKindProfile> Executor::profile() const {
  std::vector<OpKindProfile> sorted;
  for (const OpKindProfile &entry : kindProfiles)
    if (entry.calls)
      sorted.push_back(entry);
  llvm::sort(sorted, [](const OpKindProfile &a, const OpKindProfile &b) {
    return a.seconds > b.seconds;
  });
  return sorted;
}

/// Checks one input against the function's signature.
static llvm::Error checkInput(const TensorSignature &signature,
                              const HostTensor &input) {
  if (input.isNull())
    return makeError(llvm::formatv("input '{0}' is missing", signature.name));
  if (input.dtype() != signature.dtype)
    return makeError(llvm::formatv("input '{0}' must be {1}, got {2}",
                                   signature.name,
                                   awq_dtype_name(signature.dtype),
                                   awq_dtype_name(input.dtype())));
  if (input.rank() != static_cast<int64_t>(signature.shape.size()))
    return makeError(llvm::formatv("input '{0}' must have rank {1}, got {2}",
                                   signature.name, signature.shape.size(),
                                   input.rank()));
  for (auto [axis, expected] : llvm::enumerate(signature.shape))
    if (!ShapedType::isDynamic(expected) && input.shape()[axis] != expected)
      return makeError(llvm::formatv(
          "input '{0}' must have {1} elements on axis {2}, got {3}",
          signature.name, expected, axis, input.shape()[axis]));
  return llvm::Error::success();
}

llvm::Expected<std::vector<HostTensor>>
Executor::run(llvm::ArrayRef<HostTensor> inputs, OpObserver observer) {
  if (inputs.size() != inputSignatures.size())
    return makeError(llvm::formatv("the model takes {0} inputs, got {1}",
                                   inputSignatures.size(), inputs.size()));
  std::vector<HostTensor> slots = initialSlots;
  for (auto [signature, input, slot] :
       llvm::zip(inputSignatures, inputs, inputSlots)) {
    if (llvm::Error error = checkInput(signature, input))
      return std::move(error);
    slots[slot] = input;
  }

  using Clock = std::chrono::steady_clock;
  SmallVector<const HostTensor *, 8> operands;
  for (const Step &step : steps) {
    operands.clear();
    for (int32_t slot : step.operandSlots)
      operands.push_back(slot < 0 || slots[slot].isNull() ? nullptr
                                                          : &slots[slot]);
    Clock::time_point start = profiling ? Clock::now() : Clock::time_point();
    llvm::Expected<TensorList> results = step.kernel(step.op, operands);
    if (profiling) {
      OpKindProfile &entry = kindProfiles[step.kindIndex];
      ++entry.calls;
      entry.seconds += std::chrono::duration<double>(Clock::now() - start).count();
    }
    if (!results)
      return makeError(llvm::formatv("{0}: {1}", describeOp(step.op),
                                     llvm::toString(results.takeError())));
    if (results->size() != step.resultSlots.size())
      return makeError(llvm::formatv("{0}: produced {1} results, expected {2}",
                                     describeOp(step.op), results->size(),
                                     step.resultSlots.size()));
    if (observer) {
      SmallVector<const HostTensor *> resultTensors;
      for (const HostTensor &tensor : *results)
        resultTensors.push_back(&tensor);
      observer(step.op, operands, resultTensors);
    }
    for (auto [slot, tensor] : llvm::zip(step.resultSlots, *results))
      slots[slot] = std::move(tensor);
    for (int32_t slot : step.releasedSlots)
      slots[slot] = HostTensor();
  }
  std::vector<HostTensor> outputs;
  for (int32_t slot : outputSlots)
    outputs.push_back(slots[slot]);
  return outputs;
}

} // namespace awq
