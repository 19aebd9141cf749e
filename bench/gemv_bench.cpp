// gemv_bench.cpp - the C++ half of bench/gemv_bench.py: times the prepacked W4
// group matmul (fp32 and int8 activations), FP32 BLAS GEMV/GEMM on the same
// shape, and the machine's memory bandwidth, and prints one JSON object.
//
//   awq-gemv-bench triad [--threads T] [--mib MiB]
//   awq-gemv-bench matmul --k K --n N --m M [--group G] [--regime hot|cold]
//                  [--threads T] [--seconds S] [--cold-mib MiB] [--isa auto|scalar|avx2|avx512]
//
// "hot" calls every implementation on the same weights (cache-resident as far
// as the caches allow); "cold" rotates through as many weight copies as it
// takes to exceed --cold-mib (default 256 MiB), so every call streams its
// weights from DRAM. Implementations are measured in interleaved rounds so
// that a change in background load hits them alike; each reports the median
// and minimum time per call and GB/s of the weight bytes it reads.
#include "BenchTensor.h"
#include "awq_runtime.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace {

[[noreturn]] void fail(const std::string &message) {
  std::fprintf(stderr, "awq-gemv-bench: %s\n", message.c_str());
  std::exit(1);
}

void check(awq_status status, const char *what) {
  if (status != 0)
    fail(std::string(what) + ": " + awq_last_error());
}

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}


struct Options {
  std::string command;
  int64_t k = 4096, n = 4096, m = 1, group = 128;
  std::string regime = "hot", isa = "auto";
  int threads = 2;
  double seconds = 0.6; // per implementation, split over the rounds
  int64_t coldMiB = 256, triadMiB = 1024;
};

Options parse(int argc, char **argv) {
  if (argc < 2)
    fail("usage: awq-gemv-bench triad|matmul [options] (see the file's banner)");
  Options o;
  o.command = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--k") o.k = std::stoll(value);
    else if (key == "--n") o.n = std::stoll(value);
    else if (key == "--m") o.m = std::stoll(value);
    else if (key == "--group") o.group = std::stoll(value);
    else if (key == "--regime") o.regime = value;
    else if (key == "--isa") o.isa = value;
    else if (key == "--threads") o.threads = std::stoi(value);
    else if (key == "--seconds") o.seconds = std::stod(value);
    else if (key == "--cold-mib") o.coldMiB = std::stoll(value);
    else if (key == "--mib") o.triadMiB = std::stoll(value);
    else fail("unknown option " + key);
  }
  if (o.regime != "hot" && o.regime != "cold")
    fail("--regime must be hot or cold");
  return o;
}

// STREAM-style bandwidth over three arrays sharing triadMiB: triad
// a = b + s*c (12 bytes per element, write-allocate traffic not counted, as
// STREAM reports it) and a read-only sum (4 bytes per element), best of 10.
void runTriad(const Options &o) {
  const int64_t count = o.triadMiB * (1 << 20) / 12;
  std::vector<float> a(count), b(count), c(count);
#pragma omp parallel for num_threads(o.threads) schedule(static)
  for (int64_t i = 0; i < count; ++i) {
    a[i] = 0.0f;
    b[i] = 1.0f;
    c[i] = 2.0f;
  }
  double bestTriad = 1e30, bestRead = 1e30;
  float sink = 0.0f;
  for (int rep = 0; rep < 10; ++rep) {
    double start = now();
#pragma omp parallel for num_threads(o.threads) schedule(static)
    for (int64_t i = 0; i < count; ++i)
      a[i] = b[i] + 3.0f * c[i];
    bestTriad = std::min(bestTriad, now() - start);
    start = now();
    float sum = 0.0f;
    // simd lets the compiler reassociate the sum (several vector accumulators).
#pragma omp parallel for simd num_threads(o.threads) schedule(static) reduction(+ : sum)
    for (int64_t i = 0; i < count; ++i)
      sum += a[i];
    bestRead = std::min(bestRead, now() - start);
    sink += sum;
  }
  std::printf("{\"triad_gbs\": %.2f, \"read_gbs\": %.2f, \"mib\": %lld, \"sink\": %g}\n",
              12.0 * count / bestTriad / 1e9, 4.0 * count / bestRead / 1e9,
              static_cast<long long>(o.triadMiB), static_cast<double>(sink));
}

struct Impl {
  std::string name;
  double bytesPerCall;
  std::function<void(int64_t copy)> call; // runs once on weight copy `copy`
  int64_t copies;
  std::vector<double> samples;
};

void runMatmul(const Options &o) {
  awq_set_num_threads(o.threads);
  if (o.isa != "auto") {
    int32_t isa = AWQ_GROUP_ISA_AUTO;
    for (int32_t i = AWQ_GROUP_ISA_SCALAR; i <= AWQ_GROUP_ISA_AVX512; ++i)
      if (o.isa == awq_group_isa_name(i))
        isa = i;
    check(awq_group_set_isa(isa), "awq_group_set_isa");
  }
  const int64_t k = o.k, n = o.n, m = o.m, groups = (k + o.group - 1) / o.group;
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> byte(0, 255), zero(0, 15);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);

  // Random W4 weights with zero points (AWQ's default) and one prepacked blob.
  std::vector<uint8_t> packed(static_cast<size_t>(n * ((k + 1) / 2))), zeros(n * groups);
  std::vector<float> scales(n * groups), x(m * k), out(m * n);
  for (auto &v : packed) v = static_cast<uint8_t>(byte(rng));
  for (auto &v : zeros) v = static_cast<uint8_t>(zero(rng));
  for (auto &v : scales) v = 0.01f + 0.01f * std::fabs(unit(rng));
  for (auto &v : x) v = unit(rng);
  awq_tensor packedT = awq::bench::makeTensor(packed.data(), AWQ_U8, {n, (k + 1) / 2});
  awq_tensor scalesT = awq::bench::makeTensor(scales.data(), AWQ_F32, {n, groups});
  awq_tensor zerosT = awq::bench::makeTensor(zeros.data(), AWQ_U8, {n, groups});
  awq_tensor blobDesc{};
  check(awq_group_weights_prepack_shape(&packedT, &scalesT, &zerosT, 4, o.group, k, &blobDesc),
        "prepack_shape");
  const int64_t blobBytes = blobDesc.shape[0];
  const int64_t coldBytes = o.coldMiB << 20;
  const int64_t blobCopies = o.regime == "cold" ? coldBytes / blobBytes + 1 : 1;
  // One allocation, copies 64-byte aligned one after another.
  const int64_t blobStride = (blobBytes + 63) / 64 * 64;
  std::vector<uint8_t> blobStorage(static_cast<size_t>(blobCopies * blobStride + 64));
  uint8_t *blobBase = blobStorage.data() + (64 - reinterpret_cast<uintptr_t>(blobStorage.data()) % 64) % 64;
  std::vector<awq_tensor> blobs;
  for (int64_t c = 0; c < blobCopies; ++c) {
    blobs.push_back(awq::bench::makeTensor(blobBase + c * blobStride, AWQ_U8, {blobBytes}));
    if (c == 0)
      check(awq_group_weights_prepack(&packedT, &scalesT, &zerosT, 4, o.group, k, &blobs[0]),
            "prepack");
    else
      std::memcpy(blobs[c].data, blobs[0].data, static_cast<size_t>(blobBytes));
  }

  // FP32 weights W' [N, K] for BLAS (values do not matter for timing).
  const int64_t floatBytes = n * k * 4;
  const int64_t floatCopies = o.regime == "cold" ? coldBytes / floatBytes + 1 : 1;
  std::vector<std::vector<float>> floatWeights(static_cast<size_t>(floatCopies));
  for (auto &weights : floatWeights) {
    weights.resize(static_cast<size_t>(n * k));
    for (int64_t i = 0; i < n * k; i += 97)
      weights[i] = unit(rng);
  }

  awq_tensor xT = awq::bench::makeTensor(x.data(), AWQ_F32, {m, k});
  awq_tensor outT = awq::bench::makeTensor(out.data(), AWQ_F32, {m, n});
  std::vector<Impl> impls;
  for (int32_t activation : {AWQ_GROUP_ACT_INT8, AWQ_GROUP_ACT_F32})
    impls.push_back({activation == AWQ_GROUP_ACT_INT8 ? "awq_int8" : "awq_f32",
                     static_cast<double>(blobBytes),
                     [&, activation](int64_t copy) {
                       check(awq_group_matmul_prepacked(&xT, &blobs[copy], nullptr, activation,
                                                        &outT),
                             "awq_group_matmul_prepacked");
                     },
                     blobCopies,
                     {}});
  impls.push_back({m == 1 ? "blas_sgemv" : "blas_sgemm", static_cast<double>(floatBytes),
                   [&](int64_t copy) {
                     const float *w = floatWeights[copy].data();
                     if (m == 1)
                       cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(n),
                                   static_cast<int>(k), 1.0f, w, static_cast<int>(k), x.data(), 1,
                                   0.0f, out.data(), 1);
                     else
                       cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m),
                                   static_cast<int>(n), static_cast<int>(k), 1.0f, x.data(),
                                   static_cast<int>(k), w, static_cast<int>(k), 0.0f, out.data(),
                                   static_cast<int>(n));
                   },
                   floatCopies,
                   {}});

  // Warm up (and fault in every copy), then interleaved rounds of a time slice each.
  for (Impl &impl : impls)
    for (int64_t c = 0; c < std::max<int64_t>(impl.copies, 3); ++c)
      impl.call(c % impl.copies);
  const int rounds = 5;
  for (int round = 0; round < rounds; ++round)
    for (Impl &impl : impls) {
      const double sliceEnd = now() + o.seconds / rounds;
      int64_t copy = 0;
      do {
        const double start = now();
        impl.call(copy);
        impl.samples.push_back(now() - start);
        copy = (copy + 1) % impl.copies;
      } while (now() < sliceEnd);
    }

  std::printf("{\"k\": %lld, \"n\": %lld, \"m\": %lld, \"regime\": \"%s\", \"threads\": %d, "
              "\"isa\": \"%s\", \"blob_copies\": %lld, \"results\": [",
              static_cast<long long>(k), static_cast<long long>(n), static_cast<long long>(m),
              o.regime.c_str(), o.threads, awq_group_isa_name(awq_group_get_isa()),
              static_cast<long long>(blobCopies));
  for (size_t i = 0; i < impls.size(); ++i) {
    const Impl &impl = impls[i];
    const double med = median(impl.samples);
    std::printf("%s{\"name\": \"%s\", \"median_us\": %.2f, \"min_us\": %.2f, \"calls\": %zu, "
                "\"weight_bytes\": %.0f, \"gbs\": %.2f}",
                i ? ", " : "", impl.name.c_str(), med * 1e6,
                *std::min_element(impl.samples.begin(), impl.samples.end()) * 1e6,
                impl.samples.size(), impl.bytesPerCall, impl.bytesPerCall / med / 1e9);
  }
  std::printf("]}\n");
}

} // namespace

int main(int argc, char **argv) {
  const Options o = parse(argc, argv);
  if (o.command == "triad")
    runTriad(o);
  else if (o.command == "matmul")
    runMatmul(o);
  else
    fail("unknown command " + o.command);
  return 0;
}
