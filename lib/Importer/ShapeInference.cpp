//===- ShapeInference.cpp - Run libonnx shape inference safely ------------===//
//
// The only file of awq built with C++ exceptions: libonnx reports inference
// failures by throwing.
//
//===----------------------------------------------------------------------===//

#include "ShapeInference.h"

#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <exception>
#include <utility>
#include <vector>

/// Initializers up to this size keep their bytes during inference: operators
/// such as Reshape or Slice read shape-like inputs' values. Weights are larger
/// and only their type and dims matter, so their bytes are set aside.
static constexpr size_t kMaxInferenceDataBytes = 4096;

std::optional<std::string> awq::inferONNXShapes(::onnx::ModelProto &model) {
  // Setting the payload aside is a string swap, so no weights are copied.
  std::vector<std::pair<::onnx::TensorProto *, std::string>> setAside;
  for (::onnx::TensorProto &initializer :
       *model.mutable_graph()->mutable_initializer()) {
    if (initializer.raw_data().size() <= kMaxInferenceDataBytes)
      continue;
    setAside.emplace_back(&initializer, std::string());
    setAside.back().second.swap(*initializer.mutable_raw_data());
  }
  std::optional<std::string> failure;
  try {
    ::onnx::shape_inference::InferShapes(model);
  } catch (const std::exception &error) {
    failure = error.what();
  }
  for (auto &[initializer, rawData] : setAside)
    initializer->mutable_raw_data()->swap(rawData);
  return failure;
}
