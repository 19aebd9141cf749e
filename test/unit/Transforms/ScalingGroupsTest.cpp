//===- ScalingGroupsTest.cpp - Scaling-group discovery on built IR --------===//
//
// The groups AWQ scales come from graph structure alone: a norm feeding
// linears, a linear feeding a linear through scale-commuting ops (SwiGLU's
// up -> down), and an explicit scale after an activation that does not
// commute (GELU). A linear reading a function argument has nowhere to put
// 1/s, and an excluded linear is not searched.
//
//===----------------------------------------------------------------------===//

#include "awq/Transforms/ScalingGroups.h"

#include "awq/InitAll.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {

constexpr const char *kBlock = R"mlir(
func.func @block(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x3xf32>, tensor<?x3xf32>) {
  %g = onnx.initializer "norm.weight" = dense<1.0> : tensor<4xf32>
  %wq = onnx.initializer "q.weight" = dense<1.0> : tensor<4x4xf32>
  %wk = onnx.initializer "k.weight" = dense<1.0> : tensor<4x4xf32>
  %wgate = onnx.initializer "gate.weight" = dense<1.0> : tensor<4x2xf32>
  %wup = onnx.initializer "up.weight" = dense<1.0> : tensor<4x2xf32>
  %wdown = onnx.initializer "down.weight" = dense<1.0> : tensor<2x3xf32>
  %wfc1 = onnx.initializer "fc1.weight" = dense<1.0> : tensor<4x2xf32>
  %wfc2 = onnx.initializer "fc2.weight" = dense<1.0> : tensor<2x3xf32>
  %wraw = onnx.initializer "raw.weight" = dense<1.0> : tensor<4x4xf32>
  %n = awq.rms_norm %x, %g {epsilon = 1.0e-05 : f32} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %q = awq.linear %n, %wq {name = "/attn/q_proj/MatMul"} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  %k = awq.linear %n, %wk {name = "/attn/k_proj/MatMul"} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  %qk = onnx.node "Add"(%q, %k) {opset = 17 : i64} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %gate = awq.linear %qk, %wgate {name = "/mlp/gate_proj/MatMul"} : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
  %up = awq.linear %qk, %wup {name = "/mlp/up_proj/MatMul"} : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
  %act = awq.silu %gate : tensor<?x2xf32>
  %h = onnx.node "Mul"(%act, %up) {opset = 17 : i64} : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
  %down = awq.linear %h, %wdown {name = "/mlp/down_proj/MatMul"} : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32>
  %fc1 = awq.linear %x, %wfc1 {name = "/mlp/fc1/MatMul"} : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
  %gelu = awq.gelu %fc1 : tensor<?x2xf32>
  %fc2 = awq.linear %gelu, %wfc2 {name = "/mlp/fc2/MatMul"} : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32>
  %raw = awq.linear %x, %wraw {name = "/raw/MatMul"} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %raw, %down, %fc2 : tensor<?x4xf32>, tensor<?x3xf32>, tensor<?x3xf32>
}
)mlir";

class ScalingGroupsTest : public ::testing::Test {
protected:
  ScalingGroupsTest() : context(makeRegistry()) {
    context.loadAllAvailableDialects();
    module = parseSourceString<ModuleOp>(kBlock, &context);
  }

  static DialectRegistry makeRegistry() {
    DialectRegistry registry;
    awq::registerAllDialects(registry);
    return registry;
  }

  func::FuncOp function() { return *module->getOps<func::FuncOp>().begin(); }

  /// The short linear names of a group's consumers, in order.
  static std::vector<std::string> consumerNames(const awq::ScalingGroup &group) {
    std::vector<std::string> names;
    for (awq::LinearOp linear : group.consumers)
      names.push_back(linear.getName()->str());
    return names;
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
};

TEST_F(ScalingGroupsTest, FindsNormLinearAndExplicitGroups) {
  ASSERT_TRUE(module);
  std::vector<awq::ScalingGroup> groups =
      awq::discoverScalingGroups(function(), [](awq::LinearOp) { return true; });
  // q/k (norm), gate/up (read an Add: explicit), down (through SiLU(gate) * up
  // to up), fc2 (after GELU: explicit). fc1 and raw read the argument.
  ASSERT_EQ(groups.size(), 4u);

  EXPECT_EQ(groups[0].target, awq::ScaleFoldTarget::Norm);
  EXPECT_TRUE(isa<awq::RMSNormOp>(groups[0].producer));
  EXPECT_EQ(consumerNames(groups[0]),
            (std::vector<std::string>{"/attn/q_proj/MatMul", "/attn/k_proj/MatMul"}));
  EXPECT_EQ(groups[0].searchChannels, 4);

  EXPECT_EQ(groups[1].target, awq::ScaleFoldTarget::Explicit);
  EXPECT_EQ(consumerNames(groups[1]),
            (std::vector<std::string>{"/mlp/gate_proj/MatMul", "/mlp/up_proj/MatMul"}));

  EXPECT_EQ(groups[2].target, awq::ScaleFoldTarget::Linear);
  auto producer = dyn_cast<awq::LinearOp>(groups[2].producer);
  ASSERT_TRUE(producer);
  EXPECT_EQ(producer.getName()->str(), "/mlp/up_proj/MatMul");
  EXPECT_EQ(consumerNames(groups[2]), (std::vector<std::string>{"/mlp/down_proj/MatMul"}));
  EXPECT_EQ(groups[2].channelMap, (std::vector<int64_t>{0, 1}));

  EXPECT_EQ(groups[3].target, awq::ScaleFoldTarget::Explicit);
  EXPECT_TRUE(isa<awq::GELUOp>(groups[3].producer));
  EXPECT_EQ(consumerNames(groups[3]), (std::vector<std::string>{"/mlp/fc2/MatMul"}));
}

TEST_F(ScalingGroupsTest, ExcludedLinearsAreCompensatedButNotSearched) {
  ASSERT_TRUE(module);
  // Excluding k keeps it in the norm group (its input rows still need s) but
  // marks it unquantized; excluding down alone removes its group.
  std::vector<awq::ScalingGroup> groups =
      awq::discoverScalingGroups(function(), [](awq::LinearOp linear) {
        StringRef name = *linear.getName();
        return !name.contains("k_proj") && !name.contains("down_proj");
      });
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].quantized, (std::vector<bool>{true, false}));
  for (const awq::ScalingGroup &group : groups)
    for (awq::LinearOp linear : group.consumers)
      EXPECT_NE(linear.getName()->str(), "/mlp/down_proj/MatMul");
}

} // namespace
