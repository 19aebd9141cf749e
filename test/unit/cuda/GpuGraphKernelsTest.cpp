// GpuGraphKernelsTest.cpp - the generic graph kernels against the CPU
// runtime's own ops on the same bytes:
//  - awq_cuda_strided_copy, awq_cuda_gather_rows and awq_cuda_where, the
//    device data movement of a compiled model's Transpose, Slice, Split,
//    Expand, Gather and Where. A copy computes nothing, so the comparison is
//    bit for bit, for every element width the kernels move;
//  - awq_cuda_reduce (ReduceSum/Mean/Max/Min/Prod) over the CPU runtime's
//    axis split, and awq_cuda_binary's Min/Max with NaNs;
//  - awq_cuda_fill and awq_cuda_trilu (ConstantOfShape, Trilu) bit for bit,
//    and awq_cuda_gemm (Gemm) against the CPU's sgemm.
#include "CudaTestUtil.h"
#include "RuntimeInternal.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

using namespace awq::test;

namespace {

// x[4, 6] holding element numbers 0..23 in a dtype of each width.
constexpr int32_t kDtypesByWidth[] = {AWQ_F16, AWQ_F32, AWQ_I64};

HostTensor numbered(int32_t dtype, const Shape &shape) {
  HostTensor x(dtype, shape);
  const size_t width = awq_dtype_size(dtype);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const uint64_t value = 0x0101010101010101ull * static_cast<uint64_t>(i + 1);
    std::memcpy(x.data<uint8_t>() + i * width, &value, width);
  }
  return x;
}

// Copies x (uploaded whole) on the device from element `offset` with
// x_strides into a contiguous [shape] and returns its bytes.
std::vector<uint8_t> copyOnDevice(const HostTensor &x, int64_t offset, const Shape &xStrides,
                                  const Shape &shape) {
  const size_t width = awq_dtype_size(x.get()->dtype);
  const DeviceBuffer source = DeviceBuffer::fromBytes(x.get()->data, x.numel() * width);
  DeviceBuffer y(static_cast<size_t>(numelOf(shape)) * width);
  Shape yStrides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;)
    yStrides[d - 1] = yStrides[d] * shape[d];
  const auto *first = static_cast<const uint8_t *>(source.get()) + offset * width;
  EXPECT_EQ(awq_cuda_strided_copy(first, xStrides.data(), y.get(), yStrides.data(), shape.data(),
                                  static_cast<int32_t>(shape.size()),
                                  static_cast<int32_t>(width), nullptr),
            0)
      << awq_last_error();
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  return y.download<uint8_t>();
}

std::vector<uint8_t> bytesOf(const HostTensor &t) {
  const auto *data = static_cast<const uint8_t *>(t.get()->data);
  return std::vector<uint8_t>(data, data + t.numel() * awq_dtype_size(t.get()->dtype));
}

} // namespace

TEST(GpuGraphKernels, StridedCopyMatchesCpuTransposeSliceExpand) {
  AWQ_REQUIRE_GPU();
  constexpr int64_t kFromEnd = std::numeric_limits<int64_t>::min();
  for (int32_t dtype : kDtypesByWidth) {
    SCOPED_TRACE(awq_dtype_name(dtype));
    const HostTensor x = numbered(dtype, {4, 6});

    // Transpose: output dim 0 walks x's columns.
    HostTensor transposed(dtype, {6, 4});
    AWQ_ASSERT_OK(awq_transpose(x.get(), nullptr, 0, transposed.get()));
    EXPECT_EQ(copyOnDevice(x, 0, {1, 6}, {6, 4}), bytesOf(transposed));

    // Slice backwards along both axes: rows 3..0, columns 5, 3, 1. The source
    // starts at element (3, 5) and steps back (negative strides).
    const int64_t starts[2] = {-1, 5}, ends[2] = {kFromEnd, kFromEnd}, steps[2] = {-1, -2};
    HostTensor reversed(dtype, {4, 3});
    AWQ_ASSERT_OK(awq_slice(x.get(), starts, ends, nullptr, steps, 2, reversed.get()));
    EXPECT_EQ(copyOnDevice(x, 3 * 6 + 5, {-6, -2}, {4, 3}), bytesOf(reversed));

    // Split's second part along axis 1 (columns 2..5): a slab from offset 2.
    HostTensor parts[2] = {HostTensor(dtype, {4, 2}), HostTensor(dtype, {4, 4})};
    awq_tensor partDescriptors[2] = {*parts[0].get(), *parts[1].get()};
    const int64_t sizes[2] = {2, 4};
    AWQ_ASSERT_OK(awq_split(x.get(), 1, sizes, 2, partDescriptors));
    EXPECT_EQ(copyOnDevice(x, 2, {6, 1}, {4, 4}), bytesOf(parts[1]));

    // Expand [4, 1, 6] to [4, 3, 6]: stride 0 along the broadcast dim.
    HostTensor column = numbered(dtype, {4, 1, 6});
    const int64_t target[3] = {4, 3, 6};
    HostTensor expanded(dtype, {4, 3, 6});
    AWQ_ASSERT_OK(awq_expand(column.get(), target, 3, expanded.get()));
    EXPECT_EQ(copyOnDevice(column, 0, {6, 0, 1}, {4, 3, 6}), bytesOf(expanded));
  }
}

TEST(GpuGraphKernels, GatherRowsMatchesCpuGather) {
  AWQ_REQUIRE_GPU();
  // data [2, 5, 3] gathered along axis 1: outer 2, extent 5, inner 3; rows
  // repeat and come in any order (the CPU op wraps -1 to 4 first).
  const std::vector<int64_t> indices = {4, 0, 2, 2, -1}, rows = {4, 0, 2, 2, 4};
  const int64_t count = static_cast<int64_t>(rows.size());
  const DeviceBuffer rowsDevice = DeviceBuffer::from(rows);
  for (int32_t dtype : kDtypesByWidth) {
    SCOPED_TRACE(awq_dtype_name(dtype));
    const HostTensor data = numbered(dtype, {2, 5, 3});
    const HostTensor indexTensor = makeI64({count}, indices);
    HostTensor expected(dtype, {2, count, 3});
    AWQ_ASSERT_OK(awq_gather(data.get(), indexTensor.get(), 1, expected.get()));

    const size_t width = awq_dtype_size(dtype);
    const DeviceBuffer x = DeviceBuffer::fromBytes(data.get()->data, data.numel() * width);
    DeviceBuffer y(static_cast<size_t>(expected.numel()) * width);
    AWQ_ASSERT_OK(awq_cuda_gather_rows(x.get(), 2, 5, 3,
                                       static_cast<const int64_t *>(rowsDevice.get()), count,
                                       static_cast<int32_t>(width), y.get(), nullptr));
    AWQ_ASSERT_CUDA(cudaDeviceSynchronize());
    EXPECT_EQ(y.download<uint8_t>(), bytesOf(expected));
  }
}

TEST(GpuGraphKernels, WhereMatchesCpuWhereWithBroadcasting) {
  AWQ_REQUIRE_GPU();
  // cond [3, 1] (one choice per row), a [3, 4], b [4] (one row for all rows):
  // y [3, 4]; a causal-mask-like pattern and every broadcast direction.
  const std::vector<uint8_t> cond = {1, 0, 1};
  const DeviceBuffer condDevice = DeviceBuffer::from(cond);
  const int64_t shape[2] = {3, 4}, condStrides[2] = {1, 0}, aStrides[2] = {4, 1},
                bStrides[2] = {0, 1};
  for (int32_t dtype : kDtypesByWidth) {
    SCOPED_TRACE(awq_dtype_name(dtype));
    const HostTensor condTensor = makeBool({3, 1}, cond);
    const HostTensor a = numbered(dtype, {3, 4});
    const HostTensor b = numbered(dtype, {4});
    HostTensor expected(dtype, {3, 4});
    AWQ_ASSERT_OK(awq_where(condTensor.get(), a.get(), b.get(), expected.get()));

    const size_t width = awq_dtype_size(dtype);
    const DeviceBuffer aDevice = DeviceBuffer::fromBytes(a.get()->data, a.numel() * width);
    const DeviceBuffer bDevice = DeviceBuffer::fromBytes(b.get()->data, b.numel() * width);
    DeviceBuffer y(static_cast<size_t>(expected.numel()) * width);
    AWQ_ASSERT_OK(awq_cuda_where(static_cast<const uint8_t *>(condDevice.get()), condStrides,
                                 aDevice.get(), aStrides, bDevice.get(), bStrides, shape, 2,
                                 static_cast<int32_t>(width), y.get(), nullptr));
    AWQ_ASSERT_CUDA(cudaDeviceSynchronize());
    EXPECT_EQ(y.download<uint8_t>(), bytesOf(expected));
  }
}

namespace {

// x of `dtype` from float values (rounded to the dtype).
HostTensor floatTensor(int32_t dtype, const Shape &shape, const std::vector<float> &values) {
  return dtype == AWQ_F32 ? makeF32(shape, values) : makeHalf(dtype, shape, values);
}

// Runs awq_cuda_reduce on x over the CPU runtime's split of `axes`; the
// output has expected's shape.
HostTensor reduceOnDevice(awq_reduce_op op, const HostTensor &x, const std::vector<int64_t> &axes,
                          const HostTensor &expected) {
  const awq::rt::ReductionAxes split =
      awq::rt::reductionAxes(x.get(), axes.data(), static_cast<int64_t>(axes.size()), 0);
  const size_t width = awq_dtype_size(x.get()->dtype);
  const DeviceBuffer source = DeviceBuffer::fromBytes(x.get()->data, x.numel() * width + 1);
  DeviceBuffer y(static_cast<size_t>(expected.numel()) * width + 1);
  EXPECT_EQ(awq_cuda_reduce(op, source.get(), split.keptDims.data(), split.keptStrides.data(),
                            static_cast<int32_t>(split.keptDims.size()), split.reducedDims.data(),
                            split.reducedStrides.data(),
                            static_cast<int32_t>(split.reducedDims.size()), x.get()->dtype,
                            y.get(), nullptr),
            0)
      << awq_last_error();
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  HostTensor result = HostTensor::like(*expected.get());
  const std::vector<uint8_t> bytes = y.download<uint8_t>();
  std::memcpy(result.get()->data, bytes.data(), static_cast<size_t>(expected.numel()) * width);
  return result;
}

} // namespace

TEST(GpuGraphKernels, ReduceMatchesCpuReduce) {
  AWQ_REQUIRE_GPU();
  struct Case {
    Shape shape;
    std::vector<int64_t> axes;
  };
  const Case cases[] = {
      {{4, 6, 40}, {-1}},   // rows: a warp per output
      {{4, 6, 40}, {1}},    // an inner axis (strided walk)
      {{4, 6, 40}, {0, 2}}, // two axes around a kept one
      {{4, 6, 40}, {}},     // everything (960 elements, one output)
      {{3, 3000}, {1}},     // long rows: a block per output
      {{3, 0, 5}, {1}},     // nothing to reduce: the identities
  };
  const awq_reduce_op ops[] = {AWQ_REDUCE_SUM, AWQ_REDUCE_MEAN, AWQ_REDUCE_MAX, AWQ_REDUCE_MIN,
                               AWQ_REDUCE_PROD};
  for (int32_t dtype : {AWQ_F32, AWQ_F16, AWQ_BF16}) {
    for (const Case &c : cases) {
      for (awq_reduce_op op : ops) {
        SCOPED_TRACE(std::string(awq_dtype_name(dtype)) + " op " + std::to_string(op) +
                     " case " + std::to_string(&c - cases));
        const int64_t count = numelOf(c.shape);
        // Products of values near 1 stay finite; one NaN, which Max and Min
        // skip and the sums carry, in all but the product cases.
        std::vector<float> values = op == AWQ_REDUCE_PROD
                                        ? randomFloats(count, 7, 0.99f, 1.01f)
                                        : randomFloats(count, 7, -4.0f, 4.0f);
        if (op != AWQ_REDUCE_PROD && count > 5)
          values[5] = std::nanf("");
        const HostTensor x = floatTensor(dtype, c.shape, values);
        awq_tensor descriptor{};
        AWQ_ASSERT_OK(awq_reduce_shape(op, x.get(), c.axes.data(),
                                       static_cast<int64_t>(c.axes.size()), 1, 0, &descriptor));
        HostTensor expected = HostTensor::like(descriptor);
        AWQ_ASSERT_OK(awq_reduce(op, x.get(), c.axes.data(), static_cast<int64_t>(c.axes.size()),
                                 1, 0, expected.get()));
        const HostTensor actual = reduceOnDevice(op, x, c.axes, expected);
        const std::vector<double> want = expected.asDoubles(), got = actual.asDoubles();
        // Max and Min select: bit for bit. Sums and products accumulate in
        // f64 on both sides, in another order: equal after rounding to the
        // dtype but for a rare tie, so one unit in the last place.
        const bool selects = op == AWQ_REDUCE_MAX || op == AWQ_REDUCE_MIN;
        const double ulp = dtype == AWQ_F32 ? 0x1p-23 : 2 * unitRoundoff(dtype);
        for (size_t i = 0; i < want.size(); ++i) {
          if (std::isnan(want[i])) {
            EXPECT_TRUE(std::isnan(got[i])) << "output " << i;
            continue;
          }
          if (selects)
            EXPECT_EQ(got[i], want[i]) << "output " << i;
          else
            EXPECT_LE(std::fabs(got[i] - want[i]), ulp * std::fabs(want[i])) << "output " << i;
        }
      }
    }
  }
}

TEST(GpuGraphKernels, MinMaxSelectAsTheCpuRuntime) {
  AWQ_REQUIRE_GPU();
  // NaN in a, in b, in both, and neither: the CPU's b < a ? b : a and
  // a < b ? b : a keep a NaN in a and drop one in b.
  const float nan = std::nanf("");
  const std::vector<float> a = {nan, 1.0f, nan, 2.0f, -0.0f}, b = {1.0f, nan, nan, 3.0f, 0.0f};
  const int64_t shape[1] = {5}, strides[1] = {1};
  for (int32_t dtype : {AWQ_F32, AWQ_F16, AWQ_BF16}) {
    for (awq_binary_op op : {AWQ_BINARY_MIN, AWQ_BINARY_MAX}) {
      SCOPED_TRACE(std::string(awq_dtype_name(dtype)) + " op " + std::to_string(op));
      const HostTensor aTensor = floatTensor(dtype, {5}, a), bTensor = floatTensor(dtype, {5}, b);
      HostTensor expected(dtype, {5});
      AWQ_ASSERT_OK(awq_binary(op, aTensor.get(), bTensor.get(), expected.get()));
      const size_t bytes = 5 * awq_dtype_size(dtype);
      const DeviceBuffer aDevice = DeviceBuffer::fromBytes(aTensor.get()->data, bytes);
      const DeviceBuffer bDevice = DeviceBuffer::fromBytes(bTensor.get()->data, bytes);
      DeviceBuffer y(bytes);
      AWQ_ASSERT_OK(awq_cuda_binary(op, aDevice.get(), strides, bDevice.get(), strides, shape, 1,
                                    dtype, y.get(), nullptr));
      AWQ_ASSERT_CUDA(cudaDeviceSynchronize());
      EXPECT_EQ(y.download<uint8_t>(), bytesOf(expected));
    }
  }
}

TEST(GpuGraphKernels, FillAndTriluMatchCpuGenerators) {
  AWQ_REQUIRE_GPU();
  for (int32_t dtype : kDtypesByWidth) {
    SCOPED_TRACE(awq_dtype_name(dtype));
    const size_t width = awq_dtype_size(dtype);
    const auto widthArg = static_cast<int32_t>(width);

    // ConstantOfShape [3, 291] of a value whose bytes all differ.
    HostTensor value(dtype, {1});
    const uint64_t pattern = 0x0807060504030201ull;
    std::memcpy(value.get()->data, &pattern, width);
    const int64_t shape[2] = {3, 291};
    HostTensor filled(dtype, {3, 291});
    AWQ_ASSERT_OK(awq_constant_of_shape(shape, 2, value.get(), filled.get()));
    DeviceBuffer y(static_cast<size_t>(filled.numel()) * width);
    AWQ_ASSERT_OK(awq_cuda_fill(y.get(), filled.numel(), widthArg, value.get()->data, nullptr));
    AWQ_ASSERT_CUDA(cudaDeviceSynchronize());
    EXPECT_EQ(y.download<uint8_t>(), bytesOf(filled));

    // Trilu of two [5, 7] matrices, both triangles, diagonals below, on and
    // above the main one and past either corner.
    const HostTensor x = numbered(dtype, {2, 5, 7});
    const DeviceBuffer xDevice = DeviceBuffer::fromBytes(x.get()->data, x.numel() * width);
    for (int upper : {0, 1}) {
      for (int64_t k : {-100, -2, 0, 3, 100}) {
        SCOPED_TRACE("upper " + std::to_string(upper) + " k " + std::to_string(k));
        HostTensor expected(dtype, {2, 5, 7});
        AWQ_ASSERT_OK(awq_trilu(x.get(), k, upper, expected.get()));
        DeviceBuffer out(static_cast<size_t>(x.numel()) * width);
        AWQ_ASSERT_OK(
            awq_cuda_trilu(xDevice.get(), 2, 5, 7, k, upper, widthArg, out.get(), nullptr));
        AWQ_ASSERT_CUDA(cudaDeviceSynchronize());
        EXPECT_EQ(out.download<uint8_t>(), bytesOf(expected));
      }
    }
  }
}

TEST(GpuGraphKernels, GemmMatchesCpuGemm) {
  AWQ_REQUIRE_GPU();
  const int64_t m = 5, n = 7, k = 33;
  const float nan = std::nanf("");
  for (int32_t dtype : {AWQ_F32, AWQ_F16, AWQ_BF16}) {
    for (int transA : {0, 1}) {
      for (int transB : {0, 1}) {
        for (bool withC : {false, true}) {
          SCOPED_TRACE(std::string(awq_dtype_name(dtype)) + " transA " + std::to_string(transA) +
                       " transB " + std::to_string(transB) + (withC ? " with C" : ""));
          // The CPU Gemm is f32: it gets the values the device dtype holds.
          const std::vector<float> aValues = roundThrough(dtype, randomFloats(m * k, 1)),
                                   bValues = roundThrough(dtype, randomFloats(k * n, 2)),
                                   cValues = roundThrough(dtype, randomFloats(m, 3));
          const Shape aShape = transA ? Shape{k, m} : Shape{m, k};
          const Shape bShape = transB ? Shape{n, k} : Shape{k, n};
          const HostTensor a = makeF32(aShape, aValues), b = makeF32(bShape, bValues);
          const HostTensor c = makeF32({m, 1}, cValues);
          const float alpha = 0.5f, beta = withC ? 2.0f : 0.0f;
          HostTensor expected(AWQ_F32, {m, n});
          AWQ_ASSERT_OK(awq_gemm(a.get(), b.get(), withC ? c.get() : nullptr, alpha, beta, transA,
                                 transB, expected.get()));

          // y starts as C broadcast along the rows (what a compiled Gemm
          // copies in first), or as NaNs that beta = 0 must not read.
          std::vector<float> y0(static_cast<size_t>(m * n));
          for (int64_t i = 0; i < m * n; ++i)
            y0[i] = withC ? cValues[i / n] : nan;
          const HostTensor aDtype = floatTensor(dtype, aShape, aValues),
                           bDtype = floatTensor(dtype, bShape, bValues),
                           yDtype = floatTensor(dtype, {m, n}, y0);
          const size_t width = awq_dtype_size(dtype);
          const DeviceBuffer aDevice = DeviceBuffer::fromBytes(aDtype.get()->data, m * k * width);
          const DeviceBuffer bDevice = DeviceBuffer::fromBytes(bDtype.get()->data, k * n * width);
          const DeviceBuffer y = DeviceBuffer::fromBytes(yDtype.get()->data, m * n * width);
          AWQ_ASSERT_OK(awq_cuda_gemm(aDevice.get(), transA, bDevice.get(), transB, m, n, k, alpha,
                                      beta, dtype, y.get(), nullptr));
          AWQ_ASSERT_CUDA(cudaDeviceSynchronize());
          HostTensor actual(dtype, {m, n});
          std::memcpy(actual.get()->data, y.download<uint8_t>().data(), m * n * width);

          // f32 sums of 33 products in another order, then one rounding to
          // the dtype: a few f32 ulps of the largest output, plus half a unit
          // in the last place of the dtype.
          const std::vector<double> want = expected.asDoubles(), got = actual.asDoubles();
          double largest = 0;
          for (double w : want)
            largest = std::max(largest, std::fabs(w));
          const double rounding = dtype == AWQ_F32 ? 0.0 : unitRoundoff(dtype);
          for (size_t i = 0; i < want.size(); ++i)
            EXPECT_LE(std::fabs(got[i] - want[i]), 1e-5 * largest + rounding * std::fabs(want[i]))
                << "element " << i;
        }
      }
    }
  }
}

// awq.rotary_embedding's device form rounds each product and the sum as the
// CPU op does (no FMA contraction), so the two agree bit for bit in every
// dtype, layout and broadcast of cos/sin. Written 2026-11-23 without a GPU.
TEST(GpuGraphKernels, RotaryEmbeddingMatchesCpuBitForBit) {
  AWQ_REQUIRE_GPU();
  const Shape xShape{2, 3, 5, 8};
  const Shape angleShapes[] = {{1, 1, 5, 8}, {2, 1, 5, 8}, {5, 8}};
  for (int32_t dtype : {AWQ_F32, AWQ_F16, AWQ_BF16})
    for (awq_rope_layout layout : {AWQ_ROPE_HALF_SPLIT, AWQ_ROPE_INTERLEAVED})
      for (const Shape &angleShape : angleShapes) {
        SCOPED_TRACE(testing::Message() << awq_dtype_name(dtype) << " layout " << layout
                                        << " angles rank " << angleShape.size());
        const HostTensor x = floatTensor(dtype, xShape, randomFloats(numelOf(xShape), 1, -4, 4));
        const HostTensor cos =
            floatTensor(dtype, angleShape, randomFloats(numelOf(angleShape), 2, -1, 1));
        const HostTensor sin =
            floatTensor(dtype, angleShape, randomFloats(numelOf(angleShape), 3, -1, 1));
        HostTensor expected(dtype, xShape);
        AWQ_ASSERT_OK(awq_rotary_embedding(x.get(), cos.get(), sin.get(), layout, expected.get()));

        const size_t width = awq_dtype_size(dtype);
        const DeviceBuffer xDevice = DeviceBuffer::fromBytes(x.get()->data, x.numel() * width);
        const DeviceBuffer cosDevice = DeviceBuffer::fromBytes(cos.get()->data, cos.numel() * width);
        const DeviceBuffer sinDevice = DeviceBuffer::fromBytes(sin.get()->data, sin.numel() * width);
        DeviceBuffer y(static_cast<size_t>(x.numel()) * width);
        // cos/sin's element strides over x's dims, 0 where they broadcast.
        Shape strides(xShape.size(), 0);
        int64_t stride = 1;
        for (size_t d = angleShape.size(), o = xShape.size(); d-- > 0;) {
          --o;
          strides[o] = angleShape[d] == 1 ? 0 : stride;
          stride *= angleShape[d];
        }
        AWQ_ASSERT_OK(awq_cuda_rotary_embedding(xDevice.get(), cosDevice.get(), sinDevice.get(),
                                                strides.data(), xShape.data(),
                                                static_cast<int32_t>(xShape.size()), layout, dtype,
                                                y.get(), nullptr));
        AWQ_ASSERT_CUDA(cudaDeviceSynchronize());
        EXPECT_EQ(y.download<uint8_t>(), bytesOf(expected));
      }
}
