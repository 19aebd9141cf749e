// ReductionsTest.cpp - ReduceSum/Mean/Max/Min/Prod over axis sets against a reference.
#include "RuntimeInternal.h"
#include "TestUtil.h"

#include <algorithm>
#include <limits>

using namespace awq::test;

namespace {

// Reference reduction with keepdims = 1 (reduced axes become 1).
std::vector<double> reduceReference(awq_reduce_op op, const std::vector<double> &x,
                                    const Shape &shape, const std::vector<bool> &reduced) {
  Shape outShape = shape;
  for (size_t i = 0; i < shape.size(); ++i)
    if (reduced[i])
      outShape[i] = 1;
  const Shape outStrides = stridesOf(outShape);
  const int64_t outputs = numelOf(outShape);
  std::vector<double> acc(outputs, op == AWQ_REDUCE_PROD ? 1.0
                                   : op == AWQ_REDUCE_MAX ? -std::numeric_limits<double>::infinity()
                                   : op == AWQ_REDUCE_MIN ? std::numeric_limits<double>::infinity()
                                                          : 0.0);
  for (int64_t i = 0; i < numelOf(shape); ++i) {
    const Shape idx = unravel(i, shape);
    int64_t o = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      o += (reduced[d] ? 0 : idx[d]) * outStrides[d];
    switch (op) {
    case AWQ_REDUCE_SUM: case AWQ_REDUCE_MEAN: acc[o] += x[i]; break;
    case AWQ_REDUCE_PROD: acc[o] *= x[i]; break;
    case AWQ_REDUCE_MAX: acc[o] = std::max(acc[o], x[i]); break;
    case AWQ_REDUCE_MIN: acc[o] = std::min(acc[o], x[i]); break;
    }
  }
  if (op == AWQ_REDUCE_MEAN)
    for (double &v : acc)
      v /= static_cast<double>(numelOf(shape) / outputs);
  return acc;
}

} // namespace

TEST(Reduce, AxisSetsKeepdimsAndNegativeAxes) {
  const Shape shape{3, 4, 5, 2};
  const HostTensor x = makeF32(shape, randomFloats(numelOf(shape), 1, 0.5f, 1.5f));
  const std::vector<std::vector<int64_t>> axisSets = {{-1}, {1}, {0, 2}, {1, -1}, {0, 1, 2, 3}, {2, 1}};
  for (awq_reduce_op op :
       {AWQ_REDUCE_SUM, AWQ_REDUCE_MEAN, AWQ_REDUCE_MAX, AWQ_REDUCE_MIN, AWQ_REDUCE_PROD}) {
    for (const auto &axes : axisSets) {
      for (int keepdims : {0, 1}) {
        SCOPED_TRACE(::testing::PrintToString(axes) + " op " + std::to_string(op) + " keep " +
                     std::to_string(keepdims));
        std::vector<bool> reduced(4, false);
        Shape expectedShape;
        for (int64_t a : axes)
          reduced[a < 0 ? a + 4 : a] = true;
        for (size_t d = 0; d < 4; ++d)
          if (!reduced[d] || keepdims)
            expectedShape.push_back(reduced[d] ? 1 : shape[d]);
        awq_tensor desc{};
        ASSERT_EQ(awq_reduce_shape(op, x.get(), axes.data(), axes.size(), keepdims, 0, &desc), 0)
            << awq_last_error();
        ASSERT_EQ(shapeOf(desc), expectedShape);
        HostTensor out = HostTensor::like(desc);
        ASSERT_EQ(awq_reduce(op, x.get(), axes.data(), axes.size(), keepdims, 0, out.get()), 0)
            << awq_last_error();
        expectNear(out.asDoubles(), reduceReference(op, x.asDoubles(), shape, reduced), 1e-5, 1e-5);
      }
    }
  }
}

TEST(Reduce, EmptyAxesReduceAllOrNothing) {
  const HostTensor x = makeF32({2, 3}, {1, 2, 3, 4, 5, 6});
  awq_tensor desc{};
  ASSERT_EQ(awq_reduce_shape(AWQ_REDUCE_SUM, x.get(), nullptr, 0, 0, 0, &desc), 0);
  EXPECT_EQ(desc.rank, 0);
  HostTensor all = HostTensor::like(desc);
  ASSERT_EQ(awq_reduce(AWQ_REDUCE_SUM, x.get(), nullptr, 0, 0, 0, all.get()), 0);
  EXPECT_EQ(all.values<float>(), std::vector<float>{21});

  ASSERT_EQ(awq_reduce_shape(AWQ_REDUCE_SUM, x.get(), nullptr, 0, 1, 1, &desc), 0);
  EXPECT_EQ(shapeOf(desc), (Shape{2, 3}));
  HostTensor same = HostTensor::like(desc);
  ASSERT_EQ(awq_reduce(AWQ_REDUCE_SUM, x.get(), nullptr, 0, 1, 1, same.get()), 0);
  EXPECT_EQ(same.values<float>(), x.values<float>());
}

TEST(Reduce, IntegersAndHalf) {
  const HostTensor i = makeI64({2, 3}, {1, 2, 3, 4, 5, 7});
  const int64_t axis = 1;
  HostTensor out(AWQ_I64, {2});
  ASSERT_EQ(awq_reduce(AWQ_REDUCE_MEAN, i.get(), &axis, 1, 0, 0, out.get()), 0);
  EXPECT_EQ(out.values<int64_t>(), (std::vector<int64_t>{2, 5})); // 16 / 3 truncates
  ASSERT_EQ(awq_reduce(AWQ_REDUCE_MAX, i.get(), &axis, 1, 0, 0, out.get()), 0);
  EXPECT_EQ(out.values<int64_t>(), (std::vector<int64_t>{3, 7}));

  const HostTensor h = makeHalf(AWQ_F16, {2, 3}, {1, 2, 3, 4, 5, 6});
  HostTensor hs(AWQ_F16, {2});
  ASSERT_EQ(awq_reduce(AWQ_REDUCE_SUM, h.get(), &axis, 1, 0, 0, hs.get()), 0);
  EXPECT_EQ(hs.asDoubles(), (std::vector<double>{6, 15}));
}

TEST(Reduce, Errors) {
  const HostTensor x = makeF32({2, 3}, std::vector<float>(6, 1));
  const int64_t twice[] = {1, -1};
  awq_tensor desc{};
  EXPECT_OP_ERROR(awq_reduce_shape(AWQ_REDUCE_SUM, x.get(), twice, 2, 0, 0, &desc),
                  "awq_reduce_shape", "listed twice");
  const int64_t bad = 2;
  EXPECT_OP_ERROR(awq_reduce_shape(AWQ_REDUCE_MEAN, x.get(), &bad, 1, 0, 0, &desc),
                  "awq_reduce_shape", "out of range");
}

// The split the CPU loop and the CUDA kernel share: kept and reduced axes
// with their input strides, neighbours of one kind merged into one run.
TEST(Reduce, AxesSplitIntoKeptAndReducedRuns) {
  const HostTensor x(AWQ_F32, {2, 3, 4, 5});
  auto split = [&](std::vector<int64_t> axes, int noop = 0) {
    return awq::rt::reductionAxes(x.get(), axes.data(), static_cast<int64_t>(axes.size()), noop);
  };
  // Axes 1 and 2 form one run of 12 with stride 5; 0 and 3 stay apart.
  awq::rt::ReductionAxes inner = split({1, -2});
  EXPECT_EQ(inner.keptDims, (awq::rt::Shape{2, 5}));
  EXPECT_EQ(inner.keptStrides, (awq::rt::Shape{60, 1}));
  EXPECT_EQ(inner.reducedDims, (awq::rt::Shape{12}));
  EXPECT_EQ(inner.reducedStrides, (awq::rt::Shape{5}));
  // Axes 0 and 3 around kept 1..2: two reduced runs, one kept run.
  awq::rt::ReductionAxes outer = split({3, 0});
  EXPECT_EQ(outer.keptDims, (awq::rt::Shape{12}));
  EXPECT_EQ(outer.keptStrides, (awq::rt::Shape{5}));
  EXPECT_EQ(outer.reducedDims, (awq::rt::Shape{2, 5}));
  EXPECT_EQ(outer.reducedStrides, (awq::rt::Shape{60, 1}));
  // No axes: everything, or (noop_with_empty_axes) nothing.
  awq::rt::ReductionAxes all = split({});
  EXPECT_TRUE(all.keptDims.empty());
  EXPECT_EQ(all.reducedDims, (awq::rt::Shape{120}));
  EXPECT_EQ(all.reducedStrides, (awq::rt::Shape{1}));
  awq::rt::ReductionAxes none = split({}, 1);
  EXPECT_EQ(none.keptDims, (awq::rt::Shape{120}));
  EXPECT_TRUE(none.reducedDims.empty());
  // Checked as the shape function checks.
  EXPECT_THROW(split({4}), awq::rt::OpError);
  EXPECT_THROW(split({1, 1}), awq::rt::OpError);
}
