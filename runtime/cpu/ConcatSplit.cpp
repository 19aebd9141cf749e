// ConcatSplit.cpp - ONNX Concat and Split along one axis.
#include "RuntimeInternal.h"

using namespace awq::rt;

namespace {

// Bytes of one "outer" block: the axis extent times everything after it.
int64_t blockBytes(const awq_tensor *t, int64_t axis) {
  int64_t bytes = static_cast<int64_t>(awq_dtype_size(t->dtype));
  for (int64_t i = axis; i < t->rank; ++i)
    bytes *= t->shape[i];
  return bytes;
}

int64_t outerCount(const awq_tensor *t, int64_t axis) {
  int64_t n = 1;
  for (int64_t i = 0; i < axis; ++i)
    n *= t->shape[i];
  return n;
}

void concatShape(const awq_tensor *const *inputs, int64_t count, int64_t axis, awq_tensor *out) {
  if (!inputs || count <= 0)
    raise("needs at least one input");
  checkDescriptor(inputs[0], "input 0");
  const awq_tensor *first = inputs[0];
  const int64_t a = normalizeAxis(axis, first->rank, "axis");
  Shape shape = shapeOf(first);
  shape[a] = 0;
  for (int64_t i = 0; i < count; ++i) {
    const std::string role = "input " + std::to_string(i);
    checkDescriptor(inputs[i], role.c_str());
    const awq_tensor *t = inputs[i];
    if (t->dtype != first->dtype)
      raise("%s is %s but input 0 is %s", role.c_str(), awq_dtype_name(t->dtype),
            awq_dtype_name(first->dtype));
    bool compatible = t->rank == first->rank;
    for (int32_t d = 0; compatible && d < t->rank; ++d)
      compatible = d == a || t->shape[d] == first->shape[d];
    if (!compatible)
      raise("%s %s does not match input 0 %s outside axis %lld", role.c_str(),
            shapeString(t).c_str(), shapeString(first).c_str(), static_cast<long long>(axis));
    shape[a] += t->shape[a];
  }
  setOutput(out, first->dtype, shape);
}

void splitShape(const awq_tensor *data, int64_t axis, const int64_t *split, int64_t numOutputs,
                awq_tensor *outputs, Shape *sizes) {
  checkDescriptor(data, "data");
  if (numOutputs <= 0 || !outputs)
    raise("needs at least one output");
  const int64_t a = normalizeAxis(axis, data->rank, "axis");
  const int64_t extent = data->shape[a];
  sizes->assign(static_cast<size_t>(numOutputs), 0);
  if (split) {
    int64_t total = 0;
    for (int64_t i = 0; i < numOutputs; ++i) {
      if (split[i] < 0)
        raise("split size %lld is negative", static_cast<long long>(split[i]));
      (*sizes)[i] = split[i];
      total += split[i];
    }
    if (total != extent)
      raise("split sizes sum to %lld but axis %lld of %s has size %lld",
            static_cast<long long>(total), static_cast<long long>(axis),
            shapeString(data).c_str(), static_cast<long long>(extent));
  } else {
    // Equal parts of ceil(extent / n); the last part takes what remains.
    const int64_t part = (extent + numOutputs - 1) / numOutputs;
    if (part * (numOutputs - 1) >= extent && extent > 0)
      raise("cannot split size %lld into %lld non-empty parts", static_cast<long long>(extent),
            static_cast<long long>(numOutputs));
    for (int64_t i = 0; i < numOutputs; ++i)
      (*sizes)[i] = std::min(part, extent - part * i);
  }
  for (int64_t i = 0; i < numOutputs; ++i) {
    Shape shape = shapeOf(data);
    shape[a] = (*sizes)[i];
    setOutput(&outputs[i], data->dtype, shape);
  }
}

} // namespace

extern "C" {

awq_status awq_concat_shape(const awq_tensor *const *inputs, int64_t count, int64_t axis,
                            awq_tensor *out) {
  return guard("awq_concat_shape", [&] { concatShape(inputs, count, axis, out); });
}

awq_status awq_concat(const awq_tensor *const *inputs, int64_t count, int64_t axis,
                      awq_tensor *out) {
  return guard("awq_concat", [&] {
    awq_tensor expected{};
    concatShape(inputs, count, axis, &expected);
    for (int64_t i = 0; i < count; ++i)
      checkData(inputs[i], ("input " + std::to_string(i)).c_str());
    checkOutput(expected, out);
    const int64_t a = normalizeAxis(axis, out->rank, "axis");
    const int64_t outer = outerCount(out, a), outBlock = blockBytes(out, a);
    auto *dst = static_cast<char *>(out->data);
    // Each outer block of the output is the inputs' blocks back to back.
    parallelFor(outer, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(outBlock, 1)),
                [&](int64_t begin, int64_t end) {
                  for (int64_t o = begin; o < end; ++o) {
                    char *cursor = dst + o * outBlock;
                    for (int64_t i = 0; i < count; ++i) {
                      const int64_t bytes = blockBytes(inputs[i], a);
                      std::memcpy(cursor, static_cast<const char *>(inputs[i]->data) + o * bytes,
                                  static_cast<size_t>(bytes));
                      cursor += bytes;
                    }
                  }
                });
  });
}

awq_status awq_split_shape(const awq_tensor *data, int64_t axis, const int64_t *split,
                           int64_t num_outputs, awq_tensor *outputs) {
  return guard("awq_split_shape", [&] {
    Shape sizes;
    splitShape(data, axis, split, num_outputs, outputs, &sizes);
  });
}

awq_status awq_split(const awq_tensor *data, int64_t axis, const int64_t *split,
                     int64_t num_outputs, awq_tensor *outputs) {
  return guard("awq_split", [&] {
    checkData(data, "data");
    const std::vector<StridedView> views = splitViews(data, axis, split, num_outputs);
    for (int64_t i = 0; i < num_outputs; ++i) {
      awq_tensor expected{};
      setOutput(&expected, data->dtype, views[i].shape);
      checkOutput(expected, &outputs[i]);
    }
    for (int64_t i = 0; i < num_outputs; ++i)
      copyView(data, views[i], outputs[i].data);
  });
}

} // extern "C"

// Part i starts where the parts before it end along the axis and steps
// through the input as the input does.
std::vector<StridedView> awq::rt::splitViews(const awq_tensor *data, int64_t axis,
                                             const int64_t *split, int64_t numOutputs) {
  Shape sizes;
  std::vector<awq_tensor> outputs(static_cast<size_t>(std::max<int64_t>(numOutputs, 0)));
  splitShape(data, axis, split, numOutputs, outputs.data(), &sizes);
  const int64_t a = normalizeAxis(axis, data->rank, "axis");
  const Shape inputStrides = contiguousStrides(shapeOf(data));
  std::vector<StridedView> views;
  int64_t start = 0;
  for (int64_t i = 0; i < numOutputs; ++i) {
    views.push_back({shapeOf(&outputs[i]), start * inputStrides[a], inputStrides});
    start += sizes[i];
  }
  return views;
}
