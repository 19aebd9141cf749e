// GpuGraphKernelsTest.cpp - awq_cuda_strided_copy, awq_cuda_gather_rows and
// awq_cuda_where, the device data movement of a compiled model's Transpose,
// Slice, Split, Expand, Gather and Where, against the CPU runtime's own ops
// on the same bytes. A copy
// computes nothing, so the comparison is bit for bit, for every element width
// the kernels move.
#include "CudaTestUtil.h"

#include <cstring>
#include <limits>
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
