// GroupDequantHostTest.cu - the kernels' in-register dequantization
// (GroupDequant.cuh: magic-number fp16 trick, word interleave, group and
// zero-point indexing) run on the HOST against the canonical codes, so the
// arithmetic every kernel uses is checked even where no GPU is present.
#include "GroupDequant.cuh"
#include "GroupWeightsFixture.h"

#include <cstring>

using namespace awq::test;

namespace {

// (code - zero) for every input of the blob, read the way the kernels read it.
std::vector<float> blobCodeMinusZero(const std::vector<uint8_t> &blob,
                                     const awq_cuda_group_weights_info &info) {
  const awq::cuda::GroupWeightsView view = awq::cuda::viewOf(blob.data(), info);
  std::vector<float> out(static_cast<size_t>(info.n * info.k));
  const int64_t inputsPerWord = 32 / info.bits;
  for (int64_t row = 0; row < info.n; ++row) {
    const uint8_t *codes = view.codes + row * (info.k_padded * info.bits / 8);
    for (int64_t k0 = 0; k0 < info.k_padded; k0 += inputsPerWord) {
      uint32_t word;
      std::memcpy(&word, codes + k0 * info.bits / 8, 4);
      const int64_t group = k0 / view.groupSize;
      const int zero = view.zeros ? view.zeros[row * info.groups + group] : 1 << (info.bits - 1);
      float values[8];
      if (info.bits == 4)
        awq::cuda::dequantizeWord4(word, awq::cuda::zeroBias(zero), values);
      else
        awq::cuda::dequantizeWord8(word, awq::cuda::zeroBias(zero), values);
      for (int64_t j = 0; j < inputsPerWord; ++j) {
        if (k0 + j < info.k) {
          out[row * info.k + k0 + j] = values[j];
        } else {
          // Padding must dequantize to exactly zero.
          EXPECT_EQ(values[j], 0.0f) << "padding row " << row << " input " << k0 + j;
        }
      }
    }
  }
  return out;
}

} // namespace

TEST(CudaGroupDequantHost, MagicNumberDequantizationIsExactForEveryCode) {
  // Every (code, zero) pair of 4 and 8 bits through both lanes of a word.
  for (int bits : {4, 8}) {
    for (int zero = 0; zero < (1 << bits); ++zero) {
      for (int code = 0; code < (1 << bits); ++code) {
        float values[8];
        if (bits == 4) {
          const uint32_t word = static_cast<uint32_t>(code) * 0x11111111u;
          awq::cuda::dequantizeWord4(word, awq::cuda::zeroBias(zero), values);
          for (int j = 0; j < 8; ++j)
            ASSERT_EQ(values[j], static_cast<float>(code - zero)) << code << " " << zero;
        } else {
          const uint32_t word = static_cast<uint32_t>(code) * 0x01010101u;
          awq::cuda::dequantizeWord8(word, awq::cuda::zeroBias(zero), values);
          for (int j = 0; j < 4; ++j)
            ASSERT_EQ(values[j], static_cast<float>(code - zero)) << code << " " << zero;
        }
      }
    }
  }
}

TEST(CudaGroupDequantHost, KernelViewOfTheBlobGivesTheCanonicalCodes) {
  struct Case {
    int32_t bits;
    int64_t groupSize, k, n;
    bool hasZeros;
  };
  const std::vector<Case> cases = {{4, 32, 172, 3, true},  {4, 128, 256, 2, false},
                                   {4, 64, 200, 2, true},  {4, 512, 300, 2, true},
                                   {8, 32, 172, 2, true},  {8, 128, 128, 2, false}};
  unsigned seed = 21;
  for (const Case &c : cases) {
    const CanonicalGroupWeights w = makeGroupWeights(c.bits, c.groupSize, c.k, c.n, c.hasZeros, seed++);
    SCOPED_TRACE(w.describe());
    const std::vector<uint8_t> blob = packForCuda(w, AWQ_F16);
    awq_cuda_group_weights_info info{};
    ASSERT_EQ(awq_cuda_group_weights_get_info(blob.data(), static_cast<int64_t>(blob.size()), &info), 0)
        << awq_last_error();
    const std::vector<float> got = blobCodeMinusZero(blob, info);
    for (int64_t row = 0; row < c.n; ++row)
      for (int64_t input = 0; input < c.k; ++input) {
        const int expected = w.codes.data<uint8_t>()[row * c.k + input] -
                             w.zeroAt(row, input / c.groupSize);
        ASSERT_EQ(got[row * c.k + input], static_cast<float>(expected))
            << "row " << row << " input " << input;
      }
  }
}
