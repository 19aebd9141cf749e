//===- TensorExporter.cpp - Elements attribute -> ONNX tensor bytes -------===//

#include "TensorExporter.h"

#include "awq/Importer/ONNXElementTypes.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <onnx/onnx_pb.h>

using namespace mlir;
using llvm::createStringError;
using llvm::inconvertibleErrorCode;

llvm::Error awq::setONNXTensorType(ElementsAttr value,
                                   ::onnx::TensorProto &tensor) {
  ShapedType type = value.getShapedType();
  std::optional<int32_t> dataType = getONNXDataType(type.getElementType());
  if (!dataType)
    return createStringError(inconvertibleErrorCode(),
                             "has an element type ONNX cannot hold");
  tensor.set_data_type(*dataType);
  for (int64_t dim : type.getShape())
    tensor.add_dims(dim);
  return llvm::Error::success();
}

llvm::Expected<ArrayRef<char>> awq::getONNXRawBytes(ElementsAttr value,
                                                    std::string &storage) {
  ShapedType type = value.getShapedType();
  int64_t numElements = type.getNumElements();
  if (auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return createStringError(
          inconvertibleErrorCode(),
          "has no data (was the IR printed with elided resources?)");
    return blob->getData();
  }
  auto dense = llvm::dyn_cast<DenseElementsAttr>(value);
  if (!dense)
    return createStringError(inconvertibleErrorCode(),
                             "is neither a dense nor a resource attribute");
  if (type.getElementType().isInteger(1)) {
    storage.clear();
    for (bool element : dense.getValues<bool>())
      storage.push_back(element ? 1 : 0);
    return ArrayRef<char>(storage.data(), storage.size());
  }
  ArrayRef<char> raw = dense.getRawData();
  if (!dense.isSplat())
    return raw;
  storage.clear();
  storage.reserve(raw.size() * numElements);
  for (int64_t i = 0; i < numElements; ++i)
    storage.append(raw.data(), raw.size());
  return ArrayRef<char>(storage.data(), storage.size());
}
