// CudaModelBackend.cpp - device placement, the planned buffers and the run of
// a model library compiled with --target=cuda (see CudaModelBackend.h).
#include "CudaModelBackend.h"

#include "RuntimeInternal.h"
#include "awq_compiled_model.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

using awq::rt::raise;

namespace awq::cuda {
namespace {

void checkCudaCall(cudaError_t error, const char *what) {
  if (error != cudaSuccess)
    raise("%s: %s", what, cudaGetErrorString(error));
}

thread_local CudaModelBackend *runningBackend = nullptr;

// Sets the running backend for the duration of a graph run.
struct RunningScope {
  explicit RunningScope(CudaModelBackend *backend) { runningBackend = backend; }
  ~RunningScope() { runningBackend = nullptr; }
};

size_t bytesOf(const awq_tensor &tensor) {
  return static_cast<size_t>(awq::rt::numel(&tensor)) * awq_dtype_size(tensor.dtype);
}

} // namespace

DeviceBuffer &DeviceBuffer::operator=(DeviceBuffer &&other) noexcept {
  std::swap(data, other.data);
  std::swap(capacity, other.capacity);
  return *this;
}
DeviceBuffer::~DeviceBuffer() {
  if (data)
    cudaFree(data);
}
void *DeviceBuffer::reserve(size_t bytes) {
  if (data && bytes <= capacity)
    return data;
  if (DecodeStepGraph *graph = DecodeStepGraph::capturing()) {
    // cudaMalloc and cudaFree cannot be captured: this step runs eagerly.
    graph->abandon("a device buffer grows", /*retryNextStep=*/true);
    return nullptr;
  }
  size_t newCapacity = roundedCapacity(bytes, capacity);
  void *newData = nullptr;
  if (cudaMalloc(&newData, newCapacity) != cudaSuccess) {
    cudaGetLastError(); // clear the sticky-free out-of-memory error
    return nullptr;
  }
  if (data)
    cudaFree(data); // stream-ordered work on it finished: cudaFree synchronizes
  data = newData;
  capacity = newCapacity;
  return data;
}

CudaModelBackend::CudaModelBackend(const awq::rt::ModelDescription &description,
                                   int32_t numThreads)
    : description_(description), numThreads_(numThreads), buffers_(description.numBuffers),
      caches_(description), inputs_(description.inputs.size()),
      outputs_(description.outputs.size()) {
  if (awq_cuda_device_count() == 0)
    raise("this model library was compiled with --target=cuda and needs an NVIDIA GPU, but "
          "the CUDA driver reports no device (compile with --target=cpu for this machine)");
  checkHostOpsSetting();
  checkCudaCall(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
  stepGraph_ = std::make_unique<DecodeStepGraph>(stream_);
  constants_.reserve(description.constants.size());
}

CudaModelBackend::~CudaModelBackend() {
  stepGraph_.reset();
  if (stream_) {
    cudaStreamSynchronize(stream_);
    cudaStreamDestroy(stream_);
  }
}

void *CudaModelBackend::placeConstant(const awq::rt::ModelConstant &constant,
                                      const void *hostData) {
  if (!livesOnDevice(constant.type.dtype))
    return const_cast<void *>(hostData);
  DeviceBuffer &buffer = constants_.emplace_back();
  const size_t bytes = static_cast<size_t>(constant.bytes);
  if (!buffer.reserve(bytes))
    raise("out of GPU memory uploading a %zu-byte constant (slot %u)", bytes, constant.slot);
  checkCudaCall(cudaMemcpy(buffer.data, hostData, bytes, cudaMemcpyHostToDevice),
                "uploading a constant");
  hostConstants_[buffer.data] = hostData;
  return buffer.data;
}

const void *CudaModelBackend::hostConstant(const void *deviceData) const {
  auto found = hostConstants_.find(deviceData);
  return found == hostConstants_.end() ? nullptr : found->second;
}

// A host read of device data needs a synchronization, which a capture
// cannot hold: such a model runs its steps eagerly.
static void refuseUnderCapture() {
  if (DecodeStepGraph *graph = DecodeStepGraph::capturing()) {
    graph->abandon("a host op reads device data", /*retryNextStep=*/false);
    raise("a host op reads device data under capture");
  }
}

void CudaModelBackend::download(const awq_tensor &deviceTensor, void *hostData) {
  const size_t bytes = bytesOf(deviceTensor);
  if (bytes == 0)
    return;
  refuseUnderCapture();
  checkCudaCall(
      cudaMemcpyAsync(hostData, deviceTensor.data, bytes, cudaMemcpyDeviceToHost, stream_),
      "copying a tensor to the host");
  checkCudaCall(cudaStreamSynchronize(stream_), "running the model on the GPU");
}

void CudaModelBackend::downloadRows(const awq_tensor &deviceTensor, int64_t rowsPerHead,
                                    void *hostData) {
  const size_t rowBytes = static_cast<size_t>(deviceTensor.shape[3]) *
                          awq_dtype_size(deviceTensor.dtype);
  const size_t heads = static_cast<size_t>(deviceTensor.shape[0] * deviceTensor.shape[1]);
  const size_t width = rowBytes * static_cast<size_t>(deviceTensor.shape[2]);
  if (width == 0 || heads == 0)
    return;
  refuseUnderCapture();
  // One 2D copy: `heads` rows of `width` bytes, rowsPerHead rows apart on the device.
  checkCudaCall(cudaMemcpy2DAsync(hostData, width, deviceTensor.data,
                                  rowBytes * static_cast<size_t>(rowsPerHead), width, heads,
                                  cudaMemcpyDeviceToHost, stream_),
                "copying a KV cache to the host");
  checkCudaCall(cudaStreamSynchronize(stream_), "running the model on the GPU");
}

void CudaModelBackend::upload(void *deviceData, const void *host, size_t bytes,
                              const char *what) {
  if (bytes == 0)
    return;
  const void *source = stepGraph_->uploadSource(host, bytes);
  if (!source)
    raise("%s: no pinned staging under capture", what);
  checkCudaCall(cudaMemcpyAsync(deviceData, source, bytes, cudaMemcpyHostToDevice, stream_), what);
}

void *CudaModelBackend::allocateCache(void *context, const awq_tensor *past, awq_tensor *present,
                                      int64_t *capacity) {
  auto *self = static_cast<CudaModelBackend *>(context);
  bool contiguous = false;
  void *data = livesOnDevice(present->dtype)
                   ? self->caches_.allocate(past, present, capacity, &contiguous)
                   : nullptr;
  if (!livesOnDevice(present->dtype) || contiguous) {
    *capacity = present->shape[2];
    return allocate(context, present);
  }
  return data;
}

int64_t CudaModelBackend::cacheCapacity(void *context, const void *data) {
  return static_cast<CudaModelBackend *>(context)->caches_.capacityOf(data);
}

void *CudaModelBackend::scratch(Scratch role, size_t bytes) {
  void *data = scratch_[static_cast<int>(role)].reserve(std::max<size_t>(bytes, 1));
  if (!data)
    raise("out of GPU memory (%zu bytes of scratch)", bytes);
  return data;
}

const void *CudaModelBackend::narrowedCopy(const awq_tensor &source, int32_t dtype) const {
  const bool same = narrowed_.source && narrowed_.source == source.data &&
                    narrowed_.sourceBytes == bytesOf(source) &&
                    narrowed_.sourceDtype == source.dtype && narrowed_.dtype == dtype;
  return same ? scratch_[static_cast<int>(Scratch::CastInput)].data : nullptr;
}

void CudaModelBackend::rememberNarrowed(const awq_tensor &source, int32_t dtype) {
  narrowed_ = {source.data, bytesOf(source), source.dtype, dtype};
}

void CudaModelBackend::noteWrite(const awq_tensor &written) {
  if (!narrowed_.source || !written.data)
    return;
  const auto *begin = static_cast<const uint8_t *>(written.data);
  const auto *source = static_cast<const uint8_t *>(narrowed_.source);
  if (begin < source + narrowed_.sourceBytes && source < begin + bytesOf(written))
    narrowed_ = {};
}

void *CudaModelBackend::allocate(void *context, awq_tensor *output) {
  auto *self = static_cast<CudaModelBackend *>(context);
  const int32_t bufferIndex = plannedBufferOf(self->description_, self->slots_, output);
  if (bufferIndex < 0)
    return nullptr;
  PlannedBuffer &buffer = self->buffers_[bufferIndex];
  const size_t bytes = bytesOf(*output);
  return livesOnDevice(output->dtype) ? buffer.device.reserve(bytes) : buffer.host.reserve(bytes);
}

void CudaModelBackend::run(std::vector<awq_tensor> &slots,
                           std::vector<awq::rt::CarriedTensor> &carries, awq_tensor *outputs,
                           int32_t numOutputs) {
  if (numThreads_ > 0)
    awq_set_num_threads(numThreads_); // for the nodes that run on the host
  std::vector<bool> kept(description_.inputs.size(), false);
  for (const awq::rt::CarriedTensor &carry : carries)
    kept[carry.input] = carry.held;
  // Float inputs go to the device; integer ones (token ids) stay where they
  // are, and kept ones (a KV cache) are already on the device.
  for (size_t i = 0; i < description_.inputs.size(); ++i) {
    awq_tensor &slot = slots[description_.inputs[i].slot];
    if (!livesOnDevice(slot.dtype) || kept[i])
      continue;
    const size_t bytes = bytesOf(slot);
    void *device = inputs_[i].reserve(bytes);
    if (!device)
      raise("out of GPU memory for input '%s'", description_.inputs[i].name.c_str());
    if (bytes)
      checkCudaCall(cudaMemcpyAsync(device, slot.data, bytes, cudaMemcpyHostToDevice, stream_),
                    "copying an input to the GPU");
    slot.data = device;
  }
  // A run that reads a kept cache continues a sequence: a decode step,
  // launched as a CUDA graph (DecodeStepGraph.h).
  const bool continuesSequence =
      std::any_of(carries.begin(), carries.end(),
                  [](const awq::rt::CarriedTensor &carry) { return carry.held; });
  const int status = stepGraph_->run(continuesSequence, [&] { return runGraph(slots, carries); });
  if (status != 0) {
    cudaStreamSynchronize(stream_);
    throw awq::rt::OpError{awq_last_error()}; // the node already named itself
  }
  // Kept outputs trade their planned buffer for the carry's memory (or are
  // copied on the device), stream-ordered before the next run's reads.
  if (carried_.size() < carries.size())
    carried_.resize(carries.size());
  std::vector<bool> keptOutput(description_.outputs.size(), false);
  awq::rt::keepAllCarried(carries, [&](size_t c) {
    const awq_tensor &result = slots[description_.outputs[carries[c].output].slot];
    const int32_t planned = plannedBufferOf(description_, slots.data(), &result);
    PlannedBuffer *buffer = planned >= 0 ? &buffers_[planned] : nullptr;
    if (livesOnDevice(result.dtype) && result.data && caches_.handedOut(result.data)) {
      // A cache block this run grew: the carry holds it as it is.
      carries[c].value = result;
      carries[c].held = true;
    } else if (livesOnDevice(result.dtype))
      awq::rt::keepCarried(carries[c], result, buffer ? &buffer->device : nullptr,
                           carried_[c].device, [&](void *to, const void *from, size_t bytes) {
                             checkCudaCall(cudaMemcpyAsync(to, from, bytes,
                                                           cudaMemcpyDeviceToDevice, stream_),
                                           "keeping an output on the GPU");
                           });
    else
      awq::rt::keepCarried(carries[c], result, buffer ? &buffer->host : nullptr,
                           carried_[c].host, [](void *to, const void *from, size_t bytes) {
                             std::memcpy(to, from, bytes);
                           });
    keptOutput[carries[c].output] = true;
  });
  checkCudaCall(cudaStreamSynchronize(stream_), "running the model on the GPU");
  for (int32_t i = 0; i < numOutputs; ++i) {
    const awq_tensor &slot = slots[description_.outputs[i].slot];
    outputs[i] = slot;
    if (keptOutput[i]) {
      outputs[i].data = nullptr;
      continue;
    }
    if (!livesOnDevice(slot.dtype))
      continue;
    void *host = outputs_[i].reserve(bytesOf(slot));
    if (!host)
      raise("out of memory for output '%s'", description_.outputs[i].name.c_str());
    download(slot, host);
    outputs[i].data = host;
  }
}

int CudaModelBackend::runGraph(std::vector<awq_tensor> &slots,
                               std::vector<awq::rt::CarriedTensor> &carries) {
  slots_ = slots.data();
  caches_.beginRun(slots.data(), carries);
  awq_node_allocator allocator{this, &CudaModelBackend::allocate,
                               &CudaModelBackend::allocateCache,
                               &CudaModelBackend::cacheCapacity};
  RunningScope scope(this);
  narrowed_ = {}; // inputs were just copied in, buffers change hands after
  const int status = awq_compiled_model_graph(slots.data(), &allocator);
  narrowed_ = {};
  caches_.endRun();
  return status;
}

size_t CudaModelBackend::workspaceBytes() const {
  size_t total = 0;
  for (const PlannedBuffer &buffer : buffers_)
    total += buffer.device.capacity + buffer.host.capacity;
  for (const DeviceBuffer &buffer : scratch_)
    total += buffer.capacity;
  for (const PlannedBuffer &buffer : carried_)
    total += buffer.device.capacity + buffer.host.capacity;
  return total + caches_.bytes();
}

CudaModelBackend &currentCudaBackend() {
  if (!runningBackend)
    raise("a CUDA node entry ran outside a CUDA model's run");
  return *runningBackend;
}

} // namespace awq::cuda

namespace awq::rt {

std::unique_ptr<ModelBackend> createModelBackend(const ModelDescription &description,
                                                 int32_t numThreads) {
  return std::make_unique<awq::cuda::CudaModelBackend>(description, numThreads);
}

} // namespace awq::rt
