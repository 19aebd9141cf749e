//===- QuantizerMath.cpp - Weight math the AWQ search evaluates -----------===//

#include "awq/Transforms/QuantizerMath.h"

#include "awq_runtime.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/MathExtras.h"

#include <string>

namespace awq {

static awq_tensor describe(const float *data, int64_t rows, int64_t cols) {
  awq_tensor tensor{const_cast<float *>(data), AWQ_F32, 2, {}};
  tensor.shape[0] = rows;
  tensor.shape[1] = cols;
  return tensor;
}

/// The runtime rejects only malformed calls, which would be bugs here.
static void check(awq_status status, const char *what) {
  if (status != 0)
    llvm::report_fatal_error(llvm::Twine(what) + ": " + awq_last_error());
}

std::vector<float> fakeQuantize(llvm::ArrayRef<float> w, int64_t n, int64_t k,
                                const QuantizerConfig &config,
                                llvm::ArrayRef<float> clip) {
  std::vector<float> out(w.size());
  awq_tensor in = describe(w.data(), n, k), result = describe(out.data(), n, k);
  awq_tensor clipDesc = describe(clip.data(), n,
                                 llvm::divideCeil(k, config.groupSize));
  check(awq_fake_quantize_groups(&in, config.bits, config.groupSize,
                                 config.zeroPoint,
                                 clip.empty() ? nullptr : &clipDesc, &result),
        "awq_fake_quantize_groups");
  return out;
}

std::vector<float> linearForward(llvm::ArrayRef<float> x, int64_t t, int64_t k,
                                 llvm::ArrayRef<float> w, int64_t n) {
  std::vector<float> out(t * n);
  awq_tensor xDesc = describe(x.data(), t, k), wDesc = describe(w.data(), n, k);
  awq_tensor result = describe(out.data(), t, n);
  check(awq_linear(&xDesc, &wDesc, nullptr, /*weight_is_nk=*/1, &result),
        "awq_linear");
  return out;
}

double sumSquaredError(llvm::ArrayRef<float> a, llvm::ArrayRef<float> b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double d = static_cast<double>(a[i]) - b[i];
    sum += d * d;
  }
  return sum;
}

} // namespace awq
