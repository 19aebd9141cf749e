//===- ONNXElementTypes.cpp - ONNX data types <-> MLIR types --------------===//

#include "awq/Importer/ONNXElementTypes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"

#include <onnx/onnx_pb.h>

using namespace mlir;

Type awq::getElementTypeOfONNX(int32_t dataType, MLIRContext &context) {
  Builder builder(&context);
  switch (dataType) {
  case ::onnx::TensorProto_DataType_FLOAT:
    return builder.getF32Type();
  case ::onnx::TensorProto_DataType_FLOAT16:
    return builder.getF16Type();
  case ::onnx::TensorProto_DataType_BFLOAT16:
    return builder.getBF16Type();
  case ::onnx::TensorProto_DataType_DOUBLE:
    return builder.getF64Type();
  case ::onnx::TensorProto_DataType_BOOL:
    return builder.getI1Type();
  case ::onnx::TensorProto_DataType_INT8:
    return builder.getIntegerType(8);
  case ::onnx::TensorProto_DataType_INT16:
    return builder.getIntegerType(16);
  case ::onnx::TensorProto_DataType_INT32:
    return builder.getIntegerType(32);
  case ::onnx::TensorProto_DataType_INT64:
    return builder.getIntegerType(64);
  case ::onnx::TensorProto_DataType_UINT8:
    return builder.getIntegerType(8, /*isSigned=*/false);
  case ::onnx::TensorProto_DataType_UINT16:
    return builder.getIntegerType(16, /*isSigned=*/false);
  case ::onnx::TensorProto_DataType_UINT32:
    return builder.getIntegerType(32, /*isSigned=*/false);
  case ::onnx::TensorProto_DataType_UINT64:
    return builder.getIntegerType(64, /*isSigned=*/false);
  default:
    return nullptr;
  }
}

std::optional<int32_t> awq::getONNXDataType(Type type) {
  if (type.isF32())
    return ::onnx::TensorProto_DataType_FLOAT;
  if (type.isF16())
    return ::onnx::TensorProto_DataType_FLOAT16;
  if (type.isBF16())
    return ::onnx::TensorProto_DataType_BFLOAT16;
  if (type.isF64())
    return ::onnx::TensorProto_DataType_DOUBLE;
  auto integer = llvm::dyn_cast<IntegerType>(type);
  if (!integer)
    return std::nullopt;
  if (integer.getWidth() == 1 && integer.isSignless())
    return ::onnx::TensorProto_DataType_BOOL;
  if (integer.isSigned())
    return std::nullopt;
  bool isUnsigned = integer.isUnsigned();
  switch (integer.getWidth()) {
  case 8:
    return isUnsigned ? ::onnx::TensorProto_DataType_UINT8
                      : ::onnx::TensorProto_DataType_INT8;
  case 16:
    return isUnsigned ? ::onnx::TensorProto_DataType_UINT16
                      : ::onnx::TensorProto_DataType_INT16;
  case 32:
    return isUnsigned ? ::onnx::TensorProto_DataType_UINT32
                      : ::onnx::TensorProto_DataType_INT32;
  case 64:
    return isUnsigned ? ::onnx::TensorProto_DataType_UINT64
                      : ::onnx::TensorProto_DataType_INT64;
  default:
    return std::nullopt;
  }
}

std::string awq::getONNXDataTypeName(int32_t dataType) {
  if (::onnx::TensorProto_DataType_IsValid(dataType))
    return ::onnx::TensorProto_DataType_Name(
        static_cast<::onnx::TensorProto_DataType>(dataType));
  return "data type " + std::to_string(dataType);
}

int64_t awq::getONNXElementByteWidth(Type type) {
  return std::max<int64_t>(1, type.getIntOrFloatBitWidth() / 8);
}
