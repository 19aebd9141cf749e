// CudaKernelBench.cpp - awq-cuda-kernel-bench: the W4 group-matmul kernels of
// awq_cuda.h against the memory system and against cuBLAS.
//
//   awq-cuda-kernel-bench [--dtype f16|bf16] [--shapes 4096x4096,4096x11008,...]
//                         [--ms 1,4,16,64,256,1024] [--path 0|1|2|3|4]
//                         [--methods flush,rotate] [--peak-gbps G] [--target-ms T]
//                         [--device D] [--no-check] [--json PATH]
//
// What it measures, for every shape K x N (K inputs, N outputs) of W4 g128
// weights with zero points:
//  (a) M = 1 GEMV bandwidth: bytes moved = packed codes + scales + zeros + x + y
//      divided by the kernel time, in GB/s and as a fraction of the device's
//      peak DRAM bandwidth (awq_cuda_peak_bandwidth_gbps, or --peak-gbps).
//  (b) For each M: the W4 kernel (awq_cuda_group_matmul, which dispatches by M,
//      or the path --path forces through awq_cuda_group_matmul_path) against
//      cuBLAS on a dense f16/bf16 weight of the same shape (awq_cuda_linear),
//      in the same run; speedup = dense time / W4 time.
//
// Every number is taken in two ways, because a 9 MB weight fits in the H100's
// 50 MB L2 cache and would otherwise be timed from cache, not from DRAM:
//  flush:  before each timed launch, cudaMemsetAsync writes a buffer larger
//          than 2x the L2 size (evicting the weights); CUDA events around the
//          kernel alone time it. Median over the iterations. Event timing adds
//          ~1-2 us of front-end latency per launch, which matters for 3 us
//          kernels; the flush's dirty lines are also written back during the
//          kernel. Both bias this method toward slower.
//  rotate: back-to-back launches cycling through enough copies of the weight
//          (> 2x L2 in total) that each launch finds its copy evicted; the
//          launches are captured in a CUDA graph (launch overhead off the
//          critical path) and the time per launch is the graph's time divided
//          by its launch count. Median over graph replays. This is the better
//          estimate of steady-state decode, where one layer's weights follow
//          another's. x and y are not rotated (they are small).
//
// A correctness check compares the timed W4 path's output with the dequantize
// + cuBLAS path (or the tensor-core path when that one is timed) on the same
// input; a relative error above 2% is flagged as MISMATCH.
//
// Exit codes: 0 done, 77 skipped (no CUDA device), 1 error, 2 bad usage,
// 3 done but a W4 output failed the correctness check.
#include "BenchCommon.h"

#include <cinttypes>
#include <functional>
#include <map>
#include <utility>

using namespace awq::bench;

namespace {

const char *kUsage =
    "usage: awq-cuda-kernel-bench [options]\n"
    "  --dtype f16|bf16        activation and scale dtype (default f16; also the dense\n"
    "                          baseline's weight dtype)\n"
    "  --shapes KxN,...        weight shapes, K inputs x N outputs\n"
    "                          (default 4096x4096,4096x11008,8192x8192,8192x28672)\n"
    "  --ms 1,4,...            batch sizes M (default 1,4,16,64,256,1024)\n"
    "  --path 0|1|2|3|4        W4 path: 0 = dispatch by M (default), 1 = GEMV (M <= 4 only),\n"
    "                          2 = tensor cores, 3 = dequantize + cuBLAS, 4 = mma tiles\n"
    "                          (M <= 64); path 4 packs the weights in mma tiles, the\n"
    "                          others in the default layout (row chunks)\n"
    "  --group G               group size (default 128)\n"
    "  --methods flush,rotate  timing methods (default both; see the file's banner)\n"
    "  --peak-gbps G           peak DRAM bandwidth for the % column (default: from the driver)\n"
    "  --target-ms T           approximate GPU time per measurement (default 40)\n"
    "  --device D              CUDA device (default 0)\n"
    "  --no-check              skip the W4-path correctness check\n"
    "  --f32-activations       W4 with x and y in f32 (awq_cuda_group_matmul_f32, as f32\n"
    "                          compiled models call it; GEMV only, M <= 4; no check:\n"
    "                          the unit tests compare it bit for bit with the cast path)\n"
    "  --json PATH             also write the results as JSON\n"
    "Exit codes: 0 ok, 77 skipped (no CUDA device), 1 error, 2 usage, 3 check failed.\n";

struct Options {
  int32_t dtype = AWQ_F16;
  std::vector<std::pair<int64_t, int64_t>> shapes = {
      {4096, 4096}, {4096, 11008}, {8192, 8192}, {8192, 28672}};
  std::vector<int64_t> ms = {1, 4, 16, 64, 256, 1024};
  int32_t path = 0;
  int64_t group = 128;
  bool flush = true, rotate = true, check = true;
  bool f32Activations = false;
  double peakGbps = 0.0; // <= 0: ask the driver
  double targetMs = 40.0;
  int device = 0;
  std::string jsonPath;
};

Options parseOptions(int argc, char **argv) {
  Options o;
  forEachOption(argc, argv, kUsage,
                {"--dtype", "--shapes", "--ms", "--path", "--group", "--methods", "--peak-gbps",
                 "--target-ms", "--device", "--json"},
                {"--no-check", "--f32-activations"},
                [&](const std::string &key, const std::string &value) {
    if (key == "--f32-activations") {
      o.f32Activations = true;
      o.check = false;
    } else if (key == "--no-check") {
      o.check = false;
    } else if (key == "--dtype") {
      o.dtype = parseDtype(value);
    } else if (key == "--shapes") {
      o.shapes.clear();
      for (const std::string &item : splitList(value)) {
        const size_t x = item.find('x');
        if (x == std::string::npos)
          usageError("--shapes items look like 4096x11008 (K x N), not '" + item + "'", kUsage);
        o.shapes.push_back({parseInt(item.substr(0, x), "--shapes"),
                            parseInt(item.substr(x + 1), "--shapes")});
      }
    } else if (key == "--ms") {
      o.ms = parseIntList(value, "--ms");
    } else if (key == "--path") {
      o.path = static_cast<int32_t>(parseInt(value, "--path"));
      if (o.path < 0 || o.path > 4)
        usageError("--path must be 0, 1, 2, 3 or 4", kUsage);
    } else if (key == "--group") {
      o.group = parseInt(value, "--group");
    } else if (key == "--methods") {
      o.flush = o.rotate = false;
      for (const std::string &method : splitList(value)) {
        if (method == "flush")
          o.flush = true;
        else if (method == "rotate")
          o.rotate = true;
        else
          usageError("--methods takes flush and/or rotate, not '" + method + "'", kUsage);
      }
    } else if (key == "--peak-gbps") {
      o.peakGbps = parseDouble(value, "--peak-gbps");
    } else if (key == "--target-ms") {
      o.targetMs = parseDouble(value, "--target-ms");
    } else if (key == "--device") {
      o.device = static_cast<int>(parseInt(value, "--device"));
    } else if (key == "--json") {
      o.jsonPath = value;
    }
  });
  for (int64_t m : o.ms)
    if (m < 1)
      usageError("--ms values must be >= 1", kUsage);
  for (auto [k, n] : o.shapes)
    if (k < 1 || n < 1)
      usageError("--shapes dimensions must be >= 1", kUsage);
  if (o.f32Activations && (o.path == 2 || o.path == 3 || o.path == 4))
    usageError("--f32-activations times the GEMV (--path 0 or 1)", kUsage);
  return o;
}

// The blob layout a forced path reads (path 4: mma tiles).
int32_t layoutForPath(int32_t path) {
  return path == 4 ? AWQ_CUDA_LAYOUT_MMA_TILES : AWQ_CUDA_LAYOUT_DEFAULT;
}

const char *pathName(int32_t path) {
  switch (path) {
  case 1: return "gemv";
  case 2: return "tensor-core";
  case 3: return "dequant+cublas";
  case 4: return "mma-tiles";
  default: return "dispatch";
  }
}

// One timed quantity: per-launch time in microseconds.
struct Timing {
  bool valid = false;
  double medianUs = 0.0, minUs = 0.0;
  int64_t samples = 0;   // timed iterations (flush) or graph replays (rotate)
  int64_t copies = 1;    // weight copies cycled through (rotate)
  bool graph = false;    // launches replayed from a CUDA graph (rotate)
};

// launch(copy) enqueues one kernel on the stream reading weight copy `copy`.
using Launch = std::function<awq_status(int64_t copy)>;

class Timer {
public:
  Timer(cudaStream_t stream, size_t l2Bytes, double targetMs)
      : stream_(stream), targetMs_(targetMs) {
    // Strictly more than twice the L2 (and at least 64 MiB if the driver
    // reports no L2 size) so that the memset evicts everything before it.
    flushBytes_ = std::max<size_t>(2 * l2Bytes + (8u << 20), 64u << 20);
    flush_ = DeviceBuffer(flushBytes_, "the L2 flush buffer");
  }
  size_t flushBytes() const { return flushBytes_; }

  // Method 1: memset > 2x L2, then events around the kernel alone.
  Timing withFlush(const Launch &launch, const char *what) {
    // Warm-up (first-call costs: cuBLAS heuristics, module loading).
    for (int i = 0; i < 3; ++i) {
      flushL2(i);
      checkAwq(launch(0), what);
    }
    // Estimate an iteration's cost (flush included) to size the run.
    EventPair probe;
    probe.recordStart(stream_);
    for (int i = 0; i < 5; ++i) {
      flushL2(i);
      checkAwq(launch(0), what);
    }
    probe.recordStop(stream_);
    const double perIterationMs = std::max(probe.elapsedMs() / 5.0, 1e-4);
    const int64_t iterations = std::clamp<int64_t>(
        static_cast<int64_t>(targetMs_ / perIterationMs), 30, 1000);

    std::vector<EventPair> events(static_cast<size_t>(iterations));
    for (int64_t i = 0; i < iterations; ++i) {
      flushL2(i);
      events[i].recordStart(stream_);
      checkAwq(launch(0), what);
      events[i].recordStop(stream_);
    }
    std::vector<double> us;
    for (const EventPair &e : events)
      us.push_back(e.elapsedMs() * 1e3);
    Timing t;
    t.valid = true;
    t.medianUs = median(us);
    t.minUs = minimum(us);
    t.samples = iterations;
    return t;
  }

  // Method 2: back-to-back launches cycling through `copies` weight copies,
  // replayed from a CUDA graph when the launches can be captured.
  Timing rotating(const Launch &launch, int64_t copies, const char *what) {
    // At least 32 launches per replay (amortizes the graph launch), a whole
    // number of passes over the copies.
    const int64_t perReplay = copies * ((std::max<int64_t>(32, copies) + copies - 1) / copies);
    cudaGraphExec_t exec = capture(launch, perReplay, copies, what);
    auto replay = [&] {
      if (exec) {
        checkCuda(cudaGraphLaunch(exec, stream_), "cudaGraphLaunch");
      } else {
        for (int64_t i = 0; i < perReplay; ++i)
          checkAwq(launch(i % copies), what);
      }
    };
    for (int i = 0; i < 2; ++i)
      replay();
    EventPair probe;
    probe.recordStart(stream_);
    for (int i = 0; i < 3; ++i)
      replay();
    probe.recordStop(stream_);
    const double perReplayMs = std::max(probe.elapsedMs() / 3.0, 1e-4);
    const int64_t replays =
        std::clamp<int64_t>(static_cast<int64_t>(targetMs_ / perReplayMs), 5, 400);

    std::vector<EventPair> events(static_cast<size_t>(replays));
    for (int64_t r = 0; r < replays; ++r) {
      events[r].recordStart(stream_);
      replay();
      events[r].recordStop(stream_);
    }
    std::vector<double> us;
    for (const EventPair &e : events)
      us.push_back(e.elapsedMs() * 1e3 / static_cast<double>(perReplay));
    if (exec)
      cudaGraphExecDestroy(exec);
    Timing t;
    t.valid = true;
    t.medianUs = median(us);
    t.minUs = minimum(us);
    t.samples = replays;
    t.copies = copies;
    t.graph = exec != nullptr;
    return t;
  }

private:
  void flushL2(int64_t iteration) {
    checkCuda(cudaMemsetAsync(flush_.get(), static_cast<int>(iteration & 0xff), flushBytes_,
                              stream_),
              "cudaMemsetAsync (L2 flush)");
  }

  // Captures `count` launches into a graph; nullptr (with a note) when the
  // launches cannot be captured, so the caller falls back to direct launches.
  cudaGraphExec_t capture(const Launch &launch, int64_t count, int64_t copies, const char *what) {
    // The first call of a cuBLAS-backed path may allocate; keep that out of
    // the capture.
    checkAwq(launch(0), what);
    checkCuda(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
    if (cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal) != cudaSuccess) {
      cudaGetLastError();
      noteCaptureFailure(what, "cudaStreamBeginCapture failed");
      return nullptr;
    }
    awq_status launchStatus = 0;
    std::string launchError;
    for (int64_t i = 0; i < count && launchStatus == 0; ++i) {
      launchStatus = launch(i % copies);
      if (launchStatus != 0)
        launchError = awq_last_error();
    }
    cudaGraph_t graph = nullptr;
    cudaError_t endError = cudaStreamEndCapture(stream_, &graph);
    cudaGraphExec_t exec = nullptr;
    std::string why;
    if (launchStatus != 0)
      why = launchError;
    else if (endError != cudaSuccess || !graph)
      why = std::string("cudaStreamEndCapture: ") + cudaGetErrorString(endError);
    else if (const cudaError_t error = cudaGraphInstantiate(&exec, graph, 0); error != cudaSuccess)
      why = std::string("cudaGraphInstantiate: ") + cudaGetErrorString(error);
    if (graph)
      cudaGraphDestroy(graph);
    if (why.empty())
      return exec;
    cudaGetLastError(); // clear the capture error; the stream is usable again
    noteCaptureFailure(what, why.c_str());
    return nullptr;
  }

  void noteCaptureFailure(const char *what, const char *why) {
    if (notedCaptureFailure_[what]++ == 0)
      std::fprintf(stderr,
                   "%s: note: CUDA graph capture of %s failed (%s); the rotate method times "
                   "direct launches instead (launch overhead included)\n",
                   programName(), what, why);
  }

  cudaStream_t stream_;
  double targetMs_;
  size_t flushBytes_ = 0;
  DeviceBuffer flush_;
  std::map<std::string, int> notedCaptureFailure_;
};

// Enough copies of `bytes` that cycling through them reads more than 2x L2.
int64_t copiesToExceedL2(int64_t bytes, size_t l2Bytes) {
  const int64_t target = 2 * static_cast<int64_t>(l2Bytes) + 1;
  return std::max<int64_t>(2, (target + bytes - 1) / bytes);
}

// Relative max difference of two f16/bf16 device arrays: max|a-b| / max|b|.
double relativeError(const DeviceBuffer &a, const DeviceBuffer &b, int64_t count, int32_t dtype) {
  std::vector<uint16_t> ha(static_cast<size_t>(count)), hb(static_cast<size_t>(count));
  checkCuda(cudaMemcpy(ha.data(), a.get(), count * 2, cudaMemcpyDeviceToHost), "cudaMemcpy");
  checkCuda(cudaMemcpy(hb.data(), b.get(), count * 2, cudaMemcpyDeviceToHost), "cudaMemcpy");
  auto widen = [dtype](uint16_t bits) {
    return dtype == AWQ_BF16 ? awq_bf16_to_f32(bits) : awq_f16_to_f32(bits);
  };
  double maxDiff = 0.0, maxRef = 0.0;
  for (int64_t i = 0; i < count; ++i) {
    const double x = widen(ha[i]), y = widen(hb[i]);
    if (!std::isfinite(x) || !std::isfinite(y))
      return INFINITY;
    maxDiff = std::max(maxDiff, std::fabs(x - y));
    maxRef = std::max(maxRef, std::fabs(y));
  }
  return maxRef > 0 ? maxDiff / maxRef : maxDiff;
}

struct Row {
  int64_t k = 0, n = 0, m = 0;
  int32_t path = 0;          // the W4 path actually run (1, 2 or 3)
  int64_t w4Bytes = 0;       // payload + x + y
  int64_t denseBytes = 0;    // N*K*2 + x + y
  Timing w4Flush, denseFlush, w4Rotate, denseRotate;
  double checkError = -1.0;  // < 0: not checked
  std::string skipped;       // non-empty: why this row did not run
};

void writeTiming(JsonWriter &json, const char *key, const Timing &t, int64_t bytes,
                 double peakGbps) {
  if (!t.valid) {
    json.null(key);
    return;
  }
  const double gbps = bytes / (t.medianUs * 1e-6) / 1e9;
  json.beginObject(key)
      .value("median_us", t.medianUs)
      .value("min_us", t.minUs)
      .value("gbps", gbps)
      .value("fraction_of_peak", peakGbps > 0 ? gbps / peakGbps : NAN)
      .value("samples", t.samples)
      .value("copies", t.copies)
      .value("graph", t.graph)
      .endObject();
}

std::string formatUs(const Timing &t) {
  if (!t.valid)
    return "-";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", t.medianUs);
  return buffer;
}

std::string formatRatio(const Timing &num, const Timing &den) {
  if (!num.valid || !den.valid)
    return "-";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2fx", num.medianUs / den.medianUs);
  return buffer;
}

std::string formatBandwidth(const Timing &t, int64_t bytes, double peakGbps) {
  if (!t.valid)
    return "-";
  const double gbps = bytes / (t.medianUs * 1e-6) / 1e9;
  char buffer[48];
  if (peakGbps > 0)
    std::snprintf(buffer, sizeof buffer, "%.0f (%.0f%%)", gbps, 100.0 * gbps / peakGbps);
  else
    std::snprintf(buffer, sizeof buffer, "%.0f", gbps);
  return buffer;
}

} // namespace

int main(int argc, char **argv) {
  programName() = "awq-cuda-kernel-bench";
  const Options options = parseOptions(argc, argv);
  const std::string device = requireGpuOrSkip(options.device);

  cudaDeviceProp prop{};
  checkCuda(cudaGetDeviceProperties(&prop, options.device), "cudaGetDeviceProperties");
  const size_t l2Bytes = static_cast<size_t>(std::max(prop.l2CacheSize, 0));
  const bool peakOverridden = options.peakGbps > 0;
  const double peakGbps =
      peakOverridden ? options.peakGbps : awq_cuda_peak_bandwidth_gbps(options.device);
  const int32_t dtype = options.dtype;

  cudaStream_t stream = nullptr;
  checkCuda(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
  Timer timer(stream, l2Bytes, options.targetMs);

  std::printf("awq-cuda-kernel-bench on %s\n", device.c_str());
  std::printf("L2 %.1f MiB (flush buffer %.1f MiB); peak DRAM bandwidth %s; dtype %s; "
              "W4 g%" PRId64 " with zero points; W4 path: %s%s\n",
              l2Bytes / 1048576.0, timer.flushBytes() / 1048576.0,
              peakGbps > 0 ? (std::to_string(static_cast<int64_t>(peakGbps)) +
                              (peakOverridden ? " GB/s (--peak-gbps)" : " GB/s (driver)"))
                                 .c_str()
                           : "unknown (pass --peak-gbps)",
              dtypeName(dtype), options.group,
              options.path == 0 ? "dispatch by M" : pathName(options.path),
              options.f32Activations ? "; x and y in f32 (awq_cuda_group_matmul_f32)" : "");
  std::fflush(stdout);

  const int64_t maxM = *std::max_element(options.ms.begin(), options.ms.end());
  std::vector<Row> rows;
  uint64_t seed = 1234;

  for (const auto &shape : options.shapes) {
    // Plain variables: C++17 lambdas cannot capture structured bindings.
    const int64_t k = shape.first, n = shape.second;
    std::fprintf(stderr, "%s: preparing %" PRId64 "x%" PRId64 " ...\n", programName(), k, n);
    // W4 weight: packed once on the host, uploaded into `copies` device blobs.
    const HostBlob blob =
        packRandomW4Blob(k, n, options.group, dtype, seed++, layoutForPath(options.path));
    const int64_t payload = blobPayloadBytes(blob.info);
    const int64_t w4Copies = copiesToExceedL2(payload, l2Bytes);
    std::vector<DeviceBuffer> w4(options.rotate ? w4Copies : 1);
    for (DeviceBuffer &copy : w4) {
      copy = DeviceBuffer(static_cast<size_t>(blob.size), "a W4 weight copy");
      copy.upload(blob.bytes.get(), static_cast<size_t>(blob.size));
    }
    // Dense baseline weight [N, K], values ~ N(0, 0.02) like a real layer.
    const int64_t denseWeightBytes = n * k * 2;
    const int64_t denseCopies = copiesToExceedL2(denseWeightBytes, l2Bytes);
    std::vector<DeviceBuffer> dense(options.rotate ? denseCopies : 1);
    {
      const std::vector<uint16_t> host =
          randomHalfVector(dtype, static_cast<size_t>(n * k), 0.0f, 0.02f, seed++);
      dense[0] = DeviceBuffer(static_cast<size_t>(denseWeightBytes), "a dense weight copy");
      dense[0].upload(host.data(), static_cast<size_t>(denseWeightBytes));
    }
    for (size_t i = 1; i < dense.size(); ++i) {
      dense[i] = DeviceBuffer(static_cast<size_t>(denseWeightBytes), "a dense weight copy");
      checkCuda(cudaMemcpy(dense[i].get(), dense[0].get(), denseWeightBytes,
                           cudaMemcpyDeviceToDevice),
                "cudaMemcpy device->device");
    }
    // Activations x ~ N(0, 1); outputs y (and a reference y for the check).
    DeviceBuffer x(static_cast<size_t>(maxM * k * 2), "x");
    const std::vector<uint16_t> half =
        randomHalfVector(dtype, static_cast<size_t>(maxM * k), 0.0f, 1.0f, seed++);
    x.upload(half.data(), half.size() * 2);
    // --f32-activations: the same x widened (f32 graphs hand the GEMV f32).
    const int64_t ioElementBytes = options.f32Activations ? 4 : 2;
    DeviceBuffer xF32(options.f32Activations ? static_cast<size_t>(maxM * k * 4) : 1, "x (f32)");
    if (options.f32Activations) {
      std::vector<float> wide(half.size());
      for (size_t i = 0; i < half.size(); ++i)
        wide[i] = dtype == AWQ_BF16 ? awq_bf16_to_f32(half[i]) : awq_f16_to_f32(half[i]);
      xF32.upload(wide.data(), wide.size() * 4);
    }
    DeviceBuffer y(static_cast<size_t>(maxM * n * 4), "y");
    DeviceBuffer yReference(options.check ? static_cast<size_t>(maxM * n * 2) : 1, "y reference");
    // One workspace big enough for every M, for the timed path and for the
    // paths the correctness check compares it with (the dequantize + cuBLAS
    // path holds W', the tensor cores their split-K partials).
    int64_t workspaceBytes = 0;
    for (int64_t m : options.ms)
      for (int32_t path : {options.path, 2, 3, 4})
        workspaceBytes = std::max(
            workspaceBytes, awq_cuda_group_matmul_path_workspace_bytes(path, &blob.info, m));
    DeviceBuffer workspace(static_cast<size_t>(std::max<int64_t>(workspaceBytes, 256)),
                           "the group-matmul workspace");

    for (int64_t m : options.ms) {
      Row row;
      row.k = k;
      row.n = n;
      row.m = m;
      row.path = options.path == 0 ? awq_cuda_group_matmul_dispatched_path(&blob.info, m)
                                   : options.path;
      row.w4Bytes = payload + (m * k + m * n) * ioElementBytes;
      row.denseBytes = denseWeightBytes + (m * k + m * n) * 2;
      if ((options.path == 1 || options.f32Activations) && m > 4) {
        row.skipped = "the GEMV path takes M <= 4";
        rows.push_back(row);
        continue;
      }
      std::fprintf(stderr, "%s: timing %" PRId64 "x%" PRId64 " M=%" PRId64 " (%s)\n",
                   programName(), k, n, m, pathName(row.path));

      auto runW4 = [&](int32_t path, int64_t copy, void *out) {
        if (options.f32Activations)
          return awq_cuda_group_matmul_f32(static_cast<const float *>(xF32.get()), m,
                                           w4[copy].get(), &blob.info, nullptr,
                                           static_cast<float *>(out), stream);
        if (path == 0)
          return awq_cuda_group_matmul(x.get(), m, w4[copy].get(), &blob.info, nullptr, out,
                                       workspace.get(), stream);
        return awq_cuda_group_matmul_path(path, x.get(), m, w4[copy].get(), &blob.info, nullptr,
                                          out, workspace.get(), stream);
      };
      const Launch w4Launch = [&](int64_t copy) { return runW4(options.path, copy, y.get()); };
      const Launch denseLaunch = [&](int64_t copy) {
        return awq_cuda_linear(x.get(), m, dense[copy].get(), n, k, nullptr, dtype, y.get(),
                               stream);
      };

      // A forced path may reject this M (the contract lets paths limit M):
      // report the row as skipped with the library's message instead of failing.
      if (w4Launch(0) != 0) {
        row.skipped = std::string("W4 path rejected it: ") + awq_last_error();
        std::fprintf(stderr, "%s: note: %" PRId64 "x%" PRId64 " M=%" PRId64 " skipped: %s\n",
                     programName(), k, n, m, row.skipped.c_str());
        rows.push_back(row);
        continue;
      }
      checkCuda(cudaStreamSynchronize(stream), "cudaStreamSynchronize (the W4 kernel failed?)");

      if (options.check) {
        // Reference: the dequantize + cuBLAS path, or when that is the one
        // under test the other kernel that reads the blob's layout.
        const int32_t referencePath =
            row.path != 3 ? 3 : blob.info.layout == AWQ_CUDA_LAYOUT_MMA_TILES ? 4 : 2;
        checkCuda(cudaMemsetAsync(y.get(), 0, m * n * 2, stream), "cudaMemsetAsync");
        checkCuda(cudaMemsetAsync(yReference.get(), 0, m * n * 2, stream), "cudaMemsetAsync");
        checkAwq(runW4(options.path, 0, y.get()), "awq_cuda_group_matmul");
        if (runW4(referencePath, 0, yReference.get()) == 0) {
          checkCuda(cudaStreamSynchronize(stream), "cudaStreamSynchronize (a kernel failed?)");
          row.checkError = relativeError(y, yReference, m * n, dtype);
        } else {
          std::fprintf(stderr, "%s: note: no check for M=%" PRId64 ": reference path %s: %s\n",
                       programName(), m, pathName(referencePath), awq_last_error());
        }
      }
      if (options.flush) {
        row.w4Flush = timer.withFlush(w4Launch, "the W4 kernel");
        row.denseFlush = timer.withFlush(denseLaunch, "awq_cuda_linear");
      }
      if (options.rotate) {
        row.w4Rotate = timer.rotating(w4Launch, w4Copies, "the W4 kernel");
        row.denseRotate = timer.rotating(denseLaunch, denseCopies, "awq_cuda_linear");
      }
      rows.push_back(row);
    }
  }
  checkCuda(cudaStreamDestroy(stream), "cudaStreamDestroy");

  // ---- Tables ----------------------------------------------------------------
  const char *denseName = dtype == AWQ_BF16 ? "cuBLAS BF16" : "cuBLAS FP16";
  std::printf("\n(a) M=1 GEMV bandwidth: bytes = packed codes + scales + zeros + x + y; "
              "GB/s (%% of peak)\n");
  std::printf("| K x N | W4 bytes | W4 flush us | W4 flush GB/s | W4 rotate us | W4 rotate GB/s "
              "| %s rotate GB/s | ideal speedup |\n",
              denseName);
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (const Row &r : rows) {
    if (r.m != 1 || !r.skipped.empty())
      continue;
    std::printf("| %" PRId64 "x%" PRId64 " | %.2f MB | %s | %s | %s | %s | %s | %.2fx |\n", r.k,
                r.n, r.w4Bytes / 1e6, formatUs(r.w4Flush).c_str(),
                formatBandwidth(r.w4Flush, r.w4Bytes, peakGbps).c_str(),
                formatUs(r.w4Rotate).c_str(),
                formatBandwidth(r.w4Rotate, r.w4Bytes, peakGbps).c_str(),
                formatBandwidth(r.denseRotate, r.denseBytes, peakGbps).c_str(),
                static_cast<double>(r.denseBytes) / r.w4Bytes);
  }
  std::printf("\n(b) W4 vs %s (speedup = dense time / W4 time; > 1: W4 faster)\n", denseName);
  std::printf("| K x N | M | W4 path | W4 flush us | dense flush us | speedup flush | "
              "W4 rotate us | dense rotate us | speedup rotate | check |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  bool mismatch = false;
  for (const Row &r : rows) {
    if (!r.skipped.empty()) {
      std::printf("| %" PRId64 "x%" PRId64 " | %" PRId64 " | %s | skipped: %s ||||||\n", r.k,
                  r.n, r.m, pathName(r.path), r.skipped.c_str());
      continue;
    }
    char check[48] = "-";
    if (r.checkError >= 0) {
      const bool bad = !(r.checkError <= 0.02);
      mismatch |= bad;
      std::snprintf(check, sizeof check, "%s%.1e", bad ? "MISMATCH " : "", r.checkError);
    }
    std::printf("| %" PRId64 "x%" PRId64 " | %" PRId64
                " | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                r.k, r.n, r.m, pathName(r.path), formatUs(r.w4Flush).c_str(),
                formatUs(r.denseFlush).c_str(), formatRatio(r.denseFlush, r.w4Flush).c_str(),
                formatUs(r.w4Rotate).c_str(), formatUs(r.denseRotate).c_str(),
                formatRatio(r.denseRotate, r.w4Rotate).c_str(), check);
  }
  std::printf("\nflush: cudaMemsetAsync of %.0f MiB (> 2x L2) before each launch, events around "
              "the kernel, median. rotate: graph of back-to-back launches over > 2x L2 of weight "
              "copies, median per launch. check: max|W4 - reference| / max|reference|.\n",
              timer.flushBytes() / 1048576.0);
  if (mismatch)
    std::printf("WARNING: some W4 outputs differ from the reference path by more than 2%% "
                "(exit code 3).\n");

  // ---- JSON ------------------------------------------------------------------
  if (!options.jsonPath.empty()) {
    JsonWriter json;
    json.beginObject()
        .value("bench", "awq-cuda-kernel-bench")
        .value("device", device)
        .value("l2_bytes", static_cast<int64_t>(l2Bytes))
        .value("flush_bytes", static_cast<int64_t>(timer.flushBytes()))
        .value("peak_gbps", peakGbps > 0 ? peakGbps : NAN)
        .value("peak_source", peakOverridden ? "--peak-gbps" : "driver")
        .value("dtype", dtypeName(dtype))
        .value("f32_activations", options.f32Activations)
        .value("dense_baseline", denseName)
        .value("bits", 4)
        .value("group_size", options.group)
        .value("zero_points", true)
        .value("path_option", options.path)
        .beginArray("rows");
    for (const Row &r : rows) {
      json.beginObject()
          .value("k", r.k)
          .value("n", r.n)
          .value("m", r.m)
          .value("path", pathName(r.path))
          .value("w4_bytes", r.w4Bytes)
          .value("dense_bytes", r.denseBytes);
      if (!r.skipped.empty()) {
        json.value("skipped", r.skipped).endObject();
        continue;
      }
      writeTiming(json, "w4_flush", r.w4Flush, r.w4Bytes, peakGbps);
      writeTiming(json, "dense_flush", r.denseFlush, r.denseBytes, peakGbps);
      writeTiming(json, "w4_rotate", r.w4Rotate, r.w4Bytes, peakGbps);
      writeTiming(json, "dense_rotate", r.denseRotate, r.denseBytes, peakGbps);
      json.value("speedup_flush", r.w4Flush.valid && r.denseFlush.valid
                                      ? r.denseFlush.medianUs / r.w4Flush.medianUs
                                      : NAN)
          .value("speedup_rotate", r.w4Rotate.valid && r.denseRotate.valid
                                       ? r.denseRotate.medianUs / r.w4Rotate.medianUs
                                       : NAN)
          .value("check_rel_error", r.checkError >= 0 ? r.checkError : NAN)
          .endObject();
    }
    json.endArray().endObject();
    json.writeFile(options.jsonPath);
    std::printf("JSON written to %s\n", options.jsonPath.c_str());
  }
  // The timings of a kernel that computes the wrong thing are meaningless:
  // say so in the exit code (the tables and JSON are still written).
  return mismatch ? kExitCheckFailed : 0;
}
