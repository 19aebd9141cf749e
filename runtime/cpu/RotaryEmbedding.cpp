// RotaryEmbedding.cpp - x * cos + rotate(x) * sin with the cos and sin the
// model computed (awq.rotary_embedding, fused from the exporters' chain).
// awq_rope in Rope.cpp computes its own angles from positions instead.
#include "RuntimeInternal.h"

using namespace awq::rt;

namespace {

// Checks the arguments and sets out to x's dtype and shape.
void rotaryEmbeddingShape(const awq_tensor *x, const awq_tensor *cos, const awq_tensor *sin,
                          awq_rope_layout layout, awq_tensor *out) {
  checkDescriptor(x, "input");
  checkDescriptor(cos, "cos");
  checkDescriptor(sin, "sin");
  checkFloatDtype(x, "input");
  if (cos->dtype != x->dtype || sin->dtype != x->dtype)
    raise("cos and sin must be %s like the input, got %s and %s", awq_dtype_name(x->dtype),
          awq_dtype_name(cos->dtype), awq_dtype_name(sin->dtype));
  if (layout != AWQ_ROPE_INTERLEAVED && layout != AWQ_ROPE_HALF_SPLIT)
    raise("unknown layout %d", static_cast<int>(layout));
  if (x->rank < 1 || x->shape[x->rank - 1] <= 0 || x->shape[x->rank - 1] % 2 != 0)
    raise("the input's last dim (the head dim) must be positive and even, got %s",
          shapeString(x).c_str());
  if (!sameShape(cos, sin))
    raise("cos %s and sin %s differ in shape", shapeString(cos).c_str(), shapeString(sin).c_str());
  // cos and sin broadcast into x without widening it, one angle per channel.
  bool fits = cos->rank >= 1 && cos->rank <= x->rank &&
              cos->shape[cos->rank - 1] == x->shape[x->rank - 1];
  for (int32_t i = 0; fits && i < cos->rank; ++i) {
    const int64_t dim = cos->shape[i], into = x->shape[x->rank - cos->rank + i];
    fits = dim == into || dim == 1;
  }
  if (!fits)
    raise("cos/sin %s must broadcast to the input %s with the head dim last",
          shapeString(cos).c_str(), shapeString(x).c_str());
  setOutputLike(out, x->dtype, x);
}

// x * c + partner * s for one channel, each product and the sum rounded to
// the dtype as ONNX's Mul, Mul and Add round them (separate statements, so
// no FMA contracts them).
template <class T> inline typename T::Storage rotateChannel(float x, float c, float partner, float s) {
  const float direct = T::load(T::store(x * c));
  const float turned = T::load(T::store(partner * s));
  const float sum = direct + turned;
  return T::store(sum);
}

// One head of D channels: half-split pairs channel i with i + D/2,
// interleaved 2i with 2i + 1; the first of each pair takes its partner
// negated.
template <class T>
void rotateHead(const typename T::Storage *x, const typename T::Storage *cos,
                const typename T::Storage *sin, int64_t headDim, awq_rope_layout layout,
                typename T::Storage *out) {
  auto at = [](const typename T::Storage *p, int64_t i) { return T::load(p[i]); };
  if (layout == AWQ_ROPE_HALF_SPLIT) {
    const int64_t half = headDim / 2;
    for (int64_t i = 0; i < half; ++i)
      out[i] = rotateChannel<T>(at(x, i), at(cos, i), -at(x, i + half), at(sin, i));
    for (int64_t i = half; i < headDim; ++i)
      out[i] = rotateChannel<T>(at(x, i), at(cos, i), at(x, i - half), at(sin, i));
    return;
  }
  for (int64_t i = 0; i < headDim; i += 2) {
    out[i] = rotateChannel<T>(at(x, i), at(cos, i), -at(x, i + 1), at(sin, i));
    out[i + 1] = rotateChannel<T>(at(x, i + 1), at(cos, i + 1), at(x, i), at(sin, i + 1));
  }
}

} // namespace

extern "C" {

awq_status awq_rotary_embedding_shape(const awq_tensor *x, const awq_tensor *cos,
                                      const awq_tensor *sin, awq_rope_layout layout,
                                      awq_tensor *out) {
  return guard("awq_rotary_embedding_shape",
               [&] { rotaryEmbeddingShape(x, cos, sin, layout, out); });
}

awq_status awq_rotary_embedding(const awq_tensor *x, const awq_tensor *cos, const awq_tensor *sin,
                                awq_rope_layout layout, awq_tensor *out) {
  return guard("awq_rotary_embedding", [&] {
    awq_tensor expected{};
    rotaryEmbeddingShape(x, cos, sin, layout, &expected);
    checkOutput(expected, out);
    if (numel(x) == 0)
      return;
    checkData(x, "input");
    checkData(cos, "cos");
    checkData(sin, "sin");
    if (out->data == x->data)
      raise("the output must not alias the input (a channel reads its partner)");
    // Rows of the plan's inner axis are whole heads, contiguous in x, cos
    // and sin (their last dim is the head dim, so it stays innermost).
    const Shape inputShapes[2] = {shapeOf(cos), shapeOf(sin)};
    const BroadcastPlan plan = makeBroadcastPlan(shapeOf(x), inputShapes, 2);
    const int64_t headDim = x->shape[x->rank - 1], inner = plan.inner();
    // x [..., S, H, D] with cos and sin [..., S, 1, D] (the heads after the
    // positions, as awq-fuse-head-transposes leaves them): rows are single
    // heads, and the H rows of one position share their angles, so their
    // offsets are computed once for all of them.
    const int last = plan.rank - 1;
    const int64_t rowsSharingAngles =
        inner == headDim && plan.rank >= 2 && plan.strides[0][last - 1] == 0 &&
                plan.strides[1][last - 1] == 0
            ? plan.dims[last - 1]
            : 1;
    dispatchFloat(x->dtype, [&](auto traits) {
      using T = decltype(traits);
      using Storage = typename T::Storage;
      const auto *xData = static_cast<const Storage *>(x->data);
      const auto *cosData = static_cast<const Storage *>(cos->data);
      const auto *sinData = static_cast<const Storage *>(sin->data);
      auto *outData = static_cast<Storage *>(out->data);
      const int64_t rowGroups = plan.rows() / rowsSharingAngles;
      const int64_t groupSize = rowsSharingAngles * inner;
      parallelFor(rowGroups, std::max<int64_t>(1, 4096 / groupSize), [&](int64_t begin, int64_t end) {
        int64_t offsets[BroadcastPlan::kMaxInputs];
        for (int64_t group = begin; group < end; ++group) {
          plan.rowOffsets(group * rowsSharingAngles, offsets);
          for (int64_t row = group * rowsSharingAngles; row < (group + 1) * rowsSharingAngles;
               ++row)
            for (int64_t head = 0; head < inner; head += headDim)
              rotateHead<T>(xData + row * inner + head, cosData + offsets[0] + head,
                            sinData + offsets[1] + head, headDim, layout,
                            outData + row * inner + head);
        }
      });
    });
  });
}

} // extern "C"
