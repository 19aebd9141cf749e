//===- HostTensor.cpp - A CPU tensor handed to the runtime ----------------===//

#include "awq/Execution/HostTensor.h"

#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/MathExtras.h"

#include <cstdlib>
#include <cstring>

using namespace awq;

/// Fills the descriptor's dtype, rank and shape.
static awq_tensor makeDescriptor(const void *data, awq_dtype dtype,
                                 llvm::ArrayRef<int64_t> shape) {
  if (shape.size() > AWQ_MAX_RANK)
    llvm::report_fatal_error("tensor rank exceeds AWQ_MAX_RANK");
  awq_tensor descriptor{const_cast<void *>(data), dtype,
                        static_cast<int32_t>(shape.size()), {}};
  std::copy(shape.begin(), shape.end(), descriptor.shape);
  return descriptor;
}

HostTensor HostTensor::allocate(awq_dtype dtype, llvm::ArrayRef<int64_t> shape) {
  HostTensor tensor;
  tensor.descriptor = makeDescriptor(nullptr, dtype, shape);
  // 64-byte alignment suits every SIMD width the kernels use; aligned_alloc
  // wants a size that is a multiple of the alignment (and non-zero).
  size_t bytes = llvm::alignTo(std::max<size_t>(tensor.byteSize(), 1), 64);
  void *memory = std::aligned_alloc(64, bytes);
  if (!memory)
    llvm::report_fatal_error("out of memory allocating a tensor");
  tensor.storage = std::shared_ptr<const void>(memory, std::free);
  tensor.descriptor.data = memory;
  return tensor;
}

HostTensor HostTensor::allocateLike(const awq_tensor &descriptor) {
  return allocate(static_cast<awq_dtype>(descriptor.dtype),
                  {descriptor.shape, static_cast<size_t>(descriptor.rank)});
}

HostTensor HostTensor::borrow(const void *data, awq_dtype dtype,
                              llvm::ArrayRef<int64_t> shape,
                              std::shared_ptr<const void> keepAlive) {
  HostTensor tensor;
  tensor.descriptor = makeDescriptor(data, dtype, shape);
  tensor.storage = std::move(keepAlive);
  return tensor;
}

int64_t HostTensor::numElements() const {
  return awq_tensor_numel(&descriptor);
}

size_t HostTensor::byteSize() const {
  return static_cast<size_t>(numElements()) *
         awq_dtype_size(descriptor.dtype);
}

HostTensor HostTensor::reshaped(llvm::ArrayRef<int64_t> newShape) const {
  HostTensor view = *this;
  view.descriptor = makeDescriptor(descriptor.data, dtype(), newShape);
  return view;
}

HostTensor HostTensor::clone() const {
  HostTensor copy = allocate(dtype(), shape());
  if (byteSize())
    std::memcpy(copy.mutableRawData(), rawData(), byteSize());
  return copy;
}
