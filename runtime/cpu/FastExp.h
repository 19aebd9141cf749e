// FastExp.h - an exp(x) for f32 loops that the compiler can vectorize.
#ifndef AWQ_RUNTIME_CPU_FASTEXP_H
#define AWQ_RUNTIME_CPU_FASTEXP_H

#include <cstdint>
#include <cstring>

namespace awq::rt {

// Cephes' expf: x = n ln2 + r with |r| <= ln2 / 2, e^r by a degree-6
// polynomial, 2^n through the exponent bits. Branch-free (selects only), so
// a loop calling it vectorizes, unlike std::exp (a libm call per element).
// Relative error below 2e-7 (measured against double exp over [-87, 88]).
// Inputs below the smallest normal result give 0; NaN is not preserved.
inline float fastExp(float x) {
  constexpr float kMinInput = -87.33654f; // e^x below FLT_MIN
  constexpr float kMaxInput = 88.37626f;  // n = 128 would overflow the exponent
  const float clamped = x < kMinInput ? kMinInput : (x > kMaxInput ? kMaxInput : x);
  const float t = clamped * 1.44269504088896341f;
  const float n = static_cast<float>(static_cast<int32_t>(t + (t >= 0.0f ? 0.5f : -0.5f)));
  // ln2 split in two so that n * ln2 is exact in float.
  const float r = clamped - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return x < kMinInput ? 0.0f : p * scale;
}

} // namespace awq::rt

#endif // AWQ_RUNTIME_CPU_FASTEXP_H
