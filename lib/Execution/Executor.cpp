//===- Executor.cpp - Run onnx/awq IR on the runtime op library -----------===//

#include "awq/Execution/Executor.h"

#include "OpKernels.h"

#include "awq/Dialect/AWQ/AWQDialect.h"
#include "awq/Dialect/ONNX/ONNXDialect.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/FormatVariadic.h"

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
  if (isa<AWQDialect>(op->getDialect()))
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

FailureOr<std::unique_ptr<Executor>> Executor::create(func::FuncOp function) {
  if (!function.getBody().hasOneBlock())
    return function.emitError("the executor runs single-block functions only");
  std::unique_ptr<Executor> executor(new Executor(function));
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

  for (auto [index, op] : llvm::enumerate(body)) {
    for (Value operand : op.getOperands())
      executor->lastUse[operand] = index;
    if (isa<onnx::NoneOp, func::ReturnOp>(op))
      continue;
    // Constants are converted once, here.
    Attribute value;
    if (auto initializer = dyn_cast<onnx::InitializerOp>(op))
      value = initializer.getValue();
    else if (auto node = dyn_cast<onnx::NodeOp>(op);
             node && node.getOpType() == "Constant" && node.getOnnxAttr("value"))
      value = node.getOnnxAttr("value");
    if (auto elements = dyn_cast_if_present<ElementsAttr>(value)) {
      llvm::Expected<HostTensor> tensor = tensorFromElements(elements);
      if (!tensor)
        return op.emitError("cannot load constant: ")
               << llvm::toString(tensor.takeError());
      executor->constants[op.getResult(0)] = std::move(*tensor);
      continue;
    }
    if (!lookupKernel(&op))
      return op.emitError("the executor cannot run ")
             << describeOp(&op) << " (no runtime kernel for it)";
  }
  return executor;
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
  Block &body = function.getBody().front();
  llvm::DenseMap<Value, HostTensor> values;
  for (auto [signature, input, argument] :
       llvm::zip(inputSignatures, inputs, body.getArguments())) {
    if (llvm::Error error = checkInput(signature, input))
      return std::move(error);
    values[argument] = input;
  }

  auto lookup = [&](Value value) -> const HostTensor * {
    if (auto it = values.find(value); it != values.end())
      return &it->second;
    if (auto it = constants.find(value); it != constants.end())
      return &it->second;
    return nullptr;
  };

  for (auto [index, op] : llvm::enumerate(body)) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      std::vector<HostTensor> outputs;
      for (Value operand : ret.getOperands())
        outputs.push_back(*lookup(operand));
      return outputs;
    }
    if (isa<onnx::NoneOp>(op) || constants.count(op.getResult(0)))
      continue;

    llvm::SmallVector<const HostTensor *> operands;
    for (Value operand : op.getOperands())
      operands.push_back(isa<NoneType>(operand.getType()) ? nullptr
                                                           : lookup(operand));
    llvm::Expected<TensorList> results = lookupKernel(&op)(&op, operands);
    if (!results)
      return makeError(llvm::formatv("{0}: {1}", describeOp(&op),
                                     llvm::toString(results.takeError())));
    if (results->size() != op.getNumResults())
      return makeError(llvm::formatv("{0}: produced {1} results, expected {2}",
                                     describeOp(&op), results->size(),
                                     op.getNumResults()));
    // Observe before storing the results: inserting into `values` may move
    // the tensors that `operands` points to.
    if (observer) {
      llvm::SmallVector<const HostTensor *> resultTensors;
      for (const HostTensor &tensor : *results)
        resultTensors.push_back(&tensor);
      observer(&op, operands, resultTensors);
    }
    for (auto [result, tensor] : llvm::zip(op.getResults(), *results))
      values[result] = std::move(tensor);

    // Release intermediates whose last user just ran (and results nobody uses).
    for (Value operand : op.getOperands())
      if (lastUse.lookup(operand) == index && !isa<BlockArgument>(operand))
        values.erase(operand);
    for (Value result : op.getResults())
      if (result.use_empty())
        values.erase(result);
  }
  return makeError("the function has no return");
}

} // namespace awq
