//===- GraphImporter.cpp - ONNX GraphProto -> func.func -------------------===//

#include "GraphImporter.h"

#include "AttributeImporter.h"
#include "TensorImporter.h"

#include "awq/Dialect/ONNX/ONNXDialect.h"
#include "awq/Importer/ONNXAttributeNames.h"
#include "awq/Importer/ONNXElementTypes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringExtras.h"

#include <onnx/onnx_pb.h>

#include <functional>
#include <queue>

using namespace mlir;
using namespace awq;

/// The domain name of a node with the default domain spelled out normalized.
static llvm::StringRef normalizeDomain(llvm::StringRef domain) {
  return domain == "ai.onnx" ? llvm::StringRef() : domain;
}

/// A valid symbol for the graph's function: the graph name with characters
/// other than letters, digits and `_` replaced, or `main_graph`.
static std::string getFunctionName(llvm::StringRef graphName) {
  if (graphName.empty())
    return "main_graph";
  std::string name = graphName.str();
  for (char &c : name)
    if (!llvm::isAlnum(c) && c != '_')
      c = '_';
  if (llvm::isDigit(name.front()))
    name.insert(0, "g_");
  return name;
}

GraphImporter::GraphImporter(::onnx::ModelProto &model, TensorImporter &tensors,
                             const llvm::StringMap<int64_t> &opsets,
                             Location fileLoc)
    : model(model), graph(*model.mutable_graph()), tensors(tensors),
      opsets(opsets), fileLoc(fileLoc) {}

std::string GraphImporter::describeNode(int index) const {
  const ::onnx::NodeProto &node = graph.node(index);
  std::string name = node.name().empty() ? "#" + std::to_string(index)
                                         : "'" + node.name() + "'";
  return "node " + name + " (" + node.op_type() + ")";
}

LogicalResult GraphImporter::checkNodeIsSupported(int index) {
  const ::onnx::NodeProto &node = graph.node(index);
  if (node.op_type().empty())
    return emitError(fileLoc) << describeNode(index) << ": has no op_type";
  llvm::StringRef domain = normalizeDomain(node.domain());
  if (!opsets.contains(domain))
    return emitError(fileLoc)
           << describeNode(index) << ": its domain '" << domain
           << "' is not in the model's opset_import";
  for (const ::onnx::FunctionProto &function : model.functions())
    if (function.name() == node.op_type() &&
        normalizeDomain(function.domain()) == domain)
      return emitError(fileLoc) << describeNode(index)
                                << ": calls a model-local function, which "
                                   "is not supported";
  for (const ::onnx::AttributeProto &attribute : node.attribute())
    if (attribute.type() == ::onnx::AttributeProto_AttributeType_GRAPH ||
        attribute.type() == ::onnx::AttributeProto_AttributeType_GRAPHS)
      return emitError(fileLoc)
             << describeNode(index) << ": attribute '" << attribute.name()
             << "': subgraphs (If/Loop/Scan bodies) are not supported";
  return success();
}

LogicalResult GraphImporter::importArgumentTypes() {
  Builder builder(fileLoc->getContext());
  for (const ::onnx::ValueInfoProto &input : graph.input()) {
    // An input that also has an initializer is a default the caller may
    // override; awq compiles it as a constant.
    if (initializerNames.contains(input.name()))
      continue;
    SmallVector<Attribute> dimParams;
    FailureOr<Type> type = importValueType(
        input.type(), "graph input '" + input.name() + "'", &dimParams);
    if (failed(type))
      return failure();
    if (!*type)
      return emitError(fileLoc)
             << "graph input '" << input.name() << "' has no tensor type";
    argumentTypes.push_back(*type);
    argumentNames.push_back(input.name());
    SmallVector<NamedAttribute> attrs{builder.getNamedAttr(
        kValueNameAttrName, builder.getStringAttr(input.name()))};
    if (!dimParams.empty())
      attrs.push_back(builder.getNamedAttr(kDimParamsAttrName,
                                           builder.getArrayAttr(dimParams)));
    argumentAttrs.push_back(builder.getDictionaryAttr(attrs));
  }
  return success();
}

LogicalResult GraphImporter::prepare() {
  for (const ::onnx::TensorProto &initializer : graph.initializer()) {
    if (initializer.name().empty())
      return emitError(fileLoc) << "an initializer has no name";
    if (!initializerNames.insert(initializer.name()).second)
      return emitError(fileLoc)
             << "duplicate initializer '" << initializer.name() << "'";
    graphDefinedNames.insert(initializer.name());
  }
  llvm::StringSet<> inputNames;
  for (const ::onnx::ValueInfoProto &input : graph.input()) {
    if (input.name().empty())
      return emitError(fileLoc) << "a graph input has no name";
    if (!inputNames.insert(input.name()).second)
      return emitError(fileLoc)
             << "duplicate graph input '" << input.name() << "'";
    graphDefinedNames.insert(input.name());
  }
  if (failed(importArgumentTypes()))
    return failure();

  // Which node produces each value.
  llvm::StringMap<int> producers;
  int numNodes = graph.node_size();
  for (int index = 0; index < numNodes; ++index) {
    if (failed(checkNodeIsSupported(index)))
      return failure();
    for (const std::string &output : graph.node(index).output()) {
      if (output.empty())
        continue;
      if (graphDefinedNames.contains(output))
        return emitError(fileLoc)
               << describeNode(index) << ": output '" << output
               << "' redefines a graph input or initializer";
      auto [it, inserted] = producers.try_emplace(output, index);
      if (!inserted)
        return emitError(fileLoc)
               << describeNode(index) << ": output '" << output
               << "' is already produced by " << describeNode(it->second);
    }
  }

  // Kahn's algorithm, always taking the ready node that comes first in the
  // file, so that an already sorted graph keeps its order.
  std::vector<int> numPendingInputs(numNodes, 0);
  std::vector<std::vector<int>> users(numNodes);
  for (int index = 0; index < numNodes; ++index) {
    for (const std::string &input : graph.node(index).input()) {
      if (input.empty() || graphDefinedNames.contains(input))
        continue;
      auto it = producers.find(input);
      if (it == producers.end())
        return emitError(fileLoc)
               << describeNode(index) << ": input '" << input
               << "' is not produced by any node, graph input or initializer";
      users[it->second].push_back(index);
      ++numPendingInputs[index];
    }
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int index = 0; index < numNodes; ++index)
    if (numPendingInputs[index] == 0)
      ready.push(index);
  while (!ready.empty()) {
    int index = ready.top();
    ready.pop();
    nodeOrder.push_back(index);
    for (int user : users[index])
      if (--numPendingInputs[user] == 0)
        ready.push(user);
  }
  if (static_cast<int>(nodeOrder.size()) != numNodes) {
    int inCycle = 0;
    while (numPendingInputs[inCycle] == 0)
      ++inCycle;
    return emitError(fileLoc)
           << describeNode(inCycle) << ": is part of a cycle of nodes";
  }

  for (const ::onnx::ValueInfoProto &output : graph.output())
    if (!graphDefinedNames.contains(output.name()) &&
        !producers.contains(output.name()))
      return emitError(fileLoc) << "graph output '" << output.name()
                                << "' is not produced by any node, graph "
                                   "input or initializer";
  return success();
}

FailureOr<Type>
GraphImporter::importValueType(const ::onnx::TypeProto &type,
                               llvm::StringRef what,
                               SmallVectorImpl<Attribute> *dimParams) {
  MLIRContext *context = fileLoc->getContext();
  if (type.value_case() == ::onnx::TypeProto::VALUE_NOT_SET)
    return Type();
  if (!type.has_tensor_type())
    return emitError(fileLoc)
           << what
           << ": only tensor types are supported (not sequences, "
              "maps, optionals or sparse tensors)";
  const ::onnx::TypeProto_Tensor &tensorType = type.tensor_type();
  if (tensorType.elem_type() == ::onnx::TensorProto_DataType_UNDEFINED)
    return Type();
  Type elementType = getElementTypeOfONNX(tensorType.elem_type(), *context);
  if (!elementType)
    return emitError(fileLoc) << what << ": unsupported element type "
                              << getONNXDataTypeName(tensorType.elem_type());
  if (!tensorType.has_shape())
    return Type(UnrankedTensorType::get(elementType));
  SmallVector<int64_t> shape;
  bool hasDimParams = false;
  Builder builder(context);
  SmallVector<Attribute> names;
  for (const ::onnx::TensorShapeProto_Dimension &dim :
       tensorType.shape().dim()) {
    if (dim.has_dim_value() && dim.dim_value() < 0)
      return emitError(fileLoc)
             << what << ": negative dimension " << dim.dim_value();
    shape.push_back(dim.has_dim_value() ? dim.dim_value()
                                        : ShapedType::kDynamic);
    hasDimParams |= dim.has_dim_param();
    names.push_back(builder.getStringAttr(dim.dim_param()));
  }
  if (dimParams && hasDimParams)
    dimParams->assign(names.begin(), names.end());
  return Type(RankedTensorType::get(shape, elementType));
}

LogicalResult GraphImporter::importNode(::onnx::NodeProto &node, int index,
                                        OpBuilder &builder) {
  MLIRContext *context = builder.getContext();
  llvm::StringRef domain = normalizeDomain(node.domain());

  SmallVector<Value> operands;
  for (const std::string &input : node.input()) {
    if (!input.empty()) {
      operands.push_back(values.lookup(input));
      continue;
    }
    if (!noneValue) {
      OpBuilder::InsertionGuard guard(builder);
      builder.setInsertionPointToStart(builder.getInsertionBlock());
      noneValue = awq::onnx::NoneOp::create(builder, fileLoc).getResult();
    }
    operands.push_back(noneValue);
  }

  NamedAttrList attributes;
  for (::onnx::AttributeProto &attribute : *node.mutable_attribute()) {
    if (attribute.name().empty())
      return emitError(fileLoc)
             << describeNode(index) << ": an attribute has no name";
    llvm::Expected<Attribute> value =
        importNodeAttribute(attribute, tensors, *context);
    if (!value)
      return emitError(fileLoc)
             << describeNode(index) << ": attribute '" << attribute.name()
             << "': " << llvm::toString(value.takeError());
    if (attributes.set(attribute.name(), *value))
      return emitError(fileLoc) << describeNode(index) << ": duplicate "
                                << "attribute '" << attribute.name() << "'";
  }

  SmallVector<Type> resultTypes;
  for (const std::string &output : node.output()) {
    Type type;
    if (const ::onnx::TypeProto *declared = declaredTypes.lookup(output)) {
      FailureOr<Type> imported = importValueType(
          *declared, describeNode(index) + ": output '" + output + "'",
          /*dimParams=*/nullptr);
      if (failed(imported))
        return failure();
      type = *imported;
    }
    resultTypes.push_back(type ? type : builder.getNoneType());
  }

  Location loc = NameLoc::get(
      builder.getStringAttr(node.name().empty() ? node.op_type() : node.name()),
      fileLoc);
  auto op = awq::onnx::NodeOp::create(
      builder, loc, resultTypes, operands,
      builder.getStringAttr(node.op_type()), builder.getStringAttr(domain),
      builder.getI64IntegerAttr(opsets.lookup(domain)),
      node.name().empty() ? StringAttr() : builder.getStringAttr(node.name()),
      attributes.empty() ? DictionaryAttr()
                         : attributes.getDictionary(context));
  for (auto [output, result] : llvm::zip(node.output(), op.getOutputs()))
    if (!output.empty())
      values[output] = result;
  return success();
}

LogicalResult GraphImporter::importInto(ModuleOp module) {
  MLIRContext *context = module.getContext();
  Builder builder(context);

  // Types the model declares (shape inference added its findings to
  // value_info); graph outputs come last so theirs win.
  for (const ::onnx::ValueInfoProto &info : graph.value_info())
    declaredTypes[info.name()] = &info.type();
  for (const ::onnx::ValueInfoProto &info : graph.output())
    declaredTypes[info.name()] = &info.type();

  auto function =
      func::FuncOp::create(fileLoc, getFunctionName(graph.name()),
                           builder.getFunctionType(argumentTypes, {}));
  module.push_back(function);
  Block *body = function.addEntryBlock();
  OpBuilder bodyBuilder = OpBuilder::atBlockBegin(body);
  for (auto [name, argument] : llvm::zip(argumentNames, body->getArguments()))
    values[name] = argument;

  for (::onnx::TensorProto &initializer : *graph.mutable_initializer()) {
    std::string name = initializer.name();
    bool isExternal = initializer.data_location() ==
                      ::onnx::TensorProto_DataLocation_EXTERNAL;
    llvm::Expected<ElementsAttr> value = tensors.importTensor(initializer);
    if (!value)
      return emitError(fileLoc) << "initializer '" << name
                                << "': " << llvm::toString(value.takeError());
    auto op =
        awq::onnx::InitializerOp::create(bodyBuilder, fileLoc, name, *value);
    // Export writes such weights as external data again.
    if (isExternal)
      op->setAttr(kExternalDataAttrName, builder.getUnitAttr());
    values[name] = op.getResult();
  }

  for (int index : nodeOrder)
    if (failed(importNode(*graph.mutable_node(index), index, bodyBuilder)))
      return failure();

  SmallVector<Value> results;
  SmallVector<Attribute> outputNames;
  SmallVector<DictionaryAttr> resultAttrs;
  bool anyResultAttrs = false;
  for (const ::onnx::ValueInfoProto &output : graph.output()) {
    results.push_back(values.lookup(output.name()));
    outputNames.push_back(builder.getStringAttr(output.name()));
    SmallVector<Attribute> dimParams;
    if (failed(importValueType(
            output.type(), "graph output '" + output.name() + "'", &dimParams)))
      return failure();
    anyResultAttrs |= !dimParams.empty();
    resultAttrs.push_back(
        dimParams.empty()
            ? builder.getDictionaryAttr({})
            : builder.getDictionaryAttr(builder.getNamedAttr(
                  kDimParamsAttrName, builder.getArrayAttr(dimParams))));
  }
  func::ReturnOp::create(bodyBuilder, fileLoc, results);

  function.setFunctionType(
      builder.getFunctionType(argumentTypes, ValueRange(results).getTypes()));
  function.setAllArgAttrs(argumentAttrs);
  if (anyResultAttrs)
    function.setAllResultAttrs(resultAttrs);
  function->setAttr(kOutputNamesAttrName, builder.getArrayAttr(outputNames));
  if (!graph.name().empty())
    function->setAttr(kGraphNameAttrName, builder.getStringAttr(graph.name()));
  return success();
}
