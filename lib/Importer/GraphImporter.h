//===- GraphImporter.h - ONNX GraphProto -> func.func -----------*- C++ -*-===//
//
// Builds the `func.func` of one ONNX graph: arguments for the graph inputs,
// `onnx.initializer` ops for the initializers, one `onnx.node` per node in
// topological order, and `func.return` of the graph outputs.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_LIB_IMPORTER_GRAPHIMPORTER_H
#define AWQ_LIB_IMPORTER_GRAPHIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <string>
#include <vector>

namespace onnx {
class GraphProto;
class ModelProto;
class NodeProto;
class TypeProto;
} // namespace onnx

namespace awq {

class TensorImporter;

/// Imports the main graph of one model. Use in two steps: `prepare` (before
/// shape inference, which expects a well-formed graph), then `importInto`.
class GraphImporter {
public:
  /// `opsets` maps each imported domain ("" for ai.onnx) to its version;
  /// diagnostics are emitted at `fileLoc`.
  GraphImporter(::onnx::ModelProto &model, TensorImporter &tensors,
                const llvm::StringMap<int64_t> &opsets, mlir::Location fileLoc);

  /// Checks names (no duplicates, every input defined), node domains and
  /// graph input types, and computes the function's arguments and a
  /// topological order of the nodes; emits an error naming the node at fault.
  mlir::LogicalResult prepare();

  /// Adds the graph's function to `module`. Requires `prepare`.
  mlir::LogicalResult importInto(mlir::ModuleOp module);

private:
  /// How node `index` is named in messages: `node 'name' (OpType)`.
  std::string describeNode(int index) const;
  /// The MLIR type (and symbolic dim names, "" for others) of a value's
  /// declared ONNX type; null when its element type is not known.
  mlir::FailureOr<mlir::Type>
  importValueType(const ::onnx::TypeProto &type, llvm::StringRef what,
                  llvm::SmallVectorImpl<mlir::Attribute> *dimParams);
  /// Rejects nodes of domains the model does not import, calls of model-local
  /// functions and subgraph attributes.
  mlir::LogicalResult checkNodeIsSupported(int index);
  /// Fills the argument lists from the graph inputs without initializers.
  mlir::LogicalResult importArgumentTypes();
  mlir::LogicalResult importNode(::onnx::NodeProto &node, int index,
                                 mlir::OpBuilder &builder);

  ::onnx::ModelProto &model;
  ::onnx::GraphProto &graph;
  TensorImporter &tensors;
  const llvm::StringMap<int64_t> &opsets;
  mlir::Location fileLoc;

  llvm::StringSet<> initializerNames;
  /// Names of graph inputs and initializers (values no node may redefine).
  llvm::StringSet<> graphDefinedNames;
  /// The declared ONNX type of each value that has one.
  llvm::StringMap<const ::onnx::TypeProto *> declaredTypes;
  std::vector<int> nodeOrder;
  llvm::SmallVector<mlir::Type> argumentTypes;
  llvm::SmallVector<mlir::DictionaryAttr> argumentAttrs;
  llvm::SmallVector<std::string> argumentNames;
  llvm::StringMap<mlir::Value> values;
  mlir::Value noneValue;
};

} // namespace awq

#endif // AWQ_LIB_IMPORTER_GRAPHIMPORTER_H
