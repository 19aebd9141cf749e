// CudaNodes.cpp - the node entries of a model library compiled with
// --target=cuda: awq_cuda_node_<prefix>_<op> for every CPU entry of
// NodeList.def (the compiler calls these instead of awq_node_*).
//
// Each entry runs its node on the device when its inputs are where the
// device op wants them (float data on the device, see livesOnDevice) and the
// op has a device form below; otherwise it runs the CPU entry on host copies
// and places the results (the host fallback). The op semantics stay in one
// place: shapes come from the CPU runtime's shape functions; the ops whose
// outputs are strided views of their input (Reshape and its kin, Transpose,
// Slice, Split, Expand) copy the CPU runtime's views (nodes/ViewNodes.h) on
// the device, Gather the CPU runtime's checked rows; Concat and Where follow
// from their shapes (and Where's host condition).
#include "CudaModelBackend.h"

#include "nodes/NodeCall.h"
#include "nodes/NodeEntries.h"
#include "nodes/ViewNodes.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <vector>

using namespace awq::rt;

namespace awq::cuda {
namespace {

// One call of an entry, as the graph made it.
struct RawCall {
  const uint8_t *node;
  const awq_tensor *const *inputs;
  int32_t numInputs;
  awq_tensor *outputs;
  int32_t numOutputs;
  const awq_node_allocator *allocator;
  awq_node_fn cpuEntry;
};

bool onDevice(const awq_tensor *tensor) { return tensor && livesOnDevice(tensor->dtype); }

// Rows per head of a [B, H, T, D] tensor's memory: the capacity of KV-cache
// memory the backend handed out (awq.kv_cache_append), else T.
int64_t cacheRowsPerHead(const RawCall &call, const awq_tensor *tensor) {
  const awq_node_allocator *allocator = call.allocator;
  const int64_t capacity = allocator->cache_capacity && tensor->data
                               ? allocator->cache_capacity(allocator->context, tensor->data)
                               : 0;
  return capacity > 0 ? capacity : tensor->shape[2];
}

size_t bytesOf(const awq_tensor &tensor) {
  return static_cast<size_t>(numel(&tensor)) * awq_dtype_size(tensor.dtype);
}

void checkStatus(awq_status status) {
  if (status != 0)
    throw OpError{awq_last_error()};
}

void checkCudaCall(cudaError_t error, const char *what) {
  if (error != cudaSuccess)
    raise("%s: %s", what, cudaGetErrorString(error));
}

// Temporary host outputs of a CPU entry.
struct HostOutputs {
  std::vector<HostBuffer> buffers;
  static void *allocate(void *context, awq_tensor *output) {
    auto *self = static_cast<HostOutputs *>(context);
    return self->buffers.emplace_back().reserve(std::max<size_t>(bytesOf(*output), 1));
  }
  awq_node_allocator allocator() { return {this, &HostOutputs::allocate, nullptr, nullptr}; }

  // Runs the call's CPU entry on `inputs` (all in host memory); the outputs'
  // data lives in this object's buffers.
  std::vector<awq_tensor> runCpuEntry(const RawCall &call,
                                      const std::vector<const awq_tensor *> &inputs) {
    awq_node_allocator hostAllocator = allocator();
    std::vector<awq_tensor> outputs(call.numOutputs);
    checkStatus(call.cpuEntry(call.node, inputs.data(), call.numInputs, outputs.data(),
                              call.numOutputs, &hostAllocator));
    return outputs;
  }
};

// Gets the graph's memory for `output` (dtype and shape set): the planned
// buffer, on the device for float dtypes.
void allocateOutput(const RawCall &call, awq_tensor *output) {
  output->data = call.allocator->allocate(call.allocator->context, output);
  if (!output->data)
    raise("out of %s memory allocating output #%d (%s %s)",
          livesOnDevice(output->dtype) ? "GPU" : "host",
          static_cast<int>(output - call.outputs), awq_dtype_name(output->dtype),
          shapeString(output).c_str());
}

// AWQ_CUDA_LOG_HOST_OPS=1: names on stderr, once per node, every node whose
// float data went through host memory (a device input downloaded or a float
// result uploaded): the ops that cost a GPU model a synchronization or a
// transfer. Integer-only work (Shape, Range, comparisons) is not listed; an
// int-to-float Cast is (it uploads its result).
void logHostOp(const RawCall &call, size_t bytesMoved) {
  static const bool enabled = [] {
    const char *value = std::getenv("AWQ_CUDA_LOG_HOST_OPS");
    return value && *value && std::strcmp(value, "0") != 0;
  }();
  if (!enabled || bytesMoved == 0)
    return;
  static std::mutex mutex;
  static std::set<const uint8_t *> logged;
  const std::lock_guard<std::mutex> lock(mutex);
  if (!logged.insert(call.node).second)
    return;
  std::string type, name;
  NodeReader::readHeader(call.node, &type, &name);
  std::fprintf(stderr, "awq-cuda: %s node '%s' ran on the host (%zu bytes of float data moved)\n",
               type.c_str(), name.c_str(), bytesMoved);
}

// Runs the CPU entry on host copies of the inputs and moves its results to
// where the graph keeps them.
void runOnHost(const RawCall &call) {
  CudaModelBackend &backend = currentCudaBackend();
  std::vector<HostBuffer> staging(call.numInputs);
  std::vector<awq_tensor> hostInputs(call.numInputs);
  std::vector<const awq_tensor *> inputs(call.numInputs);
  size_t bytesMoved = 0;
  for (int32_t i = 0; i < call.numInputs; ++i) {
    const awq_tensor *input = call.inputs[i];
    inputs[i] = input;
    if (!onDevice(input))
      continue;
    hostInputs[i] = *input;
    inputs[i] = &hostInputs[i];
    // A constant's host copy is the same bytes: no download, no synchronization.
    if (const void *constant = backend.hostConstant(input->data)) {
      hostInputs[i].data = const_cast<void *>(constant);
      continue;
    }
    hostInputs[i].data = staging[i].reserve(std::max<size_t>(bytesOf(*input), 1));
    if (!hostInputs[i].data)
      raise("out of host memory copying input #%d to the host", i);
    // KV-cache memory holds more rows per head than the tensor has: the
    // host copy takes each head's rows, contiguous as the CPU entry reads.
    const int64_t rowsPerHead = input->rank == 4 ? cacheRowsPerHead(call, input) : 0;
    if (input->rank == 4 && rowsPerHead != input->shape[2])
      backend.downloadRows(*input, rowsPerHead, hostInputs[i].data);
    else
      backend.download(*input, hostInputs[i].data);
    bytesMoved += bytesOf(*input);
  }
  HostOutputs results;
  const std::vector<awq_tensor> hostOutputs = results.runCpuEntry(call, inputs);
  for (int32_t i = 0; i < call.numOutputs; ++i) {
    awq_tensor *output = &call.outputs[i];
    *output = hostOutputs[i];
    allocateOutput(call, output);
    const size_t bytes = bytesOf(*output);
    if (bytes == 0)
      continue;
    if (livesOnDevice(output->dtype)) {
      backend.upload(output->data, hostOutputs[i].data, bytes, "copying a result to the GPU");
      bytesMoved += bytes;
    } else {
      std::memcpy(output->data, hostOutputs[i].data, bytes);
    }
  }
  logHostOp(call, bytesMoved);
}

// ---- Elementwise -----------------------------------------------------------

void runUnary(NodeCall &call, awq_unary_op op) {
  const awq_tensor *x = call.input(0);
  call.runSingle([&](awq_tensor *out) { return awq_unary_shape(op, x, out); },
                 [&](awq_tensor *out) {
                   return awq_cuda_unary(op, x->data, numel(out), out->dtype, out->data,
                                         currentCudaBackend().stream());
                 });
}

template <awq_unary_op Op> void unaryBody(NodeCall &call) { runUnary(call, Op); }

// ONNX Gelu (`approximate`), com.microsoft Gelu / FastGelu, awq.gelu.
template <bool AlwaysTanh> void geluBody(NodeCall &call) {
  const bool useTanh = AlwaysTanh || call.node.getString("approximate", "none") == "tanh";
  runUnary(call, useTanh ? AWQ_UNARY_GELU_TANH : AWQ_UNARY_GELU);
}

// Element strides of `input` over the dims of `out` (0 where it broadcasts).
std::vector<int64_t> broadcastStrides(const awq_tensor *input, const awq_tensor *out) {
  std::vector<int64_t> strides(out->rank, 0);
  int64_t stride = 1;
  for (int32_t d = input->rank - 1, o = out->rank - 1; d >= 0; --d, --o) {
    strides[o] = input->shape[d] == 1 ? 0 : stride;
    stride *= input->shape[d];
  }
  return strides;
}

void runBinary(awq_binary_op op, const awq_tensor *a, const awq_tensor *b, awq_tensor *out) {
  const std::vector<int64_t> aStrides = broadcastStrides(a, out), bStrides = broadcastStrides(b, out);
  checkStatus(awq_cuda_binary(op, a->data, aStrides.data(), b->data, bStrides.data(), out->shape,
                              out->rank, out->dtype, out->data, currentCudaBackend().stream()));
}

template <awq_binary_op Op> void binaryBody(NodeCall &call) {
  const awq_tensor *a = call.input(0), *b = call.input(1);
  call.runSingle([&](awq_tensor *out) { return awq_binary_shape(Op, a, b, out); },
                 [&](awq_tensor *out) {
                   runBinary(Op, a, b, out);
                   return 0;
                 });
}

// Copies a whole device tensor (a fold with nothing to fold).
void copyOnDevice(const awq_tensor *x, awq_tensor *out) {
  if (bytesOf(*out) > 0 && out->data != x->data)
    checkCudaCall(cudaMemcpyAsync(out->data, x->data, bytesOf(*out), cudaMemcpyDeviceToDevice,
                                  currentCudaBackend().stream()),
                  "copying on the GPU");
}

// first op[0] steps[0] op[1] steps[1] ..., left to right, as the CPU entries
// fold Min/Max/Sum and Clip (runtime/cpu/nodes/ElementwiseNodes.cpp). Every
// step writes the whole output (its operands broadcast to the final shape,
// which an elementwise op allows), so the partial results need no buffers
// and round to the output dtype after every step, as the CPU's do.
struct FoldStep {
  awq_binary_op op;
  const awq_tensor *operand;
};
void foldOnDevice(NodeCall &call, const awq_tensor *first, const std::vector<FoldStep> &steps) {
  call.runSingle(
      [&](awq_tensor *out) {
        *out = *first;
        for (const FoldStep &step : steps) {
          awq_tensor next{};
          if (const awq_status status = awq_binary_shape(step.op, out, step.operand, &next))
            return status;
          *out = next;
        }
        return awq_status{0};
      },
      [&](awq_tensor *out) {
        if (steps.empty())
          copyOnDevice(first, out);
        const awq_tensor *accumulated = first;
        for (const FoldStep &step : steps) {
          runBinary(step.op, accumulated, step.operand, out);
          accumulated = out;
        }
        return 0;
      });
}

// Min/Max/Sum of one or more inputs.
template <awq_binary_op Op> void variadicBody(NodeCall &call) {
  std::vector<FoldStep> steps;
  for (int32_t i = 1; i < call.numInputs(); ++i)
    steps.push_back({Op, call.input(i)});
  foldOnDevice(call, call.input(0), steps);
}

// Clip (opset 11 on: bounds as optional inputs) = Min(Max(x, min), max).
void clipBody(NodeCall &call) {
  std::vector<FoldStep> steps;
  if (const awq_tensor *low = call.optionalInput(1))
    steps.push_back({AWQ_BINARY_MAX, low});
  if (const awq_tensor *high = call.optionalInput(2))
    steps.push_back({AWQ_BINARY_MIN, high});
  foldOnDevice(call, call.input(0), steps);
}

// ONNX Reduce*: the CPU runtime's shape function and axis split
// (reductionAxes), reduced on the device.
template <awq_reduce_op Op> void reduceBody(NodeCall &call) {
  const awq_tensor *x = call.input(0);
  const std::vector<int64_t> axes = readReduceAxes(call, 1);
  const auto numAxes = static_cast<int64_t>(axes.size());
  const int keepdims = static_cast<int>(call.node.getInt("keepdims", 1));
  const int noop = static_cast<int>(call.node.getInt("noop_with_empty_axes", 0));
  call.runSingle(
      [&](awq_tensor *out) {
        return awq_reduce_shape(Op, x, axes.data(), numAxes, keepdims, noop, out);
      },
      [&](awq_tensor *out) {
        const ReductionAxes split = reductionAxes(x, axes.data(), numAxes, noop);
        return awq_cuda_reduce(Op, x->data, split.keptDims.data(), split.keptStrides.data(),
                               static_cast<int32_t>(split.keptDims.size()),
                               split.reducedDims.data(), split.reducedStrides.data(),
                               static_cast<int32_t>(split.reducedDims.size()), x->dtype,
                               out->data, currentCudaBackend().stream());
      });
}

// Cast between float dtypes (ONNX FLOAT = 1, FLOAT16 = 10, BFLOAT16 = 16).
int32_t floatDtypeOfONNX(int64_t onnxType) {
  switch (onnxType) {
  case 1: return AWQ_F32;
  case 10: return AWQ_F16;
  case 16: return AWQ_BF16;
  default: return 0;
  }
}

void castBody(NodeCall &call) {
  const awq_tensor *x = call.input(0);
  const int32_t to = floatDtypeOfONNX(call.node.getInt("to", 0));
  call.runSingle([&](awq_tensor *out) { return awq_cast_shape(x, to, out); },
                 [&](awq_tensor *out) {
                   return awq_cuda_cast(x->data, x->dtype, numel(out), to, out->data,
                                        currentCudaBackend().stream());
                 });
}

// ---- Softmax, norms, matrix products ---------------------------------------

void softmaxBody(NodeCall &call) {
  const awq_tensor *x = call.input(0);
  const int64_t axis = call.node.getInt("axis", call.node.opset() < 13 ? 1 : -1);
  call.runSingle([&](awq_tensor *out) { return awq_softmax_shape(x, axis, out); },
                 [&](awq_tensor *out) {
                   const int64_t dim = x->shape[x->rank - 1];
                   return awq_cuda_softmax(x->data, numel(x) / dim, dim, x->dtype, out->data,
                                           currentCudaBackend().stream());
                 });
}

// awq.rms_norm, ONNX RMSNormalization and onnxruntime's
// SimplifiedLayerNormalization (both over the last axis).
void rmsNormBody(NodeCall &call) {
  const awq_tensor *x = call.input(0), *gamma = call.input(1);
  // awq.rms_norm always carries its epsilon; the ONNX ops default it.
  const float eps = call.node.opType() == "rms_norm" ? call.node.getFloat("epsilon")
                                                      : call.node.getFloat("epsilon", 1e-5f);
  const float offset = call.node.getInt("unit_offset", 0) ? 1.0f : 0.0f; // Gemma's (1 + w)
  call.runSingle([&](awq_tensor *out) { return awq_rms_norm_shape(x, gamma, eps, offset, out); },
                 [&](awq_tensor *out) -> awq_status {
                   if (numel(x) == 0) // no rows: the kernel wants at least one
                     return 0;
                   const int64_t dim = x->shape[x->rank - 1];
                   return awq_cuda_add_rms_norm(x->data, nullptr, gamma->data, offset,
                                                numel(x) / dim, dim, eps, x->dtype, nullptr,
                                                out->data, currentCudaBackend().stream());
                 });
}

// awq.add_rms_norm / awq.add_layer_norm: outputs the sum x + residual, then
// its norm, from one kernel.
template <bool IsRMS> void addNormBody(NodeCall &call) {
  const awq_tensor *x = call.input(0), *residual = call.input(1), *gamma = call.input(2);
  const awq_tensor *beta = IsRMS ? nullptr : call.optionalInput(3);
  const float eps = call.node.getFloat("epsilon");
  const float offset = IsRMS && call.node.getInt("unit_offset", 0) ? 1.0f : 0.0f;
  call.runPair(
      [&](awq_tensor *sum, awq_tensor *out) {
        return IsRMS ? awq_add_rms_norm_shape(x, residual, gamma, eps, offset, sum, out)
                     : awq_add_layer_norm_shape(x, residual, gamma, beta, eps, sum, out);
      },
      [&](awq_tensor *sum, awq_tensor *out) -> awq_status {
        if (numel(x) == 0)
          return 0;
        const int64_t dim = x->shape[x->rank - 1];
        void *stream = currentCudaBackend().stream();
        return IsRMS ? awq_cuda_add_rms_norm(x->data, residual->data, gamma->data, offset,
                                             numel(x) / dim, dim, eps, x->dtype, sum->data,
                                             out->data, stream)
                     : awq_cuda_add_layer_norm(x->data, residual->data, gamma->data,
                                               beta ? beta->data : nullptr, numel(x) / dim, dim,
                                               eps, x->dtype, sum->data, out->data, stream);
      });
}

// awq.layer_norm and ONNX LayerNormalization over the last axis.
void layerNormBody(NodeCall &call) {
  const awq_tensor *x = call.input(0), *gamma = call.input(1);
  const awq_tensor *beta = call.optionalInput(2);
  const float eps = call.node.getFloat("epsilon", 1e-5f);
  call.runSingle(
      [&](awq_tensor *out) { return awq_layer_norm_shape(x, gamma, beta, -1, eps, out); },
      [&](awq_tensor *out) -> awq_status {
        if (numel(x) == 0) // no rows: the kernel wants at least one
          return 0;
        const int64_t dim = x->shape[x->rank - 1];
        return awq_cuda_layer_norm(x->data, gamma->data, beta ? beta->data : nullptr,
                                   numel(x) / dim, dim, eps, x->dtype, out->data,
                                   currentCudaBackend().stream());
      });
}

// awq.attention: q [B, Hq, S, D] (or [B, S, Hq, D] with query_layout bshd,
// the result likewise), k and v [B, Hkv, T, D], the optional additive mask
// broadcast over the scores [B, Hq, S, T] by strides.
void attentionBody(NodeCall &call) {
  const awq_tensor *q = call.input(0), *k = call.input(1), *v = call.input(2);
  const awq_tensor *mask = call.optionalInput(3);
  const float scale = readAttentionScale(call);
  const awq_head_layout layout = readHeadLayout(call, "query_layout");
  // q's heads and positions whatever its layout ([B, H, S, D] or [B, S, H, D]).
  const int64_t heads = q->shape[layout == AWQ_HEADS_BSHD ? 2 : 1];
  const int64_t queries = q->shape[layout == AWQ_HEADS_BSHD ? 1 : 2];
  call.runSingle(
      [&](awq_tensor *out) {
        return awq_attention_shape(q, k, v, mask, scale, 0, 0, -1, layout, out);
      },
      [&](awq_tensor *out) {
        std::vector<int64_t> maskStrides(4, 0);
        if (mask) {
          awq_tensor scores{};
          scores.rank = 4;
          const int64_t dims[4] = {q->shape[0], heads, queries, k->shape[2]};
          std::copy(dims, dims + 4, scores.shape);
          maskStrides = broadcastStrides(mask, &scores);
        }
        // Keys and values in KV-cache memory (awq.kv_cache_append) hold
        // their capacity's rows per head; attentionOnDevice checked that both
        // have the same.
        return awq_cuda_attention_masked(q->data, k->data, v->data, mask ? mask->data : nullptr,
                                         maskStrides.data(), q->shape[0], heads, k->shape[1],
                                         queries, k->shape[2], call.rowsPerHead(k), q->shape[3],
                                         layout, scale, q->dtype, out->data,
                                         currentCudaBackend().stream());
      });
}

// awq.rotary_embedding: x, cos and sin on the device; cos and sin read
// through their broadcast strides over x.
void rotaryEmbeddingBody(NodeCall &call) {
  const awq_tensor *x = call.input(0), *cos = call.input(1), *sin = call.input(2);
  const awq_rope_layout layout = readRotaryLayout(call);
  call.runSingle(
      [&](awq_tensor *out) { return awq_rotary_embedding_shape(x, cos, sin, layout, out); },
      [&](awq_tensor *out) {
        const std::vector<int64_t> angleStrides = broadcastStrides(cos, out);
        return awq_cuda_rotary_embedding(x->data, cos->data, sin->data, angleStrides.data(),
                                         out->shape, out->rank, layout, x->dtype, out->data,
                                         currentCudaBackend().stream());
      });
}

// The batch layout of a MatMul cuBLAS can run as one strided batched GEMM.
struct MatmulBatches {
  int64_t batch = 1, m = 0, k = 0, n = 0, aStride = 0, bStride = 0;
};
std::optional<MatmulBatches> matmulBatches(const awq_tensor *a, const awq_tensor *b) {
  if (a->rank < 2 || b->rank < 2)
    return std::nullopt;
  MatmulBatches layout;
  layout.k = a->shape[a->rank - 1];
  layout.n = b->shape[b->rank - 1];
  const int64_t rowsA = a->shape[a->rank - 2];
  if (b->rank == 2) { // one weight for every row of a: a single GEMM
    layout.m = numel(a) / std::max<int64_t>(layout.k, 1);
    return layout;
  }
  layout.m = rowsA;
  const int64_t batchB = numel(b) / std::max<int64_t>(layout.k * layout.n, 1);
  if (a->rank == 2) { // a repeated for every batch of b
    layout.batch = batchB;
    layout.bStride = layout.k * layout.n;
    return layout;
  }
  if (a->rank != b->rank)
    return std::nullopt;
  for (int32_t d = 0; d < a->rank - 2; ++d)
    if (a->shape[d] != b->shape[d])
      return std::nullopt;
  layout.batch = batchB;
  layout.aStride = rowsA * layout.k;
  layout.bStride = layout.k * layout.n;
  return layout;
}

void matmulBody(NodeCall &call) {
  const awq_tensor *a = call.input(0), *b = call.input(1);
  call.runSingle([&](awq_tensor *out) { return awq_matmul_shape(a, b, out); },
                 [&](awq_tensor *out) {
                   const MatmulBatches layout = *matmulBatches(a, b);
                   return awq_cuda_matmul(a->data, b->data, layout.batch, layout.m, layout.n,
                                          layout.k, 0, layout.aStride, layout.bStride, a->dtype,
                                          out->data, currentCudaBackend().stream());
                 });
}

// ONNX Gemm: Y = alpha * op(A) . op(B) + beta * C. C (broadcast to [M, N])
// is copied into Y first and cuBLAS accumulates the product onto it, one
// rounding in f32 as the CPU entry's sgemm; beta = 0 ignores C, as there.
void gemmBody(NodeCall &call) {
  const awq_tensor *a = call.input(0), *b = call.input(1);
  const awq_tensor *c = call.optionalInput(2);
  const float alpha = call.node.getFloat("alpha", 1.0f), beta = call.node.getFloat("beta", 1.0f);
  const int transA = static_cast<int>(call.node.getInt("transA", 0));
  const int transB = static_cast<int>(call.node.getInt("transB", 0));
  call.runSingle(
      [&](awq_tensor *out) { return awq_gemm_shape(a, b, c, alpha, beta, transA, transB, out); },
      [&](awq_tensor *out) {
        const int64_t m = out->shape[0], n = out->shape[1];
        const int64_t k = transA ? a->shape[0] : a->shape[1];
        const bool useC = c && beta != 0.0f;
        cudaStream_t stream = currentCudaBackend().stream();
        if (useC && m * n > 0) {
          const std::vector<int64_t> cStrides = broadcastStrides(c, out);
          const Shape yStrides = contiguousStrides(shapeOf(out));
          checkStatus(awq_cuda_strided_copy(c->data, cStrides.data(), out->data, yStrides.data(),
                                            out->shape, out->rank,
                                            static_cast<int32_t>(awq_dtype_size(out->dtype)),
                                            stream));
        }
        return awq_cuda_gemm(a->data, transA, b->data, transB, m, n, k, alpha,
                             useC ? beta : 0.0f, a->dtype, out->data, stream);
      });
}

// awq.linear: x[..., K] . W (W [K, N], or [N, K] with transpose_weight) + bias.
void linearBody(NodeCall &call) {
  const awq_tensor *x = call.input(0), *weight = call.input(1);
  const awq_tensor *bias = call.optionalInput(2);
  const int weightIsNK = call.node.getInt("transpose_weight", 0) != 0;
  call.runSingle(
      [&](awq_tensor *out) { return awq_linear_shape(x, weight, bias, weightIsNK, out); },
      [&](awq_tensor *out) {
        const int64_t k = x->shape[x->rank - 1], n = out->shape[out->rank - 1];
        checkStatus(awq_cuda_matmul(x->data, weight->data, 1, numel(x) / k, n, k, weightIsNK, 0,
                                    0, x->dtype, out->data, currentCudaBackend().stream()));
        if (bias)
          runBinary(AWQ_BINARY_ADD, out, bias, out);
        return 0;
      });
}

// The host copy of a weight operand: constants placed on the device keep
// their library copy; integer constants never left the host.
awq_tensor hostWeight(const awq_tensor *weight, const char *role) {
  awq_tensor host = *weight;
  if (onDevice(weight)) {
    host.data = const_cast<void *>(currentCudaBackend().hostConstant(weight->data));
    if (!host.data)
      raise("%s must be a constant of the model to run on the GPU", role);
  }
  return host;
}

// The weights packed for the CUDA kernels (awq_cuda_group_weights_pack, the
// default layout) on the first run, then reused: keyed by the codes' constant
// data. Only group matmuls left canonical at compile time come here;
// awq-compile --target=cuda packs the rest (in the layout its
// --cuda-weight-layout names) into prepacked_* nodes.
const PackedGroupWeights &packedWeights(NodeCall &call, int32_t computeDtype) {
  CudaModelBackend &backend = currentCudaBackend();
  const awq_tensor *qweight = call.input(1), *scales = call.input(2);
  const awq_tensor *zeros = call.optionalInput(3);
  auto found = backend.packedWeights.find(qweight->data);
  if (found != backend.packedWeights.end())
    return found->second;
  const awq_tensor hostCodes = hostWeight(qweight, "qweight");
  const awq_tensor hostScales = hostWeight(scales, "scales");
  awq_tensor hostZeros{};
  if (zeros)
    hostZeros = hostWeight(zeros, "zero_points");
  const auto bits = static_cast<int32_t>(call.node.getInt("bits"));
  const int64_t groupSize = call.node.getInt("group_size"), k = call.node.getInt("in_features");
  awq_tensor blob{};
  checkStatus(awq_cuda_group_weights_pack_shape(&hostCodes, &hostScales,
                                                zeros ? &hostZeros : nullptr, bits, groupSize, k,
                                                computeDtype, AWQ_CUDA_LAYOUT_DEFAULT, &blob));
  HostBuffer hostBlob;
  blob.data = hostBlob.reserve(bytesOf(blob));
  if (!blob.data)
    raise("out of host memory packing the weights");
  checkStatus(awq_cuda_group_weights_pack(&hostCodes, &hostScales, zeros ? &hostZeros : nullptr,
                                          bits, groupSize, k, computeDtype,
                                          AWQ_CUDA_LAYOUT_DEFAULT, &blob));
  PackedGroupWeights packed;
  checkStatus(awq_cuda_group_weights_get_info(blob.data, blob.shape[0], &packed.info));
  if (!packed.blob.reserve(bytesOf(blob)))
    raise("out of GPU memory for the packed weights (%zu bytes)", bytesOf(blob));
  checkCudaCall(cudaMemcpy(packed.blob.data, blob.data, bytesOf(blob), cudaMemcpyHostToDevice),
                "uploading the packed weights");
  return backend.packedWeights.emplace(qweight->data, std::move(packed)).first->second;
}

// y = x . W'^T (+ bias) on the fused dequantize-multiply kernels, or with
// `up` SiLU(x . Wg'^T) * (x . Wu'^T) (no bias then). The kernels compute with
// f16/bf16 activations: an f32 graph runs them in f16 (x rounded to f16 on the
// way in, y widened on the way out, the bias added in f32). On the GEMV
// (decode rows) the kernel does all three itself (awq_cuda_group_matmul_f32):
// one launch where there were four with a bias; elsewhere x is cast once for
// the group matmuls sharing it (q, k, v) and y cast back.
void runGroupMatmulOnDevice(const awq_tensor *x, const PackedGroupWeights &weights,
                            const PackedGroupWeights *up, const awq_tensor *bias,
                            awq_tensor *out) {
  CudaModelBackend &backend = currentCudaBackend();
  const int32_t computeDtype = weights.info.scale_dtype;
  const int64_t k = weights.info.k, m = numel(x) / k, n = weights.info.n;
  const void *xs = x->data;
  void *ys = out->data;
  const bool widen = x->dtype != computeDtype;
  const bool servesF32 = x->dtype == AWQ_F32 && out->dtype == AWQ_F32 &&
                         (!bias || bias->dtype == AWQ_F32) &&
                         awq_cuda_group_matmul_serves_f32(&weights.info, m);
  if (servesF32) {
    // The GEMV reads f32 x and stores f32 y itself: no casts.
    const auto *xf = static_cast<const float *>(x->data);
    auto *y = static_cast<float *>(out->data);
    if (up)
      checkStatus(awq_cuda_gate_up_silu_f32(xf, m, weights.blob.data, up->blob.data,
                                            &weights.info, y, backend.stream()));
    else
      checkStatus(awq_cuda_group_matmul_f32(
          xf, m, weights.blob.data, &weights.info,
          bias ? static_cast<const float *>(bias->data) : nullptr, y, backend.stream()));
    return;
  }
  if (widen) {
    // Cast once for the group matmuls that share x (q, k, v).
    xs = backend.narrowedCopy(*x, computeDtype);
    if (!xs) {
      void *narrowX =
          backend.scratch(CudaModelBackend::Scratch::CastInput, static_cast<size_t>(m * k) * 2);
      checkStatus(
          awq_cuda_cast(x->data, x->dtype, m * k, computeDtype, narrowX, backend.stream()));
      backend.rememberNarrowed(*x, computeDtype);
      xs = narrowX;
    }
    ys = backend.scratch(CudaModelBackend::Scratch::CastOutput, static_cast<size_t>(m * n) * 2);
  }
  const int64_t workspaceBytes = up ? awq_cuda_gate_up_silu_workspace_bytes(&weights.info, m)
                                    : awq_cuda_group_matmul_workspace_bytes(&weights.info, m);
  void *workspace = workspaceBytes > 0
                        ? backend.scratch(CudaModelBackend::Scratch::Workspace,
                                          static_cast<size_t>(workspaceBytes))
                        : nullptr;
  if (up)
    checkStatus(awq_cuda_gate_up_silu(xs, m, weights.blob.data, up->blob.data, &weights.info, ys,
                                      workspace, backend.stream()));
  else
    checkStatus(awq_cuda_group_matmul(xs, m, weights.blob.data, &weights.info,
                                      widen ? nullptr : (bias ? bias->data : nullptr), ys,
                                      workspace, backend.stream()));
  if (widen) {
    checkStatus(
        awq_cuda_cast(ys, computeDtype, m * n, out->dtype, out->data, backend.stream()));
    if (bias)
      runBinary(AWQ_BINARY_ADD, out, bias, out);
  }
}

// awq.group_matmul with canonical weights: packed for the kernels on the
// first run (libraries compiled before compile-time packing, or IR run as is).
void groupMatmulBody(NodeCall &call) {
  const awq_tensor *x = call.input(0), *qweight = call.input(1), *scales = call.input(2);
  const awq_tensor *zeros = call.optionalInput(3), *bias = call.optionalInput(4);
  const auto bits = static_cast<int32_t>(call.node.getInt("bits"));
  const int64_t groupSize = call.node.getInt("group_size"), k = call.node.getInt("in_features");
  const int32_t computeDtype = x->dtype == AWQ_F32 ? AWQ_F16 : x->dtype;
  call.runSingle(
      [&](awq_tensor *out) {
        return awq_group_matmul_shape(x, qweight, scales, zeros, bias, bits, groupSize, k, out);
      },
      [&](awq_tensor *out) {
        runGroupMatmulOnDevice(x, packedWeights(call, computeDtype), nullptr, bias, out);
        return 0;
      });
}

// ---- Weights packed at compile time (awq-prepack-weights target=cuda) -------

// The header of a CUDA blob in host memory, or false (not one: a CPU blob).
bool readCudaBlobInfo(const awq_tensor *blob, awq_cuda_group_weights_info *info) {
  if (!blob || blob->dtype != AWQ_U8 || blob->rank != 1 || !blob->data)
    return false;
  const int64_t size = blob->shape[0];
  if (size < 4 || std::memcmp(blob->data, "AWQC", 4) != 0)
    return false;
  return awq_cuda_group_weights_get_info(blob->data, size, info) == 0;
}

// A compile-time blob uploaded on its first run, then reused (keyed by its
// constant host data, like the weights packed at run time).
const PackedGroupWeights &uploadedBlob(const awq_tensor *blob) {
  CudaModelBackend &backend = currentCudaBackend();
  auto found = backend.packedWeights.find(blob->data);
  if (found != backend.packedWeights.end())
    return found->second;
  PackedGroupWeights packed;
  if (!readCudaBlobInfo(blob, &packed.info))
    raise("the weights blob is not a CUDA group-weight blob");
  const size_t bytes = bytesOf(*blob);
  if (!packed.blob.reserve(bytes))
    raise("out of GPU memory for the packed weights (%zu bytes)", bytes);
  checkCudaCall(cudaMemcpy(packed.blob.data, blob->data, bytes, cudaMemcpyHostToDevice),
                "uploading the packed weights");
  return backend.packedWeights.emplace(blob->data, std::move(packed)).first->second;
}

// y's shape: x [..., K] -> [..., N], in x's dtype; a bias must hold N values.
awq_status packedMatmulShape(const awq_tensor *x, const awq_cuda_group_weights_info &info,
                             const awq_tensor *bias, awq_tensor *out) {
  return guard("prepacked group matmul (CUDA)", [&] {
    if (x->rank < 1 || x->shape[x->rank - 1] != info.k)
      raise("x's last dimension must be the weights' K = %lld", static_cast<long long>(info.k));
    if (bias && numel(bias) != info.n)
      raise("bias %s must hold the weights' N = %lld values", shapeString(bias).c_str(),
            static_cast<long long>(info.n));
    Shape shape(x->shape, x->shape + x->rank);
    shape.back() = info.n;
    setOutput(out, x->dtype, shape);
  });
}

void prepackedMatmulBody(NodeCall &call) {
  const awq_tensor *x = call.input(0), *blob = call.input(1), *bias = call.optionalInput(2);
  const PackedGroupWeights &weights = uploadedBlob(blob);
  call.runSingle([&](awq_tensor *out) { return packedMatmulShape(x, weights.info, bias, out); },
                 [&](awq_tensor *out) {
                   runGroupMatmulOnDevice(x, weights, nullptr, bias, out);
                   return 0;
                 });
}

void prepackedGateUpBody(NodeCall &call) {
  const awq_tensor *x = call.input(0);
  const PackedGroupWeights &gate = uploadedBlob(call.input(1));
  const PackedGroupWeights &up = uploadedBlob(call.input(2));
  const awq_cuda_group_weights_info &g = gate.info, &u = up.info;
  if (g.bits != u.bits || g.group_size != u.group_size || g.k != u.k || g.n != u.n ||
      g.scale_dtype != u.scale_dtype || g.layout != u.layout || g.has_zeros != u.has_zeros)
    raise("the gate and up blobs differ in shape, bits, group size, dtype or layout");
  call.runSingle([&](awq_tensor *out) { return packedMatmulShape(x, g, nullptr, out); },
                 [&](awq_tensor *out) {
                   runGroupMatmulOnDevice(x, gate, &up, nullptr, out);
                   return 0;
                 });
}

// ---- Generators: ConstantOfShape, Trilu ------------------------------------

// ConstantOfShape with a float value (none: f32 zeros): the shape read on
// the host, the fill on the device.
void constantOfShapeBody(NodeCall &call) {
  const std::vector<int64_t> shape = readIntegers(call.input(0), "shape");
  const std::optional<NodeTensor> value = call.node.getTensor("value");
  const awq_tensor *fill = value ? &value->desc : nullptr;
  const auto count = static_cast<int64_t>(shape.size());
  call.runSingle(
      [&](awq_tensor *out) { return awq_constant_of_shape_shape(shape.data(), count, fill, out); },
      [&](awq_tensor *out) {
        const float zero = 0.0f;
        return awq_cuda_fill(out->data, numel(out),
                             static_cast<int32_t>(awq_dtype_size(out->dtype)),
                             fill ? fill->data : &zero, currentCudaBackend().stream());
      });
}

// Trilu of float data (causal masks): k read on the host as the CPU entry
// reads it, the mask applied on the device.
void triluBody(NodeCall &call) {
  const awq_tensor *x = call.input(0);
  const TriluArguments arguments = readTriluArguments(call);
  const int64_t k = arguments.k;
  const int upper = arguments.upper;
  call.runSingle([&](awq_tensor *out) { return awq_trilu_shape(x, k, upper, out); },
                 [&](awq_tensor *out) {
                   const int64_t rows = x->shape[x->rank - 2], columns = x->shape[x->rank - 1];
                   const int64_t matrices = rows * columns == 0 ? 0 : numel(x) / (rows * columns);
                   return awq_cuda_trilu(x->data, matrices, rows, columns, k, upper,
                                         static_cast<int32_t>(awq_dtype_size(x->dtype)),
                                         out->data, currentCudaBackend().stream());
                 });
}

// ---- View ops and Concat: strided copies ----------------------------------
// Their element mapping follows from the shapes and the host inputs alone, so
// they need no index map (which a growing KV cache would rebuild every
// decode step).

// Copies the view of `data` into contiguous `out` on the device: one
// memcpy when the view is a contiguous run (Reshape and its kin, most
// slices), else the strided-copy kernel.
void copyViewOnDevice(const awq_tensor *data, const StridedView &view, awq_tensor *out) {
  if (numel(out) == 0)
    return;
  const size_t elementBytes = awq_dtype_size(data->dtype);
  const auto *source = static_cast<const uint8_t *>(data->data) + view.offset * elementBytes;
  cudaStream_t stream = currentCudaBackend().stream();
  if (isContiguous(view)) {
    if (source != out->data)
      checkCudaCall(cudaMemcpyAsync(out->data, source, bytesOf(*out), cudaMemcpyDeviceToDevice,
                                    stream),
                    "copying a tensor on the GPU");
    return;
  }
  const Shape yStrides = contiguousStrides(view.shape);
  checkStatus(awq_cuda_strided_copy(source, view.strides.data(), out->data, yStrides.data(),
                                    view.shape.data(), static_cast<int32_t>(view.shape.size()),
                                    static_cast<int32_t>(elementBytes), stream));
}

template <ViewsFn Views> void viewBody(NodeCall &call) {
  const std::vector<StridedView> views = Views(call);
  allocateViewOutputs(call, views);
  for (size_t i = 0; i < views.size(); ++i)
    copyViewOnDevice(call.input(0), views[i], call.output(static_cast<int32_t>(i)));
}

void concatBody(NodeCall &call) {
  std::vector<const awq_tensor *> parts;
  for (int32_t i = 0; i < call.numInputs(); ++i)
    parts.push_back(call.input(i));
  const int64_t axis = call.node.getInt("axis", 0);
  call.runSingle(
      [&](awq_tensor *out) {
        return awq_concat_shape(parts.data(), static_cast<int64_t>(parts.size()), axis, out);
      },
      [&](awq_tensor *out) {
        // Each input lands in the output's slab [offset, offset + its size)
        // along the axis: the output's strides, shifted by offset.
        const int64_t a = axis < 0 ? axis + out->rank : axis;
        const Shape yStrides = contiguousStrides(shapeOf(out));
        const size_t elementBytes = awq_dtype_size(out->dtype);
        int64_t offset = 0;
        for (const awq_tensor *part : parts) {
          const Shape xStrides = contiguousStrides(shapeOf(part));
          auto *destination =
              static_cast<uint8_t *>(out->data) + offset * yStrides[a] * elementBytes;
          checkStatus(awq_cuda_strided_copy(part->data, xStrides.data(), destination,
                                            yStrides.data(), part->shape, part->rank,
                                            static_cast<int32_t>(elementBytes),
                                            currentCudaBackend().stream()));
          offset += part->shape[a];
        }
        return 0;
      });
}

// awq.kv_cache_append: present = Concat(past, update, axis 2). With the
// backend's cache memory (a carried cache) present holds `capacity` rows per
// head and, when it is past's own memory, only the update's rows are copied.
void kvCacheAppendBody(NodeCall &call) {
  const awq_tensor *past = call.input(0);
  call.expectOutputs(1);
  const CacheUpdate cacheUpdate = readCacheUpdate(call);
  const awq_tensor &headsFirst = cacheUpdate.headsFirst;
  awq_tensor *present = call.output(0);
  const int64_t capacity = call.allocateAppendedCache(past, &headsFirst, present);
  const int64_t heads = present->shape[1], dim = present->shape[3];
  const size_t elementBytes = awq_dtype_size(present->dtype);
  // Rows of `part` ([B, H, S, D] over `from` strides) to rows offset.. of
  // present.
  auto copyRows = [&](const awq_tensor &part, const int64_t (&from)[4], int64_t offset) {
    if (numel(&part) == 0)
      return;
    const int64_t to[4] = {heads * capacity * dim, capacity * dim, dim, 1};
    auto *destination = static_cast<uint8_t *>(present->data) + offset * dim * elementBytes;
    checkStatus(awq_cuda_strided_copy(part.data, from, destination, to, part.shape, 4,
                                      static_cast<int32_t>(elementBytes),
                                      currentCudaBackend().stream()));
  };
  if (present->data != past->data) {
    const int64_t rows = call.rowsPerHead(past);
    copyRows(*past, {heads * rows * dim, rows * dim, dim, 1}, 0);
  }
  const int64_t steps = headsFirst.shape[2];
  if (cacheUpdate.sequenceFirst) // [B, S, H, D] read as [B, H, S, D]
    copyRows(headsFirst, {steps * heads * dim, dim, heads * dim, 1}, past->shape[2]);
  else
    copyRows(headsFirst, {heads * steps * dim, steps * dim, dim, 1}, past->shape[2]);
}

// Gather: the CPU runtime's rows (indices checked and wrapped on the host),
// uploaded and copied slice by slice on the device. No index map: for an
// embedding table that would number every element of the table on the host
// each time the token ids change.
void gatherBody(NodeCall &call) {
  const awq_tensor *data = call.input(0), *indices = call.input(1);
  const int64_t axis = call.node.getInt("axis", 0);
  call.runSingle(
      [&](awq_tensor *out) { return awq_gather_shape(data, indices, axis, out); },
      [&](awq_tensor *out) {
        const GatherRows plan = gatherRows(data, indices, axis);
        if (numel(out) == 0)
          return 0;
        CudaModelBackend &backend = currentCudaBackend();
        const size_t bytes = plan.rows.size() * sizeof(int64_t);
        auto *rows = static_cast<int64_t *>(
            backend.scratch(CudaModelBackend::Scratch::GatherRows, bytes));
        backend.upload(rows, plan.rows.data(), bytes, "uploading a gather's indices");
        return awq_cuda_gather_rows(data->data, plan.outer, plan.extent, plan.inner, rows,
                                    static_cast<int64_t>(plan.rows.size()),
                                    static_cast<int32_t>(awq_dtype_size(data->dtype)), out->data,
                                    backend.stream());
      });
}

// Where(cond, x, y): the host condition uploaded, then a broadcasting select
// on the device (any element width: x and y are only moved).
void whereBody(NodeCall &call) {
  const awq_tensor *cond = call.input(0), *x = call.input(1), *y = call.input(2);
  call.runSingle(
      [&](awq_tensor *out) { return awq_where_shape(cond, x, y, out); },
      [&](awq_tensor *out) {
        CudaModelBackend &backend = currentCudaBackend();
        const size_t condBytes = bytesOf(*cond);
        auto *condDevice = static_cast<uint8_t *>(
            backend.scratch(CudaModelBackend::Scratch::Condition, condBytes));
        backend.upload(condDevice, cond->data, condBytes, "uploading a condition");
        const std::vector<int64_t> condStrides = broadcastStrides(cond, out),
                                   xStrides = broadcastStrides(x, out),
                                   yStrides = broadcastStrides(y, out);
        return awq_cuda_where(condDevice, condStrides.data(), x->data, xStrides.data(), y->data,
                              yStrides.data(), out->shape, out->rank,
                              static_cast<int32_t>(awq_dtype_size(out->dtype)), out->data,
                              backend.stream());
      });
}

// Which inputs of a data-movement op carry the data it moves (on the device):
// the first, all (Concat), or all but the first (Where's x and y; its
// condition stays on the host).
enum class DataInputs { First, All, AllButFirst };

bool isDataInput(DataInputs data, int32_t index) {
  switch (data) {
  case DataInputs::First: return index == 0;
  case DataInputs::All: return true;
  case DataInputs::AllButFirst: return index > 0;
  }
  return false;
}

// ---- When each device form applies -----------------------------------------

bool firstOnDevice(const NodeReader &, const RawCall &call) {
  return call.numInputs >= 1 && onDevice(call.inputs[0]);
}

bool unaryOnDevice(const NodeReader &, const RawCall &call) {
  // FastGelu's optional bias is left to the CPU entry.
  return call.numInputs >= 1 && onDevice(call.inputs[0]) &&
         (call.numInputs == 1 || !call.inputs[1]);
}

bool bothOnDeviceSameDtype(const NodeReader &, const RawCall &call) {
  return call.numInputs == 2 && onDevice(call.inputs[0]) && onDevice(call.inputs[1]) &&
         call.inputs[0]->dtype == call.inputs[1]->dtype;
}

// Every input present on the device in one dtype (Min/Max/Sum).
bool allOnDeviceSameDtype(const NodeReader &, const RawCall &call) {
  if (call.numInputs < 1)
    return false;
  for (int32_t i = 0; i < call.numInputs; ++i)
    if (!onDevice(call.inputs[i]) || call.inputs[i]->dtype != call.inputs[0]->dtype)
      return false;
  return true;
}

// Clip's bounds are inputs from opset 11 on (older attribute bounds are f32
// whatever x is: the CPU entry has them); any given must be on the device in
// x's dtype.
bool clipOnDevice(const NodeReader &node, const RawCall &call) {
  if (node.opset() < 11 || call.numInputs < 1 || !onDevice(call.inputs[0]))
    return false;
  for (int32_t i = 1; i < call.numInputs; ++i)
    if (call.inputs[i] && (!onDevice(call.inputs[i]) || call.inputs[i]->dtype != call.inputs[0]->dtype))
      return false;
  return true;
}

// Float data on the device; the axes (an integer input) stay on the host.
bool reduceOnDevice(const NodeReader &, const RawCall &call) {
  return call.numInputs >= 1 && onDevice(call.inputs[0]) &&
         (call.numInputs < 2 || !onDevice(call.inputs[1]));
}

// Inference Dropout forwards x; its ratio and training_mode inputs are not
// read. The optional mask output is left to the CPU entry (which rejects it).
bool dropoutOnDevice(const NodeReader &, const RawCall &call) {
  return call.numInputs >= 1 && onDevice(call.inputs[0]) && call.numOutputs == 1;
}

bool castOnDevice(const NodeReader &node, const RawCall &call) {
  return call.numInputs == 1 && onDevice(call.inputs[0]) &&
         floatDtypeOfONNX(node.getInt("to", 0)) != 0;
}

bool softmaxOnDevice(const NodeReader &node, const RawCall &call) {
  if (call.numInputs != 1 || !onDevice(call.inputs[0]) || call.inputs[0]->rank < 1)
    return false;
  const int32_t rank = call.inputs[0]->rank;
  const int64_t axis = node.getInt("axis", node.opset() < 13 ? 1 : -1);
  return (axis == -1 || axis == rank - 1) && call.inputs[0]->shape[rank - 1] > 0;
}

// x and gamma (and beta) on the device in one dtype, gamma over the last axis.
bool normOnDevice(const NodeReader &node, const RawCall &call) {
  if (call.numInputs < 2 || !onDevice(call.inputs[0]) || !onDevice(call.inputs[1]))
    return false;
  const awq_tensor *x = call.inputs[0], *gamma = call.inputs[1];
  const awq_tensor *beta = call.numInputs > 2 ? call.inputs[2] : nullptr;
  if (x->rank < 1 || gamma->dtype != x->dtype || x->shape[x->rank - 1] <= 0 ||
      numel(gamma) != x->shape[x->rank - 1] || (beta && (!onDevice(beta) || beta->dtype != x->dtype)))
    return false;
  // The ONNX forms: over the last axis, without the statistics outputs.
  if (node.opType() == "LayerNormalization" || node.opType() == "SimplifiedLayerNormalization" ||
      node.opType() == "RMSNormalization")
    return call.numOutputs == 1 && (node.getInt("axis", -1) == -1 ||
                                    node.getInt("axis", -1) == x->rank - 1);
  return true;
}

// awq.add_rms_norm / awq.add_layer_norm: x, residual, gamma (and beta) on the
// device in one dtype, the residual shaped like x, gamma over the last axis.
bool addNormOnDevice(const NodeReader &, const RawCall &call) {
  if (call.numInputs < 3 || call.numInputs > 4 || call.numOutputs != 2)
    return false;
  const awq_tensor *x = call.inputs[0], *residual = call.inputs[1], *gamma = call.inputs[2];
  const awq_tensor *beta = call.numInputs > 3 ? call.inputs[3] : nullptr;
  for (const awq_tensor *input : {x, residual, gamma})
    if (!onDevice(input) || input->dtype != x->dtype)
      return false;
  if (beta && (!onDevice(beta) || beta->dtype != x->dtype))
    return false;
  return x->rank >= 1 && x->shape[x->rank - 1] > 0 && sameShape(residual, x) &&
         numel(gamma) == x->shape[x->rank - 1] && (!beta || numel(beta) == numel(gamma));
}

// f32 (the dtype of the CPU shape function), every tensor on the device,
// values as wide as keys and heads within the kernel's limit.
bool attentionOnDevice(const NodeReader &, const RawCall &call) {
  if (call.numInputs < 3 || call.numInputs > 4)
    return false;
  for (int32_t i = 0; i < call.numInputs; ++i) {
    const awq_tensor *input = call.inputs[i];
    if (i == 3 && !input)
      continue;
    if (!onDevice(input) || input->dtype != AWQ_F32)
      return false;
  }
  const awq_tensor *q = call.inputs[0], *k = call.inputs[1], *v = call.inputs[2];
  // Empty queries or no keys at all (zeros) are left to the CPU entry: the
  // kernel wants at least one of each. So are a key and a value cache of
  // different capacities (the kernel takes one; runOnHost compacts both).
  return q->rank == 4 && k->rank == 4 && v->rank == 4 && v->shape[3] == k->shape[3] &&
         k->shape[3] <= AWQ_CUDA_ATTENTION_MAX_HEAD_DIM && numel(q) > 0 && k->shape[2] > 0 &&
         cacheRowsPerHead(call, k) == cacheRowsPerHead(call, v);
}

// x, cos and sin on the device in one dtype.
bool rotaryEmbeddingOnDevice(const NodeReader &node, const RawCall &call) {
  return call.numInputs == 3 && allOnDeviceSameDtype(node, call);
}

bool matmulOnDevice(const NodeReader &node, const RawCall &call) {
  return bothOnDeviceSameDtype(node, call) && matmulBatches(call.inputs[0], call.inputs[1]);
}

// A and B (and C) on the device in one dtype (the CPU entry's f32, which
// the shape function checks), a non-empty product (K = 0 leaves beta * C to
// the CPU entry).
bool gemmOnDevice(const NodeReader &node, const RawCall &call) {
  if (!(call.numInputs >= 2 && onDevice(call.inputs[0]) && onDevice(call.inputs[1]) &&
        call.inputs[0]->dtype == call.inputs[1]->dtype && call.inputs[0]->rank == 2 &&
        call.inputs[1]->rank == 2))
    return false;
  const awq_tensor *a = call.inputs[0];
  if ((node.getInt("transA", 0) ? a->shape[0] : a->shape[1]) <= 0)
    return false;
  const awq_tensor *c = call.numInputs > 2 ? call.inputs[2] : nullptr;
  return !c || (onDevice(c) && c->dtype == a->dtype);
}

// A float fill (no value attribute: f32 zeros); the shape input on the host.
bool constantOfShapeOnDevice(const NodeReader &node, const RawCall &call) {
  if (call.numInputs != 1 || !call.inputs[0] || onDevice(call.inputs[0]))
    return false;
  const std::optional<NodeTensor> value = node.getTensor("value");
  return !value || livesOnDevice(value->desc.dtype);
}

bool linearOnDevice(const NodeReader &, const RawCall &call) {
  if (call.numInputs < 2 || !onDevice(call.inputs[0]) || !onDevice(call.inputs[1]) ||
      call.inputs[1]->dtype != call.inputs[0]->dtype)
    return false;
  const awq_tensor *bias = call.numInputs > 2 ? call.inputs[2] : nullptr;
  return !bias || (onDevice(bias) && bias->dtype == call.inputs[0]->dtype);
}

// The kernels' formats: 4 or 8 bits, groups of a multiple of 32 inputs (or
// one per row), constant weights; anything else runs on the CPU entry.
bool groupMatmulOnDevice(const NodeReader &node, const RawCall &call) {
  if (call.numInputs < 3 || !onDevice(call.inputs[0]) || !call.inputs[1] || !call.inputs[2])
    return false;
  const int64_t bits = node.getInt("bits", 0), groupSize = node.getInt("group_size", 0);
  const int64_t k = node.getInt("in_features", 0);
  if ((bits != 4 && bits != 8) || node.getString("layout", "row_major") != "row_major" ||
      !(groupSize >= k || (groupSize > 0 && groupSize % 32 == 0)))
    return false;
  const awq_tensor *bias = call.numInputs > 4 ? call.inputs[4] : nullptr;
  if (bias && (!onDevice(bias) || bias->dtype != call.inputs[0]->dtype))
    return false;
  // The weights must be constants (their host copy is what gets packed).
  CudaModelBackend &backend = currentCudaBackend();
  for (int32_t i = 1; i < 4 && i < call.numInputs; ++i)
    if (call.inputs[i] && onDevice(call.inputs[i]) && !backend.hostConstant(call.inputs[i]->data))
      return false;
  return true;
}

// Compile-time CUDA blobs (CPU blobs take the CPU entry); x and any bias
// on the device in one dtype.
bool prepackedOnDevice(const NodeReader &node, const RawCall &call) {
  const bool gateUp = node.opType() == "prepacked_gate_up_silu";
  const int32_t blobs = gateUp ? 2 : 1;
  if (call.numInputs < 1 + blobs || !onDevice(call.inputs[0]))
    return false;
  awq_cuda_group_weights_info info{};
  for (int32_t i = 1; i <= blobs; ++i)
    if (!readCudaBlobInfo(call.inputs[i], &info))
      return false;
  const awq_tensor *bias = !gateUp && call.numInputs > 2 ? call.inputs[2] : nullptr;
  return !bias || (onDevice(bias) && bias->dtype == call.inputs[0]->dtype);
}

// Float data on the device, everything else (shapes, indices) on the host.
template <DataInputs Data> bool movementOnDevice(const NodeReader &, const RawCall &call) {
  bool any = false;
  int32_t dtype = 0;
  for (int32_t i = 0; i < call.numInputs; ++i) {
    const awq_tensor *input = call.inputs[i];
    if (!input)
      continue;
    if (!isDataInput(Data, i)) {
      if (onDevice(input))
        return false;
      continue;
    }
    if (!onDevice(input) || (any && input->dtype != dtype))
      return false;
    any = true;
    dtype = input->dtype;
  }
  return any;
}

// ---- The table -------------------------------------------------------------

using Applies = bool (*)(const NodeReader &, const RawCall &);

struct DeviceForm {
  const char *prefix;
  const char *opType;
  Applies applies;
  NodeBody body; // nullptr: the CPU entry runs as it is (it reads no float data)
};

const DeviceForm kDeviceForms[] = {
    {"onnx", "Neg", unaryOnDevice, unaryBody<AWQ_UNARY_NEG>},
    {"onnx", "Abs", unaryOnDevice, unaryBody<AWQ_UNARY_ABS>},
    {"onnx", "Sqrt", unaryOnDevice, unaryBody<AWQ_UNARY_SQRT>},
    {"onnx", "Reciprocal", unaryOnDevice, unaryBody<AWQ_UNARY_RECIPROCAL>},
    {"onnx", "Exp", unaryOnDevice, unaryBody<AWQ_UNARY_EXP>},
    {"onnx", "Log", unaryOnDevice, unaryBody<AWQ_UNARY_LOG>},
    {"onnx", "Erf", unaryOnDevice, unaryBody<AWQ_UNARY_ERF>},
    {"onnx", "Tanh", unaryOnDevice, unaryBody<AWQ_UNARY_TANH>},
    {"onnx", "Sigmoid", unaryOnDevice, unaryBody<AWQ_UNARY_SIGMOID>},
    {"onnx", "Sin", unaryOnDevice, unaryBody<AWQ_UNARY_SIN>},
    {"onnx", "Cos", unaryOnDevice, unaryBody<AWQ_UNARY_COS>},
    {"onnx", "Floor", unaryOnDevice, unaryBody<AWQ_UNARY_FLOOR>},
    {"onnx", "Ceil", unaryOnDevice, unaryBody<AWQ_UNARY_CEIL>},
    {"onnx", "Relu", unaryOnDevice, unaryBody<AWQ_UNARY_RELU>},
    {"onnx", "Gelu", unaryOnDevice, geluBody<false>},
    {"ms", "Gelu", unaryOnDevice, geluBody<false>},
    {"ms", "FastGelu", unaryOnDevice, geluBody<true>},
    {"awq", "silu", unaryOnDevice, unaryBody<AWQ_UNARY_SILU>},
    {"awq", "gelu", unaryOnDevice, geluBody<false>},
    {"onnx", "Add", bothOnDeviceSameDtype, binaryBody<AWQ_BINARY_ADD>},
    {"onnx", "Sub", bothOnDeviceSameDtype, binaryBody<AWQ_BINARY_SUB>},
    {"onnx", "Mul", bothOnDeviceSameDtype, binaryBody<AWQ_BINARY_MUL>},
    {"onnx", "Div", bothOnDeviceSameDtype, binaryBody<AWQ_BINARY_DIV>},
    {"onnx", "Pow", bothOnDeviceSameDtype, binaryBody<AWQ_BINARY_POW>},
    {"awq", "scale", bothOnDeviceSameDtype, binaryBody<AWQ_BINARY_DIV>},
    {"onnx", "Min", allOnDeviceSameDtype, variadicBody<AWQ_BINARY_MIN>},
    {"onnx", "Max", allOnDeviceSameDtype, variadicBody<AWQ_BINARY_MAX>},
    {"onnx", "Sum", allOnDeviceSameDtype, variadicBody<AWQ_BINARY_ADD>},
    {"onnx", "Clip", clipOnDevice, clipBody},
    {"onnx", "ReduceSum", reduceOnDevice, reduceBody<AWQ_REDUCE_SUM>},
    {"onnx", "ReduceMean", reduceOnDevice, reduceBody<AWQ_REDUCE_MEAN>},
    {"onnx", "ReduceMax", reduceOnDevice, reduceBody<AWQ_REDUCE_MAX>},
    {"onnx", "ReduceMin", reduceOnDevice, reduceBody<AWQ_REDUCE_MIN>},
    {"onnx", "ReduceProd", reduceOnDevice, reduceBody<AWQ_REDUCE_PROD>},
    {"onnx", "Cast", castOnDevice, castBody},
    {"onnx", "Softmax", softmaxOnDevice, softmaxBody},
    {"onnx", "LayerNormalization", normOnDevice, layerNormBody},
    {"awq", "layer_norm", normOnDevice, layerNormBody},
    {"awq", "rms_norm", normOnDevice, rmsNormBody},
    {"awq", "add_rms_norm", addNormOnDevice, addNormBody<true>},
    {"awq", "add_layer_norm", addNormOnDevice, addNormBody<false>},
    {"onnx", "SimplifiedLayerNormalization", normOnDevice, rmsNormBody},
    {"onnx", "RMSNormalization", normOnDevice, rmsNormBody},
    {"awq", "attention", attentionOnDevice, attentionBody},
    {"awq", "rotary_embedding", rotaryEmbeddingOnDevice, rotaryEmbeddingBody},
    {"onnx", "MatMul", matmulOnDevice, matmulBody},
    {"onnx", "Gemm", gemmOnDevice, gemmBody},
    {"onnx", "ConstantOfShape", constantOfShapeOnDevice, constantOfShapeBody},
    // Trilu(x, k): x on the device, k on the host.
    {"onnx", "Trilu", movementOnDevice<DataInputs::First>, triluBody},
    {"awq", "linear", linearOnDevice, linearBody},
    {"awq", "group_matmul", groupMatmulOnDevice, groupMatmulBody},
    {"awq", "prepacked_matmul", prepackedOnDevice, prepackedMatmulBody},
    {"awq", "prepacked_gate_up_silu", prepackedOnDevice, prepackedGateUpBody},
    {"onnx", "Identity", movementOnDevice<DataInputs::First>, viewBody<identityNodeViews>},
    {"onnx", "Dropout", dropoutOnDevice, viewBody<identityNodeViews>},
    {"onnx", "Reshape", movementOnDevice<DataInputs::First>, viewBody<reshapeNodeViews>},
    {"onnx", "Flatten", movementOnDevice<DataInputs::First>, viewBody<flattenNodeViews>},
    {"onnx", "Squeeze", movementOnDevice<DataInputs::First>, viewBody<squeezeNodeViews>},
    {"onnx", "Unsqueeze", movementOnDevice<DataInputs::First>, viewBody<unsqueezeNodeViews>},
    {"onnx", "Transpose", movementOnDevice<DataInputs::First>, viewBody<transposeNodeViews>},
    {"onnx", "Slice", movementOnDevice<DataInputs::First>, viewBody<sliceNodeViews>},
    {"onnx", "Split", movementOnDevice<DataInputs::First>, viewBody<splitNodeViews>},
    {"onnx", "Expand", movementOnDevice<DataInputs::First>, viewBody<expandNodeViews>},
    {"onnx", "Gather", movementOnDevice<DataInputs::First>, gatherBody},
    {"onnx", "Concat", movementOnDevice<DataInputs::All>, concatBody},
    {"awq", "kv_cache_append", movementOnDevice<DataInputs::All>, kvCacheAppendBody},
    // Where(cond, x, y) moves x's or y's elements as the host condition says.
    {"onnx", "Where", movementOnDevice<DataInputs::AllButFirst>, whereBody},
    // Shape reads only the dims, which the host has.
    {"onnx", "Shape", firstOnDevice, nullptr},
};

// AWQ_CUDA_HOST_OPS=<op>[,<op>...]: ops ("awq.rms_norm", "onnx.Add", or just
// the type) that run their CPU entry on host copies even where their device
// form applies. For bisecting a wrong result down to one op's device form.
std::vector<std::string> hostOpsSetting() {
  std::vector<std::string> names;
  const char *value = std::getenv("AWQ_CUDA_HOST_OPS");
  std::string name;
  for (const char *c = value ? value : ""; ; ++c) {
    if (*c == ',' || *c == '\0') {
      if (!name.empty())
        names.push_back(name);
      name.clear();
      if (*c == '\0')
        break;
    } else if (*c != ' ') {
      name += *c;
    }
  }
  return names;
}

bool namesForm(const std::string &name, const DeviceForm &form) {
  return name == form.opType || name == std::string(form.prefix) + "." + form.opType;
}

bool forcedToHost(const DeviceForm &form) {
  static const std::vector<std::string> names = hostOpsSetting();
  return std::any_of(names.begin(), names.end(),
                     [&](const std::string &name) { return namesForm(name, form); });
}

const DeviceForm *findDeviceForm(const char *prefix, const char *opType) {
  for (const DeviceForm &form : kDeviceForms)
    if (std::strcmp(form.prefix, prefix) == 0 && std::strcmp(form.opType, opType) == 0)
      return forcedToHost(form) ? nullptr : &form;
  return nullptr;
}

// "<op type> node '<name>'" for errors outside the op's own checks.
std::string nodeWhere(const uint8_t *node, const char *opType) {
  std::string type = opType, name;
  NodeReader::readHeader(node, &type, &name);
  return type + " node '" + name + "'";
}

awq_status dispatchCudaNode(const char *opType, const DeviceForm *form,
                            const RawCall &call) noexcept {
  try {
    if (form) {
      const NodeReader reader(call.node);
      if (form->applies(reader, call)) {
        if (!form->body)
          return call.cpuEntry(call.node, call.inputs, call.numInputs, call.outputs,
                               call.numOutputs, call.allocator);
        return runNode(opType, form->body, call.node, call.inputs, call.numInputs, call.outputs,
                       call.numOutputs, call.allocator);
      }
    }
    runOnHost(call);
    return 0;
  } catch (const OpError &error) {
    // A CPU entry's own failure already names the node.
    if (error.message != awq_last_error())
      setLastError(nodeWhere(call.node, opType).c_str(), error.message.c_str());
  } catch (const std::exception &error) {
    setLastError(nodeWhere(call.node, opType).c_str(), error.what());
  }
  return 1;
}

// Every node entry: the node, then what it wrote noted for the backend's
// reuse of a narrowed group-matmul input (rememberNarrowed).
awq_status runCudaNode(const char *opType, const DeviceForm *form, const RawCall &call) noexcept {
  const awq_status status = dispatchCudaNode(opType, form, call);
  try {
    CudaModelBackend &backend = currentCudaBackend();
    for (int32_t i = 0; i < call.numOutputs; ++i)
      backend.noteWrite(call.outputs[i]);
  } catch (const OpError &error) { // outside a run: the node has failed already
    setLastError(opType, error.message.c_str());
    return 1;
  }
  return status;
}

} // namespace

void checkHostOpsSetting() {
  for (const std::string &name : hostOpsSetting()) {
    const bool known = std::any_of(std::begin(kDeviceForms), std::end(kDeviceForms),
                                   [&](const DeviceForm &form) { return namesForm(name, form); });
    if (!known)
      raise("AWQ_CUDA_HOST_OPS: '%s' is not an op with a device form (name ops as "
            "onnx.Add, awq.rms_norm or Add)",
            name.c_str());
  }
}

} // namespace awq::cuda

// awq_cuda_node_<prefix>_<op>: the device form of the op when it has one and
// applies, else the CPU entry on the host.
#define AWQ_NODE(prefix, opType)                                                                   \
  extern "C" awq_status awq_cuda_node_##prefix##_##opType(                                         \
      const uint8_t *node, const awq_tensor *const *inputs, int32_t numInputs,                     \
      awq_tensor *outputs, int32_t numOutputs, const awq_node_allocator *allocator) {              \
    static const awq::cuda::DeviceForm *const form =                                               \
        awq::cuda::findDeviceForm(#prefix, #opType);                                               \
    const awq::cuda::RawCall call{node,    inputs,    numInputs,                                   \
                                  outputs, numOutputs, allocator,                                  \
                                  awq_node_##prefix##_##opType};                                   \
    return awq::cuda::runCudaNode(#opType, form, call);                                            \
  }
#include "nodes/NodeList.def"
#undef AWQ_NODE
