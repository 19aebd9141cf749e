// NodeReader.cpp - bounds-checked decoding of the serialized node format of awq_node.h.
#include "NodeReader.h"

#include "../ByteReader.h"
#include "../RuntimeInternal.h"

#include <cstring>

namespace awq::rt {

namespace {

// The header of a TENSOR payload, checked for consistency.
struct TensorHeader {
  int32_t dtype = 0;
  int32_t rank = 0;
  int64_t shape[AWQ_MAX_RANK] = {};
  uint64_t byteCount = 0;
};

TensorHeader readTensorHeader(Cursor &cursor, std::string_view attribute) {
  TensorHeader header;
  header.dtype = cursor.readI32("tensor dtype");
  if (awq_dtype_size(header.dtype) == 0)
    raise("corrupt node: tensor attribute '%s' has invalid dtype %d", std::string(attribute).c_str(),
          header.dtype);
  header.rank = cursor.readI32("tensor rank");
  if (header.rank < 0 || header.rank > AWQ_MAX_RANK)
    raise("corrupt node: tensor attribute '%s' has rank %d, outside [0, %d]", std::string(attribute).c_str(),
          header.rank, AWQ_MAX_RANK);
  // The element count is bounded by the bytes that must follow, which keeps
  // the product from overflowing.
  uint64_t numel = 1;
  for (int32_t i = 0; i < header.rank; ++i) {
    header.shape[i] = cursor.readI64("tensor dims");
    if (header.shape[i] < 0)
      raise("corrupt node: tensor attribute '%s' has negative dim %lld", std::string(attribute).c_str(),
            static_cast<long long>(header.shape[i]));
    if (header.shape[i] != 0 && numel > UINT32_MAX / static_cast<uint64_t>(header.shape[i]))
      raise("corrupt node: tensor attribute '%s' is larger than a node can hold",
            std::string(attribute).c_str());
    numel *= static_cast<uint64_t>(header.shape[i]);
  }
  header.byteCount = cursor.readUnsigned(8, "tensor byte count");
  if (header.byteCount != numel * awq_dtype_size(header.dtype))
    raise("corrupt node: tensor attribute '%s' holds %llu bytes, its shape needs %llu",
          std::string(attribute).c_str(), static_cast<unsigned long long>(header.byteCount),
          static_cast<unsigned long long>(numel * awq_dtype_size(header.dtype)));
  return header;
}

// Moves the cursor past one attribute's payload (checking it on the way).
void skipPayload(Cursor &cursor, int kind, std::string_view attribute) {
  switch (kind) {
  case AWQ_ATTRIBUTE_INT: cursor.take(8, "INT value"); return;
  case AWQ_ATTRIBUTE_FLOAT: cursor.take(4, "FLOAT value"); return;
  case AWQ_ATTRIBUTE_STRING: cursor.readString("STRING value"); return;
  case AWQ_ATTRIBUTE_INTS:
    cursor.take(uint64_t{8} * cursor.readU32("INTS count"), "INTS values");
    return;
  case AWQ_ATTRIBUTE_FLOATS:
    cursor.take(uint64_t{4} * cursor.readU32("FLOATS count"), "FLOATS values");
    return;
  case AWQ_ATTRIBUTE_TENSOR:
    cursor.take(readTensorHeader(cursor, attribute).byteCount, "tensor bytes");
    return;
  default: raise("corrupt node: attribute '%s' has unknown kind %d", std::string(attribute).c_str(), kind);
  }
}

} // namespace

const char *attributeKindName(int kind) {
  switch (kind) {
  case AWQ_ATTRIBUTE_INT: return "INT";
  case AWQ_ATTRIBUTE_FLOAT: return "FLOAT";
  case AWQ_ATTRIBUTE_STRING: return "STRING";
  case AWQ_ATTRIBUTE_INTS: return "INTS";
  case AWQ_ATTRIBUTE_FLOATS: return "FLOATS";
  case AWQ_ATTRIBUTE_TENSOR: return "TENSOR";
  default: return "unknown";
  }
}

namespace {
// The header fields before the attributes.
struct Header {
  uint32_t size = 0;
  int64_t opset = 0;
  std::string_view opType, name; // into the blob
  uint32_t numAttributes = 0;
  uint32_t attributesOffset = 0;
};

Header readHeaderFields(const uint8_t *blob) {
  if (!blob)
    raise("node is NULL");
  Header header;
  // The size field comes first; it bounds every later read.
  header.size = static_cast<uint32_t>(Cursor(blob, 4, 0, "node").readUnsigned(4, "size"));
  if (header.size < 4)
    raise("corrupt node: size %u is smaller than the size field", header.size);
  Cursor cursor(blob, header.size, 4, "node");
  header.opset = cursor.readI64("opset");
  header.opType = cursor.readStringView("op type");
  header.name = cursor.readStringView("node name");
  header.numAttributes = cursor.readU32("attribute count");
  header.attributesOffset = cursor.position();
  return header;
}
} // namespace

bool NodeReader::readHeader(const uint8_t *blob, std::string *opType, std::string *name) noexcept {
  try {
    Header header = readHeaderFields(blob);
    *opType = std::string(header.opType);
    *name = std::string(header.name);
    return true;
  } catch (...) {
    return false;
  }
}

NodeReader::NodeReader(const uint8_t *blob) : blob_(blob) {
  Header header = readHeaderFields(blob);
  size_ = header.size;
  opset_ = header.opset;
  opType_ = header.opType;
  name_ = header.name;
  numAttributes_ = header.numAttributes;
  attributesOffset_ = header.attributesOffset;
  // Check every attribute now, so lookups never meet a malformed one.
  Cursor cursor(blob, size_, attributesOffset_, "node");
  for (uint32_t i = 0; i < numAttributes_; ++i) {
    const std::string_view attribute = cursor.readStringView("attribute name");
    skipPayload(cursor, cursor.readU8("attribute kind"), attribute);
  }
  if (cursor.position() != size_)
    raise("corrupt node: %u bytes follow the last attribute", size_ - cursor.position());
}

const uint8_t *NodeReader::locate(const char *name, int *kind) const {
  Cursor cursor(blob_, size_, attributesOffset_, "node");
  const size_t nameLength = std::strlen(name);
  for (uint32_t i = 0; i < numAttributes_; ++i) {
    const uint32_t length = cursor.readU32("attribute name");
    const uint8_t *bytes = cursor.take(length, "attribute name");
    *kind = cursor.readU8("attribute kind");
    if (length == nameLength && std::memcmp(bytes, name, length) == 0)
      return blob_ + cursor.position();
    skipPayload(cursor, *kind, std::string(reinterpret_cast<const char *>(bytes), length));
  }
  return nullptr;
}

const uint8_t *NodeReader::find(const char *name, awq_attribute_kind kind) const {
  int found = 0;
  const uint8_t *payload = locate(name, &found);
  if (payload && found != kind)
    raise("attribute '%s' is %s, expected %s", name, attributeKindName(found),
          attributeKindName(kind));
  return payload;
}

bool NodeReader::has(const char *name) const {
  int kind = 0;
  return locate(name, &kind) != nullptr;
}

Cursor NodeReader::payloadCursor(const uint8_t *payload) const {
  // `payload` points inside the checked blob; the cursor stays bounded by its end.
  return Cursor(blob_, size_, static_cast<uint32_t>(payload - blob_), "node");
}

int64_t NodeReader::getInt(const char *name, int64_t defaultValue) const {
  const uint8_t *payload = find(name, AWQ_ATTRIBUTE_INT);
  return payload ? payloadCursor(payload).readI64("INT value") : defaultValue;
}

int64_t NodeReader::getInt(const char *name) const {
  if (!has(name))
    raise("attribute '%s' is required", name);
  return getInt(name, 0);
}

float NodeReader::getFloat(const char *name, float defaultValue) const {
  const uint8_t *payload = find(name, AWQ_ATTRIBUTE_FLOAT);
  return payload ? payloadCursor(payload).readF32("FLOAT value") : defaultValue;
}

float NodeReader::getFloat(const char *name) const {
  if (!has(name))
    raise("attribute '%s' is required", name);
  return getFloat(name, 0.0f);
}

std::string NodeReader::getString(const char *name, const char *defaultValue) const {
  const uint8_t *payload = find(name, AWQ_ATTRIBUTE_STRING);
  return payload ? payloadCursor(payload).readString("STRING value") : defaultValue;
}

std::vector<int64_t> NodeReader::getInts(const char *name) const {
  std::vector<int64_t> values;
  if (const uint8_t *payload = find(name, AWQ_ATTRIBUTE_INTS)) {
    Cursor cursor = payloadCursor(payload);
    values.resize(cursor.readU32("INTS count"));
    for (int64_t &value : values)
      value = cursor.readI64("INTS values");
  }
  return values;
}

std::vector<float> NodeReader::getFloats(const char *name) const {
  std::vector<float> values;
  if (const uint8_t *payload = find(name, AWQ_ATTRIBUTE_FLOATS)) {
    Cursor cursor = payloadCursor(payload);
    values.resize(cursor.readU32("FLOATS count"));
    for (float &value : values)
      value = cursor.readF32("FLOATS values");
  }
  return values;
}

std::optional<NodeTensor> NodeReader::getTensor(const char *name) const {
  const uint8_t *payload = find(name, AWQ_ATTRIBUTE_TENSOR);
  if (!payload)
    return std::nullopt;
  Cursor cursor = payloadCursor(payload);
  const TensorHeader header = readTensorHeader(cursor, name);
  NodeTensor tensor;
  // One spare element keeps data non-null for an empty tensor.
  tensor.storage.resize(header.byteCount / sizeof(int64_t) + 1);
  std::memcpy(tensor.storage.data(), cursor.take(header.byteCount, "tensor bytes"),
              header.byteCount);
  tensor.desc.data = tensor.storage.data();
  tensor.desc.dtype = header.dtype;
  tensor.desc.rank = header.rank;
  std::memcpy(tensor.desc.shape, header.shape, sizeof header.shape);
  return tensor;
}

} // namespace awq::rt
