// BenchCommon.h - what the two CUDA benchmark drivers share: exiting with a
// message, the "no GPU" skip (exit code 77), device buffers, random W4 blobs
// packed on the host with awq_cuda_group_weights_pack, random f16/bf16 data,
// CUDA-event timing helpers, and a tiny JSON writer.
//
// Host-only C++ (CUDA runtime API + awq_cuda.h); no device code here.
#ifndef AWQ_BENCH_CUDA_BENCHCOMMON_H
#define AWQ_BENCH_CUDA_BENCHCOMMON_H

#include "../BenchTensor.h"
#include "awq_cuda.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace awq::bench {

// Exit codes: 77 is the automake/ctest convention for "skipped".
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitCheckFailed = 3; // ran, but a result failed its sanity check
constexpr int kExitSkipped = 77;

// Set by each driver's main() so messages name the program.
inline const char *&programName() {
  static const char *name = "awq-cuda-bench";
  return name;
}

[[noreturn]] inline void fail(const char *format, ...) {
  std::fprintf(stderr, "%s: error: ", programName());
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
  std::fprintf(stderr, "\n");
  std::exit(kExitError);
}

[[noreturn]] inline void usageError(const std::string &message, const char *usage) {
  std::fprintf(stderr, "%s: %s\n\n%s", programName(), message.c_str(), usage);
  std::exit(kExitUsage);
}

inline void checkAwq(awq_status status, const char *what) {
  if (status != 0)
    fail("%s failed: %s", what, awq_last_error());
}

inline void checkCuda(cudaError_t error, const char *what) {
  if (error != cudaSuccess)
    fail("%s failed: %s (%s)", what, cudaGetErrorString(error), cudaGetErrorName(error));
}

// Exits with 77 and a clear message when no CUDA device can be used, so
// scripts and ctest report "skipped" instead of a failure. Otherwise selects
// `device` and returns its description ("NVIDIA H100 ..., sm_90, ...").
inline std::string requireGpuOrSkip(int device) {
  const int count = awq_cuda_device_count();
  if (count == 0) {
    std::fprintf(stderr,
                 "%s: skipped: no CUDA device (awq_cuda_device_count() = 0: no NVIDIA driver "
                 "or no GPU on this machine). Run it on a machine with a GPU.\n",
                 programName());
    std::exit(kExitSkipped);
  }
  if (device < 0 || device >= count)
    fail("--device %d: only %d CUDA device(s) present", device, count);
  checkCuda(cudaSetDevice(device), "cudaSetDevice");
  char description[256] = {0};
  checkAwq(awq_cuda_device_description(device, description, sizeof description),
           "awq_cuda_device_description");
  return description;
}

// Walks argv as "--key value" pairs plus value-less `flags`: -h/--help
// prints `usage` and exits; an unknown key or a missing value is a usage
// error. `handle(key, value)` gets every option in order (value "" for flags).
template <class Handle>
void forEachOption(int argc, char **argv, const char *usage,
                   std::initializer_list<const char *> valueOptions,
                   std::initializer_list<const char *> flags, Handle &&handle) {
  auto listed = [](const std::string &key, std::initializer_list<const char *> names) {
    return std::any_of(names.begin(), names.end(), [&](const char *name) { return key == name; });
  };
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    if (key == "-h" || key == "--help") {
      std::fputs(usage, stdout);
      std::exit(0);
    }
    if (listed(key, flags)) {
      handle(key, std::string());
      continue;
    }
    if (!listed(key, valueOptions))
      usageError("unknown option " + key, usage);
    if (i + 1 >= argc)
      usageError("missing value after " + key, usage);
    handle(key, std::string(argv[++i]));
  }
}

inline const char *dtypeName(int32_t dtype) { return dtype == AWQ_BF16 ? "bf16" : "f16"; }

inline int32_t parseDtype(const std::string &text) {
  if (text == "f16" || text == "fp16" || text == "float16")
    return AWQ_F16;
  if (text == "bf16" || text == "bfloat16")
    return AWQ_BF16;
  fail("--dtype must be f16 or bf16, not '%s'", text.c_str());
}

inline int64_t parseInt(const std::string &text, const char *option) {
  char *end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0')
    fail("%s expects an integer, not '%s'", option, text.c_str());
  return value;
}

inline double parseDouble(const std::string &text, const char *option) {
  char *end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0')
    fail("%s expects a number, not '%s'", option, text.c_str());
  return value;
}

// "a,b,c" -> {"a", "b", "c"} (empty items dropped).
inline std::vector<std::string> splitList(const std::string &text, char separator = ',') {
  std::vector<std::string> items;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, separator))
    if (!item.empty())
      items.push_back(item);
  return items;
}

inline std::vector<int64_t> parseIntList(const std::string &text, const char *option) {
  std::vector<int64_t> values;
  for (const std::string &item : splitList(text))
    values.push_back(parseInt(item, option));
  if (values.empty())
    fail("%s expects a comma-separated list of integers", option);
  return values;
}

inline double median(std::vector<double> values) {
  if (values.empty())
    return 0.0;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : 0.5 * (values[mid - 1] + values[mid]);
}

inline double minimum(const std::vector<double> &values) {
  return values.empty() ? 0.0 : *std::min_element(values.begin(), values.end());
}

// ---- Device memory -----------------------------------------------------------

// cudaMalloc'ed memory freed on scope exit; allocation failures are fatal
// with the size in the message (the usual cause: a shape too big for the GPU).
class DeviceBuffer {
public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes, const char *what = "buffer") : bytes_(bytes) {
    cudaError_t error = cudaMalloc(&data_, bytes ? bytes : 1);
    if (error != cudaSuccess) {
      size_t freeBytes = 0, totalBytes = 0;
      cudaGetLastError();
      cudaMemGetInfo(&freeBytes, &totalBytes);
      fail("cudaMalloc of %.1f MiB for %s failed: %s (%.1f of %.1f GiB free)",
           bytes / 1048576.0, what, cudaGetErrorString(error), freeBytes / 1073741824.0,
           totalBytes / 1073741824.0);
    }
  }
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  DeviceBuffer(DeviceBuffer &&other) noexcept { swap(other); }
  DeviceBuffer &operator=(DeviceBuffer &&other) noexcept {
    DeviceBuffer old(std::move(*this));
    swap(other);
    return *this;
  }
  ~DeviceBuffer() {
    if (data_)
      cudaFree(data_);
  }
  void swap(DeviceBuffer &other) noexcept {
    std::swap(data_, other.data_);
    std::swap(bytes_, other.bytes_);
  }
  void *get() const { return data_; }
  template <class T> T *as() const { return static_cast<T *>(data_); }
  size_t bytes() const { return bytes_; }
  void upload(const void *host, size_t bytes) const {
    checkCuda(cudaMemcpy(data_, host, std::min(bytes, bytes_), cudaMemcpyHostToDevice),
              "cudaMemcpy host->device");
  }

private:
  void *data_ = nullptr;
  size_t bytes_ = 0;
};

// ---- Random host data -----------------------------------------------------------

// f16/bf16 bit patterns of normally distributed values. Drawing every value
// from a fixed table of 64K normal samples (random index per element) keeps
// the generation of hundreds of millions of weights fast on the host while
// the values still look like real weights to the kernels.
class HalfNormalSource {
public:
  HalfNormalSource(int32_t dtype, float mean, float stddev, uint64_t seed) : state_(seed | 1) {
    std::mt19937_64 engine(seed);
    std::normal_distribution<float> normal(mean, stddev);
    for (uint16_t &bits : table_) {
      const float value = normal(engine);
      bits = dtype == AWQ_BF16 ? awq_f32_to_bf16(value) : awq_f32_to_f16(value);
    }
  }
  uint16_t next() {
    // xorshift64*: enough randomness for an index.
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return table_[(state_ * 0x2545F4914F6CDD1DULL) >> 48];
  }
  void fill(std::vector<uint16_t> &out) {
    for (uint16_t &bits : out)
      bits = next();
  }

private:
  uint16_t table_[65536];
  uint64_t state_;
};

inline std::vector<uint16_t> randomHalfVector(int32_t dtype, size_t count, float mean,
                                              float stddev, uint64_t seed) {
  std::vector<uint16_t> values(count);
  auto source = std::make_unique<HalfNormalSource>(dtype, mean, stddev, seed);
  source->fill(values);
  return values;
}

// ---- W4 blobs ---------------------------------------------------------------------

// Host memory aligned to 256 bytes (awq_cuda_group_weights_pack needs 16).
struct AlignedFree {
  void operator()(void *p) const { std::free(p); }
};

// One packed group-quantized weight on the host: the blob and its header.
struct HostBlob {
  std::unique_ptr<uint8_t, AlignedFree> bytes;
  int64_t size = 0;
  awq_cuda_group_weights_info info{};
};


// Packs a random 4-bit weight [N outputs, K inputs] with group size `group`,
// zero points and f32 scales rounded to `dtype` by the packer. The values are
// shaped like a real LLM weight: codes uniform in [0, 15], zero points 7 or 8,
// scales in [0.003, 0.0056], so W' has a standard deviation near 0.02.
// `layout`: an AWQ_CUDA_LAYOUT_*.
inline HostBlob packRandomW4Blob(int64_t k, int64_t n, int64_t group, int32_t dtype,
                                 uint64_t seed, int32_t layout = AWQ_CUDA_LAYOUT_DEFAULT) {
  const int32_t bits = 4;
  const int64_t groups = (k + group - 1) / group;
  const int64_t rowBytes = (k * bits + 7) / 8;
  std::mt19937_64 engine(seed);
  std::vector<uint8_t> codes(static_cast<size_t>(n * rowBytes));
  for (size_t i = 0; i < codes.size(); i += 8) {
    const uint64_t word = engine();
    std::memcpy(codes.data() + i, &word, std::min<size_t>(8, codes.size() - i));
  }
  std::uniform_real_distribution<float> scaleDist(0.003f, 0.0056f);
  std::vector<float> scales(static_cast<size_t>(n * groups));
  for (float &s : scales)
    s = scaleDist(engine);
  std::vector<uint8_t> zeros(static_cast<size_t>(n * groups));
  for (uint8_t &z : zeros)
    z = static_cast<uint8_t>(7 + (engine() & 1));

  awq_tensor qweight = makeTensor(codes.data(), AWQ_U8, {n, rowBytes});
  awq_tensor scaleTensor = makeTensor(scales.data(), AWQ_F32, {n, groups});
  awq_tensor zeroTensor = makeTensor(zeros.data(), AWQ_U8, {n, groups});
  awq_tensor blob{};
  checkAwq(awq_cuda_group_weights_pack_shape(&qweight, &scaleTensor, &zeroTensor, bits, group, k,
                                             dtype, layout, &blob),
           "awq_cuda_group_weights_pack_shape");
  HostBlob result;
  result.size = awq_tensor_numel(&blob) * static_cast<int64_t>(awq_dtype_size(blob.dtype));
  const size_t allocation = (static_cast<size_t>(result.size) + 255) / 256 * 256;
  result.bytes.reset(static_cast<uint8_t *>(std::aligned_alloc(256, allocation)));
  if (!result.bytes)
    fail("out of host memory for a %lld-byte blob", static_cast<long long>(result.size));
  blob.data = result.bytes.get();
  checkAwq(awq_cuda_group_weights_pack(&qweight, &scaleTensor, &zeroTensor, bits, group, k, dtype,
                                       layout, &blob),
           "awq_cuda_group_weights_pack");
  checkAwq(awq_cuda_group_weights_get_info(result.bytes.get(), result.size, &result.info),
           "awq_cuda_group_weights_get_info");
  return result;
}

// Bytes one pass over the blob's arrays reads (codes + scales + zeros; the
// 64-byte header and the alignment padding are not read by the kernels).
inline int64_t blobPayloadBytes(const awq_cuda_group_weights_info &info) {
  const int64_t codes = info.n * info.k_padded * info.bits / 8;
  const int64_t scales = info.n * info.groups * 2;
  const int64_t zeros = info.has_zeros ? info.n * info.groups : 0;
  return codes + scales + zeros;
}

// ---- CUDA events --------------------------------------------------------------------

// A pair of events; elapsedMs() synchronizes on the second.
class EventPair {
public:
  EventPair() {
    checkCuda(cudaEventCreate(&start_), "cudaEventCreate");
    checkCuda(cudaEventCreate(&stop_), "cudaEventCreate");
  }
  EventPair(const EventPair &) = delete;
  EventPair &operator=(const EventPair &) = delete;
  EventPair(EventPair &&other) noexcept {
    std::swap(start_, other.start_);
    std::swap(stop_, other.stop_);
  }
  ~EventPair() {
    if (start_)
      cudaEventDestroy(start_);
    if (stop_)
      cudaEventDestroy(stop_);
  }
  void recordStart(cudaStream_t stream) {
    checkCuda(cudaEventRecord(start_, stream), "cudaEventRecord");
  }
  void recordStop(cudaStream_t stream) {
    checkCuda(cudaEventRecord(stop_, stream), "cudaEventRecord");
  }
  double elapsedMs() const {
    checkCuda(cudaEventSynchronize(stop_), "cudaEventSynchronize (a kernel failed?)");
    float ms = 0.0f;
    checkCuda(cudaEventElapsedTime(&ms, start_, stop_), "cudaEventElapsedTime");
    return ms;
  }

private:
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
};

// ---- JSON -----------------------------------------------------------------------------

// Minimal JSON writer: objects and arrays with string/number/bool members.
// Non-finite numbers become null (JSON has no NaN).
class JsonWriter {
public:
  std::string str() const { return out_; }

  JsonWriter &beginObject(const char *key = nullptr) { return open(key, '{'); }
  JsonWriter &endObject() { return close('}'); }
  JsonWriter &beginArray(const char *key = nullptr) { return open(key, '['); }
  JsonWriter &endArray() { return close(']'); }

  JsonWriter &value(const char *key, const std::string &text) {
    prefix(key);
    quote(text);
    return *this;
  }
  JsonWriter &value(const char *key, const char *text) { return value(key, std::string(text)); }
  JsonWriter &value(const char *key, double number) {
    prefix(key);
    if (!std::isfinite(number)) {
      out_ += "null";
    } else {
      char buffer[64];
      std::snprintf(buffer, sizeof buffer, "%.6g", number);
      out_ += buffer;
    }
    return *this;
  }
  JsonWriter &value(const char *key, int64_t number) {
    prefix(key);
    out_ += std::to_string(number);
    return *this;
  }
  JsonWriter &value(const char *key, int number) {
    return value(key, static_cast<int64_t>(number));
  }
  JsonWriter &value(const char *key, bool flag) {
    prefix(key);
    out_ += flag ? "true" : "false";
    return *this;
  }
  JsonWriter &null(const char *key) {
    prefix(key);
    out_ += "null";
    return *this;
  }

  void writeFile(const std::string &path) const {
    FILE *file = std::fopen(path.c_str(), "w");
    if (!file)
      fail("cannot write %s: %s", path.c_str(), std::strerror(errno));
    std::fputs(out_.c_str(), file);
    std::fputc('\n', file);
    std::fclose(file);
  }

private:
  JsonWriter &open(const char *key, char bracket) {
    prefix(key);
    out_ += bracket;
    first_.push_back(true);
    return *this;
  }
  JsonWriter &close(char bracket) {
    first_.pop_back();
    out_ += bracket;
    return *this;
  }
  void prefix(const char *key) {
    if (!first_.empty()) {
      if (!first_.back())
        out_ += ", ";
      first_.back() = false;
    }
    if (key) {
      quote(key);
      out_ += ": ";
    }
  }
  void quote(const std::string &text) {
    out_ += '"';
    for (char c : text) {
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        char buffer[8];
        std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
        out_ += buffer;
      } else {
        out_ += c;
      }
    }
    out_ += '"';
  }

  std::string out_;
  std::vector<bool> first_;
};

} // namespace awq::bench

#endif // AWQ_BENCH_CUDA_BENCHCOMMON_H
