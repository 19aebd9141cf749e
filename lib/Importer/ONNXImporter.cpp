//===- ONNXImporter.cpp - Import ONNX models into the onnx dialect --------===//
//
// Entry points: parse the protobuf, check the model's versions, run shape
// inference, and build the module with the model's metadata as attributes.
//
//===----------------------------------------------------------------------===//

#include "awq/Importer/ONNXImporter.h"

#include "GraphImporter.h"
#include "ShapeInference.h"
#include "TensorImporter.h"

#include "awq/Dialect/ONNX/ONNXDialect.h"
#include "awq/Importer/ONNXAttributeNames.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>
#include <onnx/onnx_pb.h>

#include <climits>

using namespace mlir;
using namespace awq;

/// The IR versions awq reads: 3 introduced opset_import; 11 is the newest
/// awq is tested with.
static constexpr int64_t kMinIRVersion = 3;
static constexpr int64_t kMaxIRVersion = 11;
/// The newest default-domain opset awq reads. libonnx 1.12's shape inference
/// knows opsets up to 17; values of newer ops keep their declared types.
static constexpr int64_t kMaxDefaultOpset = 21;
/// Protobuf cannot represent messages of 2 GB or more.
static constexpr size_t kMaxProtobufBytes = INT_MAX;

/// Parses `bytes` as a ModelProto, allowing up to protobuf's 2 GB limit
/// (the default limit of 64 MB rejects models with embedded weights).
static std::unique_ptr<::onnx::ModelProto>
parseModelProto(llvm::StringRef bytes, Location fileLoc) {
  if (bytes.size() > kMaxProtobufBytes) {
    emitError(fileLoc) << "is larger than protobuf's 2 GB limit; store the "
                          "weights as external data";
    return nullptr;
  }
  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t *>(bytes.data()),
      static_cast<int>(bytes.size()));
  stream.SetTotalBytesLimit(INT_MAX);
  auto model = std::make_unique<::onnx::ModelProto>();
  if (!model->ParseFromCodedStream(&stream) ||
      !stream.ConsumedEntireMessage()) {
    emitError(fileLoc)
        << "is not an ONNX model: the protobuf is truncated or corrupt";
    return nullptr;
  }
  return model;
}

/// Reads `opset_import` into a map from domain ("" for ai.onnx) to version,
/// rejecting duplicates and versions awq does not read.
static LogicalResult readOpsets(const ::onnx::ModelProto &model,
                                Location fileLoc,
                                llvm::StringMap<int64_t> &opsets) {
  for (const ::onnx::OperatorSetIdProto &opset : model.opset_import()) {
    llvm::StringRef domain = opset.domain();
    if (domain == "ai.onnx")
      domain = "";
    if (opset.version() < 1)
      return emitError(fileLoc) << "opset_import of domain '" << domain
                                << "' has invalid version " << opset.version();
    if (!opsets.try_emplace(domain, opset.version()).second)
      return emitError(fileLoc)
             << "opset_import lists domain '" << domain << "' twice";
    if (domain.empty() && opset.version() > kMaxDefaultOpset)
      return emitError(fileLoc) << "unsupported opset " << opset.version()
                                << " of the default domain (awq reads up to "
                                << kMaxDefaultOpset << ")";
  }
  return success();
}

/// Records the model's metadata on `module` so that export can reproduce it.
static void setModelAttributes(ModuleOp module, const ::onnx::ModelProto &model,
                               const llvm::StringMap<int64_t> &opsets) {
  Builder builder(module.getContext());
  module->setAttr(kIRVersionAttrName,
                  builder.getI64IntegerAttr(model.ir_version()));
  SmallVector<NamedAttribute> opsetAttrs;
  for (const auto &opset : opsets)
    opsetAttrs.push_back(builder.getNamedAttr(
        opset.getKey().empty() ? "ai.onnx" : opset.getKey(),
        builder.getI64IntegerAttr(opset.getValue())));
  module->setAttr(kOpsetImportsAttrName, builder.getDictionaryAttr(opsetAttrs));
  auto setIfPresent = [&](llvm::StringRef name, const std::string &value) {
    if (!value.empty())
      module->setAttr(name, builder.getStringAttr(value));
  };
  setIfPresent(kProducerNameAttrName, model.producer_name());
  setIfPresent(kProducerVersionAttrName, model.producer_version());
  setIfPresent(kModelDomainAttrName, model.domain());
  setIfPresent(kDocStringAttrName, model.doc_string());
  if (model.model_version() != 0)
    module->setAttr(kModelVersionAttrName,
                    builder.getI64IntegerAttr(model.model_version()));
  SmallVector<NamedAttribute> metadata;
  for (const ::onnx::StringStringEntryProto &entry : model.metadata_props())
    if (!entry.key().empty())
      metadata.push_back(builder.getNamedAttr(
          entry.key(), builder.getStringAttr(entry.value())));
  if (!metadata.empty())
    module->setAttr(kMetadataPropsAttrName,
                    builder.getDictionaryAttr(metadata));
}

/// Checks and imports a parsed model.
static FailureOr<OwningOpRef<ModuleOp>>
importModel(::onnx::ModelProto &model, Location fileLoc,
            llvm::StringRef externalDataDir, const ImportOptions &options) {
  MLIRContext &context = *fileLoc->getContext();
  if (!model.has_ir_version() || !model.has_graph())
    return emitError(fileLoc)
           << "is not an ONNX model: it has no ir_version or no graph";
  if (model.ir_version() < kMinIRVersion || model.ir_version() > kMaxIRVersion)
    return emitError(fileLoc)
           << "unsupported ONNX IR version " << model.ir_version()
           << " (awq reads " << kMinIRVersion << " to " << kMaxIRVersion << ")";
  if (model.graph().sparse_initializer_size() != 0)
    return emitError(fileLoc) << "sparse initializers are not supported";
  llvm::StringMap<int64_t> opsets;
  if (failed(readOpsets(model, fileLoc, opsets)))
    return failure();

  TensorImporter tensors(context, externalDataDir, options.maxInlineElements);
  GraphImporter graph(model, tensors, opsets, fileLoc);
  if (failed(graph.prepare()))
    return failure();
  if (options.runShapeInference)
    if (std::optional<std::string> failure = inferONNXShapes(model))
      emitWarning(fileLoc) << "ONNX shape inference stopped (" << *failure
                           << "); values keep the types the model declares";

  context.loadDialect<awq::onnx::ONNXDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  setModelAttributes(*module, model, opsets);
  if (failed(graph.importInto(*module)))
    return failure();
  return module;
}

FailureOr<OwningOpRef<ModuleOp>>
awq::importONNXBuffer(llvm::StringRef bytes, llvm::StringRef bufferName,
                      llvm::StringRef externalDataDir, MLIRContext &context,
                      const ImportOptions &options) {
  Location fileLoc = FileLineColLoc::get(&context, bufferName, 0, 0);
  std::unique_ptr<::onnx::ModelProto> model = parseModelProto(bytes, fileLoc);
  if (!model)
    return failure();
  return importModel(*model, fileLoc, externalDataDir, options);
}

FailureOr<OwningOpRef<ModuleOp>>
awq::importONNXFile(llvm::StringRef path, MLIRContext &context,
                    const ImportOptions &options) {
  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  // Mapped, not read: the protobuf parser copies what it keeps.
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer)
    return emitError(fileLoc)
           << "cannot read the model: " << buffer.getError().message();
  std::unique_ptr<::onnx::ModelProto> model =
      parseModelProto((*buffer)->getBuffer(), fileLoc);
  if (!model)
    return failure();
  buffer->reset();
  llvm::StringRef directory = llvm::sys::path::parent_path(path);
  return importModel(*model, fileLoc, directory.empty() ? "." : directory,
                     options);
}
