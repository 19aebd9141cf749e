// Packs one tiny W4 weight for the CUDA kernels through the installed
// package and reports the blob and the device count (0 without a GPU).
#include "awq_cuda.h"

#include <cstdio>
#include <vector>

int main() {
  // N = 2 outputs, K = 32 inputs, one group: codes 0..15 then 15..0.
  std::vector<uint8_t> qweight(2 * 16);
  for (int i = 0; i < 16; ++i) {
    qweight[i] = static_cast<uint8_t>((2 * i % 16) | ((2 * i + 1) % 16) << 4);
    qweight[16 + i] = static_cast<uint8_t>(0xFF - qweight[i]);
  }
  std::vector<float> scales = {0.5f, 0.25f};
  awq_tensor q{qweight.data(), AWQ_U8, 2, {2, 16}};
  awq_tensor s{scales.data(), AWQ_F32, 2, {2, 1}};
  awq_tensor blob{};
  if (awq_cuda_group_weights_pack_shape(&q, &s, nullptr, 4, 32, 32, AWQ_F16, AWQ_CUDA_LAYOUT_DEFAULT, &blob) != 0) {
    std::fprintf(stderr, "pack_shape: %s\n", awq_last_error());
    return 1;
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(blob.shape[0]));
  blob.data = bytes.data();
  if (awq_cuda_group_weights_pack(&q, &s, nullptr, 4, 32, 32, AWQ_F16, AWQ_CUDA_LAYOUT_DEFAULT, &blob) != 0) {
    std::fprintf(stderr, "pack: %s\n", awq_last_error());
    return 1;
  }
  awq_cuda_group_weights_info info{};
  if (awq_cuda_group_weights_get_info(bytes.data(), blob.shape[0], &info) != 0) {
    std::fprintf(stderr, "get_info: %s\n", awq_last_error());
    return 1;
  }
  std::printf("blob: %lld bytes, bits %d, k %lld, n %lld, groups %lld\n",
              static_cast<long long>(info.total_bytes), info.bits,
              static_cast<long long>(info.k), static_cast<long long>(info.n),
              static_cast<long long>(info.groups));
  std::printf("cuda devices: %d\n", awq_cuda_device_count());
  return 0;
}
