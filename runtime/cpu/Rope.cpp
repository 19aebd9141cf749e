// Rope.cpp - rotary position embedding, interleaved and half-split layouts.
#include "RuntimeInternal.h"

#include <cmath>

using namespace awq::rt;

namespace {

struct RopeDims {
  int64_t outer;     // product of the axes before the sequence axis
  int64_t positions; // S
  int64_t inner;     // product of the axes between the sequence axis and the head dim
  int64_t headDim;   // D
  int64_t rotaryDim; // R (even, <= D)
  int64_t outerPerBatch; // outer indices per entry of axis 0 (for [B, S] position ids)
};

RopeDims ropeShape(const awq_tensor *x, const awq_tensor *positionIds, int64_t seqAxis,
                   int64_t rotaryDim, float theta, awq_rope_layout layout, awq_tensor *out) {
  checkDescriptor(x, "input");
  checkFloatDtype(x, "input");
  if (x->rank < 2)
    raise("input must have rank >= 2 (positions and head dim), got %s", shapeString(x).c_str());
  if (layout != AWQ_ROPE_INTERLEAVED && layout != AWQ_ROPE_HALF_SPLIT)
    raise("unknown layout %d", static_cast<int>(layout));
  if (!(theta > 0.0f))
    raise("theta must be positive, got %g", static_cast<double>(theta));
  const int64_t axis = normalizeAxis(seqAxis, x->rank, "seq_axis");
  if (axis == x->rank - 1)
    raise("seq_axis must not be the last (head dim) axis");
  RopeDims d{1, x->shape[axis], 1, x->shape[x->rank - 1], 0, 1};
  for (int64_t i = 0; i < axis; ++i)
    d.outer *= x->shape[i];
  for (int64_t i = axis + 1; i < x->rank - 1; ++i)
    d.inner *= x->shape[i];
  for (int64_t i = 1; i < axis; ++i)
    d.outerPerBatch *= x->shape[i];
  d.rotaryDim = rotaryDim <= 0 ? d.headDim : rotaryDim;
  if (d.rotaryDim % 2 != 0 || d.rotaryDim > d.headDim)
    raise("rotary_dim %lld must be even and <= head dim %lld", static_cast<long long>(d.rotaryDim),
          static_cast<long long>(d.headDim));
  if (positionIds) {
    checkDescriptor(positionIds, "position_ids");
    if (positionIds->dtype != AWQ_I64 && positionIds->dtype != AWQ_I32)
      raise("position_ids must be i64 or i32, got %s", awq_dtype_name(positionIds->dtype));
    const bool perSequence = positionIds->rank == 1 && positionIds->shape[0] == d.positions;
    const bool perBatch = positionIds->rank == 2 && axis > 0 &&
                          positionIds->shape[0] == x->shape[0] &&
                          positionIds->shape[1] == d.positions;
    if (!perSequence && !perBatch)
      raise("position_ids %s must be [S] or [B, S] for input %s with seq_axis %lld",
            shapeString(positionIds).c_str(), shapeString(x).c_str(),
            static_cast<long long>(seqAxis));
  }
  setOutputLike(out, x->dtype, x);
  return d;
}

template <class T>
void ropeTyped(const awq_tensor *x, const RopeDims &d, const std::vector<float> &cosTable,
               const std::vector<float> &sinTable, bool perBatchPositions,
               awq_rope_layout layout, awq_tensor *out) {
  const int64_t half = d.rotaryDim / 2;
  const auto *src = static_cast<const typename T::Storage *>(x->data);
  auto *dst = static_cast<typename T::Storage *>(out->data);
  const bool inPlace = out->data == x->data;
  // Pair i of a rotated vector is (first + i * pairStep, first + i * pairStep + partnerOffset).
  const int64_t pairStep = layout == AWQ_ROPE_INTERLEAVED ? 2 : 1;
  const int64_t partnerOffset = layout == AWQ_ROPE_INTERLEAVED ? 1 : half;
  const int64_t vectors = d.outer * d.positions * d.inner;
  parallelFor(vectors, 64, [&](int64_t begin, int64_t end) {
    for (int64_t vector = begin; vector < end; ++vector) {
      const int64_t s = (vector / d.inner) % d.positions;
      const int64_t o = vector / (d.inner * d.positions);
      const int64_t tableRow = perBatchPositions ? (o / d.outerPerBatch) * d.positions + s : s;
      const float *cosRow = cosTable.data() + tableRow * half;
      const float *sinRow = sinTable.data() + tableRow * half;
      const auto *in = src + vector * d.headDim;
      auto *result = dst + vector * d.headDim;
      for (int64_t i = 0; i < half; ++i) {
        const int64_t a = i * pairStep, b = a + partnerOffset;
        const float x1 = T::load(in[a]), x2 = T::load(in[b]);
        result[a] = T::store(x1 * cosRow[i] - x2 * sinRow[i]);
        result[b] = T::store(x2 * cosRow[i] + x1 * sinRow[i]);
      }
      if (!inPlace)
        for (int64_t c = d.rotaryDim; c < d.headDim; ++c)
          result[c] = in[c];
    }
  });
}

} // namespace

extern "C" {

awq_status awq_rope_shape(const awq_tensor *x, const awq_tensor *position_ids,
                          int64_t /*position_offset*/, int64_t seq_axis, int64_t rotary_dim,
                          float theta, awq_rope_layout layout, awq_tensor *out) {
  return guard("awq_rope_shape",
               [&] { ropeShape(x, position_ids, seq_axis, rotary_dim, theta, layout, out); });
}

awq_status awq_rope(const awq_tensor *x, const awq_tensor *position_ids, int64_t position_offset,
                    int64_t seq_axis, int64_t rotary_dim, float theta, awq_rope_layout layout,
                    awq_tensor *out) {
  return guard("awq_rope", [&] {
    checkData(x, "input");
    if (position_ids)
      checkData(position_ids, "position_ids");
    awq_tensor expected{};
    const RopeDims d = ropeShape(x, position_ids, seq_axis, rotary_dim, theta, layout, &expected);
    checkOutput(expected, out);

    // cos/sin for every distinct position row, computed once in double.
    const bool perBatch = position_ids && position_ids->rank == 2;
    const int64_t tableRows = position_ids ? numel(position_ids) : d.positions;
    const int64_t half = d.rotaryDim / 2;
    std::vector<double> inverseFrequency(static_cast<size_t>(half));
    for (int64_t i = 0; i < half; ++i)
      inverseFrequency[i] = std::pow(static_cast<double>(theta), -2.0 * i / d.rotaryDim);
    std::vector<float> cosTable(static_cast<size_t>(tableRows * half)),
        sinTable(static_cast<size_t>(tableRows * half));
    parallelFor(tableRows, 16, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        int64_t position = position_offset + row;
        if (position_ids)
          position = position_ids->dtype == AWQ_I64
                         ? static_cast<const int64_t *>(position_ids->data)[row]
                         : static_cast<const int32_t *>(position_ids->data)[row];
        for (int64_t i = 0; i < half; ++i) {
          const double angle = static_cast<double>(position) * inverseFrequency[i];
          cosTable[row * half + i] = static_cast<float>(std::cos(angle));
          sinTable[row * half + i] = static_cast<float>(std::sin(angle));
        }
      }
    });
    dispatchFloat(x->dtype, [&](auto traits) {
      ropeTyped<decltype(traits)>(x, d, cosTable, sinTable, perBatch, layout, out);
    });
  });
}

} // extern "C"
