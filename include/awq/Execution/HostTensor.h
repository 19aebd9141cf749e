//===- HostTensor.h - A CPU tensor handed to the runtime --------*- C++ -*-===//
//
// A dense row-major tensor in host memory: an `awq_tensor` descriptor (what
// the runtime's C ABI takes) plus shared ownership of its bytes. Copies share
// the bytes; the memory goes away with the last copy, which is how the
// executor releases dead intermediates. A tensor may also borrow memory it
// does not own (a weight inside a memory-mapped model), keeping its owner
// alive through `keepAlive`.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_EXECUTION_HOSTTENSOR_H
#define AWQ_EXECUTION_HOSTTENSOR_H

#include "awq_runtime.h"

#include "llvm/ADT/ArrayRef.h"

#include <memory>

namespace awq {

class HostTensor {
public:
  HostTensor() = default;

  /// A new tensor of `dtype` and `shape`, 64-byte aligned, contents undefined.
  static HostTensor allocate(awq_dtype dtype, llvm::ArrayRef<int64_t> shape);
  /// A new tensor with the dtype and shape of `descriptor`.
  static HostTensor allocateLike(const awq_tensor &descriptor);
  /// A tensor over memory it does not own; `keepAlive` (may be null) is held
  /// for as long as the tensor or any copy of it lives.
  static HostTensor borrow(const void *data, awq_dtype dtype,
                           llvm::ArrayRef<int64_t> shape,
                           std::shared_ptr<const void> keepAlive);

  bool isNull() const { return descriptor.data == nullptr && !storage; }
  const awq_tensor &desc() const { return descriptor; }
  /// The descriptor for writing; the runtime writes outputs through it.
  awq_tensor *mutableDesc() { return &descriptor; }

  awq_dtype dtype() const { return static_cast<awq_dtype>(descriptor.dtype); }
  int64_t rank() const { return descriptor.rank; }
  llvm::ArrayRef<int64_t> shape() const {
    return {descriptor.shape, static_cast<size_t>(descriptor.rank)};
  }
  int64_t numElements() const;
  size_t byteSize() const;

  const void *rawData() const { return descriptor.data; }
  void *mutableRawData() { return descriptor.data; }
  template <typename T> llvm::ArrayRef<T> values() const {
    return {static_cast<const T *>(descriptor.data),
            static_cast<size_t>(numElements())};
  }
  template <typename T> llvm::MutableArrayRef<T> mutableValues() {
    return {static_cast<T *>(descriptor.data),
            static_cast<size_t>(numElements())};
  }

  /// The same bytes seen with another shape of the same element count.
  HostTensor reshaped(llvm::ArrayRef<int64_t> newShape) const;
  /// A deep copy that owns its memory.
  HostTensor clone() const;

private:
  std::shared_ptr<const void> storage;
  awq_tensor descriptor{nullptr, 0, 0, {}};
};

} // namespace awq

#endif // AWQ_EXECUTION_HOSTTENSOR_H
