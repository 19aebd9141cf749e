// CudaModelBackend.h - the backend of a model library compiled with
// --target=cuda: float tensors (f32/f16/bf16: activations and float weights)
// live in device memory, integer and bool tensors (token ids, shapes,
// indices, masks) in host memory, where the CPU runtime computes them. The
// graph calls the awq_cuda_node_* entries (CudaNodes.cpp), which run float
// work on the device and read the backend through currentCudaBackend().
#ifndef AWQ_RUNTIME_CUDA_MODEL_CUDAMODELBACKEND_H
#define AWQ_RUNTIME_CUDA_MODEL_CUDAMODELBACKEND_H

#include "../../model/CacheBlocks.h"
#include "../../model/ModelBackend.h"
#include "DecodeStepGraph.h"
#include "awq_cuda.h"

#include <cuda_runtime.h>

#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

namespace awq::cuda {

// Where tensors of `dtype` live in a CUDA model: true for float dtypes.
inline bool livesOnDevice(int32_t dtype) {
  return dtype == AWQ_F32 || dtype == AWQ_F16 || dtype == AWQ_BF16;
}

// Device memory that only grows (scratch and planned buffers).
struct DeviceBuffer : awq::rt::GrowingBuffer {
  DeviceBuffer() = default;
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  DeviceBuffer(DeviceBuffer &&other) noexcept { *this = std::move(other); }
  DeviceBuffer &operator=(DeviceBuffer &&other) noexcept;
  ~DeviceBuffer();
  // At least `bytes` (previous contents are not kept); nullptr when out of memory.
  void *reserve(size_t bytes);
};

using awq::rt::HostBuffer;

// A group matmul's weights packed for the kernels and uploaded.
struct PackedGroupWeights {
  DeviceBuffer blob;
  awq_cuda_group_weights_info info{};
};

class CudaModelBackend final : public awq::rt::ModelBackend {
public:
  CudaModelBackend(const awq::rt::ModelDescription &description, int32_t numThreads);
  ~CudaModelBackend() override;

  void *placeConstant(const awq::rt::ModelConstant &constant, const void *hostData) override;
  void run(std::vector<awq_tensor> &slots, std::vector<awq::rt::CarriedTensor> &carries,
           awq_tensor *outputs, int32_t numOutputs) override;
  size_t workspaceBytes() const override;

  cudaStream_t stream() const { return stream_; }
  // The host copy of a constant placed on the device (its data in the
  // library), or nullptr for memory that is not a constant.
  const void *hostConstant(const void *deviceData) const;
  // Copies a device tensor into host memory (synchronizes the stream).
  void download(const awq_tensor &deviceTensor, void *hostData);
  // Copies `bytes` of host memory to the device, stream-ordered; `host` may
  // be reused once this returns (under capture it was staged in pinned
  // memory, else it was staged by the driver). `what` names the data in errors.
  void upload(void *deviceData, const void *host, size_t bytes, const char *what);
  // The same for a [B, H, T, D] tensor in KV-cache memory, whose heads lie
  // rowsPerHead rows apart: the host copy is contiguous.
  void downloadRows(const awq_tensor &deviceTensor, int64_t rowsPerHead, void *hostData);
  // Device scratch for one purpose inside a node (stream-ordered reuse).
  enum class Scratch { CastInput, CastOutput, Workspace, GatherRows, Condition, Count };
  void *scratch(Scratch role, size_t bytes);

  // The f16/bf16 copy of a group matmul's f32 input, kept in
  // Scratch::CastInput so that group matmuls reading the same input (q, k
  // and v) cast it once: narrowedCopy returns it while it is still valid
  // (nullptr otherwise); rememberNarrowed records that the scratch now holds
  // `source` cast to `dtype` (call it once the cast is enqueued). A node
  // writing into the source's bytes (noteWrite, after every node) or the end
  // of a run invalidates it.
  const void *narrowedCopy(const awq_tensor &source, int32_t dtype) const;
  void rememberNarrowed(const awq_tensor &source, int32_t dtype);
  void noteWrite(const awq_tensor &written);

  std::map<const void *, PackedGroupWeights> packedWeights; // by qweight's host data

private:
  static void *allocate(void *context, awq_tensor *output);
  // awq_node.h's KV-cache functions, on the CacheBlocks policy (device memory).
  static void *allocateCache(void *context, const awq_tensor *past, awq_tensor *present,
                             int64_t *capacity);
  static int64_t cacheCapacity(void *context, const void *data);
  // Enqueues the compiled graph once on the stream; returns its status.
  int runGraph(std::vector<awq_tensor> &slots, std::vector<awq::rt::CarriedTensor> &carries);

  const awq::rt::ModelDescription &description_;
  int32_t numThreads_;
  cudaStream_t stream_ = nullptr;
  awq_tensor *slots_ = nullptr;
  struct PlannedBuffer {
    DeviceBuffer device;
    HostBuffer host;
  };
  std::vector<PlannedBuffer> buffers_;
  awq::rt::CacheBlocks<DeviceBuffer> caches_; // carried KV caches that grow in place
  std::vector<DeviceBuffer> constants_, inputs_;
  std::vector<HostBuffer> outputs_;
  // Kept outputs (awq_model_carry_output), one pair per carry: a float tensor
  // stays in device memory, an integer one in host memory.
  std::vector<PlannedBuffer> carried_;
  std::unordered_map<const void *, const void *> hostConstants_;
  DeviceBuffer scratch_[static_cast<int>(Scratch::Count)];
  struct Narrowed {
    const void *source = nullptr; // nullptr: none valid
    size_t sourceBytes = 0;
    int32_t sourceDtype = 0, dtype = 0;
  } narrowed_;
  std::unique_ptr<DecodeStepGraph> stepGraph_; // decode steps as CUDA graphs
};

// The backend running the graph on this thread (the node entries' context).
CudaModelBackend &currentCudaBackend();

// Raises when AWQ_CUDA_HOST_OPS names an op without a device form (CudaNodes.cpp).
void checkHostOpsSetting();

} // namespace awq::cuda

#endif // AWQ_RUNTIME_CUDA_MODEL_CUDAMODELBACKEND_H
