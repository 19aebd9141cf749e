//===- RegionFunction.cpp - Run part of a function on the executor --------===//

#include "RegionFunction.h"

#include "awq/Dialect/ONNX/ONNXDialect.h"
#include "awq/Transforms/WeightConstants.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"

#include <cstring>

using namespace mlir;

namespace awq {

FailureOr<std::unique_ptr<RegionFunction>>
RegionFunction::build(ArrayRef<Operation *> ops, ArrayRef<Value> inputs,
                      ArrayRef<Value> outputs, ArrayRef<LinearOp> weightLinears) {
  assert(!ops.empty() && "a region has ops");
  MLIRContext *context = ops.front()->getContext();
  Location loc = ops.front()->getLoc();
  auto region = std::unique_ptr<RegionFunction>(new RegionFunction());
  region->module = ModuleOp::create(loc);
  OpBuilder builder(context);
  builder.setInsertionPointToEnd(region->module->getBody());
  auto function = func::FuncOp::create(builder, loc, "region",
                                       builder.getFunctionType({}, {}));
  Block *body = function.addEntryBlock();
  builder.setInsertionPointToEnd(body);

  IRMapping mapping;
  for (Value input : inputs)
    mapping.map(input, body->addArgument(input.getType(), input.getLoc()));
  // Constants the region reads are cloned (their attributes are shared with
  // the original, so weights are not copied).
  auto mapExternal = [&](Value value) -> LogicalResult {
    if (mapping.contains(value))
      return success();
    Operation *definer = value.getDefiningOp();
    if (definer && definer->getNumOperands() == 0 &&
        (isConstantValue(value) || isa<onnx::NoneOp>(definer))) {
      OpBuilder::InsertionGuard guard(builder);
      builder.setInsertionPointToStart(body);
      builder.clone(*definer, mapping);
      return success();
    }
    return emitError(value.getLoc(),
                     "awq-calibrate: a block reads a value computed outside it "
                     "that is not one of its inputs");
  };
  llvm::DenseMap<Operation *, unsigned> weightIndex;
  for (auto [index, linear] : llvm::enumerate(weightLinears))
    weightIndex[linear] = index;
  SmallVector<std::pair<Operation *, unsigned>> weightOperands;
  for (Operation *op : ops) {
    for (Value operand : op->getOperands())
      if (failed(mapExternal(operand)))
        return failure();
    Operation *clone = builder.clone(*op, mapping);
    region->originalOf[clone] = op;
    auto it = weightIndex.find(op);
    if (it != weightIndex.end())
      weightOperands.push_back({clone, it->second});
  }
  for (Value output : outputs)
    if (failed(mapExternal(output)))
      return failure();
  // Weight arguments come after the inputs.
  SmallVector<Value> weightArgs;
  for (LinearOp linear : weightLinears)
    weightArgs.push_back(body->addArgument(linear.getWeight().getType(), loc));
  for (auto [clone, index] : weightOperands)
    clone->setOperand(1, weightArgs[index]);
  SmallVector<Value> results;
  for (Value output : outputs)
    results.push_back(mapping.lookup(output));
  func::ReturnOp::create(builder, loc, results);
  function.setFunctionType(builder.getFunctionType(
      body->getArgumentTypes(), ValueRange(results).getTypes()));

  FailureOr<std::unique_ptr<Executor>> executor = Executor::create(function);
  if (failed(executor))
    return failure();
  region->executor = std::move(*executor);
  return region;
}

llvm::Expected<std::vector<HostTensor>> RegionFunction::run(
    std::vector<HostTensor> inputs, ArrayRef<HostTensor> weights,
    llvm::function_ref<void(Operation *, ArrayRef<const HostTensor *>)> observer) {
  inputs.insert(inputs.end(), weights.begin(), weights.end());
  if (!observer)
    return executor->run(inputs);
  return executor->run(inputs, [&](Operation *op,
                                   ArrayRef<const HostTensor *> operands,
                                   ArrayRef<const HostTensor *>) {
    if (Operation *original = originalOf.lookup(op))
      observer(original, operands);
  });
}

HostTensor makeTensor(ArrayRef<float> values, ArrayRef<int64_t> shape) {
  HostTensor tensor = HostTensor::allocate(AWQ_F32, shape);
  std::memcpy(tensor.mutableRawData(), values.data(), values.size() * sizeof(float));
  return tensor;
}

HostTensor weightTensorForLinear(LinearOp linear, ArrayRef<float> weightNK) {
  int64_t n = linear.getOutFeatures(), k = linear.getInFeatures();
  if (linear.getTransposeWeight())
    return makeTensor(weightNK, {n, k});
  return makeTensor(transposeMatrix(weightNK, n, k), {k, n});
}

} // namespace awq
