//===- TensorExporter.h - Elements attribute -> ONNX bytes -----*- C++ -*-===//

#ifndef AWQ_LIB_EXPORTER_TENSOREXPORTER_H
#define AWQ_LIB_EXPORTER_TENSOREXPORTER_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "llvm/Support/Error.h"

#include <string>

namespace onnx {
class TensorProto;
} // namespace onnx

namespace awq {

/// The bytes of `value` in ONNX `raw_data` layout (little-endian, one byte per
/// boolean). Resource blobs are referenced, not copied; only dense attributes
/// (small, or splats) are expanded into `storage`.
llvm::Expected<llvm::ArrayRef<char>> getONNXRawBytes(mlir::ElementsAttr value,
                                                     std::string &storage);

/// Fills the data type and dims of `tensor` from `value`'s type.
llvm::Error setONNXTensorType(mlir::ElementsAttr value,
                              ::onnx::TensorProto &tensor);

} // namespace awq

#endif // AWQ_LIB_EXPORTER_TENSOREXPORTER_H
