// NodeReader.h - decodes a serialized node (awq_node.h) and looks up its attributes.
#ifndef AWQ_RUNTIME_CPU_NODES_NODEREADER_H
#define AWQ_RUNTIME_CPU_NODES_NODEREADER_H

#include "awq_node.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace awq::rt {

// A TENSOR attribute copied out of the blob: the blob gives no alignment, so
// the bytes move into storage aligned for any element type.
// Move-only: desc.data points into storage.
struct NodeTensor {
  NodeTensor() = default;
  NodeTensor(NodeTensor &&) = default;
  NodeTensor &operator=(NodeTensor &&) = default;
  NodeTensor(const NodeTensor &) = delete;
  NodeTensor &operator=(const NodeTensor &) = delete;

  std::vector<int64_t> storage; // 8-byte aligned backing of desc.data
  awq_tensor desc{};
};

class Cursor;

// The constructor checks the whole blob once (every length against the total
// size, every attribute kind, every tensor's byte count) and throws OpError on
// the first inconsistency, so corrupt input never reads out of bounds. The
// getters then walk the attribute list; they throw when the attribute exists
// with another kind, and return the default (or empty) when it is absent.
class NodeReader {
public:
  explicit NodeReader(const uint8_t *blob);

  // The op type and name from the header alone, for naming a node whose
  // attributes are corrupt; false when even the header is unreadable.
  static bool readHeader(const uint8_t *blob, std::string *opType, std::string *name) noexcept;

  // Views of the blob's bytes: valid as long as the blob (node calls never
  // copy these names, most of which are longer than a short string holds).
  std::string_view opType() const { return opType_; }
  std::string_view name() const { return name_; }
  int64_t opset() const { return opset_; }

  bool has(const char *name) const;
  int64_t getInt(const char *name, int64_t defaultValue) const;
  int64_t getInt(const char *name) const; // required: throws when absent
  float getFloat(const char *name, float defaultValue) const;
  float getFloat(const char *name) const; // required: throws when absent
  std::string getString(const char *name, const char *defaultValue) const;
  std::vector<int64_t> getInts(const char *name) const; // empty when absent
  std::vector<float> getFloats(const char *name) const; // empty when absent
  std::optional<NodeTensor> getTensor(const char *name) const;

private:
  // Where an attribute's payload starts (its kind in *kind), or nullptr.
  const uint8_t *locate(const char *name, int *kind) const;
  // Like locate, but throws when present with a kind other than `kind`.
  const uint8_t *find(const char *name, awq_attribute_kind kind) const;
  Cursor payloadCursor(const uint8_t *payload) const;

  const uint8_t *blob_;
  uint32_t size_ = 0;
  int64_t opset_ = 0;
  std::string_view opType_, name_;
  uint32_t numAttributes_ = 0;
  uint32_t attributesOffset_ = 0; // first attribute's offset in the blob
};

// "INT", "FLOATS", ...; "unknown" for anything else.
const char *attributeKindName(int kind);

} // namespace awq::rt

#endif // AWQ_RUNTIME_CPU_NODES_NODEREADER_H
