//===- ONNXAttributeNames.h - Attributes holding ONNX metadata --*- C++ -*-===//
//
// Names of the discardable attributes through which an imported module keeps
// what the ONNX model said beyond its nodes, so that export can reproduce it.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_IMPORTER_ONNXATTRIBUTENAMES_H
#define AWQ_IMPORTER_ONNXATTRIBUTENAMES_H

#include "llvm/ADT/StringRef.h"

namespace awq {

// On the module.
/// i64: the model's `ir_version`.
inline constexpr llvm::StringLiteral kIRVersionAttrName = "onnx.ir_version";
/// Dictionary: imported domain (`ai.onnx` for the default one) -> version.
inline constexpr llvm::StringLiteral kOpsetImportsAttrName =
    "onnx.opset_imports";
/// Strings, present when the model sets them.
inline constexpr llvm::StringLiteral kProducerNameAttrName =
    "onnx.producer_name";
inline constexpr llvm::StringLiteral kProducerVersionAttrName =
    "onnx.producer_version";
inline constexpr llvm::StringLiteral kModelDomainAttrName = "onnx.domain";
inline constexpr llvm::StringLiteral kDocStringAttrName = "onnx.doc_string";
/// i64, present when not 0.
inline constexpr llvm::StringLiteral kModelVersionAttrName =
    "onnx.model_version";
/// Dictionary of strings: the model's `metadata_props`.
inline constexpr llvm::StringLiteral kMetadataPropsAttrName =
    "onnx.metadata_props";

// On the graph's function, its arguments and results.
/// String: the graph's name as written in the model.
inline constexpr llvm::StringLiteral kGraphNameAttrName = "onnx.graph_name";
/// Array of strings: the graph's output names, in order.
inline constexpr llvm::StringLiteral kOutputNamesAttrName = "onnx.output_names";
/// Argument attribute, string: the graph input's name.
inline constexpr llvm::StringLiteral kValueNameAttrName = "onnx.name";
/// Argument/result attribute, array of strings: per dimension its symbolic
/// name (`dim_param`), or "" for dimensions that have none.
inline constexpr llvm::StringLiteral kDimParamsAttrName = "onnx.dim_params";

// On `onnx.initializer`.
/// Unit: the weight was stored as external data in the imported model.
inline constexpr llvm::StringLiteral kExternalDataAttrName =
    "onnx.external_data";

} // namespace awq

#endif // AWQ_IMPORTER_ONNXATTRIBUTENAMES_H
