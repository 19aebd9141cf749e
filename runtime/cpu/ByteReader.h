// ByteReader.h - bounds-checked reads of the little-endian serialized forms
// the compiler hands the runtime: nodes (awq_node.h) and compiled-model
// descriptions (awq_compiled_model.h). Every read checks that the bytes
// exist, so a wrong length anywhere becomes an OpError, not a crash.
#ifndef AWQ_RUNTIME_CPU_BYTEREADER_H
#define AWQ_RUNTIME_CPU_BYTEREADER_H

#include "RuntimeInternal.h"

#include <cstring>
#include <string>
#include <string_view>

namespace awq::rt {

// Reads fields from [data, data + size) starting at `position`; `context`
// ("node", "model description") names the data in messages, which read
// "corrupt <context>: <field> needs N bytes at offset P, but the <context> has S".
class Cursor {
public:
  Cursor(const uint8_t *data, uint32_t size, uint32_t position, const char *context)
      : data_(data), size_(size), position_(position), context_(context) {}

  uint32_t position() const { return position_; }
  uint32_t remaining() const { return size_ - position_; }

  const uint8_t *take(uint64_t count, const char *what) {
    if (count > size_ - position_)
      raise("corrupt %s: %s needs %llu bytes at offset %u, but the %s has %u", context_, what,
            static_cast<unsigned long long>(count), position_, context_, size_);
    const uint8_t *start = data_ + position_;
    position_ += static_cast<uint32_t>(count);
    return start;
  }
  uint64_t readUnsigned(int bytes, const char *what) {
    const uint8_t *p = take(static_cast<uint64_t>(bytes), what);
    uint64_t value = 0;
    for (int i = bytes - 1; i >= 0; --i)
      value = (value << 8) | p[i];
    return value;
  }
  uint8_t readU8(const char *what) { return static_cast<uint8_t>(readUnsigned(1, what)); }
  uint32_t readU32(const char *what) { return static_cast<uint32_t>(readUnsigned(4, what)); }
  uint64_t readU64(const char *what) { return readUnsigned(8, what); }
  int32_t readI32(const char *what) { return static_cast<int32_t>(readU32(what)); }
  int64_t readI64(const char *what) { return static_cast<int64_t>(readUnsigned(8, what)); }
  float readF32(const char *what) {
    const uint32_t bits = readU32(what);
    float value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
  }
  std::string readString(const char *what) { return std::string(readStringView(what)); }
  // The same bytes without a copy: valid while the data is.
  std::string_view readStringView(const char *what) {
    const uint32_t length = readU32(what);
    const uint8_t *bytes = take(length, what);
    return std::string_view(reinterpret_cast<const char *>(bytes), length);
  }

private:
  const uint8_t *data_;
  uint32_t size_;
  uint32_t position_;
  const char *context_;
};

} // namespace awq::rt

#endif // AWQ_RUNTIME_CPU_BYTEREADER_H
