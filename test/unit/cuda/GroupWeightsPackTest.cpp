// GroupWeightsPackTest.cpp - the CUDA blob's packing, on the host (no GPU):
// bit-exact round trips, the documented word interleave, padding, errors.
#include "GroupWeightsFixture.h"

#include <cstring>

using namespace awq::test;

namespace {

struct PackCase {
  int32_t bits;
  int64_t groupSize, k, n;
  bool hasZeros;
  int32_t dtype;
};

} // namespace

TEST(CudaGroupWeightsPack, RoundTripIsBitExactForEveryLayoutCase) {
  for (int32_t layout : {AWQ_CUDA_LAYOUT_ROW_CHUNKS, AWQ_CUDA_LAYOUT_MMA_TILES}) {
  SCOPED_TRACE(layout == AWQ_CUDA_LAYOUT_MMA_TILES ? "mma tiles" : "row chunks");
  // K = 172 is stories260K's down projection (not a multiple of 8 or 32);
  // group 256 >= K = 200 is one group per row; K = 96 with groups of 32 pads
  // past the last group in mma tiles (K_padded 128); N = 5, 3, 20 leave
  // partial 16-row tiles.
  const std::vector<PackCase> cases = {
      {4, 32, 256, 5, true, AWQ_F16},   {4, 64, 256, 3, false, AWQ_BF16},
      {4, 128, 384, 2, true, AWQ_BF16}, {4, 32, 172, 4, true, AWQ_F16},
      {4, 256, 200, 3, false, AWQ_F16}, {8, 32, 96, 3, true, AWQ_F16},
      {8, 128, 172, 2, false, AWQ_BF16}, {8, 64, 64, 1, true, AWQ_BF16},
      {4, 32, 96, 20, true, AWQ_BF16},
  };
  unsigned seed = 11;
  for (const PackCase &c : cases) {
    if (layout == AWQ_CUDA_LAYOUT_MMA_TILES && c.bits != 4)
      continue;
    const CanonicalGroupWeights w = makeGroupWeights(c.bits, c.groupSize, c.k, c.n, c.hasZeros, seed++);
    SCOPED_TRACE(w.describe());
    const std::vector<uint8_t> blob = packForCuda(w, c.dtype, layout);
    const awq_cuda_group_weights_info info = infoOf(blob);
    EXPECT_EQ(info.layout, layout);
    EXPECT_EQ(info.bits, c.bits);
    EXPECT_EQ(info.scale_dtype, c.dtype);
    EXPECT_EQ(info.k, c.k);
    EXPECT_EQ(info.n, c.n);
    const int64_t quantum = layout == AWQ_CUDA_LAYOUT_MMA_TILES ? 64 : 32;
    EXPECT_EQ(info.k_padded, (c.k + quantum - 1) / quantum * quantum);
    EXPECT_EQ(info.groups, w.groups);
    EXPECT_EQ(info.has_zeros, c.hasZeros ? 1 : 0);
    EXPECT_EQ(info.codes_offset % 256, 0);
    EXPECT_EQ(info.scales_offset % 256, 0);
    EXPECT_EQ(info.total_bytes, static_cast<int64_t>(blob.size()));

    HostTensor qweight(AWQ_U8, shapeOf(*w.qweight.get()));
    HostTensor scales(AWQ_F32, {c.n, w.groups});
    HostTensor zeros(AWQ_U8, {c.n, w.groups});
    ASSERT_EQ(awq_cuda_group_weights_unpack(blob.data(), static_cast<int64_t>(blob.size()),
                                            qweight.get(), scales.get(),
                                            c.hasZeros ? zeros.get() : nullptr),
              0)
        << awq_last_error();
    EXPECT_EQ(qweight.values<uint8_t>(), w.qweight.values<uint8_t>());
    EXPECT_EQ(scales.values<float>(), scalesRoundedTo(w, c.dtype).values<float>());
    if (c.hasZeros) {
      EXPECT_EQ(zeros.values<uint8_t>(), w.zeros.values<uint8_t>());
    }
  }
  }
}

TEST(CudaGroupWeightsPack, DefaultLayoutIsRowChunks) {
  // Row chunks until the mma-tile kernel has run on a GPU (awq_cuda.h).
  const CanonicalGroupWeights w4 = makeGroupWeights(4, 32, 64, 2, true, 21);
  const CanonicalGroupWeights w8 = makeGroupWeights(8, 32, 64, 2, true, 22);
  EXPECT_EQ(infoOf(packForCuda(w4, AWQ_F16, AWQ_CUDA_LAYOUT_DEFAULT)).layout,
            AWQ_CUDA_LAYOUT_ROW_CHUNKS);
  EXPECT_EQ(infoOf(packForCuda(w8, AWQ_F16, AWQ_CUDA_LAYOUT_DEFAULT)).layout,
            AWQ_CUDA_LAYOUT_ROW_CHUNKS);
}

TEST(CudaGroupWeightsPack, MmaTilesFollowTheFragmentMap) {
  // One 16 x 64 tile: code(row, input) = (row + input) % 16, zero points 3.
  // Lane l = 4g + t, word j, nibble p = 4 * (p / 4) + i holds row g + 8 (i % 2),
  // input 16t + 4j + 2 (i / 2) + p / 4 (GroupWeightsLayout.h).
  CanonicalGroupWeights w = makeGroupWeights(4, 64, 64, 16, true, 23);
  for (int64_t row = 0; row < 16; ++row)
    for (int64_t input = 0; input < 64; ++input)
      w.codes.data<uint8_t>()[row * 64 + input] = static_cast<uint8_t>((row + input) % 16);
  ASSERT_EQ(awq_pack_codes(w.codes.get(), 4, w.qweight.get()), 0) << awq_last_error();
  for (int64_t i = 0; i < 16; ++i)
    w.zeros.data<uint8_t>()[i] = static_cast<uint8_t>(i % 16);
  const std::vector<uint8_t> blob = packForCuda(w, AWQ_F16, AWQ_CUDA_LAYOUT_MMA_TILES);
  const awq_cuda_group_weights_info info = infoOf(blob);
  for (int lane = 0; lane < 32; ++lane)
    for (int j = 0; j < 4; ++j) {
      uint32_t word;
      std::memcpy(&word, blob.data() + info.codes_offset + (lane * 4 + j) * 4, 4);
      for (int p = 0; p < 8; ++p) {
        const int i = p % 4;
        const int row = lane / 4 + 8 * (i % 2);
        const int input = 16 * (lane % 4) + 4 * j + 2 * (i / 2) + p / 4;
        EXPECT_EQ((word >> (4 * p)) & 0xF, static_cast<uint32_t>((row + input) % 16))
            << "lane " << lane << " word " << j << " nibble " << p;
      }
    }
  // Zero points by [tile][group][g][h]: lane g's 16-bit pair is rows g, g + 8.
  for (int g = 0; g < 8; ++g) {
    EXPECT_EQ(blob[info.zeros_offset + 2 * g], g);
    EXPECT_EQ(blob[info.zeros_offset + 2 * g + 1], g + 8);
  }
}

TEST(CudaGroupWeightsPack, WordsFollowTheDocumentedInterleave) {
  // 4 bits: nibble p holds input [0,2,4,6,1,3,5,7][p]; codes 0..7 -> 0x75316420.
  CanonicalGroupWeights w4 = makeGroupWeights(4, 32, 32, 1, true, 3);
  for (int i = 0; i < 32; ++i)
    w4.codes.data<uint8_t>()[i] = static_cast<uint8_t>(i % 16);
  ASSERT_EQ(awq_pack_codes(w4.codes.get(), 4, w4.qweight.get()), 0) << awq_last_error();
  std::vector<uint8_t> blob = packForCuda(w4, AWQ_F16);
  uint32_t word;
  std::memcpy(&word, blob.data() + infoOf(blob).codes_offset, 4);
  EXPECT_EQ(word, 0x75316420u);
  std::memcpy(&word, blob.data() + infoOf(blob).codes_offset + 4, 4); // inputs 8..15
  EXPECT_EQ(word, 0xFDB9ECA8u);

  // 8 bits: byte p holds input [0,2,1,3][p]; codes 10..13 -> 0x0D0B0C0A.
  CanonicalGroupWeights w8 = makeGroupWeights(8, 32, 32, 1, false, 4);
  for (int i = 0; i < 32; ++i)
    w8.codes.data<uint8_t>()[i] = static_cast<uint8_t>(10 + i);
  ASSERT_EQ(awq_pack_codes(w8.codes.get(), 8, w8.qweight.get()), 0) << awq_last_error();
  blob = packForCuda(w8, AWQ_BF16);
  std::memcpy(&word, blob.data() + infoOf(blob).codes_offset, 4);
  EXPECT_EQ(word, 0x0D0B0C0Au);
}

TEST(CudaGroupWeightsPack, PaddingInputsHoldTheGroupZeroPoint) {
  // K = 40 pads to 64: inputs 40..63 belong to group 1 (group size 32).
  const CanonicalGroupWeights w = makeGroupWeights(4, 32, 40, 2, true, 5);
  const std::vector<uint8_t> blob = packForCuda(w, AWQ_F16);
  const awq_cuda_group_weights_info info = infoOf(blob);
  for (int64_t row = 0; row < w.n; ++row) {
    const uint8_t *codes = blob.data() + info.codes_offset + row * (info.k_padded / 2);
    for (int64_t base = 40; base < 64; base += 8) {
      uint32_t word;
      std::memcpy(&word, codes + base / 2, 4);
      for (int p = 0; p < 8; ++p)
        EXPECT_EQ((word >> (4 * p)) & 0xF, w.zeroAt(row, 1)) << "row " << row << " base " << base;
    }
  }
  // Without zero points the padding is the implicit 2^(bits-1) = 8.
  const CanonicalGroupWeights symmetric = makeGroupWeights(4, 32, 40, 1, false, 6);
  const std::vector<uint8_t> symmetricBlob = packForCuda(symmetric, AWQ_F16);
  uint32_t word;
  std::memcpy(&word, symmetricBlob.data() + infoOf(symmetricBlob).codes_offset + 48 / 2, 4);
  EXPECT_EQ(word, 0x88888888u);
}

TEST(CudaGroupWeightsPack, RejectsWhatTheKernelsCannotRun) {
  const CanonicalGroupWeights w = makeGroupWeights(4, 32, 64, 2, true, 7);
  const CanonicalGroupWeights g16 = makeGroupWeights(4, 16, 64, 2, true, 8);
  const CanonicalGroupWeights w8 = makeGroupWeights(8, 32, 64, 2, true, 10);
  // The pack-shape call on `weights` with one argument changed per case.
  auto packShape = [](const CanonicalGroupWeights &weights, int32_t bits, int64_t groupSize,
                      int64_t k, int32_t dtype, int32_t layout = AWQ_CUDA_LAYOUT_DEFAULT) {
    awq_tensor blob{};
    return awq_cuda_group_weights_pack_shape(weights.qweight.get(), weights.scales.get(),
                                             weights.zerosOrNull(), bits, groupSize, k, dtype,
                                             layout, &blob);
  };
  const char *op = "awq_cuda_group_weights_pack_shape";
  EXPECT_OP_ERROR(packShape(w, 3, 32, 64, AWQ_F16), op, "4- or 8-bit");
  EXPECT_OP_ERROR(packShape(g16, 4, 16, 64, AWQ_F16), op, "multiple of 32");
  EXPECT_OP_ERROR(packShape(w, 4, 32, 64, AWQ_F32), op, "f16 or bf16");
  // Scales for group 64 do not fit weights packed with group 32.
  EXPECT_OP_ERROR(packShape(w, 4, 64, 64, AWQ_F16), op, "scales");
  EXPECT_OP_ERROR(packShape(w, 4, 32, 66, AWQ_F16), op, "qweight");
  EXPECT_OP_ERROR(packShape(w8, 8, 32, 64, AWQ_F16, AWQ_CUDA_LAYOUT_MMA_TILES), op,
                  "4-bit codes only");
  EXPECT_OP_ERROR(packShape(w, 4, 32, 64, AWQ_F16, 7), op, "layout must be");
}

// The bf16 mma kernel holds 128 + zero in one bf16 (exact below 256): zero
// points of 128 and up are refused there and packed everywhere else.
TEST(CudaGroupWeightsPack, Bf16MmaTilesRefuseZeroPointsFrom128) {
  CanonicalGroupWeights w = makeGroupWeights(4, 32, 64, 2, true, 11);
  w.zeros.data<uint8_t>()[3] = 127;
  packForCuda(w, AWQ_BF16, AWQ_CUDA_LAYOUT_MMA_TILES); // fails the test on an error
  w.zeros.data<uint8_t>()[3] = 128;
  packForCuda(w, AWQ_F16, AWQ_CUDA_LAYOUT_MMA_TILES);
  packForCuda(w, AWQ_BF16, AWQ_CUDA_LAYOUT_ROW_CHUNKS);
  awq_tensor blobShape{};
  ASSERT_EQ(awq_cuda_group_weights_pack_shape(w.qweight.get(), w.scales.get(), w.zeros.get(), 4,
                                              32, 64, AWQ_BF16, AWQ_CUDA_LAYOUT_MMA_TILES,
                                              &blobShape),
            0);
  std::vector<uint8_t> blob(static_cast<size_t>(blobShape.shape[0]));
  blobShape.data = blob.data();
  EXPECT_OP_ERROR(awq_cuda_group_weights_pack(w.qweight.get(), w.scales.get(), w.zeros.get(), 4,
                                              32, 64, AWQ_BF16, AWQ_CUDA_LAYOUT_MMA_TILES,
                                              &blobShape),
                  "awq_cuda_group_weights_pack", "row 1, group 1 has 128");
}

TEST(CudaGroupWeightsPack, RejectsCorruptAndTruncatedBlobs) {
  const CanonicalGroupWeights w = makeGroupWeights(4, 32, 64, 2, true, 9);
  std::vector<uint8_t> blob = packForCuda(w, AWQ_F16);
  awq_cuda_group_weights_info info{};
  EXPECT_OP_ERROR(awq_cuda_group_weights_get_info(blob.data(), 32, &info),
                  "awq_cuda_group_weights_get_info", "64-byte header");
  EXPECT_OP_ERROR(awq_cuda_group_weights_get_info(blob.data(),
                                                  static_cast<int64_t>(blob.size()) - 1, &info),
                  "awq_cuda_group_weights_get_info", "truncated");
  std::vector<uint8_t> badMagic = blob;
  badMagic[0] = 'X';
  EXPECT_OP_ERROR(awq_cuda_group_weights_get_info(badMagic.data(),
                                                  static_cast<int64_t>(badMagic.size()), &info),
                  "awq_cuda_group_weights_get_info", "magic");
  std::vector<uint8_t> badBits = blob;
  badBits[8] = 5; // the bits field
  EXPECT_OP_ERROR(awq_cuda_group_weights_get_info(badBits.data(),
                                                  static_cast<int64_t>(badBits.size()), &info),
                  "awq_cuda_group_weights_get_info", "inconsistent");
  std::vector<uint8_t> badLayout = blob;
  badLayout[60] = 9; // the layout field: no such layout
  EXPECT_OP_ERROR(awq_cuda_group_weights_get_info(badLayout.data(),
                                                  static_cast<int64_t>(badLayout.size()), &info),
                  "awq_cuda_group_weights_get_info", "inconsistent");
}
