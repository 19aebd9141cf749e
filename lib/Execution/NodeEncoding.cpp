//===- NodeEncoding.cpp - Ops as the runtime's serialized nodes -----------===//
//
// Writes the node format of runtime/include/awq_node.h. The runtime's
// NodeReader (runtime/cpu/nodes) is the matching decoder.
//
//===----------------------------------------------------------------------===//

#include "awq/Execution/NodeEncoding.h"

#include "awq/Dialect/AWQ/AWQDialect.h"
#include "awq/Dialect/ONNX/ONNXDialect.h"
#include "awq/Execution/ModelGraph.h"
#include "awq_node.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstring>
#include <limits>

using namespace mlir;

namespace awq {

std::optional<NodeOpType> getNodeOpType(Operation *op) {
  if (auto node = dyn_cast<onnx::NodeOp>(op))
    return NodeOpType{node.getDomain(), node.getOpType()};
  if (isa_and_present<AWQDialect>(op->getDialect()))
    return NodeOpType{"awq", op->getName().stripDialect()};
  return std::nullopt;
}

StringRef getNodeName(Operation *op) {
  if (auto node = dyn_cast<onnx::NodeOp>(op))
    return node.getName().value_or("");
  if (auto name = op->getAttrOfType<StringAttr>("name"))
    return name.getValue();
  return "";
}

SmallVector<Value> getNodeInputs(Operation *op) {
  SmallVector<Value> inputs;
  // Ops with several optional operands record each operand group's size; an
  // empty group is an absent input that still takes its position.
  auto segments = dyn_cast_if_present<DenseI32ArrayAttr>(
      op->getInherentAttr("operandSegmentSizes").value_or(nullptr));
  if (segments) {
    unsigned next = 0;
    for (int32_t size : segments.asArrayRef()) {
      if (size == 0)
        inputs.push_back(Value());
      for (int32_t i = 0; i < size; ++i)
        inputs.push_back(op->getOperand(next++));
    }
    return inputs;
  }
  // Otherwise operands keep their positions; only trailing optional operands
  // can be absent, and the entry reads a missing index as absent.
  for (Value operand : op->getOperands())
    inputs.push_back(isa<NoneType>(operand.getType()) ? Value() : operand);
  return inputs;
}

namespace {

/// Appends the fields of the node format, little-endian whatever the host.
class NodeWriter {
public:
  void u8(uint8_t value) { bytes.push_back(value); }
  void u32(uint32_t value) { appendLittleEndian(value, 4); }
  void i32(int32_t value) {
    appendLittleEndian(static_cast<uint32_t>(value), 4);
  }
  void i64(int64_t value) {
    appendLittleEndian(static_cast<uint64_t>(value), 8);
  }
  void u64(uint64_t value) { appendLittleEndian(value, 8); }
  void f32(float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    u32(bits);
  }
  void str(StringRef text) {
    u32(text.size());
    raw(text.data(), text.size());
  }
  void raw(const void *data, size_t size) {
    auto *begin = static_cast<const uint8_t *>(data);
    bytes.insert(bytes.end(), begin, begin + size);
  }

  std::vector<uint8_t> bytes;

private:
  void appendLittleEndian(uint64_t value, int size) {
    for (int i = 0; i < size; ++i)
      bytes.push_back(static_cast<uint8_t>(value >> (8 * i)));
  }
};

/// Writes one attribute (name, kind, payload), or returns why it cannot.
llvm::Error encodeAttribute(NodeWriter &writer, StringRef name,
                            Attribute attr) {
  auto begin = [&](awq_attribute_kind kind) {
    writer.str(name);
    writer.u8(kind);
  };
  // BoolAttr is an i1 IntegerAttr: test it first so true encodes as 1.
  if (auto boolean = dyn_cast<BoolAttr>(attr)) {
    begin(AWQ_ATTRIBUTE_INT);
    writer.i64(boolean.getValue());
  } else if (auto integer = dyn_cast<IntegerAttr>(attr)) {
    if (integer.getValue().getBitWidth() > 64)
      return llvm::createStringError("integers wider than 64 bits");
    begin(AWQ_ATTRIBUTE_INT);
    writer.i64(integer.getValue().getSExtValue());
  } else if (isa<UnitAttr>(attr)) {
    begin(AWQ_ATTRIBUTE_INT);
    writer.i64(1);
  } else if (auto real = dyn_cast<FloatAttr>(attr)) {
    begin(AWQ_ATTRIBUTE_FLOAT);
    writer.f32(real.getValueAsDouble());
  } else if (auto text = dyn_cast<StringAttr>(attr)) {
    begin(AWQ_ATTRIBUTE_STRING);
    writer.str(text.getValue());
  } else if (auto gelu = dyn_cast<GeluApproximationAttr>(attr)) {
    begin(AWQ_ATTRIBUTE_STRING);
    writer.str(stringifyGeluApproximation(gelu.getValue()));
  } else if (auto rotary = dyn_cast<RotaryLayoutAttr>(attr)) {
    begin(AWQ_ATTRIBUTE_STRING);
    writer.str(stringifyRotaryLayout(rotary.getValue()));
  } else if (auto heads = dyn_cast<HeadLayoutAttr>(attr)) {
    begin(AWQ_ATTRIBUTE_STRING);
    writer.str(stringifyHeadLayout(heads.getValue()));
  } else if (auto layout = dyn_cast<WeightLayoutAttr>(attr)) {
    begin(AWQ_ATTRIBUTE_STRING);
    writer.str(stringifyWeightLayout(layout.getValue()));
  } else if (auto ints = dyn_cast<DenseI64ArrayAttr>(attr)) {
    begin(AWQ_ATTRIBUTE_INTS);
    writer.u32(ints.size());
    for (int64_t value : ints.asArrayRef())
      writer.i64(value);
  } else if (auto floats = dyn_cast<DenseF32ArrayAttr>(attr)) {
    begin(AWQ_ATTRIBUTE_FLOATS);
    writer.u32(floats.size());
    for (float value : floats.asArrayRef())
      writer.f32(value);
  } else if (auto elements = dyn_cast<ElementsAttr>(attr)) {
    llvm::Expected<HostTensor> tensor = tensorFromElements(elements);
    if (!tensor)
      return tensor.takeError();
    begin(AWQ_ATTRIBUTE_TENSOR);
    writer.i32(tensor->dtype());
    writer.i32(tensor->rank());
    for (int64_t dim : tensor->shape())
      writer.i64(dim);
    writer.u64(tensor->byteSize());
    writer.raw(tensor->rawData(), tensor->byteSize());
  } else if (isa<ArrayAttr>(attr)) {
    return llvm::createStringError(
        "the node format has no kind for lists of strings or attributes");
  } else {
    return llvm::createStringError("the node format has no kind for it");
  }
  return llvm::Error::success();
}

/// The attributes a node carries: an onnx.node's ONNX attributes, or an awq
/// op's inherent attributes (absent optional ones left out).
SmallVector<NamedAttribute> getNodeAttributes(Operation *op) {
  if (auto node = dyn_cast<onnx::NodeOp>(op)) {
    DictionaryAttr attrs = node.getAttrsAttr();
    return attrs ? SmallVector<NamedAttribute>(attrs.getValue())
                 : SmallVector<NamedAttribute>();
  }
  SmallVector<NamedAttribute> attributes;
  if (std::optional<RegisteredOperationName> info = op->getRegisteredInfo()) {
    for (StringAttr name : info->getAttributeNames()) {
      // Operand segments shape the inputs (getNodeInputs); the name is the
      // node's name field.
      if (name == "operandSegmentSizes" || name == "name")
        continue;
      if (Attribute value = op->getInherentAttr(name).value_or(nullptr))
        attributes.emplace_back(name, value);
    }
  }
  return attributes;
}

} // namespace

FailureOr<std::vector<uint8_t>> encodeNode(Operation *op) {
  std::optional<NodeOpType> opType = getNodeOpType(op);
  if (!opType)
    return op->emitError("only onnx.node and awq ops encode as runtime nodes");
  NodeWriter writer;
  writer.u32(0); // the total size, patched below
  auto node = dyn_cast<onnx::NodeOp>(op);
  writer.i64(node ? node.getOpset() : 0);
  writer.str(opType->opType);
  writer.str(getNodeName(op));
  SmallVector<NamedAttribute> attributes = getNodeAttributes(op);
  writer.u32(attributes.size());
  for (NamedAttribute attribute : attributes)
    if (llvm::Error error =
            encodeAttribute(writer, attribute.getName(), attribute.getValue()))
      return op->emitError("cannot encode attribute '")
             << attribute.getName().getValue()
             << "' for the runtime: " << llvm::toString(std::move(error));
  if (writer.bytes.size() > std::numeric_limits<uint32_t>::max())
    return op->emitError("the node's attributes take ")
           << writer.bytes.size()
           << " bytes, more than the node format's 4 GiB";
  uint32_t size = writer.bytes.size();
  for (int i = 0; i < 4; ++i)
    writer.bytes[i] = static_cast<uint8_t>(size >> (8 * i));
  return std::move(writer.bytes);
}

} // namespace awq
