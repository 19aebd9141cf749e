//===- GroupMatmulOpTest.cpp - awq.group_matmul through the C++ API -------===//
//
// What an embedder does: build the quantized op with the generated builders,
// read its derived sizes, and rely on the verifier to reject wrong shapes.
//
//===----------------------------------------------------------------------===//

#include "awq/Dialect/AWQ/AWQDialect.h"
#include "awq/InitAll.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {

class GroupMatmulOpTest : public ::testing::Test {
protected:
  GroupMatmulOpTest() : context(makeRegistry()), builder(&context) {
    context.loadAllAvailableDialects();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
  }

  static DialectRegistry makeRegistry() {
    DialectRegistry registry;
    awq::registerAllDialects(registry);
    return registry;
  }

  /// A function whose arguments have the given types, with the builder
  /// positioned inside it; returns its arguments.
  ValueRange makeFunction(ArrayRef<Type> argumentTypes) {
    auto func = func::FuncOp::create(builder, builder.getUnknownLoc(), "f",
                                     builder.getFunctionType(argumentTypes, {}));
    Block *entry = func.addEntryBlock();
    builder.setInsertionPointToEnd(entry);
    return entry->getArguments();
  }

  /// Builds a 4-bit group matmul with K inputs, N outputs and group size G,
  /// with operands of the shapes the row_major layout requires (or the given
  /// number of scale groups, to provoke errors).
  awq::GroupMatmulOp buildGroupMatmul(int64_t k, int64_t n, int64_t g,
                                      int64_t scaleGroups) {
    Type f32 = builder.getF32Type();
    Type u8 = builder.getIntegerType(8, /*isSigned=*/false);
    auto input = RankedTensorType::get({ShapedType::kDynamic, k}, f32);
    auto qweight = RankedTensorType::get({n, (k * 4 + 7) / 8}, u8);
    auto scales = RankedTensorType::get({n, scaleGroups}, f32);
    auto result = RankedTensorType::get({ShapedType::kDynamic, n}, f32);
    ValueRange args = makeFunction({input, qweight, scales});
    return awq::GroupMatmulOp::create(
        builder, builder.getUnknownLoc(), result, args[0], args[1], args[2],
        /*zero_points=*/Value(), /*bias=*/Value(), builder.getI64IntegerAttr(4),
        builder.getI64IntegerAttr(g), builder.getI64IntegerAttr(k),
        awq::WeightLayoutAttr::get(&context, awq::WeightLayout::RowMajor),
        /*name=*/StringAttr());
  }

  MLIRContext context;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
};

TEST_F(GroupMatmulOpTest, PartialLastGroupCounts) {
  // stories260K's down projection: K = 172 is not a multiple of 32.
  awq::GroupMatmulOp op = buildGroupMatmul(172, 64, 32, 6);
  EXPECT_EQ(op.getNumGroups(), 6);
  EXPECT_EQ(op.getOutFeatures(), 64);
  EXPECT_TRUE(succeeded(verify(op)));
}

TEST_F(GroupMatmulOpTest, PerChannelGroupIsOneGroup) {
  awq::GroupMatmulOp op = buildGroupMatmul(172, 64, 172, 1);
  EXPECT_EQ(op.getNumGroups(), 1);
  EXPECT_TRUE(succeeded(verify(op)));
}

TEST_F(GroupMatmulOpTest, VerifierNamesTheWrongScalesShape) {
  awq::GroupMatmulOp op = buildGroupMatmul(172, 64, 32, 5);
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  EXPECT_TRUE(failed(verify(op)));
  EXPECT_EQ(message, "'awq.group_matmul' op scales shape [64, 5] does not "
                     "match [N, ceil(in_features / group_size)] = [64, 6]");
}

} // namespace
