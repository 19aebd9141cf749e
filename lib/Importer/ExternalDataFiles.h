//===- ExternalDataFiles.h - Memory-mapped ONNX external data ---*- C++ -*-===//
//
// Resolves the `external_data` of ONNX tensors (`location`, `offset`,
// `length`) against the model's directory, maps each data file once, and
// hands out byte ranges that share ownership of the mapping.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_LIB_IMPORTER_EXTERNALDATAFILES_H
#define AWQ_LIB_IMPORTER_EXTERNALDATAFILES_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <string>

namespace onnx {
class TensorProto;
} // namespace onnx

namespace awq {

/// The bytes of one externally stored tensor and the mapping they live in.
struct ExternalDataSlice {
  llvm::ArrayRef<char> bytes;
  std::shared_ptr<llvm::MemoryBuffer> mapping;
};

/// The external-data files of one model, each memory-mapped at most once.
class ExternalDataFiles {
public:
  /// `modelDir` is the directory locations are relative to; empty means the
  /// model came from memory and may not refer to external data.
  explicit ExternalDataFiles(llvm::StringRef modelDir) : modelDir(modelDir) {}

  /// The `expectedBytes` bytes of `tensor`'s external data. Fails when the
  /// location is absolute or leaves the model directory, when the file cannot
  /// be read, or when `offset`/`length` do not fit the file or the shape.
  llvm::Expected<ExternalDataSlice> getSlice(const ::onnx::TensorProto &tensor,
                                             uint64_t expectedBytes);

private:
  llvm::Expected<std::shared_ptr<llvm::MemoryBuffer>>
  getMapping(llvm::StringRef location);

  std::string modelDir;
  llvm::StringMap<std::shared_ptr<llvm::MemoryBuffer>> mappings;
};

} // namespace awq

#endif // AWQ_LIB_IMPORTER_EXTERNALDATAFILES_H
