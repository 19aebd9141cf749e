// HostBuffer.cpp - host memory that only grows (ModelBackend.h): the planned
// buffers of the CPU library, the host half of a CUDA library's, and kept
// (carried) tensors.
#include "ModelBackend.h"

#include <cstdlib>

namespace awq::rt {

HostBuffer::~HostBuffer() { std::free(data); }

void *HostBuffer::reserve(size_t bytes) {
  if (data && bytes <= capacity)
    return data;
  const size_t newCapacity = roundedCapacity(bytes, capacity);
  void *newData = std::aligned_alloc(64, newCapacity);
  if (!newData)
    return nullptr;
  std::free(data);
  data = newData;
  capacity = newCapacity;
  return data;
}

} // namespace awq::rt
