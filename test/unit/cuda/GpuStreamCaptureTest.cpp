// GpuStreamCaptureTest.cpp - the CUDA graph rules a compiled model's decode
// steps rely on (runtime/cuda/model/DecodeStepGraph.h), checked on the GPU
// and on the CUDA emulator alike: an executable graph takes a new capture's
// parameters when the work has the same shape and refuses another shape;
// copies from pinned host memory can be captured and read it at launch. (The
// emulator also refuses pageable host memory under capture; a GPU need not.)
#include "CudaTestUtil.h"

#include <cstdint>
#include <cstring>
#include <numeric>
#include <vector>

using awq::test::DeviceBuffer;

namespace {

constexpr size_t kValues = 64;

std::vector<int32_t> counting(int32_t first) {
  std::vector<int32_t> values(kValues);
  std::iota(values.begin(), values.end(), first);
  return values;
}

// Captures copies of each source into `destination`, one after the other.
cudaGraph_t captureCopies(cudaStream_t stream, const std::vector<const DeviceBuffer *> &sources,
                          const DeviceBuffer &destination) {
  cudaGraph_t graph = nullptr;
  if (cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal) != cudaSuccess)
    return nullptr;
  for (const DeviceBuffer *source : sources)
    cudaMemcpyAsync(destination.get(), source->get(), source->bytes(), cudaMemcpyDeviceToDevice,
                    stream);
  if (cudaStreamEndCapture(stream, &graph) != cudaSuccess)
    return nullptr;
  return graph;
}

class GpuStreamCapture : public ::testing::Test {
protected:
  void SetUp() override {
    AWQ_REQUIRE_GPU();
    AWQ_ASSERT_CUDA(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  }
  void TearDown() override {
    if (executable_)
      cudaGraphExecDestroy(executable_);
    if (stream_)
      cudaStreamDestroy(stream_);
  }
  // Captures copies of `sources` into `destination` as executable_.
  void instantiateCopies(const std::vector<const DeviceBuffer *> &sources,
                         const DeviceBuffer &destination) {
    cudaGraph_t graph = captureCopies(stream_, sources, destination);
    ASSERT_NE(graph, nullptr);
    AWQ_ASSERT_CUDA(cudaGraphInstantiate(&executable_, graph, 0));
    cudaGraphDestroy(graph);
  }
  void launchAndWait() {
    AWQ_ASSERT_CUDA(cudaGraphLaunch(executable_, stream_));
    AWQ_ASSERT_CUDA(cudaStreamSynchronize(stream_));
  }
  cudaStream_t stream_ = nullptr;
  cudaGraphExec_t executable_ = nullptr;
};

} // namespace

TEST_F(GpuStreamCapture, UpdatedGraphRunsTheNewParameters) {
  const DeviceBuffer first = DeviceBuffer::from(counting(0)), second = DeviceBuffer::from(counting(100));
  DeviceBuffer destination(kValues * sizeof(int32_t));
  ASSERT_NO_FATAL_FAILURE(instantiateCopies({&first}, destination));
  ASSERT_NO_FATAL_FAILURE(launchAndWait());
  EXPECT_EQ(destination.download<int32_t>(), counting(0));

  // The same work from another source: the executable graph takes it.
  cudaGraph_t graph = captureCopies(stream_, {&second}, destination);
  ASSERT_NE(graph, nullptr);
  cudaGraphExecUpdateResultInfo result{};
  AWQ_ASSERT_CUDA(cudaGraphExecUpdate(executable_, graph, &result));
  EXPECT_EQ(result.result, cudaGraphExecUpdateSuccess);
  cudaGraphDestroy(graph);
  ASSERT_NO_FATAL_FAILURE(launchAndWait());
  EXPECT_EQ(destination.download<int32_t>(), counting(100));
}

TEST_F(GpuStreamCapture, UpdateRefusesWorkOfAnotherShape) {
  const DeviceBuffer first = DeviceBuffer::from(counting(0)), second = DeviceBuffer::from(counting(100));
  DeviceBuffer destination(kValues * sizeof(int32_t));
  ASSERT_NO_FATAL_FAILURE(instantiateCopies({&first}, destination));

  // Two copies where the executable graph has one: refused, and the
  // executable graph still runs its own work.
  cudaGraph_t graph = captureCopies(stream_, {&second, &first}, destination);
  ASSERT_NE(graph, nullptr);
  cudaGraphExecUpdateResultInfo result{};
  EXPECT_EQ(cudaGraphExecUpdate(executable_, graph, &result), cudaErrorGraphExecUpdateFailure);
  EXPECT_EQ(result.result, cudaGraphExecUpdateErrorTopologyChanged);
  EXPECT_EQ(cudaGetLastError(), cudaErrorGraphExecUpdateFailure); // not sticky
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  cudaGraphDestroy(graph);
  ASSERT_NO_FATAL_FAILURE(launchAndWait());
  EXPECT_EQ(destination.download<int32_t>(), counting(0));
}

TEST_F(GpuStreamCapture, CopiesFromPinnedMemoryCapture) {
  const std::vector<int32_t> values = counting(7);
  const size_t bytes = kValues * sizeof(int32_t);
  DeviceBuffer destination(bytes);
  void *pinned = nullptr;
  AWQ_ASSERT_CUDA(cudaMallocHost(&pinned, bytes));
  std::memcpy(pinned, values.data(), bytes);

  cudaGraph_t graph = nullptr;
  AWQ_ASSERT_CUDA(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
  EXPECT_EQ(cudaMemcpyAsync(destination.get(), pinned, bytes, cudaMemcpyHostToDevice, stream_),
            cudaSuccess);
  AWQ_ASSERT_CUDA(cudaStreamEndCapture(stream_, &graph));
  AWQ_ASSERT_CUDA(cudaGraphInstantiate(&executable_, graph, 0));
  cudaGraphDestroy(graph);
  // The copy reads the pinned buffer when the graph runs, not when it was
  // captured: what is there at launch arrives.
  std::memcpy(pinned, counting(11).data(), bytes);
  ASSERT_NO_FATAL_FAILURE(launchAndWait());
  EXPECT_EQ(destination.download<int32_t>(), counting(11));
  AWQ_ASSERT_CUDA(cudaFreeHost(pinned));
}

// A captured copy reads its host side when the graph launches, long after the
// call returned, so the runtime stages uploads in pinned memory it owns. The
// emulator refuses pageable host memory under capture to catch a source that
// might not live that long. An H100 with driver 580 accepts such a copy
// (seen 2026-11-24), so this rule is the emulator's alone.
TEST_F(GpuStreamCapture, EmulatorRefusesPageableCopiesUnderCapture) {
#ifndef AWQ_CUDA_EMULATED_TESTS
  GTEST_SKIP() << "the emulator's own rule (a GPU driver may capture pageable copies)";
#else
  const std::vector<int32_t> values = counting(7);
  const size_t bytes = kValues * sizeof(int32_t);
  DeviceBuffer destination(bytes);
  AWQ_ASSERT_CUDA(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
  EXPECT_NE(cudaMemcpyAsync(destination.get(), values.data(), bytes, cudaMemcpyHostToDevice,
                            stream_),
            cudaSuccess);
  cudaGraph_t graph = nullptr;
  EXPECT_EQ(cudaStreamEndCapture(stream_, &graph), cudaErrorStreamCaptureInvalidated);
  EXPECT_EQ(graph, nullptr);
  cudaGetLastError(); // capture errors are not sticky: the stream works on
  AWQ_ASSERT_CUDA(cudaMemsetAsync(destination.get(), 0, bytes, stream_));
  AWQ_ASSERT_CUDA(cudaStreamSynchronize(stream_));
  EXPECT_EQ(destination.download<int32_t>(), std::vector<int32_t>(kValues, 0));
#endif
}
