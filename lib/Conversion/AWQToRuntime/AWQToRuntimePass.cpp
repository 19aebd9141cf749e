//===- AWQToRuntimePass.cpp - The convert-awq-to-runtime pass -------------===//
//
// Lowers the model function to the graph function, constants and description
// a compiled model library provides (runtime/include/awq_compiled_model.h).
// Every op becomes one call of its runtime node entry (awq_node.h): the same
// entry the executor calls, with the same serialized attributes, so compiled
// and interpreted runs compute the same thing.
//
//===----------------------------------------------------------------------===//

#include "MemoryPlan.h"

#include "awq/Conversion/AWQToRuntime/AWQToRuntime.h"
#include "awq/Dialect/ONNX/ONNXDialect.h"
#include "awq/Execution/ModelGraph.h"
#include "awq/Importer/ONNXAttributeNames.h"
#include "awq/Execution/NodeEncoding.h"
#include "awq_compiled_model.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/EndianStream.h"
#include "llvm/Support/FormatVariadic.h"

namespace awq {
#define GEN_PASS_DEF_CONVERTAWQTORUNTIME
#include "awq/Conversion/Passes.h.inc"
} // namespace awq

using namespace mlir;

namespace awq {
namespace {

/// Constants and intermediates are aligned for the vector kernels.
constexpr uint64_t kConstantAlignment = 64;

/// What one op of the model function becomes.
struct NodeCall {
  Operation *op;
  std::string symbol;
  std::vector<uint8_t> encoded;
  SmallVector<int32_t, 4> operandSlots; ///< -1 for a `none` operand
  int32_t firstResultSlot;
  int32_t numResults;
};

struct ConstantSlot {
  Operation *op;
  int32_t slot;
  ElementsAttr value;
};

/// Bytes of a tensor type when all its dims are static.
std::optional<int64_t> staticBytes(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return std::nullopt;
  std::optional<awq_dtype> dtype = getRuntimeDType(tensor.getElementType());
  if (!dtype)
    return std::nullopt;
  return tensor.getNumElements() * static_cast<int64_t>(awq_dtype_size(*dtype));
}

/// The constant's bytes as the runtime lays them out, as a flat i8 tensor
/// (what an LLVM global of [N x i8] takes). Resource blobs are shared, not
/// copied: the global refers to the same blob with an i8 view.
FailureOr<ElementsAttr> toByteElements(Operation *op, ElementsAttr value) {
  MLIRContext *context = op->getContext();
  auto byteType = [&](int64_t bytes) {
    return RankedTensorType::get({bytes}, IntegerType::get(context, 8));
  };
  auto resource = dyn_cast<DenseResourceElementsAttr>(value);
  if (resource && !value.getElementType().isInteger(1)) {
    if (std::optional<int64_t> bytes = staticBytes(value.getType()))
      return ElementsAttr(
          DenseResourceElementsAttr::get(byteType(*bytes), resource.getRawHandle()));
  }
  llvm::Expected<HostTensor> tensor = tensorFromElements(value);
  if (!tensor) {
    op->emitError("cannot lower constant: ") << llvm::toString(tensor.takeError());
    return failure();
  }
  ArrayRef<char> bytes(static_cast<const char *>(tensor->rawData()),
                       tensor->byteSize());
  return ElementsAttr(DenseElementsAttr::getFromRawBuffer(
      byteType(static_cast<int64_t>(bytes.size())), bytes));
}

/// True for the ONNX nodes whose one result is their first input's bytes
/// under another shape. Their runtime entries copy nothing when the output
/// is already those bytes, so the memory plan lets it share the buffer.
bool reshapesFirstInput(Operation *op) {
  std::optional<NodeOpType> type = getNodeOpType(op);
  if (!type || !(type->domain.empty() || type->domain == "ai.onnx") || op->getNumResults() != 1)
    return false;
  return llvm::is_contained({"Reshape", "Squeeze", "Unsqueeze", "Flatten", "Identity"},
                            type->opType);
}

/// Little-endian serialization of the description (awq_compiled_model.h).
class DescriptionWriter {
public:
  DescriptionWriter() : stream(bytes), writer(stream, llvm::endianness::little) {}

  template <typename T> void write(T value) { writer.write<T>(value); }
  void writeString(StringRef text) {
    write<uint32_t>(text.size());
    stream << text;
  }
  void writeTensorType(awq_dtype dtype, ArrayRef<int64_t> shape) {
    write<int32_t>(dtype);
    write<int32_t>(shape.size());
    for (int64_t dim : shape)
      write<int64_t>(ShapedType::isDynamic(dim) ? -1 : dim);
  }
  /// The bytes, with the total size patched in after magic and version.
  std::string finish() {
    std::string result(bytes.begin(), bytes.end());
    uint32_t size = result.size();
    llvm::support::endian::write32le(result.data() + 8, size);
    return result;
  }

private:
  SmallString<1024> bytes;
  llvm::raw_svector_ostream stream;
  llvm::support::endian::Writer writer;
};

struct ConvertAWQToRuntimePass
    : impl::ConvertAWQToRuntimeBase<ConvertAWQToRuntimePass> {
  using Base::Base;

  void runOnOperation() override;

private:
  FailureOr<func::FuncOp> findModelFunction();
};

FailureOr<func::FuncOp> ConvertAWQToRuntimePass::findModelFunction() {
  ModuleOp module = getOperation();
  func::FuncOp model;
  for (auto function : module.getOps<func::FuncOp>()) {
    if (function.isExternal())
      continue;
    if (model) {
      function.emitError("convert-awq-to-runtime lowers one model function; "
                         "found a second one, '")
          << function.getSymName() << "' after '" << model.getSymName() << "'";
      return failure();
    }
    model = function;
  }
  if (!model) {
    module.emitError("convert-awq-to-runtime found no model function");
    return failure();
  }
  if (!model.getBody().hasOneBlock()) {
    model.emitError("the model function must have a single block");
    return failure();
  }
  return model;
}

void ConvertAWQToRuntimePass::runOnOperation() {
  ModuleOp module = getOperation();
  MLIRContext *context = &getContext();
  if (target != "cpu" && target != "cuda") {
    module.emitError("convert-awq-to-runtime: target='") << target << "' is neither 'cpu' nor 'cuda'";
    return signalPassFailure();
  }
  FailureOr<func::FuncOp> maybeModel = findModelFunction();
  if (failed(maybeModel))
    return signalPassFailure();
  func::FuncOp model = *maybeModel;
  std::vector<TensorSignature> inputs, outputs;
  if (failed(getFunctionSignatures(model, inputs, outputs)))
    return signalPassFailure();

  // Number the values: arguments, then the results of each op in order (the
  // results of one op are consecutive, as node entries write them as one
  // array). Constants and nodes are collected on the way.
  Block &body = model.getBody().front();
  llvm::DenseMap<Value, int32_t> slotOf;
  int32_t numSlots = 0;
  for (BlockArgument argument : body.getArguments())
    slotOf[argument] = numSlots++;
  std::vector<ConstantSlot> constants;
  std::vector<NodeCall> calls;
  SmallVector<int32_t> outputSlots;
  for (Operation &op : body) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (Value operand : ret.getOperands())
        outputSlots.push_back(slotOf.lookup(operand));
      continue;
    }
    if (isa<onnx::NoneOp>(op))
      continue;
    int32_t firstResult = numSlots;
    for (Value result : op.getResults())
      slotOf[result] = numSlots++;
    if (ElementsAttr value = getConstantValue(op)) {
      constants.push_back({&op, firstResult, value});
      continue;
    }
    std::optional<NodeOpType> nodeOpType = getNodeOpType(&op);
    const char *symbol =
        nodeOpType ? awq_find_node_symbol(nodeOpType->domain.str().c_str(),
                                          nodeOpType->opType.str().c_str())
                   : nullptr;
    if (!symbol) {
      op.emitError("cannot compile ")
          << describeOp(&op) << ": the runtime has no node entry for it";
      return signalPassFailure();
    }
    FailureOr<std::vector<uint8_t>> encoded = encodeNode(&op);
    if (failed(encoded))
      return signalPassFailure();
    // The CUDA backend defines awq_cuda_node_X beside every awq_node_X.
    std::string entrySymbol = target == "cuda" ? "awq_cuda_" + std::string(symbol + 4) : symbol;
    NodeCall call{&op, std::move(entrySymbol), std::move(*encoded), {}, firstResult,
                  static_cast<int32_t>(op.getNumResults())};
    // Absent optional inputs (ONNX's `none`, awq's missing bias) are null.
    for (Value input : getNodeInputs(&op))
      call.operandSlots.push_back(
          !input || isa_and_present<onnx::NoneOp>(input.getDefiningOp())
              ? -1
              : slotOf.lookup(input));
    calls.push_back(std::move(call));
  }

  // Plan the intermediates' memory.
  std::vector<PlannedStep> steps;
  for (const NodeCall &call : calls) {
    PlannedStep step;
    step.operands = call.operandSlots;
    for (Value result : call.op->getResults()) {
      step.results.push_back(slotOf.lookup(result));
      step.resultBytes.push_back(staticBytes(result.getType()));
    }
    step.resultReshapesFirstOperand = reshapesFirstInput(call.op);
    steps.push_back(std::move(step));
  }
  MemoryPlan plan = planMemory(numSlots, steps, outputSlots);

  OpBuilder builder(context);
  builder.setInsertionPointToEnd(module.getBody());
  Location loc = model.getLoc();
  Type i8 = builder.getI8Type(), i32 = builder.getI32Type(),
       i64 = builder.getI64Type();
  auto ptr = LLVM::LLVMPointerType::get(context);
  // awq_tensor: data, dtype, rank, shape[AWQ_MAX_RANK].
  auto tensorStruct = LLVM::LLVMStructType::getLiteral(
      context, {ptr, i32, i32, LLVM::LLVMArrayType::get(i64, AWQ_MAX_RANK)});

  // Constants: one aligned read-only global each (or, with a side file, one
  // marked with its offset there), and the table of their addresses.
  DescriptionWriter description;
  description.write<uint32_t>(AWQ_COMPILED_MODEL_MAGIC);
  description.write<uint32_t>(AWQ_COMPILED_MODEL_VERSION);
  description.write<uint32_t>(0); // total size, patched by finish()
  description.write<uint32_t>(numSlots);
  description.write<uint32_t>(plan.numBuffers);
  for (auto [signatures, portSlots] :
       {std::pair{&inputs, SmallVector<int32_t>()},
        std::pair{&outputs, outputSlots}}) {
    description.write<uint32_t>(signatures->size());
    for (auto [index, signature] : llvm::enumerate(*signatures)) {
      description.writeString(signature.name);
      description.writeTensorType(signature.dtype, signature.shape);
      // Inputs are the first slots, in argument order.
      description.write<uint32_t>(portSlots.empty() ? index : portSlots[index]);
    }
  }
  bool sideFile = !weightsFile.empty();
  description.write<uint32_t>(constants.size());
  SmallVector<LLVM::GlobalOp> constantGlobals;
  uint64_t fileOffset = 0;
  for (auto [index, constant] : llvm::enumerate(constants)) {
    FailureOr<ElementsAttr> bytes = toByteElements(constant.op, constant.value);
    if (failed(bytes))
      return signalPassFailure();
    auto type = cast<ShapedType>(constant.value.getType());
    int64_t size = bytes->getNumElements();
    description.write<uint32_t>(constant.slot);
    description.writeTensorType(*getRuntimeDType(type.getElementType()),
                                type.getShape());
    description.write<uint64_t>(size);
    description.write<uint64_t>(sideFile ? fileOffset : 0);
    auto global = LLVM::GlobalOp::create(
        builder, constant.op->getLoc(), LLVM::LLVMArrayType::get(i8, size),
        /*isConstant=*/true, LLVM::Linkage::Internal,
        llvm::formatv("awq_constant_{0}", index).str(), *bytes,
        kConstantAlignment);
    if (sideFile)
      global->setAttr("awq.side_file_offset", builder.getI64IntegerAttr(fileOffset));
    fileOffset = llvm::alignTo(fileOffset + size, kConstantAlignment);
    constantGlobals.push_back(global);
  }
  for (int32_t buffer : plan.slotBuffers)
    description.write<int32_t>(buffer);
  description.writeString(weightsFile);
  SmallVector<std::pair<StringRef, StringRef>> metadata;
  if (auto props = module->getAttrOfType<DictionaryAttr>(kMetadataPropsAttrName))
    for (NamedAttribute entry : props)
      if (auto value = dyn_cast<StringAttr>(entry.getValue()))
        metadata.emplace_back(entry.getName().getValue(), value.getValue());
  description.write<uint32_t>(metadata.size());
  for (auto [key, value] : metadata) {
    description.writeString(key);
    description.writeString(value);
  }

  std::string descriptionBytes = description.finish();
  LLVM::GlobalOp::create(
      builder, loc, LLVM::LLVMArrayType::get(i8, descriptionBytes.size()),
      /*isConstant=*/true, LLVM::Linkage::External,
      "awq_compiled_model_description", builder.getStringAttr(descriptionBytes),
      /*alignment=*/8);

  auto tableType = LLVM::LLVMArrayType::get(ptr, constantGlobals.size());
  auto table = LLVM::GlobalOp::create(builder, loc, tableType,
                                      /*isConstant=*/true, LLVM::Linkage::External,
                                      "awq_compiled_model_constants", Attribute(),
                                      /*alignment=*/8);
  {
    OpBuilder::InsertionGuard guard(builder);
    builder.createBlock(&table.getInitializerRegion());
    Value entries = LLVM::UndefOp::create(builder, loc, tableType);
    for (auto [index, global] : llvm::enumerate(constantGlobals)) {
      // With a side file the runtime reads offsets from the description.
      Value address =
          sideFile ? Value(LLVM::ZeroOp::create(builder, loc, ptr))
                   : Value(LLVM::AddressOfOp::create(builder, loc, global));
      entries = LLVM::InsertValueOp::create(builder, loc, entries, address,
                                            ArrayRef<int64_t>{int64_t(index)});
    }
    LLVM::ReturnOp::create(builder, loc, entries);
  }

  // The node entries (declarations) and each node's serialized attributes.
  auto entryType = builder.getFunctionType({ptr, ptr, i32, ptr, i32, ptr}, {i32});
  llvm::StringMap<func::FuncOp> entries;
  SmallVector<LLVM::GlobalOp> nodeGlobals;
  for (auto [index, call] : llvm::enumerate(calls)) {
    if (!entries.count(call.symbol)) {
      auto entry = func::FuncOp::create(builder, loc, call.symbol, entryType);
      entry.setPrivate();
      entries[call.symbol] = entry;
    }
    StringRef encoded(reinterpret_cast<const char *>(call.encoded.data()),
                      call.encoded.size());
    nodeGlobals.push_back(LLVM::GlobalOp::create(
        builder, call.op->getLoc(), LLVM::LLVMArrayType::get(i8, encoded.size()),
        /*isConstant=*/true, LLVM::Linkage::Internal,
        llvm::formatv("awq_node_{0}", index).str(), builder.getStringAttr(encoded)));
  }

  // The graph function: one call per node; the first failing status returns.
  auto graph = func::FuncOp::create(builder, loc, "awq_compiled_model_graph",
                                    builder.getFunctionType({ptr, ptr}, {i32}));
  Block *entryBlock = graph.addEntryBlock();
  Value slots = graph.getArgument(0), allocator = graph.getArgument(1);
  Block *exitBlock = builder.createBlock(&graph.getBody(), {}, {i32}, {loc});
  func::ReturnOp::create(builder, loc, exitBlock->getArgument(0));

  builder.setInsertionPointToStart(entryBlock);
  size_t maxOperands = 1;
  for (const NodeCall &call : calls)
    maxOperands = std::max(maxOperands, call.operandSlots.size());
  Value operandArray = LLVM::AllocaOp::create(
      builder, loc, ptr, ptr,
      arith::ConstantIntOp::create(builder, loc, i64, maxOperands));
  Value ok = arith::ConstantIntOp::create(builder, loc, i32, 0);
  Value null = LLVM::ZeroOp::create(builder, loc, ptr);
  auto slotAddress = [&](int32_t slot) -> Value {
    return LLVM::GEPOp::create(builder, loc, ptr, tensorStruct, slots,
                               ArrayRef<LLVM::GEPArg>{slot});
  };
  Block *current = entryBlock;
  for (auto [call, nodeGlobal] : llvm::zip(calls, nodeGlobals)) {
    Location callLoc = call.op->getLoc();
    builder.setInsertionPointToEnd(current);
    for (auto [index, slot] : llvm::enumerate(call.operandSlots)) {
      Value element = LLVM::GEPOp::create(builder, callLoc, ptr, ptr, operandArray,
                                          ArrayRef<LLVM::GEPArg>{int32_t(index)});
      LLVM::StoreOp::create(builder, callLoc, slot < 0 ? null : slotAddress(slot),
                            element);
    }
    Value node = LLVM::AddressOfOp::create(builder, callLoc, nodeGlobal);
    Value results = call.numResults ? slotAddress(call.firstResultSlot) : null;
    Value numOperands =
        arith::ConstantIntOp::create(builder, callLoc, i32, call.operandSlots.size());
    Value numResults =
        arith::ConstantIntOp::create(builder, callLoc, i32, call.numResults);
    Value status = func::CallOp::create(builder, callLoc, entries[call.symbol],
                                        ValueRange{node, operandArray, numOperands,
                                                   results, numResults, allocator})
                       .getResult(0);
    Value failed = arith::CmpIOp::create(builder, callLoc, arith::CmpIPredicate::ne,
                                         status, ok);
    // Blocks go in before the exit block, which stays last.
    Block *next = builder.createBlock(exitBlock);
    builder.setInsertionPointToEnd(current);
    cf::CondBranchOp::create(builder, callLoc, failed, exitBlock, ValueRange{status},
                             next, ValueRange{});
    current = next;
  }
  builder.setInsertionPointToEnd(current);
  cf::BranchOp::create(builder, loc, exitBlock, ValueRange{ok});

  model.erase();
}

} // namespace

void buildRuntimeToLLVMPipeline(OpPassManager &pm) {
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

} // namespace awq
