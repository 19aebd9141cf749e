//===- TensorImporter.cpp - ONNX TensorProto -> elements attribute --------===//

#include "TensorImporter.h"

#include "awq/Importer/ONNXElementTypes.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MathExtras.h"

#include <onnx/onnx_pb.h>

#include <cstring>

using namespace mlir;
using namespace awq;
using llvm::createStringError;
using llvm::inconvertibleErrorCode;

/// Bytes of a tensor whose storage is owned by something else (a mapped file,
/// a string moved out of the protobuf) that `owner` keeps alive.
struct OwnedBytes {
  ArrayRef<char> bytes;
  std::shared_ptr<const void> owner;
};

/// A resource key for tensor `name`: identifier characters only, so that the
/// printed `dense_resource<...>` parses back.
static std::string getBlobKey(llvm::StringRef name) {
  std::string key = name.empty() ? "tensor" : name.str();
  for (char &c : key)
    if (!llvm::isAlnum(c) && c != '_' && c != '.')
      c = '_';
  if (!llvm::isAlpha(key.front()) && key.front() != '_')
    key.insert(0, "t_");
  return key;
}

/// Packs the typed-field values of `field` (float_data, int32_data, ...) into
/// `byteWidth`-byte little-endian elements, as `raw_data` would hold them.
/// Narrow types (fp16, bf16, int8, bool...) keep their bits in the low bytes
/// of `int32_data`.
template <typename Field>
static std::vector<char> packTypedField(const Field &field, int64_t byteWidth) {
  std::vector<char> packed(field.size() * byteWidth);
  char *out = packed.data();
  for (auto value : field) {
    using Value = decltype(value);
    if constexpr (std::is_floating_point_v<Value>) {
      std::memcpy(out, &value, sizeof(Value));
    } else {
      uint64_t bits = static_cast<uint64_t>(value);
      std::memcpy(out, &bits, byteWidth);
    }
    out += byteWidth;
  }
  return packed;
}

/// The values of `tensor` held in its typed field, packed like `raw_data`.
static llvm::Expected<std::vector<char>>
packTypedData(const ::onnx::TensorProto &tensor, int64_t byteWidth,
              uint64_t numElements) {
  std::vector<char> packed;
  int fieldSize = 0;
  switch (tensor.data_type()) {
  case ::onnx::TensorProto_DataType_FLOAT:
    fieldSize = tensor.float_data_size();
    packed = packTypedField(tensor.float_data(), byteWidth);
    break;
  case ::onnx::TensorProto_DataType_DOUBLE:
    fieldSize = tensor.double_data_size();
    packed = packTypedField(tensor.double_data(), byteWidth);
    break;
  case ::onnx::TensorProto_DataType_INT64:
    fieldSize = tensor.int64_data_size();
    packed = packTypedField(tensor.int64_data(), byteWidth);
    break;
  case ::onnx::TensorProto_DataType_UINT32:
  case ::onnx::TensorProto_DataType_UINT64:
    fieldSize = tensor.uint64_data_size();
    packed = packTypedField(tensor.uint64_data(), byteWidth);
    break;
  default:
    fieldSize = tensor.int32_data_size();
    packed = packTypedField(tensor.int32_data(), byteWidth);
    break;
  }
  if (static_cast<uint64_t>(fieldSize) != numElements)
    return createStringError(
        inconvertibleErrorCode(),
        "its typed data holds %d values but its shape needs %llu", fieldSize,
        (unsigned long long)numElements);
  return packed;
}

/// A plain dense attribute (a copy) for small tensors, otherwise a resource
/// blob that points at `data` and keeps its owner alive.
static ElementsAttr makeElementsAttr(RankedTensorType type,
                                     llvm::StringRef name, OwnedBytes data,
                                     int64_t maxInlineElements) {
  Type elementType = type.getElementType();
  if (type.getNumElements() <= maxInlineElements) {
    if (elementType.isInteger(1)) {
      SmallVector<bool> values(
          llvm::map_range(data.bytes, [](char byte) { return byte != 0; }));
      return DenseElementsAttr::get(type, values);
    }
    return DenseElementsAttr::getFromRawBuffer(type, data.bytes);
  }
  size_t alignment = getONNXElementByteWidth(elementType);
  AsmResourceBlob blob;
  if (reinterpret_cast<uintptr_t>(data.bytes.data()) % alignment == 0) {
    blob = UnmanagedAsmResourceBlob::allocateWithAlign(
        data.bytes, alignment,
        [owner = std::move(data.owner)](void *, size_t, size_t) {});
  } else {
    // External data at an offset that is not a multiple of the element size:
    // the only case where the importer copies weights, to align them.
    blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(data.bytes, alignment);
  }
  return DenseResourceElementsAttr::get(type, getBlobKey(name),
                                        std::move(blob));
}

llvm::Expected<ElementsAttr>
TensorImporter::importTensor(::onnx::TensorProto &tensor) {
  Type elementType = getElementTypeOfONNX(tensor.data_type(), context);
  if (!elementType)
    return createStringError(inconvertibleErrorCode(),
                             "unsupported element type %s",
                             getONNXDataTypeName(tensor.data_type()).c_str());
  int64_t byteWidth = getONNXElementByteWidth(elementType);
  SmallVector<int64_t> shape;
  int64_t numBytes = byteWidth;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0)
      return createStringError(inconvertibleErrorCode(),
                               "negative dimension %lld", (long long)dim);
    if (llvm::MulOverflow(numBytes, dim, numBytes))
      return createStringError(inconvertibleErrorCode(),
                               "its size overflows 64 bits");
    shape.push_back(dim);
  }
  auto type = RankedTensorType::get(shape, elementType);
  uint64_t numElements = type.getNumElements();

  OwnedBytes data;
  if (tensor.data_location() == ::onnx::TensorProto_DataLocation_EXTERNAL) {
    llvm::Expected<ExternalDataSlice> slice =
        externalData.getSlice(tensor, numBytes);
    if (!slice)
      return slice.takeError();
    data = {slice->bytes, slice->mapping};
  } else if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() != static_cast<uint64_t>(numBytes))
      return createStringError(
          inconvertibleErrorCode(),
          "raw_data holds %zu bytes but its shape needs %lld",
          tensor.raw_data().size(), (long long)numBytes);
    // Moving the string hands its heap buffer over without copying it.
    auto owner =
        std::make_shared<std::string>(std::move(*tensor.mutable_raw_data()));
    tensor.clear_raw_data();
    data = {ArrayRef<char>(owner->data(), owner->size()), owner};
  } else {
    llvm::Expected<std::vector<char>> packed =
        packTypedData(tensor, byteWidth, numElements);
    if (!packed)
      return packed.takeError();
    auto owner = std::make_shared<std::vector<char>>(std::move(*packed));
    data = {ArrayRef<char>(owner->data(), owner->size()), owner};
  }
  return makeElementsAttr(type, tensor.name(), std::move(data),
                          maxInlineElements);
}
