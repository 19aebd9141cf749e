//===- NodeEncodingTest.cpp - Ops encoded as the runtime's nodes ----------===//
//
// encodeNode writes the bytes awq_node.h specifies, and the runtime decodes
// them back: its NodeReader sees every attribute, and an entry found with
// awq_find_node_fn runs the node.
//
//===----------------------------------------------------------------------===//

#include "awq/Execution/NodeEncoding.h"
#include "awq/Dialect/AWQ/AWQDialect.h"
#include "awq/Dialect/ONNX/ONNXDialect.h"
#include "awq_node.h"

#include "nodes/NodeReader.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {

class NodeEncodingTest : public ::testing::Test {
protected:
  NodeEncodingTest() {
    context.loadDialect<func::FuncDialect, awq::AWQDialect,
                        awq::onnx::ONNXDialect>();
  }

  /// Parses `body` as the inside of a function and returns its first op.
  Operation *parseFirstOp(StringRef signature, StringRef body) {
    std::string source =
        ("func.func @f" + signature + " {\n" + body + "\n}").str();
    module = parseSourceString<ModuleOp>(source, &context);
    if (!module)
      return nullptr;
    auto function = cast<func::FuncOp>(module->getBody()->front());
    return &function.getBody().front().front();
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
};

/// Appends little-endian fields, as the format's specification lays them out.
struct Bytes {
  std::vector<uint8_t> bytes;
  Bytes &le(uint64_t value, int size) {
    for (int i = 0; i < size; ++i)
      bytes.push_back(static_cast<uint8_t>(value >> (8 * i)));
    return *this;
  }
  Bytes &str(StringRef text) {
    le(text.size(), 4);
    bytes.insert(bytes.end(), text.begin(), text.end());
    return *this;
  }
  std::vector<uint8_t> finish() {
    for (int i = 0; i < 4; ++i)
      bytes[i] = static_cast<uint8_t>(bytes.size() >> (8 * i));
    return bytes;
  }
};

TEST_F(NodeEncodingTest, TransposeEncodesAsSpecifiedAndRuns) {
  Operation *op = parseFirstOp(
      "(%x: tensor<2x3xf32>) -> tensor<3x2xf32>",
      R"(%y = onnx.node "Transpose"(%x) {opset = 13 : i64, name = "/t",
                                         attrs = {perm = array<i64: 1, 0>}}
             : (tensor<2x3xf32>) -> tensor<3x2xf32>
         return %y : tensor<3x2xf32>)");
  ASSERT_NE(op, nullptr);
  FailureOr<std::vector<uint8_t>> encoded = awq::encodeNode(op);
  ASSERT_TRUE(succeeded(encoded));
  std::vector<uint8_t> expected = Bytes()
                                      .le(0, 4)  // size
                                      .le(13, 8) // opset
                                      .str("Transpose")
                                      .str("/t")
                                      .le(1, 4) // attributes
                                      .str("perm")
                                      .le(AWQ_ATTRIBUTE_INTS, 1)
                                      .le(2, 4)
                                      .le(1, 8)
                                      .le(0, 8)
                                      .finish();
  EXPECT_EQ(*encoded, expected);

  std::optional<awq::NodeOpType> opType = awq::getNodeOpType(op);
  ASSERT_TRUE(opType.has_value());
  EXPECT_EQ(opType->domain, "");
  EXPECT_EQ(opType->opType, "Transpose");
  awq_node_fn entry = awq_find_node_fn(opType->domain.str().c_str(),
                                       opType->opType.str().c_str());
  ASSERT_NE(entry, nullptr);
  float input[6] = {0, 1, 2, 3, 4, 5}, output[6] = {};
  awq_tensor x{input, AWQ_F32, 2, {2, 3}};
  const awq_tensor *inputs[] = {&x};
  awq_tensor result{};
  awq_node_allocator allocator{
      output, [](void *context, awq_tensor *) { return context; }, nullptr, nullptr};
  ASSERT_EQ(entry(encoded->data(), inputs, 1, &result, 1, &allocator), 0)
      << awq_last_error();
  EXPECT_EQ(result.rank, 2);
  EXPECT_EQ(std::vector<float>(output, output + 6),
            (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST_F(NodeEncodingTest, EveryONNXAttributeKindDecodesBack) {
  Operation *op = parseFirstOp(
      "(%x: tensor<2xi64>) -> tensor<2xf32>",
      R"(%y = onnx.node "Anything"(%x) {opset = 17 : i64, domain = "com.microsoft",
               attrs = {i = -3 : i64, f = 5.000000e-01 : f32, s = "tanh",
                        ints = array<i64: 4, 5>, floats = array<f32: 1.5, 2.5>,
                        t = dense<[7, 8]> : tensor<2xi64>}}
             : (tensor<2xi64>) -> tensor<2xf32>
         return %y : tensor<2xf32>)");
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(awq::getNodeOpType(op)->domain, "com.microsoft");
  FailureOr<std::vector<uint8_t>> encoded = awq::encodeNode(op);
  ASSERT_TRUE(succeeded(encoded));
  const awq::rt::NodeReader node(encoded->data());
  EXPECT_EQ(node.opType(), "Anything");
  EXPECT_EQ(node.name(), "");
  EXPECT_EQ(node.opset(), 17);
  EXPECT_EQ(node.getInt("i", 0), -3);
  EXPECT_EQ(node.getFloat("f", 0), 0.5f);
  EXPECT_EQ(node.getString("s", ""), "tanh");
  EXPECT_EQ(node.getInts("ints"), (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(node.getFloats("floats"), (std::vector<float>{1.5f, 2.5f}));
  std::optional<awq::rt::NodeTensor> tensor = node.getTensor("t");
  ASSERT_TRUE(tensor.has_value());
  EXPECT_EQ(tensor->desc.dtype, AWQ_I64);
  EXPECT_EQ(tensor->desc.rank, 1);
  EXPECT_EQ(static_cast<const int64_t *>(tensor->desc.data)[1], 8);
}

TEST_F(NodeEncodingTest, AWQOpsEncodeInherentAttributesAndInputPositions) {
  Operation *op = parseFirstOp(
      "(%x: tensor<1x64xf32>, %q: tensor<8x32xui8>, %s: tensor<8x2xf32>, "
      "%b: tensor<8xf32>) -> tensor<1x8xf32>",
      R"(%y = awq.group_matmul %x, %q, %s bias %b
               {bits = 4 : i64, group_size = 32 : i64, in_features = 64 : i64,
                name = "/mlp/down"}
             : (tensor<1x64xf32>, tensor<8x32xui8>, tensor<8x2xf32>,
                tensor<8xf32>) -> tensor<1x8xf32>
         return %y : tensor<1x8xf32>)");
  ASSERT_NE(op, nullptr);
  std::optional<awq::NodeOpType> opType = awq::getNodeOpType(op);
  ASSERT_TRUE(opType.has_value());
  EXPECT_EQ(opType->domain, "awq");
  EXPECT_EQ(opType->opType, "group_matmul");

  // The absent zero points keep their position, so bias stays input #4.
  SmallVector<Value> inputs = awq::getNodeInputs(op);
  ASSERT_EQ(inputs.size(), 5u);
  EXPECT_FALSE(inputs[3]);
  EXPECT_EQ(inputs[4], op->getOperand(3));

  FailureOr<std::vector<uint8_t>> encoded = awq::encodeNode(op);
  ASSERT_TRUE(succeeded(encoded));
  const awq::rt::NodeReader node(encoded->data());
  EXPECT_EQ(node.opset(), 0);
  EXPECT_EQ(node.name(), "/mlp/down");
  EXPECT_EQ(node.getInt("bits"), 4);
  EXPECT_EQ(node.getInt("group_size"), 32);
  EXPECT_EQ(node.getInt("in_features"), 64);
  // The default-valued enum is still written, as its keyword.
  EXPECT_EQ(node.getString("layout", ""), "row_major");
  EXPECT_FALSE(node.has("name"));
  EXPECT_FALSE(node.has("operandSegmentSizes"));
}

TEST_F(NodeEncodingTest, EnumsAndUnitAttributesOfAWQOps) {
  Operation *gelu = parseFirstOp(
      "(%x: tensor<4xf32>) -> tensor<4xf32>",
      R"(%y = awq.gelu %x {approximate = #awq.gelu_approximation<tanh>} : tensor<4xf32>
         return %y : tensor<4xf32>)");
  ASSERT_NE(gelu, nullptr);
  FailureOr<std::vector<uint8_t>> encoded = awq::encodeNode(gelu);
  ASSERT_TRUE(succeeded(encoded));
  EXPECT_EQ(awq::rt::NodeReader(encoded->data()).getString("approximate", ""),
            "tanh");

  Operation *norm = parseFirstOp(
      "(%x: tensor<2x4xf32>, %g: tensor<4xf32>) -> tensor<2x4xf32>",
      R"(%y = awq.rms_norm %x, %g {epsilon = 1.0e-06 : f32, unit_offset}
             : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
         return %y : tensor<2x4xf32>)");
  ASSERT_NE(norm, nullptr);
  encoded = awq::encodeNode(norm);
  ASSERT_TRUE(succeeded(encoded));
  const awq::rt::NodeReader node(encoded->data());
  EXPECT_EQ(node.getInt("unit_offset", 0), 1);
  EXPECT_EQ(node.getFloat("epsilon", 0), 1.0e-06f);
}

TEST_F(NodeEncodingTest, UnencodableAttributeIsAnErrorAtTheOp) {
  Operation *op = parseFirstOp("(%x: tensor<2xf32>) -> tensor<2xf32>",
                               R"(%y = onnx.node "Custom"(%x) {opset = 1 : i64,
                                      attrs = {names = ["a", "b"]}}
             : (tensor<2xf32>) -> tensor<2xf32>
         return %y : tensor<2xf32>)");
  ASSERT_NE(op, nullptr);
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  EXPECT_TRUE(failed(awq::encodeNode(op)));
  EXPECT_EQ(message, "cannot encode attribute 'names' for the runtime: the "
                     "node format has no kind for lists of strings or "
                     "attributes");
}

TEST_F(NodeEncodingTest, OnlyGraphNodesHaveAnOpType) {
  Operation *op = parseFirstOp("(%x: tensor<2xf32>) -> tensor<2xf32>",
                               "return %x : tensor<2xf32>");
  ASSERT_NE(op, nullptr);
  EXPECT_FALSE(awq::getNodeOpType(op).has_value());
}

} // namespace
