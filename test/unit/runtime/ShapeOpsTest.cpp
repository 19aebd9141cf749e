// ShapeOpsTest.cpp - Reshape/Flatten/Squeeze/Unsqueeze/Transpose/Concat/Slice/Split/Expand/
// Shape/ConstantOfShape/Range/Trilu with ONNX semantics.
#include "TestUtil.h"

#include <climits>
#include <numeric>

using namespace awq::test;

namespace {

HostTensor iota(const Shape &shape) {
  std::vector<float> v(static_cast<size_t>(numelOf(shape)));
  std::iota(v.begin(), v.end(), 0.0f);
  return makeF32(shape, v);
}

// Numpy-style slice reference for one axis (positive or negative step).
std::vector<int64_t> sliceIndices(int64_t dim, int64_t start, int64_t end, int64_t step) {
  auto clampIndex = [dim](int64_t i, int64_t lo, int64_t hi) {
    if (i < 0)
      i = i < -dim ? lo : i + dim;
    return std::min(std::max(i, lo), hi);
  };
  std::vector<int64_t> out;
  if (step > 0) {
    for (int64_t i = clampIndex(start, 0, dim); i < clampIndex(end, 0, dim); i += step)
      out.push_back(i);
  } else {
    for (int64_t i = clampIndex(start, -1, dim - 1); i > clampIndex(end, -1, dim - 1); i += step)
      out.push_back(i);
  }
  return out;
}

} // namespace

TEST(Reshape, ZeroCopiesAndMinusOneInfers) {
  const HostTensor x = iota({2, 3, 4});
  const int64_t shape[] = {0, -1};
  awq_tensor desc{};
  ASSERT_EQ(awq_reshape_shape(x.get(), shape, 2, 0, &desc), 0) << awq_last_error();
  EXPECT_EQ(shapeOf(desc), (Shape{2, 12}));
  HostTensor out = HostTensor::like(desc);
  ASSERT_EQ(awq_reshape(x.get(), shape, 2, 0, out.get()), 0);
  EXPECT_EQ(out.values<float>(), x.values<float>());

  // allowzero: a 0 is a real zero-sized dim.
  const HostTensor empty(AWQ_F32, {0, 3});
  const int64_t zeroShape[] = {3, 0};
  ASSERT_EQ(awq_reshape_shape(empty.get(), zeroShape, 2, 1, &desc), 0);
  EXPECT_EQ(shapeOf(desc), (Shape{3, 0}));

  const int64_t twoInferred[] = {-1, -1};
  EXPECT_OP_ERROR(awq_reshape_shape(x.get(), twoInferred, 2, 0, &desc), "awq_reshape_shape",
                  "more than one -1");
  const int64_t wrong[] = {5, 5};
  EXPECT_OP_ERROR(awq_reshape_shape(x.get(), wrong, 2, 0, &desc), "awq_reshape_shape",
                  "has 25 elements");
}

TEST(Reshape, InPlaceFlattenSqueezeUnsqueeze) {
  HostTensor x = iota({2, 1, 3, 1});
  awq_tensor view = *x.get();
  const int64_t shape[] = {6};
  ASSERT_EQ(awq_reshape_shape(x.get(), shape, 1, 0, &view), 0);
  view.data = x.get()->data; // aliasing output: nothing to copy
  ASSERT_EQ(awq_reshape(x.get(), shape, 1, 0, &view), 0);

  awq_tensor desc{};
  ASSERT_EQ(awq_flatten_shape(x.get(), 2, &desc), 0);
  EXPECT_EQ(shapeOf(desc), (Shape{2, 3}));
  ASSERT_EQ(awq_flatten_shape(x.get(), 4, &desc), 0);
  EXPECT_EQ(shapeOf(desc), (Shape{6, 1}));
  ASSERT_EQ(awq_flatten_shape(x.get(), -4, &desc), 0);
  EXPECT_EQ(shapeOf(desc), (Shape{1, 6}));

  ASSERT_EQ(awq_squeeze_shape(x.get(), nullptr, 0, &desc), 0);
  EXPECT_EQ(shapeOf(desc), (Shape{2, 3}));
  const int64_t lastAxis = -1;
  ASSERT_EQ(awq_squeeze_shape(x.get(), &lastAxis, 1, &desc), 0);
  EXPECT_EQ(shapeOf(desc), (Shape{2, 1, 3}));
  HostTensor squeezed = HostTensor::like(desc);
  ASSERT_EQ(awq_squeeze(x.get(), &lastAxis, 1, squeezed.get()), 0);
  EXPECT_EQ(squeezed.values<float>(), x.values<float>());
  const int64_t notOne = 0;
  EXPECT_OP_ERROR(awq_squeeze_shape(x.get(), &notOne, 1, &desc), "awq_squeeze_shape", "not 1");

  const HostTensor y = iota({2, 3});
  const int64_t axes[] = {0, -1};
  ASSERT_EQ(awq_unsqueeze_shape(y.get(), axes, 2, &desc), 0);
  EXPECT_EQ(shapeOf(desc), (Shape{1, 2, 3, 1}));
  const int64_t dup[] = {1, 1};
  EXPECT_OP_ERROR(awq_unsqueeze_shape(y.get(), dup, 2, &desc), "awq_unsqueeze_shape", "twice");
}

TEST(Transpose, PermutationsMatchReference) {
  const Shape shape{2, 3, 4, 5};
  const HostTensor x = iota(shape);
  const std::vector<std::vector<int64_t>> perms = {
      {0, 2, 1, 3}, {3, 2, 1, 0}, {1, 0, 3, 2}, {0, 1, 3, 2}, {2, 0, 3, 1}, {-4, -2, -3, -1}};
  for (const auto &perm : perms) {
    SCOPED_TRACE(::testing::PrintToString(perm));
    awq_tensor desc{};
    ASSERT_EQ(awq_transpose_shape(x.get(), perm.data(), 4, &desc), 0) << awq_last_error();
    HostTensor out = HostTensor::like(desc);
    ASSERT_EQ(awq_transpose(x.get(), perm.data(), 4, out.get()), 0);
    const Shape outShape = out.shape(), inStrides = stridesOf(shape);
    const std::vector<float> got = out.values<float>();
    for (int64_t i = 0; i < numelOf(outShape); ++i) {
      const Shape idx = unravel(i, outShape);
      int64_t src = 0;
      for (size_t a = 0; a < 4; ++a)
        src += idx[a] * inStrides[perm[a] < 0 ? perm[a] + 4 : perm[a]];
      ASSERT_EQ(got[i], static_cast<float>(src)) << i;
    }
  }
  awq_tensor desc{};
  ASSERT_EQ(awq_transpose_shape(x.get(), nullptr, 0, &desc), 0);
  EXPECT_EQ(shapeOf(desc), (Shape{5, 4, 3, 2}));
  const int64_t bad[] = {0, 0, 1, 2};
  EXPECT_OP_ERROR(awq_transpose_shape(x.get(), bad, 4, &desc), "awq_transpose_shape", "repeats");
}

TEST(Concat, AlongMiddleAxisAndErrors) {
  const HostTensor a = iota({2, 1, 3}), b = iota({2, 2, 3});
  const awq_tensor *inputs[] = {a.get(), b.get()};
  awq_tensor desc{};
  ASSERT_EQ(awq_concat_shape(inputs, 2, -2, &desc), 0);
  EXPECT_EQ(shapeOf(desc), (Shape{2, 3, 3}));
  HostTensor out = HostTensor::like(desc);
  ASSERT_EQ(awq_concat(inputs, 2, 1, out.get()), 0) << awq_last_error();
  EXPECT_EQ(out.values<float>(), (std::vector<float>{0, 1, 2, 0, 1, 2, 3, 4, 5,     //
                                                     3, 4, 5, 6, 7, 8, 9, 10, 11})); //
  const HostTensor c = iota({3, 1, 3});
  const awq_tensor *mismatched[] = {a.get(), c.get()};
  EXPECT_OP_ERROR(awq_concat_shape(mismatched, 2, 1, &desc), "awq_concat_shape", "input 1");
}

TEST(Slice, ClampingNegativeIndicesAndSteps) {
  const Shape shape{6, 7};
  const HostTensor x = iota(shape);
  struct Case {
    int64_t start0, end0, step0, start1, end1, step1;
  };
  const std::vector<Case> cases = {
      {0, INT64_MAX, 1, -3, INT64_MAX, 1}, {-100, 100, 2, 1, -1, 3},  {5, -100, -1, -1, INT64_MIN, -2},
      {4, 1, 1, 0, 7, 1},                  {-2, -5, -2, 6, 2, -3},    {1, 3, 1, 100, 200, 1},
      {INT64_MAX, 2, -2, 0, 1, 1},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(::testing::PrintToString(std::vector<int64_t>{c.start0, c.end0, c.step0, c.start1, c.end1, c.step1}));
    const int64_t starts[] = {c.start1, c.start0}, ends[] = {c.end1, c.end0},
                  axes[] = {-1, 0}, steps[] = {c.step1, c.step0};
    awq_tensor desc{};
    ASSERT_EQ(awq_slice_shape(x.get(), starts, ends, axes, steps, 2, &desc), 0) << awq_last_error();
    HostTensor out = HostTensor::like(desc);
    ASSERT_EQ(awq_slice(x.get(), starts, ends, axes, steps, 2, out.get()), 0) << awq_last_error();
    const std::vector<int64_t> rows = sliceIndices(6, c.start0, c.end0, c.step0);
    const std::vector<int64_t> cols = sliceIndices(7, c.start1, c.end1, c.step1);
    ASSERT_EQ(out.shape(), (Shape{static_cast<int64_t>(rows.size()), static_cast<int64_t>(cols.size())}));
    std::vector<float> expected;
    for (int64_t r : rows)
      for (int64_t col : cols)
        expected.push_back(static_cast<float>(r * 7 + col));
    EXPECT_EQ(out.values<float>(), expected);
  }
}

TEST(Slice, DefaultAxesAndErrors) {
  const HostTensor x = iota({4, 3});
  const int64_t starts[] = {1}, ends[] = {-1};
  awq_tensor desc{};
  ASSERT_EQ(awq_slice_shape(x.get(), starts, ends, nullptr, nullptr, 1, &desc), 0);
  EXPECT_EQ(shapeOf(desc), (Shape{2, 3}));
  const int64_t zeroStep[] = {0};
  EXPECT_OP_ERROR(awq_slice_shape(x.get(), starts, ends, nullptr, zeroStep, 1, &desc),
                  "awq_slice_shape", "step");
  const int64_t twoStarts[] = {0, 0}, twoEnds[] = {1, 1}, sameAxis[] = {1, -1};
  EXPECT_OP_ERROR(awq_slice_shape(x.get(), twoStarts, twoEnds, sameAxis, nullptr, 2, &desc),
                  "awq_slice_shape", "twice");
}

TEST(Split, ExplicitAndEqualParts) {
  const HostTensor x = iota({2, 5});
  awq_tensor parts[3] = {};
  const int64_t sizes[] = {1, 4};
  ASSERT_EQ(awq_split_shape(x.get(), -1, sizes, 2, parts), 0);
  EXPECT_EQ(shapeOf(parts[0]), (Shape{2, 1}));
  EXPECT_EQ(shapeOf(parts[1]), (Shape{2, 4}));
  HostTensor a = HostTensor::like(parts[0]), b = HostTensor::like(parts[1]);
  awq_tensor outs[2] = {*a.get(), *b.get()};
  ASSERT_EQ(awq_split(x.get(), 1, sizes, 2, outs), 0) << awq_last_error();
  EXPECT_EQ(a.values<float>(), (std::vector<float>{0, 5}));
  EXPECT_EQ(b.values<float>(), (std::vector<float>{1, 2, 3, 4, 6, 7, 8, 9}));

  // Equal split of 5 into 3: ceil(5/3) = 2, 2, 1 (opset 18).
  ASSERT_EQ(awq_split_shape(x.get(), 1, nullptr, 3, parts), 0) << awq_last_error();
  EXPECT_EQ(parts[0].shape[1], 2);
  EXPECT_EQ(parts[1].shape[1], 2);
  EXPECT_EQ(parts[2].shape[1], 1);

  const int64_t badSizes[] = {2, 2};
  EXPECT_OP_ERROR(awq_split_shape(x.get(), 1, badSizes, 2, parts), "awq_split_shape", "sum to 4");
}

TEST(Expand, BidirectionalBroadcast) {
  const HostTensor x = iota({3, 1});
  const int64_t shape[] = {2, 1, 4};
  awq_tensor desc{};
  ASSERT_EQ(awq_expand_shape(x.get(), shape, 3, &desc), 0);
  EXPECT_EQ(shapeOf(desc), (Shape{2, 3, 4}));
  HostTensor out = HostTensor::like(desc);
  ASSERT_EQ(awq_expand(x.get(), shape, 3, out.get()), 0) << awq_last_error();
  const std::vector<float> v = out.values<float>();
  for (int64_t i = 0; i < 24; ++i)
    EXPECT_EQ(v[i], static_cast<float>((i / 4) % 3));
  const int64_t bad[] = {2, 1}; // 3 vs 2
  EXPECT_OP_ERROR(awq_expand_shape(x.get(), bad, 2, &desc), "awq_expand_shape", "cannot broadcast");
}

TEST(ShapeOp, StartEndClamping) {
  const HostTensor x(AWQ_F32, {2, 3, 4, 5});
  awq_tensor desc{};
  ASSERT_EQ(awq_shape_op_shape(x.get(), 1, INT64_MAX, &desc), 0);
  HostTensor out = HostTensor::like(desc);
  ASSERT_EQ(awq_shape_op(x.get(), 1, INT64_MAX, out.get()), 0);
  EXPECT_EQ(out.values<int64_t>(), (std::vector<int64_t>{3, 4, 5}));
  ASSERT_EQ(awq_shape_op_shape(x.get(), -2, -1, &desc), 0);
  HostTensor mid = HostTensor::like(desc);
  ASSERT_EQ(awq_shape_op(x.get(), -2, -1, mid.get()), 0);
  EXPECT_EQ(mid.values<int64_t>(), (std::vector<int64_t>{4}));
  ASSERT_EQ(awq_shape_op_shape(x.get(), 3, 1, &desc), 0);
  EXPECT_EQ(shapeOf(desc), (Shape{0}));
}

TEST(ConstantOfShape, ValueDtypeAndDefault) {
  const int64_t shape[] = {2, 3};
  const HostTensor value = makeI64({1}, {7});
  awq_tensor desc{};
  ASSERT_EQ(awq_constant_of_shape_shape(shape, 2, value.get(), &desc), 0);
  EXPECT_EQ(desc.dtype, AWQ_I64);
  HostTensor out = HostTensor::like(desc);
  ASSERT_EQ(awq_constant_of_shape(shape, 2, value.get(), out.get()), 0);
  EXPECT_EQ(out.values<int64_t>(), std::vector<int64_t>(6, 7));
  ASSERT_EQ(awq_constant_of_shape_shape(shape, 2, nullptr, &desc), 0);
  EXPECT_EQ(desc.dtype, AWQ_F32);
  const int64_t negative[] = {-1};
  EXPECT_OP_ERROR(awq_constant_of_shape_shape(negative, 1, nullptr, &desc),
                  "awq_constant_of_shape_shape", "negative");
}

TEST(Range, IntegerAndFloat) {
  awq_tensor desc{};
  ASSERT_EQ(awq_range_shape(10, 3, -3, AWQ_I64, &desc), 0);
  HostTensor ints = HostTensor::like(desc);
  ASSERT_EQ(awq_range(10, 3, -3, AWQ_I64, ints.get()), 0);
  EXPECT_EQ(ints.values<int64_t>(), (std::vector<int64_t>{10, 7, 4}));
  ASSERT_EQ(awq_range_shape(0, 1, 0.25, AWQ_F32, &desc), 0);
  HostTensor floats = HostTensor::like(desc);
  ASSERT_EQ(awq_range(0, 1, 0.25, AWQ_F32, floats.get()), 0);
  EXPECT_EQ(floats.values<float>(), (std::vector<float>{0, 0.25f, 0.5f, 0.75f}));
  ASSERT_EQ(awq_range_shape(5, 1, 1, AWQ_I32, &desc), 0);
  EXPECT_EQ(desc.shape[0], 0);
  EXPECT_OP_ERROR(awq_range_shape(0, 1, 0, AWQ_I64, &desc), "awq_range_shape", "delta");
}

TEST(Trilu, UpperAndLowerWithDiagonalOffset) {
  const HostTensor x = iota({2, 3, 4});
  for (int upper : {0, 1})
    for (int64_t k : {-1, 0, 2}) {
      SCOPED_TRACE(std::to_string(upper) + " k=" + std::to_string(k));
      HostTensor out(AWQ_F32, {2, 3, 4});
      ASSERT_EQ(awq_trilu(x.get(), k, upper, out.get()), 0);
      const std::vector<float> v = out.values<float>();
      for (int64_t i = 0; i < 24; ++i) {
        const int64_t row = (i / 4) % 3, col = i % 4;
        const bool keep = upper ? col - row >= k : col - row <= k;
        EXPECT_EQ(v[i], keep ? static_cast<float>(i) : 0.0f) << i;
      }
    }
  const HostTensor vec = iota({4});
  awq_tensor desc{};
  EXPECT_OP_ERROR(awq_trilu_shape(vec.get(), 0, 1, &desc), "awq_trilu_shape", "rank >= 2");
}
