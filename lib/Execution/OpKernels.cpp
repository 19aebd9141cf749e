//===- OpKernels.cpp - Shared pieces of the executor's op kernels ---------===//

#include "OpKernels.h"

#include "awq/Execution/Executor.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstring>

using namespace mlir;

namespace awq {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Expected<HostTensor>
callRuntime(llvm::function_ref<awq_status(awq_tensor *)> shapeFn,
            llvm::function_ref<awq_status(awq_tensor *)> computeFn) {
  awq_tensor described{nullptr, 0, 0, {}};
  if (shapeFn(&described) != 0)
    return makeError(awq_last_error());
  HostTensor result = HostTensor::allocateLike(described);
  if (computeFn(result.mutableDesc()) != 0)
    return makeError(awq_last_error());
  return result;
}

llvm::Expected<HostTensor> callUnary(awq_unary_op kind, const awq_tensor *x) {
  return callRuntime(
      [&](awq_tensor *out) { return awq_unary_shape(kind, x, out); },
      [&](awq_tensor *out) { return awq_unary(kind, x, out); });
}

llvm::Expected<TensorList> singleResult(llvm::Expected<HostTensor> tensor) {
  if (!tensor)
    return tensor.takeError();
  TensorList results;
  results.push_back(std::move(*tensor));
  return results;
}

llvm::Expected<HostTensor> tensorFromElements(ElementsAttr elements) {
  auto type = dyn_cast<RankedTensorType>(elements.getType());
  if (!type || !type.hasStaticShape())
    return makeError("constant has no static shape");
  std::optional<awq_dtype> dtype = getRuntimeDType(type.getElementType());
  if (!dtype)
    return makeError(llvm::formatv("constants of element type {0} are not "
                                   "supported by the runtime",
                                   type.getElementType()));
  ArrayRef<int64_t> shape = type.getShape();
  size_t expectedBytes = type.getNumElements() * awq_dtype_size(*dtype);

  if (auto resource = dyn_cast<DenseResourceElementsAttr>(elements)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return makeError("the constant's resource blob is not loaded (was it "
                       "elided when the IR was printed?)");
    ArrayRef<char> bytes = blob->getData();
    if (bytes.size() != expectedBytes)
      return makeError(llvm::formatv(
          "resource blob holds {0} bytes, its type needs {1}", bytes.size(),
          expectedBytes));
    // The blob lives as long as the MLIRContext: borrow it.
    return HostTensor::borrow(bytes.data(), *dtype, shape, nullptr);
  }

  auto dense = dyn_cast<DenseElementsAttr>(elements);
  if (!dense)
    return makeError("unsupported kind of constant attribute");
  if (*dtype == AWQ_BOOL) {
    // MLIR packs i1 elements as bits; the runtime uses one byte per bool.
    HostTensor tensor = HostTensor::allocate(*dtype, shape);
    llvm::MutableArrayRef<uint8_t> out = tensor.mutableValues<uint8_t>();
    for (auto [index, bit] : llvm::enumerate(dense.getValues<bool>()))
      out[index] = bit;
    return tensor;
  }
  ArrayRef<char> raw = dense.getRawData();
  if (dense.isSplat()) {
    HostTensor tensor = HostTensor::allocate(*dtype, shape);
    size_t elementBytes = awq_dtype_size(*dtype);
    auto *out = static_cast<char *>(tensor.mutableRawData());
    for (int64_t i = 0, e = tensor.numElements(); i < e; ++i)
      std::memcpy(out + i * elementBytes, raw.data(), elementBytes);
    return tensor;
  }
  if (raw.size() != expectedBytes)
    return makeError("dense constant has an unexpected byte size");
  // Attributes are uniqued in (and owned by) the MLIRContext: borrow them.
  return HostTensor::borrow(raw.data(), *dtype, shape, nullptr);
}

} // namespace awq
