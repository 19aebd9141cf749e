// Norms.cpp - RMSNorm and LayerNorm over trailing axes.
#include "RuntimeInternal.h"

#include <cmath>

using namespace awq::rt;

namespace {

// Rows handled per thread at least; a row is one normalised vector.
constexpr int64_t kRowGrain = 4;

void rmsNormShape(const awq_tensor *x, const awq_tensor *gamma, awq_tensor *out) {
  checkDescriptor(x, "input");
  checkDescriptor(gamma, "gamma");
  checkFloatDtype(x, "input");
  checkFloatDtype(gamma, "gamma");
  if (x->rank < 1)
    raise("input must have rank >= 1, got a scalar");
  const int64_t hidden = x->shape[x->rank - 1];
  if (numel(gamma) != hidden)
    raise("gamma has shape %s but the input's last dim is %lld", shapeString(gamma).c_str(),
          static_cast<long long>(hidden));
  setOutputLike(out, x->dtype, x);
}

// The residual add of the fused forms: sum = x + residual, rounded to the
// dtype as ONNX's Add (the runtime's awq_binary) rounds it.
struct ResidualAdd {
  const awq_tensor *residual = nullptr;
  awq_tensor *sum = nullptr;
};

// Normalises each row of a [rows, width] view: y = (x - mean?) * invScale * g (+ b).
// `centre` selects LayerNorm (subtract the mean) versus RMSNorm. With a
// residual, the rows normalised are x + residual, which also go to the sum.
template <class T>
void normalizeRows(const awq_tensor *x, const std::vector<float> &scale,
                   const std::vector<float> &shift, float eps, bool centre, awq_tensor *out,
                   ResidualAdd add = {}) {
  using Storage = typename T::Storage;
  const int64_t width = static_cast<int64_t>(scale.size());
  const int64_t rows = width == 0 ? 0 : numel(x) / width;
  const auto *src = static_cast<const Storage *>(x->data);
  const auto *residual = add.residual ? static_cast<const Storage *>(add.residual->data) : nullptr;
  auto *sum = add.sum ? static_cast<Storage *>(add.sum->data) : nullptr;
  auto *dst = static_cast<Storage *>(out->data);
  parallelFor(rows, kRowGrain, [&](int64_t begin, int64_t end) {
    std::vector<float> row(static_cast<size_t>(width));
    for (int64_t r = begin; r < end; ++r) {
      const Storage *in = src + r * width;
      if (residual) {
        const Storage *res = residual + r * width;
        Storage *total = sum + r * width;
        for (int64_t i = 0; i < width; ++i) {
          total[i] = T::store(T::load(in[i]) + T::load(res[i]));
          row[i] = T::load(total[i]);
        }
      } else {
        for (int64_t i = 0; i < width; ++i)
          row[i] = T::load(in[i]);
      }
      // Statistics in double: long rows of f32 lose precision otherwise.
      double mean = 0.0;
      if (centre) {
        double sum = 0.0;
#pragma omp simd reduction(+ : sum)
        for (int64_t i = 0; i < width; ++i)
          sum += row[i];
        mean = sum / static_cast<double>(width);
      }
      double squares = 0.0;
#pragma omp simd reduction(+ : squares)
      for (int64_t i = 0; i < width; ++i) {
        const double d = row[i] - mean;
        squares += d * d;
      }
      const float invScale = static_cast<float>(1.0 / std::sqrt(squares / width + eps));
      const float meanF = static_cast<float>(mean);
      auto *o = dst + r * width;
      if (shift.empty()) {
        for (int64_t i = 0; i < width; ++i)
          o[i] = T::store((row[i] - meanF) * invScale * scale[i]);
      } else {
        for (int64_t i = 0; i < width; ++i)
          o[i] = T::store((row[i] - meanF) * invScale * scale[i] + shift[i]);
      }
    }
  });
}

std::vector<float> widenParameter(const awq_tensor *t, float offset) {
  std::vector<float> values(static_cast<size_t>(numel(t)));
  widenToFloat(t->data, t->dtype, 0, numel(t), values.data());
  for (float &v : values)
    v += offset;
  return values;
}

void layerNormShape(const awq_tensor *x, const awq_tensor *gamma, const awq_tensor *beta,
                    int64_t axis, awq_tensor *out) {
  checkDescriptor(x, "input");
  checkDescriptor(gamma, "gamma");
  checkFloatDtype(x, "input");
  checkFloatDtype(gamma, "gamma");
  const int64_t first = normalizeAxis(axis, x->rank, "axis");
  int64_t width = 1;
  for (int64_t i = first; i < x->rank; ++i)
    width *= x->shape[i];
  if (numel(gamma) != width)
    raise("gamma has shape %s but the normalised part of input %s has %lld elements",
          shapeString(gamma).c_str(), shapeString(x).c_str(), static_cast<long long>(width));
  if (beta) {
    checkDescriptor(beta, "beta");
    checkFloatDtype(beta, "beta");
    if (numel(beta) != width)
      raise("beta has shape %s, expected %lld elements", shapeString(beta).c_str(),
            static_cast<long long>(width));
  }
  setOutputLike(out, x->dtype, x);
}

// The fused forms' extra operand and output: the residual matches x, and
// the sum is described like the normalised output.
void residualShape(const awq_tensor *x, const awq_tensor *residual, awq_tensor *sum) {
  checkDescriptor(residual, "residual");
  if (residual->dtype != x->dtype || !sameShape(residual, x))
    raise("residual is %s %s but the input is %s %s", awq_dtype_name(residual->dtype),
          shapeString(residual).c_str(), awq_dtype_name(x->dtype), shapeString(x).c_str());
  setOutputLike(sum, x->dtype, x);
}

} // namespace

extern "C" {

awq_status awq_rms_norm_shape(const awq_tensor *x, const awq_tensor *gamma, float /*eps*/,
                              float /*gamma_offset*/, awq_tensor *out) {
  return guard("awq_rms_norm_shape", [&] { rmsNormShape(x, gamma, out); });
}

awq_status awq_rms_norm(const awq_tensor *x, const awq_tensor *gamma, float eps,
                        float gamma_offset, awq_tensor *out) {
  return guard("awq_rms_norm", [&] {
    checkData(x, "input");
    checkData(gamma, "gamma");
    awq_tensor expected{};
    rmsNormShape(x, gamma, &expected);
    checkOutput(expected, out);
    const std::vector<float> scale = widenParameter(gamma, gamma_offset);
    dispatchFloat(x->dtype, [&](auto traits) {
      normalizeRows<decltype(traits)>(x, scale, {}, eps, /*centre=*/false, out);
    });
  });
}

awq_status awq_layer_norm_shape(const awq_tensor *x, const awq_tensor *gamma,
                                const awq_tensor *beta, int64_t axis, float /*eps*/,
                                awq_tensor *out) {
  return guard("awq_layer_norm_shape", [&] { layerNormShape(x, gamma, beta, axis, out); });
}

awq_status awq_layer_norm(const awq_tensor *x, const awq_tensor *gamma, const awq_tensor *beta,
                          int64_t axis, float eps, awq_tensor *out) {
  return guard("awq_layer_norm", [&] {
    checkData(x, "input");
    checkData(gamma, "gamma");
    if (beta)
      checkData(beta, "beta");
    awq_tensor expected{};
    layerNormShape(x, gamma, beta, axis, &expected);
    checkOutput(expected, out);
    const std::vector<float> scale = widenParameter(gamma, 0.0f);
    const std::vector<float> shift = beta ? widenParameter(beta, 0.0f) : std::vector<float>{};
    dispatchFloat(x->dtype, [&](auto traits) {
      normalizeRows<decltype(traits)>(x, scale, shift, eps, /*centre=*/true, out);
    });
  });
}

awq_status awq_add_rms_norm_shape(const awq_tensor *x, const awq_tensor *residual,
                                  const awq_tensor *gamma, float /*eps*/, float /*gamma_offset*/,
                                  awq_tensor *sum, awq_tensor *out) {
  return guard("awq_add_rms_norm_shape", [&] {
    rmsNormShape(x, gamma, out);
    residualShape(x, residual, sum);
  });
}

awq_status awq_add_rms_norm(const awq_tensor *x, const awq_tensor *residual,
                            const awq_tensor *gamma, float eps, float gamma_offset,
                            awq_tensor *sum, awq_tensor *out) {
  return guard("awq_add_rms_norm", [&] {
    checkData(x, "input");
    checkData(residual, "residual");
    checkData(gamma, "gamma");
    awq_tensor expected{}, expectedSum{};
    rmsNormShape(x, gamma, &expected);
    residualShape(x, residual, &expectedSum);
    checkOutput(expected, out);
    checkOutput(expectedSum, sum);
    const std::vector<float> scale = widenParameter(gamma, gamma_offset);
    dispatchFloat(x->dtype, [&](auto traits) {
      normalizeRows<decltype(traits)>(x, scale, {}, eps, /*centre=*/false, out, {residual, sum});
    });
  });
}

awq_status awq_add_layer_norm_shape(const awq_tensor *x, const awq_tensor *residual,
                                    const awq_tensor *gamma, const awq_tensor *beta,
                                    float /*eps*/, awq_tensor *sum, awq_tensor *out) {
  return guard("awq_add_layer_norm_shape", [&] {
    layerNormShape(x, gamma, beta, -1, out);
    residualShape(x, residual, sum);
  });
}

awq_status awq_add_layer_norm(const awq_tensor *x, const awq_tensor *residual,
                              const awq_tensor *gamma, const awq_tensor *beta, float eps,
                              awq_tensor *sum, awq_tensor *out) {
  return guard("awq_add_layer_norm", [&] {
    checkData(x, "input");
    checkData(residual, "residual");
    checkData(gamma, "gamma");
    if (beta)
      checkData(beta, "beta");
    awq_tensor expected{}, expectedSum{};
    layerNormShape(x, gamma, beta, -1, &expected);
    residualShape(x, residual, &expectedSum);
    checkOutput(expected, out);
    checkOutput(expectedSum, sum);
    const std::vector<float> scale = widenParameter(gamma, 0.0f);
    const std::vector<float> shift = beta ? widenParameter(beta, 0.0f) : std::vector<float>{};
    dispatchFloat(x->dtype, [&](auto traits) {
      normalizeRows<decltype(traits)>(x, scale, shift, eps, /*centre=*/true, out,
                                      {residual, sum});
    });
  });
}

} // extern "C"
