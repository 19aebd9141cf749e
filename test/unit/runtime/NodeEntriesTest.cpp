// NodeEntriesTest.cpp - operator entries (awq_node.h) called through the registry with
// hand-built nodes: attribute and shape-tensor reading, outputs from the allocator, errors.
#include "NodeBlob.h"
#include "TestUtil.h"

#include <memory>

using namespace awq::test;

namespace {

// Gives each output its own TestUtil tensor (the tests read results there).
struct TestAllocator {
  std::vector<std::unique_ptr<HostTensor>> tensors;
  bool fail = false;
  awq_node_allocator abi{this, &TestAllocator::allocate, nullptr, nullptr};

  static void *allocate(void *context, awq_tensor *output) {
    auto *self = static_cast<TestAllocator *>(context);
    if (self->fail)
      return nullptr;
    self->tensors.push_back(std::make_unique<HostTensor>(HostTensor::like(*output)));
    return self->tensors.back()->get()->data;
  }
};

// Runs the entry for (domain, opType) on `node`; returns its status.
awq_status runNode(const char *domain, const char *opType, const NodeBlob &node,
                   const std::vector<const awq_tensor *> &inputs, std::vector<awq_tensor> &outputs,
                   TestAllocator &allocator) {
  awq_node_fn fn = awq_find_node_fn(domain, opType);
  EXPECT_NE(fn, nullptr) << domain << " " << opType;
  if (!fn)
    return 1;
  const std::vector<uint8_t> bytes = node.bytes();
  return fn(bytes.data(), inputs.data(), static_cast<int32_t>(inputs.size()), outputs.data(),
            static_cast<int32_t>(outputs.size()), &allocator.abi);
}

std::vector<float> floatsOf(const awq_tensor &t) {
  const auto *data = static_cast<const float *>(t.data);
  return std::vector<float>(data, data + awq_tensor_numel(&t));
}

} // namespace

TEST(NodeRegistry, FindsEntriesAndSymbolsByDomain) {
  EXPECT_NE(awq_find_node_fn("", "Reshape"), nullptr);
  EXPECT_EQ(awq_find_node_fn("ai.onnx", "Reshape"), awq_find_node_fn("", "Reshape"));
  EXPECT_STREQ(awq_find_node_symbol("", "Reshape"), "awq_node_onnx_Reshape");
  EXPECT_STREQ(awq_find_node_symbol("com.microsoft", "FastGelu"), "awq_node_ms_FastGelu");
  EXPECT_STREQ(awq_find_node_symbol("awq", "group_matmul"), "awq_node_awq_group_matmul");
  // The same op type in another domain is another entry (or none).
  EXPECT_NE(awq_find_node_fn("com.microsoft", "Gelu"), awq_find_node_fn("", "Gelu"));
  EXPECT_EQ(awq_find_node_fn("com.microsoft", "Reshape"), nullptr);
  EXPECT_EQ(awq_find_node_fn("", "Hardmax"), nullptr);
  EXPECT_EQ(awq_find_node_fn("com.example", "Add"), nullptr);
  EXPECT_EQ(awq_find_node_symbol("", nullptr), nullptr);
}

TEST(NodeEntries, ReshapeReadsItsShapeTensor) {
  const HostTensor data = makeF32({2, 3, 4}, randomFloats(24, 1));
  for (int32_t dtype : {AWQ_I64, AWQ_I32}) {
    HostTensor shape =
        dtype == AWQ_I64 ? makeI64({2}, {0, -1}) : makeTensor<int32_t>(AWQ_I32, {2}, {0, -1});
    std::vector<awq_tensor> outputs(1);
    TestAllocator allocator;
    ASSERT_EQ(runNode("", "Reshape", NodeBlob("Reshape", "/r", 14), {data.get(), shape.get()},
                      outputs, allocator),
              0)
        << awq_last_error();
    EXPECT_EQ(shapeOf(outputs[0]), (Shape{2, 12}));
    EXPECT_EQ(outputs[0].data, allocator.tensors.at(0)->get()->data);
    EXPECT_EQ(floatsOf(outputs[0]), data.values<float>());
  }
}

TEST(NodeEntries, TransposeReadsPerm) {
  const HostTensor x = makeF32({2, 3}, {0, 1, 2, 3, 4, 5});
  std::vector<awq_tensor> outputs(1);
  TestAllocator allocator;
  ASSERT_EQ(runNode("", "Transpose", NodeBlob("Transpose", "", 13).addInts("perm", {1, 0}),
                    {x.get()}, outputs, allocator),
            0)
      << awq_last_error();
  EXPECT_EQ(shapeOf(outputs[0]), (Shape{3, 2}));
  EXPECT_EQ(floatsOf(outputs[0]), (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(NodeEntries, SplitAllocatesEveryOutput) {
  const HostTensor x = makeF32({5}, {0, 1, 2, 3, 4});
  const HostTensor sizes = makeI64({2}, {2, 3});
  std::vector<awq_tensor> outputs(2);
  TestAllocator allocator;
  ASSERT_EQ(
      runNode("", "Split", NodeBlob("Split", "", 18), {x.get(), sizes.get()}, outputs, allocator),
      0)
      << awq_last_error();
  EXPECT_EQ(allocator.tensors.size(), 2u);
  EXPECT_EQ(floatsOf(outputs[0]), (std::vector<float>{0, 1}));
  EXPECT_EQ(floatsOf(outputs[1]), (std::vector<float>{2, 3, 4}));
}

// Slice, Split and Expand read their inputs into strided views (ViewNodes.h;
// the CUDA entries copy the same views on the device): backwards steps,
// inner-axis parts and broadcast dims.
TEST(NodeEntries, SliceReadsInputsOrAttributesAndStepsBackwards) {
  const HostTensor x = makeF32({3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  const HostTensor starts = makeI64({2}, {-1, 3}), ends = makeI64({2}, {-100, 0});
  const HostTensor axes = makeI64({2}, {0, -1}), steps = makeI64({2}, {-2, -2});
  std::vector<awq_tensor> outputs(1);
  TestAllocator allocator;
  ASSERT_EQ(runNode("", "Slice", NodeBlob("Slice", "", 13),
                    {x.get(), starts.get(), ends.get(), axes.get(), steps.get()}, outputs,
                    allocator),
            0)
      << awq_last_error();
  EXPECT_EQ(shapeOf(outputs[0]), (Shape{2, 2}));
  EXPECT_EQ(floatsOf(outputs[0]), (std::vector<float>{11, 9, 3, 1}));

  // Opset 9: starts, ends and axes are attributes; rows 1.., columns 1..2.
  std::vector<awq_tensor> old(1);
  ASSERT_EQ(runNode("", "Slice",
                    NodeBlob("Slice", "", 9)
                        .addInts("starts", {1, 1})
                        .addInts("ends", {100, 3})
                        .addInts("axes", {0, 1}),
                    {x.get()}, old, allocator),
            0)
      << awq_last_error();
  EXPECT_EQ(shapeOf(old[0]), (Shape{2, 2}));
  EXPECT_EQ(floatsOf(old[0]), (std::vector<float>{5, 6, 9, 10}));
}

TEST(NodeEntries, SplitAlongAnInnerAxisAndExpandBroadcast) {
  const HostTensor x = makeF32({2, 3}, {0, 1, 2, 3, 4, 5});
  std::vector<awq_tensor> parts(2);
  TestAllocator allocator;
  const NodeBlob split = NodeBlob("Split", "", 11).addInt("axis", 1).addInts("split", {1, 2});
  ASSERT_EQ(runNode("", "Split", split, {x.get()}, parts, allocator),
            0)
      << awq_last_error();
  EXPECT_EQ(floatsOf(parts[0]), (std::vector<float>{0, 3}));
  EXPECT_EQ(floatsOf(parts[1]), (std::vector<float>{1, 2, 4, 5}));

  const HostTensor column = makeF32({2, 1}, {7, 8}), shape = makeI64({3}, {2, 2, 3});
  std::vector<awq_tensor> expanded(1);
  ASSERT_EQ(runNode("", "Expand", NodeBlob("Expand", "", 13), {column.get(), shape.get()},
                    expanded, allocator),
            0)
      << awq_last_error();
  EXPECT_EQ(shapeOf(expanded[0]), (Shape{2, 2, 3}));
  EXPECT_EQ(floatsOf(expanded[0]), (std::vector<float>{7, 7, 7, 8, 8, 8, 7, 7, 7, 8, 8, 8}));
}

TEST(NodeEntries, AbsentOptionalInputIsNull) {
  // awq.linear without bias: the caller passes NULL in the bias position.
  const HostTensor x = makeF32({1, 2}, {1, 2});
  const HostTensor w = makeF32({2, 2}, {1, 0, 0, 10}); // [N, K] with transpose_weight
  std::vector<awq_tensor> outputs(1);
  TestAllocator allocator;
  ASSERT_EQ(runNode("awq", "linear", NodeBlob("linear").addInt("transpose_weight", 1),
                    {x.get(), w.get(), nullptr}, outputs, allocator),
            0)
      << awq_last_error();
  EXPECT_EQ(floatsOf(outputs[0]), (std::vector<float>{1, 20}));
}

TEST(NodeEntries, ClipBoundsFromInputsOrAttributes) {
  const HostTensor x = makeF32({4}, {-8, -1, 3, 9});
  const HostTensor max = makeF32({}, {6});
  std::vector<awq_tensor> outputs(1);
  TestAllocator allocator;
  // Opset 11+: optional inputs; the absent min does not clip.
  ASSERT_EQ(runNode("", "Clip", NodeBlob("Clip", "", 13), {x.get(), nullptr, max.get()}, outputs,
                    allocator),
            0)
      << awq_last_error();
  EXPECT_EQ(floatsOf(outputs[0]), (std::vector<float>{-8, -1, 3, 6}));
  // Before opset 11: float attributes.
  ASSERT_EQ(runNode("", "Clip", NodeBlob("Clip", "", 6).addFloat("min", -2).addFloat("max", 4),
                    {x.get()}, outputs, allocator),
            0)
      << awq_last_error();
  EXPECT_EQ(floatsOf(outputs[0]), (std::vector<float>{-2, -1, 3, 4}));
}

TEST(NodeEntries, ErrorsNameTheNode) {
  const HostTensor x = makeF32({2, 3}, {0, 1, 2, 3, 4, 5});
  std::vector<awq_tensor> outputs(1);
  TestAllocator allocator;

  // A corrupt attribute: the whole node is rejected before anything runs.
  EXPECT_NE(runNode("", "Transpose", NodeBlob("Transpose", "/t").addRaw("perm", 7, {}), {x.get()},
                    outputs, allocator),
            0);
  EXPECT_STREQ(awq_last_error(),
               "Transpose node '/t': corrupt node: attribute 'perm' has unknown kind 7");

  // An attribute of the wrong kind.
  EXPECT_NE(runNode("", "Transpose", NodeBlob("Transpose", "/t").addInt("perm", 1), {x.get()},
                    outputs, allocator),
            0);
  EXPECT_STREQ(awq_last_error(), "Transpose node '/t': attribute 'perm' is INT, expected INTS");

  // A missing input, and a failure inside the runtime op.
  EXPECT_NE(runNode("", "Add", NodeBlob("Add", "/add", 14), {x.get()}, outputs, allocator), 0);
  EXPECT_STREQ(awq_last_error(), "Add node '/add': input #1 is required");
  const HostTensor ids = makeI64({1}, {9});
  EXPECT_NE(runNode("", "Gather", NodeBlob("Gather", "/embed/Gather", 13), {x.get(), ids.get()},
                    outputs, allocator),
            0);
  EXPECT_STREQ(
      awq_last_error(),
      "Gather node '/embed/Gather': awq_gather: index 9 is out of range for axis 0 of size 2");

  // Opset-dependent semantics.
  const HostTensor cube = makeF32({2, 2, 2}, randomFloats(8, 2));
  EXPECT_NE(runNode("", "Softmax", NodeBlob("Softmax", "/s", 11), {cube.get()}, outputs, allocator),
            0);
  EXPECT_STREQ(awq_last_error(),
               "Softmax node '/s': Softmax before opset 13 is supported on the last axis only");

  // The allocator refusing memory, and a node given to the wrong entry.
  allocator.fail = true;
  EXPECT_NE(runNode("", "Neg", NodeBlob("Neg", "/n"), {x.get()}, outputs, allocator), 0);
  EXPECT_STREQ(awq_last_error(), "Neg node '/n': out of memory allocating output #0 (f32 [2, 3])");
  EXPECT_NE(runNode("", "Abs", NodeBlob("Neg", "/n"), {x.get()}, outputs, allocator), 0);
  EXPECT_STREQ(awq_last_error(),
               "Neg node '/n': the node's op type is Neg, but this is the Abs entry");
}
