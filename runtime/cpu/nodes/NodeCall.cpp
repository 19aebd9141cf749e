// NodeCall.cpp - the shared half of every operator entry: inputs, outputs, errors.
#include "NodeCall.h"

#include <utility>

#include <cmath>
#include <optional>

namespace awq::rt {

NodeCall::NodeCall(const NodeReader &node, const awq_tensor *const *inputs, int32_t numInputs,
                   awq_tensor *outputs, int32_t numOutputs, const awq_node_allocator *allocator)
    : node(node), inputs_(inputs), numInputs_(numInputs), outputs_(outputs),
      numOutputs_(numOutputs), allocator_(allocator) {
  if (numInputs < 0 || (numInputs > 0 && !inputs))
    raise("invalid inputs (%d, array %s)", numInputs, inputs ? "set" : "NULL");
  if (numOutputs < 0 || (numOutputs > 0 && !outputs))
    raise("invalid outputs (%d, array %s)", numOutputs, outputs ? "set" : "NULL");
  if (!allocator || !allocator->allocate)
    raise("no allocator");
}

const awq_tensor *NodeCall::input(int32_t index) const {
  const awq_tensor *tensor = optionalInput(index);
  if (!tensor)
    raise("input #%d is required", index);
  return tensor;
}

const awq_tensor *NodeCall::optionalInput(int32_t index) const {
  return index < numInputs_ ? inputs_[index] : nullptr;
}

void NodeCall::expectOutputs(int32_t count) const {
  if (numOutputs_ != count)
    raise("expected %d output%s, got %d", count, count == 1 ? "" : "s", numOutputs_);
}

int64_t NodeCall::rowsPerHead(const awq_tensor *tensor) const {
  const int64_t capacity = allocator_->cache_capacity && tensor->data
                               ? allocator_->cache_capacity(allocator_->context, tensor->data)
                               : 0;
  return capacity > 0 ? capacity : tensor->shape[2];
}

int64_t NodeCall::allocateAppendedCache(const awq_tensor *past, const awq_tensor *update,
                                        awq_tensor *present) const {
  checkRank(past, "past", 4);
  checkRank(update, "update", 4);
  const awq_tensor *parts[2] = {past, update};
  check(awq_concat_shape(parts, 2, 2, present));
  int64_t capacity = present->shape[2];
  if (!allocator_->allocate_cache || !allocator_->cache_capacity) {
    allocate(present);
    return capacity;
  }
  present->data = allocator_->allocate_cache(allocator_->context, past, present, &capacity);
  if (!present->data)
    raise("out of memory for a %s KV cache", shapeString(present).c_str());
  if (capacity < present->shape[2])
    raise("the allocator's cache holds %lld rows, %lld needed", static_cast<long long>(capacity),
          static_cast<long long>(present->shape[2]));
  return capacity;
}

void NodeCall::allocate(awq_tensor *out) const {
  out->data = allocator_->allocate(allocator_->context, out);
  if (!out->data)
    raise("out of memory allocating output #%d (%s %s)", static_cast<int>(out - outputs_),
          awq_dtype_name(out->dtype), shapeString(out).c_str());
}

void NodeCall::check(awq_status status) {
  if (status != 0)
    throw OpError{awq_last_error()};
}

std::vector<int64_t> readIntegers(const awq_tensor *tensor, const char *what) {
  checkData(tensor, what);
  const int64_t count = numel(tensor);
  if (tensor->dtype == AWQ_I64) {
    const auto *data = static_cast<const int64_t *>(tensor->data);
    return std::vector<int64_t>(data, data + count);
  }
  if (tensor->dtype == AWQ_I32) {
    const auto *data = static_cast<const int32_t *>(tensor->data);
    return std::vector<int64_t>(data, data + count);
  }
  raise("%s must be int64 or int32, got %s", what, awq_dtype_name(tensor->dtype));
}

std::vector<int64_t> readReduceAxes(const NodeCall &call, int32_t inputIndex) {
  if (const awq_tensor *axes = call.optionalInput(inputIndex))
    return readIntegers(axes, "axes");
  return call.node.getInts("axes");
}

TriluArguments readTriluArguments(const NodeCall &call) {
  TriluArguments arguments;
  if (const awq_tensor *k = call.optionalInput(1))
    arguments.k = static_cast<int64_t>(readScalar(k, "k"));
  arguments.upper = static_cast<int>(call.node.getInt("upper", 1));
  return arguments;
}

float readAttentionScale(const NodeCall &call) {
  const float scale = call.node.getFloat("scale");
  if (!(scale > 0.0f) || !std::isfinite(scale))
    raise("scale must be positive and finite, got %g", static_cast<double>(scale));
  return scale;
}

awq_rope_layout readRotaryLayout(const NodeCall &call) {
  const std::string layout = call.node.getString("layout", "");
  if (layout == "half_split")
    return AWQ_ROPE_HALF_SPLIT;
  if (layout == "interleaved")
    return AWQ_ROPE_INTERLEAVED;
  raise("unknown layout '%s' (expected half_split or interleaved)", layout.c_str());
}

awq_head_layout readHeadLayout(const NodeCall &call, const char *attribute) {
  const std::string layout = call.node.getString(attribute, "bhsd");
  if (layout == "bhsd")
    return AWQ_HEADS_BHSD;
  if (layout == "bshd")
    return AWQ_HEADS_BSHD;
  raise("unknown %s '%s' (expected bhsd or bshd)", attribute, layout.c_str());
}

CacheUpdate readCacheUpdate(const NodeCall &call) {
  const awq_tensor *update = call.input(1);
  checkRank(update, "update", 4);
  CacheUpdate result{*update, readHeadLayout(call, "update_layout") == AWQ_HEADS_BSHD};
  if (result.sequenceFirst)
    std::swap(result.headsFirst.shape[1], result.headsFirst.shape[2]);
  return result;
}

double readScalar(const awq_tensor *tensor, const char *what) {
  checkData(tensor, what);
  if (numel(tensor) != 1)
    raise("%s must hold one element", what);
  const void *data = tensor->data;
  switch (tensor->dtype) {
  case AWQ_F32: return *static_cast<const float *>(data);
  case AWQ_F16: return halfToFloat(*static_cast<const uint16_t *>(data));
  case AWQ_BF16: return bfloatToFloat(*static_cast<const uint16_t *>(data));
  case AWQ_I64: return static_cast<double>(*static_cast<const int64_t *>(data));
  case AWQ_I32: return *static_cast<const int32_t *>(data);
  case AWQ_I8: return *static_cast<const int8_t *>(data);
  case AWQ_U8: return *static_cast<const uint8_t *>(data);
  default: raise("%s has unsupported dtype %s", what, awq_dtype_name(tensor->dtype));
  }
}

awq_status runNode(const char *entryOpType, NodeBody body, const uint8_t *node,
                   const awq_tensor *const *inputs, int32_t numInputs, awq_tensor *outputs,
                   int32_t numOutputs, const awq_node_allocator *allocator) noexcept {
  std::optional<NodeReader> reader;
  std::string message;
  try {
    reader.emplace(node);
    if (reader->opType() != entryOpType)
      raise("the node's op type is %s, but this is the %s entry",
            std::string(reader->opType()).c_str(), entryOpType);
    NodeCall call(*reader, inputs, numInputs, outputs, numOutputs, allocator);
    body(call);
    return 0;
  } catch (const OpError &error) {
    message = error.message;
  } catch (const std::exception &error) {
    message = error.what();
  } catch (...) {
    message = "unknown internal error";
  }
  // Name the node from its header when the attributes were the problem; if
  // even the header is unreadable, the entry's op type stands in.
  std::string opType = entryOpType, name;
  if (reader) {
    opType = std::string(reader->opType());
    name = std::string(reader->name());
  } else {
    NodeReader::readHeader(node, &opType, &name); // leaves both as they are on failure
  }
  const std::string where = opType + " node '" + name + "'";
  setLastError(where.c_str(), message.c_str());
  return 1;
}

} // namespace awq::rt
