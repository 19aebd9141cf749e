//===- ONNXDialect.cpp - The onnx import dialect and its ops --------------===//

#include "awq/Dialect/ONNX/ONNXDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace awq::onnx;

#include "awq/Dialect/ONNX/ONNXDialect.cpp.inc"

void ONNXDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "awq/Dialect/ONNX/ONNXOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// NodeOp
//===----------------------------------------------------------------------===//

LogicalResult NodeOp::verify() {
  if (getOpType().empty())
    return emitOpError("op_type must not be empty");
  if (getOpset() < 1)
    return emitOpError("opset must be positive, got ") << getOpset();
  return success();
}

Attribute NodeOp::getOnnxAttr(StringRef attrName) {
  if (DictionaryAttr attrs = getAttrsAttr())
    return attrs.get(attrName);
  return nullptr;
}

int64_t NodeOp::getIntAttr(StringRef attrName, int64_t defaultValue) {
  if (auto attr = llvm::dyn_cast_if_present<IntegerAttr>(getOnnxAttr(attrName)))
    return attr.getInt();
  return defaultValue;
}

float NodeOp::getFloatAttr(StringRef attrName, float defaultValue) {
  if (auto attr = llvm::dyn_cast_if_present<FloatAttr>(getOnnxAttr(attrName)))
    return attr.getValueAsDouble();
  return defaultValue;
}

StringRef NodeOp::getStringAttr(StringRef attrName, StringRef defaultValue) {
  if (auto attr = llvm::dyn_cast_if_present<StringAttr>(getOnnxAttr(attrName)))
    return attr.getValue();
  return defaultValue;
}

std::optional<ArrayRef<int64_t>> NodeOp::getIntsAttr(StringRef attrName) {
  if (auto attr =
          llvm::dyn_cast_if_present<DenseI64ArrayAttr>(getOnnxAttr(attrName)))
    return attr.asArrayRef();
  return std::nullopt;
}

bool NodeOp::hasInput(unsigned index) {
  return index < getInputs().size() &&
         !llvm::isa<NoneType>(getInputs()[index].getType());
}

//===----------------------------------------------------------------------===//
// InitializerOp
//===----------------------------------------------------------------------===//

LogicalResult InitializerOp::inferReturnTypes(
    MLIRContext *, std::optional<Location>, ValueRange,
    DictionaryAttr attributes, OpaqueProperties properties, RegionRange,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  auto *props = properties.as<Properties *>();
  Attribute value = props ? props->value : attributes.get("value");
  auto elements = llvm::dyn_cast_if_present<ElementsAttr>(value);
  if (!elements)
    return failure();
  inferredReturnTypes.push_back(elements.getType());
  return success();
}

OpFoldResult InitializerOp::fold(FoldAdaptor) { return getValue(); }

#define GET_OP_CLASSES
#include "awq/Dialect/ONNX/ONNXOps.cpp.inc"
