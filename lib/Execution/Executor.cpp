//===- Executor.cpp - Run onnx/awq IR on the runtime op library -----------===//

#include "awq/Execution/Executor.h"

#include "awq/Dialect/ONNX/ONNXDialect.h"
#include "awq/Execution/ModelGraph.h"
#include "awq/Execution/NodeEncoding.h"
#include "awq_node.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <chrono>

using namespace mlir;

namespace awq {

struct Executor::Step {
  Operation *op;
  awq_node_fn entry;
  /// The op serialized for `entry` (awq_node.h), encoded once.
  std::vector<uint8_t> node;
  /// What the runtime's messages about this node start with, which the
  /// executor replaces by its own description of the op.
  std::string runtimePrefix;
  /// The entry's inputs (getNodeInputs); -1 for an absent one.
  SmallVector<int32_t, 4> inputSlots;
  /// The op's operands, as the observer sees them; -1 for a `none` operand.
  SmallVector<int32_t, 4> operandSlots;
  SmallVector<int32_t, 2> resultSlots;
  /// Slots whose value is dead once this step has run.
  SmallVector<int32_t, 4> releasedSlots;
  /// Index into `kindProfiles`.
  uint32_t kindIndex = 0;
};

Executor::Executor() = default;
Executor::~Executor() = default;

/// The profile key of `op`: its ONNX op type, or its MLIR name.
static StringRef getOpKind(Operation *op) {
  if (auto node = dyn_cast<onnx::NodeOp>(op))
    return node.getOpType();
  return op->getName().getStringRef();
}

FailureOr<std::unique_ptr<Executor>> Executor::create(func::FuncOp function) {
  if (!function.getBody().hasOneBlock())
    return function.emitError("the executor runs single-block functions only");
  std::unique_ptr<Executor> executor(new Executor());
  Block &body = function.getBody().front();

  if (failed(getFunctionSignatures(function, executor->inputSignatures,
                                   executor->outputSignatures)))
    return failure();

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
    // Everything else is a node the runtime runs: find its entry and encode
    // the node once.
    std::optional<NodeOpType> opType = getNodeOpType(&op);
    awq_node_fn entry = opType ? awq_find_node_fn(opType->domain.str().c_str(),
                                                  opType->opType.str().c_str())
                               : nullptr;
    if (!entry)
      return op.emitError("the executor cannot run ")
             << describeOp(&op) << " (no runtime kernel for it)";
    FailureOr<std::vector<uint8_t>> node = encodeNode(&op);
    if (failed(node))
      return failure();
    std::string runtimePrefix =
        llvm::formatv("{0} node '{1}': ", opType->opType, getNodeName(&op));
    Step step;
    step.op = &op;
    step.entry = entry;
    step.node = std::move(*node);
    step.runtimePrefix = std::move(runtimePrefix);
    for (Value input : getNodeInputs(&op))
      step.inputSlots.push_back(input ? slotOf.lookup(input) : -1);
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

namespace {
/// The allocator the executor gives runtime entries: output i becomes the
/// HostTensor results[i], which owns its memory from then on.
struct OutputAllocator {
  MutableArrayRef<awq_tensor> outputs;
  MutableArrayRef<HostTensor> results;

  static void *allocate(void *context, awq_tensor *output) {
    auto *self = static_cast<OutputAllocator *>(context);
    for (auto [index, candidate] : llvm::enumerate(self->outputs)) {
      if (&candidate != output)
        continue;
      self->results[index] = HostTensor::allocateLike(*output);
      return self->results[index].mutableRawData();
    }
    return nullptr; // not one of this step's outputs
  }
};
} // namespace

/// Checks one input against the function's signature.
static llvm::Error checkInput(const TensorSignature &signature,
                              const HostTensor &input) {
  if (input.isNull())
    return llvm::createStringError(
        llvm::formatv("input '{0}' is missing", signature.name));
  if (input.dtype() != signature.dtype)
    return llvm::createStringError(llvm::formatv(
        "input '{0}' must be {1}, got {2}", signature.name,
        awq_dtype_name(signature.dtype), awq_dtype_name(input.dtype())));
  if (input.rank() != static_cast<int64_t>(signature.shape.size()))
    return llvm::createStringError(
        llvm::formatv("input '{0}' must have rank {1}, got {2}", signature.name,
                      signature.shape.size(), input.rank()));
  for (auto [axis, expected] : llvm::enumerate(signature.shape))
    if (!ShapedType::isDynamic(expected) && input.shape()[axis] != expected)
      return llvm::createStringError(llvm::formatv(
          "input '{0}' must have {1} elements on axis {2}, got {3}",
          signature.name, expected, axis, input.shape()[axis]));
  return llvm::Error::success();
}

llvm::Expected<std::vector<HostTensor>>
Executor::run(llvm::ArrayRef<HostTensor> inputs, OpObserver observer) {
  if (inputs.size() != inputSignatures.size())
    return llvm::createStringError(
        llvm::formatv("the model takes {0} inputs, got {1}",
                      inputSignatures.size(), inputs.size()));
  std::vector<HostTensor> slots = initialSlots;
  for (auto [signature, input, slot] :
       llvm::zip(inputSignatures, inputs, inputSlots)) {
    if (llvm::Error error = checkInput(signature, input))
      return std::move(error);
    slots[slot] = input;
  }

  using Clock = std::chrono::steady_clock;
  SmallVector<const awq_tensor *, 8> inputDescs;
  SmallVector<awq_tensor, 2> outputDescs;
  SmallVector<HostTensor, 2> results;
  SmallVector<const HostTensor *, 8> operands;
  for (const Step &step : steps) {
    inputDescs.clear();
    for (int32_t slot : step.inputSlots)
      inputDescs.push_back(
          slot < 0 || slots[slot].isNull() ? nullptr : &slots[slot].desc());
    size_t numOutputs = step.resultSlots.size();
    outputDescs.assign(numOutputs, awq_tensor{nullptr, 0, 0, {}});
    results.clear();
    results.resize(numOutputs);
    OutputAllocator outputAllocator{outputDescs, results};
    awq_node_allocator allocator{&outputAllocator, OutputAllocator::allocate, nullptr, nullptr};

    Clock::time_point start = profiling ? Clock::now() : Clock::time_point();
    awq_status status =
        step.entry(step.node.data(), inputDescs.data(), inputDescs.size(),
                   outputDescs.data(), numOutputs, &allocator);
    if (profiling) {
      OpKindProfile &entry = kindProfiles[step.kindIndex];
      ++entry.calls;
      entry.seconds += std::chrono::duration<double>(Clock::now() - start).count();
    }
    if (status != 0) {
      StringRef message = awq_last_error();
      message.consume_front(step.runtimePrefix);
      return llvm::createStringError(
          llvm::formatv("{0}: {1}", describeOp(step.op), message));
    }
    for (auto [index, result] : llvm::enumerate(results))
      if (result.isNull())
        return llvm::createStringError(
            llvm::formatv("{0}: the runtime produced no output #{1}",
                          describeOp(step.op), index));
    if (observer) {
      operands.clear();
      for (int32_t slot : step.operandSlots)
        operands.push_back(slot < 0 || slots[slot].isNull() ? nullptr
                                                            : &slots[slot]);
      SmallVector<const HostTensor *> resultTensors;
      for (const HostTensor &tensor : results)
        resultTensors.push_back(&tensor);
      observer(step.op, operands, resultTensors);
    }
    for (auto [slot, tensor] : llvm::zip(step.resultSlots, results))
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
