// CudaDecodeBench.cpp - awq-cuda-decode-bench: end-to-end decode tokens/s of a
// synthetic Llama-2-7B-shaped model running entirely on the GPU through
// awq_cuda.h, with W4 g128 weights and with dense FP16 weights.
//
//   awq-cuda-decode-bench [--layers 32] [--batch 1,16] [--variants w4,fp16[,w4-mma-tiles]]
//                         [--prompt 128] [--steps 64] [--warmup 3] [--dtype f16|bf16]
//                         [--group 128] [--peak-gbps G] [--device D] [--json PATH]
//
// The model: 32 layers, dim 4096, 32 heads (32 KV heads), head_dim 128, MLP
// hidden 11008, vocab 32000, RMSNorm eps 1e-5, RoPE theta 10000 half-split
// (rotate_half). Weights are random with a real model's scale (std ~0.02).
// One decode step, for `batch` sequences of one new token each:
//   embedding -> 32 x [rms_norm, q/k/v linears, RoPE on q and k,
//   kv_cache_append (k and v), attention, o linear, residual add, rms_norm,
//   gate/up + SiLU product, down linear, residual add] -> final rms_norm ->
//   LM head -> logits [batch, vocab] (no sampling).
// Variants share everything but the seven per-layer linears:
//   w4:   W4 g128 blobs with zero points in the default layout (row chunks;
//         awq_cuda_group_matmul; gate and up in one awq_cuda_gate_up_silu);
//   w4-mma-tiles: the same in the mma-tile layout (the register-fed mma.sync
//         kernel), for comparing the two in one run;
//   fp16: dense weights through cuBLAS (awq_cuda_linear; gate and up as two
//         linears + awq_cuda_silu_mul).
// The LM head stays dense (f16/bf16) in BOTH variants, as AWQ deployments keep
// it; so do the embedding and the norms.
//
// Method: a prompt of --prompt tokens per sequence is prefilled first (one
// forward with q_len = prompt; timed too, as a secondary number). Then one
// decode step is captured in a CUDA graph: the per-sequence past_len (int32)
// and positions/token ids (int64) live in device memory, and a tiny kernel at
// the end of the step advances them, so replaying the graph --steps times runs
// that many consecutive decode steps with no host work between them. The
// replays are timed with CUDA events after --warmup untimed ones (the device
// state is reset to the end of the prompt before the timed run).
//   tokens/s = batch * steps / seconds.
// "approx GB/s" divides the bytes a step must read (all weights + the KV cache
// read by attention at the run's average length) by the step time.
// If a step cannot be captured, it falls back to eager launches (reported).
//
// Exit codes: 0 done, 77 skipped (no CUDA device), 1 error, 2 bad usage,
// 3 done but the logits were not finite.
#include "BenchCommon.h"
#include "DecodeBenchKernels.h"

#include <cinttypes>
#include <cmath>
#include <utility>

using namespace awq::bench;

namespace {

const char *kUsage =
    "usage: awq-cuda-decode-bench [options]\n"
    "  --layers L          decoder layers (default 32; fewer for a quick run)\n"
    "  --batch 1,16        batch sizes (sequences decoded together; default 1,16)\n"
    "  --variants w4,fp16  which models to run (default both; the ratio needs both);\n"
    "                      w4-mma-tiles: W4 in the mma-tile layout (the mma.sync kernel)\n"
    "  --prompt P          prompt tokens prefilled per sequence (default 128)\n"
    "  --steps S           timed decode steps (default 64)\n"
    "  --warmup W          untimed decode steps before them (default 3)\n"
    "  --dtype f16|bf16    activation dtype (default f16; the dense variant then uses bf16)\n"
    "  --group G           W4 group size (default 128)\n"
    "  --peak-gbps G       peak DRAM bandwidth for the % column (default: from the driver)\n"
    "  --device D          CUDA device (default 0)\n"
    "  --json PATH         also write the results as JSON\n"
    "Exit codes: 0 ok, 77 skipped (no CUDA device), 1 error, 2 usage, 3 non-finite logits.\n";

// Llama-2-7B's shape (only the layer count is an option).
struct ModelConfig {
  int64_t layers = 32, dim = 4096, heads = 32, kvHeads = 32, headDim = 128, hidden = 11008,
          vocab = 32000;
  float eps = 1e-5f, ropeTheta = 10000.0f;
};

struct Options {
  ModelConfig model;
  std::vector<int64_t> batches = {1, 16};
  std::vector<std::string> variants = {"w4", "fp16"};
  int64_t prompt = 128, steps = 64, warmup = 3, group = 128;
  int32_t dtype = AWQ_F16;
  double peakGbps = 0.0;
  int device = 0;
  std::string jsonPath;
};

Options parseOptions(int argc, char **argv) {
  Options o;
  forEachOption(argc, argv, kUsage,
                {"--layers", "--batch", "--variants", "--prompt", "--steps", "--warmup",
                 "--dtype", "--group", "--peak-gbps", "--device", "--json"},
                {}, [&](const std::string &key, const std::string &value) {
    if (key == "--layers")
      o.model.layers = parseInt(value, "--layers");
    else if (key == "--batch")
      o.batches = parseIntList(value, "--batch");
    else if (key == "--variants")
      o.variants = splitList(value);
    else if (key == "--prompt")
      o.prompt = parseInt(value, "--prompt");
    else if (key == "--steps")
      o.steps = parseInt(value, "--steps");
    else if (key == "--warmup")
      o.warmup = parseInt(value, "--warmup");
    else if (key == "--dtype")
      o.dtype = parseDtype(value);
    else if (key == "--group")
      o.group = parseInt(value, "--group");
    else if (key == "--peak-gbps")
      o.peakGbps = parseDouble(value, "--peak-gbps");
    else if (key == "--device")
      o.device = static_cast<int>(parseInt(value, "--device"));
    else if (key == "--json")
      o.jsonPath = value;
  });
  if (o.model.layers < 1 || o.prompt < 0 || o.steps < 1 || o.warmup < 0)
    usageError("--layers and --steps must be >= 1, --prompt and --warmup >= 0", kUsage);
  for (int64_t b : o.batches)
    if (b < 1)
      usageError("--batch values must be >= 1", kUsage);
  if (o.variants.empty())
    usageError("--variants needs w4, w4-mma-tiles and/or fp16", kUsage);
  for (const std::string &v : o.variants)
    if (v != "w4" && v != "fp16" && v != "w4-mma-tiles")
      usageError("--variants takes w4, w4-mma-tiles and/or fp16, not '" + v + "'", kUsage);
  return o;
}

// ---- The model -----------------------------------------------------------------

// One linear layer's weight [N outputs, K inputs]: a W4 blob or a dense matrix.
struct LinearWeight {
  int64_t n = 0, k = 0;
  bool quantized = false;
  DeviceBuffer data;
  awq_cuda_group_weights_info info{}; // host-side header of the blob (quantized only)

  // Bytes a matmul reads from this weight.
  int64_t readBytes() const { return quantized ? blobPayloadBytes(info) : n * k * 2; }
};

struct Layer {
  DeviceBuffer attnNorm, ffnNorm;
  LinearWeight q, k, v, o, gate, up, down;
};

struct Model {
  ModelConfig config;
  bool quantized = false;
  std::string variant; // w4, w4-mma-tiles or fp16
  int32_t dtype = AWQ_F16;
  DeviceBuffer embedding, finalNorm;
  LinearWeight lmHead; // dense in both variants
  std::vector<Layer> layers;

  // Weight bytes one decode step reads: every linear, the LM head and the
  // norms (the few embedding rows are left out).
  int64_t weightBytesPerStep() const {
    int64_t bytes = lmHead.readBytes() + (2 * config.layers + 1) * config.dim * 2;
    for (const Layer &l : layers)
      for (const LinearWeight *w : {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down})
        bytes += w->readBytes();
    return bytes;
  }
  int64_t deviceBytes() const {
    int64_t bytes = embedding.bytes() + finalNorm.bytes() + lmHead.data.bytes();
    for (const Layer &l : layers) {
      bytes += l.attnNorm.bytes() + l.ffnNorm.bytes();
      for (const LinearWeight *w : {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down})
        bytes += w->data.bytes();
    }
    return bytes;
  }
};

DeviceBuffer randomHalfBuffer(int64_t count, int32_t dtype, float mean, float stddev,
                              uint64_t seed, const char *what) {
  DeviceBuffer buffer(static_cast<size_t>(count * 2), what);
  checkCuda(launchFillRandomHalf(buffer.get(), count, dtype, mean, stddev, seed, nullptr),
            "launchFillRandomHalf");
  return buffer;
}

LinearWeight denseLinear(int64_t n, int64_t k, int32_t dtype, uint64_t seed) {
  LinearWeight w;
  w.n = n;
  w.k = k;
  w.data = randomHalfBuffer(n * k, dtype, 0.0f, 0.02f, seed, "a dense weight");
  return w;
}

LinearWeight uploadBlob(const HostBlob &blob) {
  LinearWeight w;
  w.n = blob.info.n;
  w.k = blob.info.k;
  w.quantized = true;
  w.info = blob.info;
  w.data = DeviceBuffer(static_cast<size_t>(blob.size), "a W4 blob");
  w.data.upload(blob.bytes.get(), static_cast<size_t>(blob.size));
  return w;
}

Model buildModel(const ModelConfig &c, const std::string &variant, int32_t dtype, int64_t group) {
  const bool quantized = variant != "fp16";
  const int32_t layout =
      variant == "w4-mma-tiles" ? AWQ_CUDA_LAYOUT_MMA_TILES : AWQ_CUDA_LAYOUT_DEFAULT;
  Model model;
  model.config = c;
  model.quantized = quantized;
  model.variant = variant;
  model.dtype = dtype;
  uint64_t seed = 42;
  model.embedding = randomHalfBuffer(c.vocab * c.dim, dtype, 0.0f, 0.02f, seed++, "embedding");
  model.finalNorm = randomHalfBuffer(c.dim, dtype, 1.0f, 0.0f, seed++, "final norm");
  model.lmHead = denseLinear(c.vocab, c.dim, dtype, seed++);

  const int64_t qDim = c.heads * c.headDim, kvDim = c.kvHeads * c.headDim;
  // W4: one random blob per role, packed once on the host and uploaded into
  // every layer (the content does not change the kernels' speed; every layer
  // still has its own copy in device memory, as in a real model).
  std::vector<HostBlob> blobs;
  if (quantized) {
    std::fprintf(stderr, "%s: packing W4 g%" PRId64 " weights on the host ...\n", programName(),
                 group);
    const std::pair<int64_t, int64_t> shapes[7] = {
        {c.dim, qDim}, {c.dim, kvDim}, {c.dim, kvDim}, {qDim, c.dim},
        {c.dim, c.hidden}, {c.dim, c.hidden}, {c.hidden, c.dim}};
    for (auto [k, n] : shapes)
      blobs.push_back(packRandomW4Blob(k, n, group, dtype, seed++, layout));
  }
  std::fprintf(stderr, "%s: uploading %" PRId64 " %s layers ...\n", programName(), c.layers,
               quantized ? "W4" : "dense");
  model.layers.resize(static_cast<size_t>(c.layers));
  for (Layer &l : model.layers) {
    l.attnNorm = randomHalfBuffer(c.dim, dtype, 1.0f, 0.0f, seed++, "a norm weight");
    l.ffnNorm = randomHalfBuffer(c.dim, dtype, 1.0f, 0.0f, seed++, "a norm weight");
    LinearWeight *roles[7] = {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down};
    const std::pair<int64_t, int64_t> shapes[7] = {
        {c.dim, qDim}, {c.dim, kvDim}, {c.dim, kvDim}, {qDim, c.dim},
        {c.dim, c.hidden}, {c.dim, c.hidden}, {c.hidden, c.dim}};
    for (int r = 0; r < 7; ++r)
      *roles[r] = quantized ? uploadBlob(blobs[r])
                            : denseLinear(shapes[r].second, shapes[r].first, dtype, seed++);
  }
  checkCuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize (building the model)");
  return model;
}

// ---- One batch's buffers and the forward pass -------------------------------------

struct Workspace {
  int64_t batch = 0, capacity = 0, maxTokens = 0;
  DeviceBuffer x, xn, q, k, v, attn, tmp, h, gate, up, logits, workspace;
  std::vector<DeviceBuffer> kCache, vCache;
  // Decode state, advanced on the device by launchAdvanceDecodeStep.
  DeviceBuffer pastLen, positions, ids;
  // Prefill inputs: past_len 0 for every sequence, positions 0..prompt-1.
  DeviceBuffer prefillPastLen, prefillPositions, prefillIds;
};

int64_t workspaceBytesFor(const Model &model, int64_t m) {
  int64_t bytes = 0;
  if (!model.quantized)
    return 0;
  for (const Layer &l : model.layers) {
    for (const LinearWeight *w : {&l.q, &l.k, &l.v, &l.o, &l.down})
      bytes = std::max(bytes, awq_cuda_group_matmul_workspace_bytes(&w->info, m));
    bytes = std::max(bytes, awq_cuda_gate_up_silu_workspace_bytes(&l.gate.info, m));
    break; // every layer has the same shapes
  }
  return bytes;
}

Workspace makeWorkspace(const Model &model, int64_t batch, int64_t prompt, int64_t capacity) {
  const ModelConfig &c = model.config;
  Workspace w;
  w.batch = batch;
  w.capacity = capacity;
  w.maxTokens = batch * std::max<int64_t>(prompt, 1);
  const size_t t = static_cast<size_t>(w.maxTokens);
  const size_t qDim = c.heads * c.headDim, kvDim = c.kvHeads * c.headDim;
  w.x = DeviceBuffer(t * c.dim * 2, "activations");
  w.xn = DeviceBuffer(t * c.dim * 2, "activations");
  w.q = DeviceBuffer(t * qDim * 2, "activations");
  w.k = DeviceBuffer(t * kvDim * 2, "activations");
  w.v = DeviceBuffer(t * kvDim * 2, "activations");
  w.attn = DeviceBuffer(t * qDim * 2, "activations");
  w.tmp = DeviceBuffer(t * c.dim * 2, "activations");
  w.h = DeviceBuffer(t * c.hidden * 2, "activations");
  if (!model.quantized) {
    w.gate = DeviceBuffer(t * c.hidden * 2, "activations");
    w.up = DeviceBuffer(t * c.hidden * 2, "activations");
  }
  w.logits = DeviceBuffer(static_cast<size_t>(batch * c.vocab * 2), "logits");
  const int64_t workspaceBytes =
      std::max(workspaceBytesFor(model, w.maxTokens), workspaceBytesFor(model, batch));
  w.workspace = DeviceBuffer(static_cast<size_t>(std::max<int64_t>(workspaceBytes, 256)),
                             "the matmul workspace");
  const size_t cacheBytes = static_cast<size_t>(batch * c.kvHeads * capacity * c.headDim * 2);
  for (int64_t l = 0; l < c.layers; ++l) {
    w.kCache.emplace_back(cacheBytes, "the KV cache");
    w.vCache.emplace_back(cacheBytes, "the KV cache");
    // Never-written positions are never read; zero them anyway so a bug in
    // the lengths shows up as zeros, not as NaN bit patterns.
    checkCuda(cudaMemset(w.kCache.back().get(), 0, cacheBytes), "cudaMemset");
    checkCuda(cudaMemset(w.vCache.back().get(), 0, cacheBytes), "cudaMemset");
  }
  w.pastLen = DeviceBuffer(static_cast<size_t>(batch) * sizeof(int32_t), "past_len");
  w.positions = DeviceBuffer(static_cast<size_t>(batch) * sizeof(int64_t), "positions");
  w.ids = DeviceBuffer(static_cast<size_t>(batch) * sizeof(int64_t), "token ids");
  w.prefillPastLen = DeviceBuffer(static_cast<size_t>(batch) * sizeof(int32_t), "past_len");
  checkCuda(cudaMemset(w.prefillPastLen.get(), 0, w.prefillPastLen.bytes()), "cudaMemset");
  if (prompt > 0) {
    std::vector<int64_t> positions(t), ids(t);
    std::mt19937_64 engine(7);
    for (size_t i = 0; i < t; ++i) {
      positions[i] = static_cast<int64_t>(i % static_cast<size_t>(prompt));
      ids[i] = static_cast<int64_t>(engine() % static_cast<uint64_t>(c.vocab));
    }
    w.prefillPositions = DeviceBuffer(t * sizeof(int64_t), "prefill positions");
    w.prefillPositions.upload(positions.data(), t * sizeof(int64_t));
    w.prefillIds = DeviceBuffer(t * sizeof(int64_t), "prefill ids");
    w.prefillIds.upload(ids.data(), t * sizeof(int64_t));
  }
  return w;
}

// Runs the awq_cuda ops of one forward pass; the first failure is kept (op
// and awq_last_error) and stops the pass, so a failing op inside a graph
// capture can be reported instead of aborting.
class Forward {
public:
  Forward(const Model &model, Workspace &w, cudaStream_t stream)
      : model_(model), w_(w), stream_(stream) {}
  const std::string &error() const { return error_; }

  // qLen new tokens for each of the batch's sequences; ids/positions have
  // batch * qLen entries; pastLen has batch entries.
  bool run(int64_t qLen, const int64_t *ids, const int64_t *positions, const int32_t *pastLen,
           bool withLogits) {
    const ModelConfig &c = model_.config;
    const int32_t dt = model_.dtype;
    const int64_t tokens = w_.batch * qLen;
    const float scale = 1.0f / std::sqrt(static_cast<float>(c.headDim));
    void *s = stream_;
    if (!ok(awq_cuda_embedding(model_.embedding.get(), c.vocab, c.dim, ids, tokens, dt,
                               w_.x.get(), s), "awq_cuda_embedding"))
      return false;
    // x += tmp (a block's output) then xn = norm(x), in one kernel
    // (awq.add_rms_norm's: the sum is written back to x, the residual stream);
    // the first block's norm has no pending output to add.
    bool pendingOutput = false;
    auto residualNorm = [&](const void *gamma, const char *what) {
      const awq_status status =
          pendingOutput ? awq_cuda_add_rms_norm(w_.tmp.get(), w_.x.get(), gamma, 0.0f, tokens,
                                                c.dim, c.eps, dt, w_.x.get(), w_.xn.get(), s)
                        : awq_cuda_rms_norm(w_.x.get(), gamma, tokens, c.dim, c.eps, dt,
                                            w_.xn.get(), s);
      pendingOutput = false;
      return ok(status, what);
    };
    for (size_t i = 0; i < model_.layers.size(); ++i) {
      const Layer &l = model_.layers[i];
      // Attention block.
      if (!residualNorm(l.attnNorm.get(), "awq_cuda_add_rms_norm (attention)") ||
          !linear(l.q, w_.xn.get(), tokens, w_.q.get()) ||
          !linear(l.k, w_.xn.get(), tokens, w_.k.get()) ||
          !linear(l.v, w_.xn.get(), tokens, w_.v.get()) ||
          !ok(awq_cuda_rope(w_.q.get(), tokens, c.heads, c.headDim, c.headDim, positions,
                            c.ropeTheta, AWQ_ROPE_HALF_SPLIT, dt, s), "awq_cuda_rope (q)") ||
          !ok(awq_cuda_rope(w_.k.get(), tokens, c.kvHeads, c.headDim, c.headDim, positions,
                            c.ropeTheta, AWQ_ROPE_HALF_SPLIT, dt, s), "awq_cuda_rope (k)") ||
          !ok(awq_cuda_kv_cache_append(w_.kCache[i].get(), w_.batch, c.kvHeads, w_.capacity,
                                       c.headDim, w_.k.get(), qLen, pastLen, dt, s),
              "awq_cuda_kv_cache_append (k)") ||
          !ok(awq_cuda_kv_cache_append(w_.vCache[i].get(), w_.batch, c.kvHeads, w_.capacity,
                                       c.headDim, w_.v.get(), qLen, pastLen, dt, s),
              "awq_cuda_kv_cache_append (v)") ||
          !ok(awq_cuda_attention(w_.q.get(), w_.kCache[i].get(), w_.vCache[i].get(), w_.batch,
                                 qLen, c.heads, c.kvHeads, c.headDim, w_.capacity, pastLen,
                                 scale, dt, w_.attn.get(), s), "awq_cuda_attention") ||
          !linear(l.o, w_.attn.get(), tokens, w_.tmp.get()))
        return false;
      // MLP block.
      pendingOutput = true;
      if (!residualNorm(l.ffnNorm.get(), "awq_cuda_add_rms_norm (MLP)"))
        return false;
      if (model_.quantized) {
        if (!ok(awq_cuda_gate_up_silu(w_.xn.get(), tokens, l.gate.data.get(), l.up.data.get(),
                                      &l.gate.info, w_.h.get(), w_.workspace.get(), s),
                "awq_cuda_gate_up_silu"))
          return false;
      } else if (!linear(l.gate, w_.xn.get(), tokens, w_.gate.get()) ||
                 !linear(l.up, w_.xn.get(), tokens, w_.up.get()) ||
                 !ok(awq_cuda_silu_mul(w_.gate.get(), w_.up.get(), tokens * c.hidden, dt,
                                       w_.h.get(), s), "awq_cuda_silu_mul")) {
        return false;
      }
      if (!linear(l.down, w_.h.get(), tokens, w_.tmp.get()))
        return false;
      pendingOutput = true; // added by the next norm
    }
    if (!withLogits) // the cache is filled; x is not read again
      return true;
    // Decode: one token per sequence, so x holds exactly the last tokens.
    return residualNorm(model_.finalNorm.get(), "awq_cuda_add_rms_norm (final)") &&
           linear(model_.lmHead, w_.xn.get(), tokens, w_.logits.get());
  }

  // One decode step: the forward for one token per sequence, then the state
  // update that makes the next replay the next step.
  bool decodeStep() {
    if (!run(1, w_.ids.as<int64_t>(), w_.positions.as<int64_t>(), w_.pastLen.as<int32_t>(),
             true))
      return false;
    const cudaError_t error =
        launchAdvanceDecodeStep(w_.pastLen.as<int32_t>(), w_.positions.as<int64_t>(),
                                w_.ids.as<int64_t>(), w_.batch, model_.config.vocab, stream_);
    if (error != cudaSuccess) {
      error_ = std::string("launchAdvanceDecodeStep: ") + cudaGetErrorString(error);
      return false;
    }
    return true;
  }

private:
  bool ok(awq_status status, const char *op) {
    if (status != 0 && error_.empty())
      error_ = std::string(op) + ": " + awq_last_error();
    return status == 0;
  }
  bool linear(const LinearWeight &weight, const void *x, int64_t m, void *y) {
    if (weight.quantized)
      return ok(awq_cuda_group_matmul(x, m, weight.data.get(), &weight.info, nullptr, y,
                                      w_.workspace.get(), stream_), "awq_cuda_group_matmul");
    return ok(awq_cuda_linear(x, m, weight.data.get(), weight.n, weight.k, nullptr, model_.dtype,
                              y, stream_), "awq_cuda_linear");
  }

  const Model &model_;
  Workspace &w_;
  cudaStream_t stream_;
  std::string error_;
};

// Puts every sequence right after its prompt: past_len = positions = prompt,
// fresh token ids.
void resetDecodeState(Workspace &w, int64_t prompt, int64_t vocab, cudaStream_t stream) {
  const size_t b = static_cast<size_t>(w.batch);
  std::vector<int32_t> pastLen(b, static_cast<int32_t>(prompt));
  std::vector<int64_t> positions(b, prompt), ids(b);
  for (size_t i = 0; i < b; ++i)
    ids[i] = static_cast<int64_t>((1000 + 7919 * i) % static_cast<size_t>(vocab));
  checkCuda(cudaMemcpyAsync(w.pastLen.get(), pastLen.data(), b * sizeof(int32_t),
                            cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync");
  checkCuda(cudaMemcpyAsync(w.positions.get(), positions.data(), b * sizeof(int64_t),
                            cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync");
  checkCuda(cudaMemcpyAsync(w.ids.get(), ids.data(), b * sizeof(int64_t),
                            cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync");
  // The host vectors die at return: wait for the copies.
  checkCuda(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
}

struct RunResult {
  std::string variant;
  int64_t batch = 0;
  double stepMs = 0.0, tokensPerSecond = 0.0;
  double prefillMs = 0.0, prefillTokensPerSecond = 0.0;
  int64_t bytesPerStep = 0; // weights + average KV cache read
  bool graph = false;
  std::string graphNote;
  int64_t nonFiniteLogits = 0;
  double modelGiB = 0.0;
};

int64_t countNonFinite(const DeviceBuffer &logits, int64_t count, int32_t dtype) {
  std::vector<uint16_t> host(static_cast<size_t>(count));
  checkCuda(cudaMemcpy(host.data(), logits.get(), count * 2, cudaMemcpyDeviceToHost),
            "cudaMemcpy (logits)");
  int64_t bad = 0;
  for (uint16_t bits : host)
    bad += !std::isfinite(dtype == AWQ_BF16 ? awq_bf16_to_f32(bits) : awq_f16_to_f32(bits));
  return bad;
}

RunResult runBatch(const Model &model, const Options &options, int64_t batch,
                   cudaStream_t stream) {
  const ModelConfig &c = model.config;
  RunResult result;
  result.variant = model.variant;
  result.batch = batch;
  result.modelGiB = model.deviceBytes() / 1073741824.0;
  // Room for the prompt and every decode step, warm-up included.
  const int64_t capacity = options.prompt + options.warmup + options.steps + 1;
  Workspace w = makeWorkspace(model, batch, options.prompt, capacity);
  Forward forward(model, w, stream);

  // Prefill (run twice: the first pays one-time costs; the second is timed).
  if (options.prompt > 0) {
    for (int pass = 0; pass < 2; ++pass) {
      EventPair events;
      events.recordStart(stream);
      if (!forward.run(options.prompt, w.prefillIds.as<int64_t>(),
                       w.prefillPositions.as<int64_t>(), w.prefillPastLen.as<int32_t>(), false))
        fail("prefill (%s, batch %" PRId64 "): %s", result.variant.c_str(), batch,
             forward.error().c_str());
      events.recordStop(stream);
      result.prefillMs = events.elapsedMs();
    }
    result.prefillTokensPerSecond = batch * options.prompt / (result.prefillMs * 1e-3);
  }

  // One eager step first: checks every op and lets cuBLAS allocate what it
  // needs outside the capture.
  resetDecodeState(w, options.prompt, c.vocab, stream);
  if (!forward.decodeStep())
    fail("decode step (%s, batch %" PRId64 "): %s", result.variant.c_str(), batch,
         forward.error().c_str());
  checkCuda(cudaStreamSynchronize(stream), "cudaStreamSynchronize (decode step)");

  // Capture one step (ops + state advance) in a graph.
  cudaGraphExec_t exec = nullptr;
  if (cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal) == cudaSuccess) {
    const bool captured = forward.decodeStep();
    cudaGraph_t graph = nullptr;
    const cudaError_t endError = cudaStreamEndCapture(stream, &graph);
    if (!captured)
      result.graphNote = forward.error();
    else if (endError != cudaSuccess || !graph)
      result.graphNote = std::string("cudaStreamEndCapture: ") + cudaGetErrorString(endError);
    else if (const cudaError_t error = cudaGraphInstantiate(&exec, graph, 0); error != cudaSuccess)
      result.graphNote = std::string("cudaGraphInstantiate: ") + cudaGetErrorString(error);
    else
      result.graph = true;
    if (!result.graph)
      exec = nullptr;
    if (graph)
      cudaGraphDestroy(graph);
  } else {
    result.graphNote = "cudaStreamBeginCapture failed";
  }
  cudaGetLastError(); // a failed capture leaves a sticky error; clear it
  if (!result.graph)
    std::fprintf(stderr,
                 "%s: note: the decode step could not be captured in a CUDA graph (%s); timing "
                 "eager launches instead\n",
                 programName(), result.graphNote.c_str());
  Forward eager(model, w, stream);
  auto step = [&] {
    if (exec) {
      checkCuda(cudaGraphLaunch(exec, stream), "cudaGraphLaunch");
    } else if (!eager.decodeStep()) {
      fail("decode step: %s", eager.error().c_str());
    }
  };

  resetDecodeState(w, options.prompt, c.vocab, stream);
  for (int64_t i = 0; i < options.warmup; ++i)
    step();
  checkCuda(cudaStreamSynchronize(stream), "cudaStreamSynchronize (warm-up steps)");

  resetDecodeState(w, options.prompt, c.vocab, stream);
  EventPair events;
  events.recordStart(stream);
  for (int64_t i = 0; i < options.steps; ++i)
    step();
  events.recordStop(stream);
  const double totalMs = events.elapsedMs();
  result.stepMs = totalMs / static_cast<double>(options.steps);
  result.tokensPerSecond = batch * options.steps / (totalMs * 1e-3);
  if (exec)
    cudaGraphExecDestroy(exec);

  // Bytes a step reads: all weights, plus K and V of every layer up to the
  // current length (averaged over the timed steps).
  const double averageLength = options.prompt + (options.steps + 1) / 2.0;
  const double kvBytes = 2.0 * c.layers * batch * c.kvHeads * c.headDim * 2 * averageLength;
  result.bytesPerStep = model.weightBytesPerStep() + static_cast<int64_t>(kvBytes);
  result.nonFiniteLogits = countNonFinite(w.logits, batch * c.vocab, model.dtype);
  return result;
}

} // namespace

int main(int argc, char **argv) {
  programName() = "awq-cuda-decode-bench";
  const Options options = parseOptions(argc, argv);
  const std::string device = requireGpuOrSkip(options.device);
  const bool peakOverridden = options.peakGbps > 0;
  const double peakGbps =
      peakOverridden ? options.peakGbps : awq_cuda_peak_bandwidth_gbps(options.device);
  const ModelConfig &c = options.model;
  const char *denseName = options.dtype == AWQ_BF16 ? "bf16" : "fp16";

  std::printf("awq-cuda-decode-bench on %s\n", device.c_str());
  std::printf("model: Llama-2-7B shape, %" PRId64 " layers, dim %" PRId64 ", %" PRId64
              " heads (%" PRId64 " kv), head_dim %" PRId64 ", hidden %" PRId64 ", vocab %" PRId64
              "; %s activations; LM head, embedding and norms dense %s in both variants\n",
              c.layers, c.dim, c.heads, c.kvHeads, c.headDim, c.hidden, c.vocab,
              dtypeName(options.dtype), dtypeName(options.dtype));
  std::printf("prompt %" PRId64 " tokens prefilled, then %" PRId64 " timed decode steps (after %"
              PRId64 " warm-up), one CUDA graph per step\n",
              options.prompt, options.steps, options.warmup);
  std::fflush(stdout);

  cudaStream_t stream = nullptr;
  checkCuda(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
  std::vector<RunResult> results;
  for (const std::string &variant : options.variants) {
    // One model at a time: the dense one is ~13 GB, freed before the next.
    const Model model = buildModel(c, variant, options.dtype, options.group);
    for (int64_t batch : options.batches) {
      std::fprintf(stderr, "%s: running %s batch %" PRId64 " ...\n", programName(),
                   variant.c_str(), batch);
      results.push_back(runBatch(model, options, batch, stream));
    }
  }
  checkCuda(cudaStreamDestroy(stream), "cudaStreamDestroy");

  // ---- Tables ----------------------------------------------------------------
  std::printf("\n| variant | batch | decode tok/s | ms/step | approx GB/s | prefill tok/s | "
              "model GiB | graph | logits |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  bool nonFinite = false;
  for (const RunResult &r : results) {
    const double gbps = r.bytesPerStep / (r.stepMs * 1e-3) / 1e9;
    char bandwidth[48];
    if (peakGbps > 0)
      std::snprintf(bandwidth, sizeof bandwidth, "%.0f (%.0f%%)", gbps, 100 * gbps / peakGbps);
    else
      std::snprintf(bandwidth, sizeof bandwidth, "%.0f", gbps);
    nonFinite |= r.nonFiniteLogits > 0;
    const std::string variant =
        r.variant == "fp16" ? std::string(denseName)
                            : "W4 g" + std::to_string(options.group) +
                                  (r.variant == "w4-mma-tiles" ? " (mma tiles)" : "");
    std::printf("| %s | %" PRId64 " | %.1f | %.3f | %s | %.0f | %.2f | %s | %s |\n",
                variant.c_str(), r.batch, r.tokensPerSecond, r.stepMs,
                bandwidth, r.prefillTokensPerSecond, r.modelGiB, r.graph ? "yes" : "no (eager)",
                r.nonFiniteLogits ? "NON-FINITE" : "finite");
  }
  // W4 / FP16 per batch.
  struct Ratio {
    std::string variant;
    int64_t batch;
    double ratio;
  };
  std::vector<Ratio> ratios;
  for (const RunResult &w4 : results)
    for (const RunResult &dense : results)
      if (w4.variant != "fp16" && dense.variant == "fp16" && w4.batch == dense.batch)
        ratios.push_back({w4.variant, w4.batch, w4.tokensPerSecond / dense.tokensPerSecond});
  if (!ratios.empty()) {
    std::printf("\n| W4 variant | batch | W4 / %s tokens/s |\n| --- | --- | --- |\n", denseName);
    for (const Ratio &r : ratios)
      std::printf("| %s | %" PRId64 " | %.2fx |\n", r.variant.c_str(), r.batch, r.ratio);
  }
  std::printf("\napprox GB/s: (all weight bytes + KV cache bytes read at the average length) / "
              "step time%s.\n",
              peakGbps > 0 ? (peakOverridden ? ", % of --peak-gbps" : ", % of the driver's peak")
                           : "");
  if (nonFinite)
    std::printf("WARNING: some logits are not finite: a kernel computed garbage (exit code 3).\n");

  // ---- JSON ------------------------------------------------------------------
  if (!options.jsonPath.empty()) {
    JsonWriter json;
    json.beginObject()
        .value("bench", "awq-cuda-decode-bench")
        .value("device", device)
        .value("peak_gbps", peakGbps > 0 ? peakGbps : NAN)
        .value("peak_source", peakOverridden ? "--peak-gbps" : "driver")
        .value("dtype", dtypeName(options.dtype))
        .beginObject("model")
        .value("name", "Llama-2-7B shape, random weights")
        .value("layers", c.layers)
        .value("dim", c.dim)
        .value("heads", c.heads)
        .value("kv_heads", c.kvHeads)
        .value("head_dim", c.headDim)
        .value("hidden", c.hidden)
        .value("vocab", c.vocab)
        .value("rms_norm_eps", static_cast<double>(c.eps))
        .value("rope_theta", static_cast<double>(c.ropeTheta))
        .value("rope_layout", "half-split")
        .endObject()
        .value("w4_group_size", options.group)
        .value("lm_head", std::string("dense ") + dtypeName(options.dtype) + " in both variants")
        .value("prompt", options.prompt)
        .value("steps", options.steps)
        .value("warmup", options.warmup)
        .beginArray("runs");
    for (const RunResult &r : results)
      json.beginObject()
          .value("variant", r.variant)
          .value("batch", r.batch)
          .value("tokens_per_s", r.tokensPerSecond)
          .value("ms_per_step", r.stepMs)
          .value("bytes_per_step", r.bytesPerStep)
          .value("approx_gbps", r.bytesPerStep / (r.stepMs * 1e-3) / 1e9)
          .value("prefill_tokens_per_s",
                 options.prompt > 0 ? r.prefillTokensPerSecond : NAN)
          .value("prefill_ms", options.prompt > 0 ? r.prefillMs : NAN)
          .value("model_gib", r.modelGiB)
          .value("graph", r.graph)
          .value("graph_note", r.graphNote)
          .value("non_finite_logits", r.nonFiniteLogits)
          .endObject();
    json.endArray().beginArray("ratios");
    for (const Ratio &r : ratios)
      json.beginObject()
          .value("variant", r.variant)
          .value("batch", r.batch)
          .value("w4_over_fp16", r.ratio)
          .endObject();
    json.endArray().endObject();
    json.writeFile(options.jsonPath);
    std::printf("JSON written to %s\n", options.jsonPath.c_str());
  }
  return nonFinite ? kExitCheckFailed : 0;
}
