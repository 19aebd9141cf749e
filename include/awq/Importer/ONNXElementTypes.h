//===- ONNXElementTypes.h - ONNX data types <-> MLIR types ------*- C++ -*-===//
//
// The one table mapping ONNX `TensorProto.DataType` codes to MLIR element
// types, shared by the importer and the exporter.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_IMPORTER_ONNXELEMENTTYPES_H
#define AWQ_IMPORTER_ONNXELEMENTTYPES_H

#include "mlir/IR/Types.h"

#include <cstdint>
#include <optional>
#include <string>

namespace awq {

/// The MLIR element type of ONNX data type `dataType`, or null when awq does
/// not support it (strings, complex numbers, 8-bit and 4-bit floats, 4-bit
/// integers). Signed integers become signless (`i8`), unsigned ones `ui8`...
mlir::Type getElementTypeOfONNX(int32_t dataType, mlir::MLIRContext &context);

/// The ONNX data type code of MLIR element type `type`, if it has one.
std::optional<int32_t> getONNXDataType(mlir::Type type);

/// The name of ONNX data type `dataType` for messages ("FLOAT16", "STRING"),
/// or its number when it is not one libonnx knows.
std::string getONNXDataTypeName(int32_t dataType);

/// Bytes one element of `type` takes in ONNX `raw_data` (booleans take one).
int64_t getONNXElementByteWidth(mlir::Type type);

} // namespace awq

#endif // AWQ_IMPORTER_ONNXELEMENTTYPES_H
