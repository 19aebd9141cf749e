//===- ShapeInference.h - Run libonnx shape inference safely ----*- C++ -*-===//

#ifndef AWQ_LIB_IMPORTER_SHAPEINFERENCE_H
#define AWQ_LIB_IMPORTER_SHAPEINFERENCE_H

#include <optional>
#include <string>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace awq {

/// Adds the types libonnx's shape inference finds for `model`'s values to its
/// `value_info`. libonnx throws on operators and opsets newer than it knows;
/// that is caught here and returned as a message (the model keeps the
/// `value_info` it had). Returns std::nullopt on success.
std::optional<std::string> inferONNXShapes(::onnx::ModelProto &model);

} // namespace awq

#endif // AWQ_LIB_IMPORTER_SHAPEINFERENCE_H
