//===- AttributeImporter.cpp - ONNX node attributes -> MLIR ---------------===//

#include "AttributeImporter.h"

#include "TensorImporter.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <onnx/onnx_pb.h>

using namespace mlir;
using namespace awq;
using llvm::createStringError;
using llvm::inconvertibleErrorCode;

llvm::Expected<Attribute>
awq::importNodeAttribute(::onnx::AttributeProto &attribute,
                         TensorImporter &tensors, MLIRContext &context) {
  Builder builder(&context);
  switch (attribute.type()) {
  case ::onnx::AttributeProto_AttributeType_INT:
    return builder.getI64IntegerAttr(attribute.i());
  case ::onnx::AttributeProto_AttributeType_FLOAT:
    return builder.getF32FloatAttr(attribute.f());
  case ::onnx::AttributeProto_AttributeType_STRING:
    return builder.getStringAttr(attribute.s());
  case ::onnx::AttributeProto_AttributeType_INTS:
    return builder.getDenseI64ArrayAttr(
        SmallVector<int64_t>(attribute.ints().begin(), attribute.ints().end()));
  case ::onnx::AttributeProto_AttributeType_FLOATS:
    return builder.getDenseF32ArrayAttr(SmallVector<float>(
        attribute.floats().begin(), attribute.floats().end()));
  case ::onnx::AttributeProto_AttributeType_STRINGS:
    return builder.getArrayAttr(llvm::to_vector(
        llvm::map_range(attribute.strings(), [&](const std::string &s) {
          return Attribute(builder.getStringAttr(s));
        })));
  case ::onnx::AttributeProto_AttributeType_TENSOR: {
    llvm::Expected<ElementsAttr> value =
        tensors.importTensor(*attribute.mutable_t());
    if (!value)
      return value.takeError();
    return Attribute(*value);
  }
  case ::onnx::AttributeProto_AttributeType_GRAPH:
  case ::onnx::AttributeProto_AttributeType_GRAPHS:
    return createStringError(
        inconvertibleErrorCode(),
        "subgraphs (If/Loop/Scan bodies) are not supported");
  case ::onnx::AttributeProto_AttributeType_UNDEFINED:
    return createStringError(inconvertibleErrorCode(),
                             "attribute type is missing");
  default:
    return createStringError(
        inconvertibleErrorCode(), "unsupported attribute kind %s",
        ::onnx::AttributeProto_AttributeType_Name(attribute.type()).c_str());
  }
}
