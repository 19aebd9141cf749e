//===- RunnableModel.h - What awq-run runs ----------------------*- C++ -*-===//
//
// awq-run runs two kinds of model through one interface, so interpreted and
// compiled runs are measured and compared with the same tool: IR on the
// executor, and a shared library made by awq-compile (through its C API,
// awq_model.h).
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_TOOLS_AWQRUN_RUNNABLEMODEL_H
#define AWQ_TOOLS_AWQRUN_RUNNABLEMODEL_H

#include "awq/Execution/Executor.h"

#include <memory>
#include <optional>

namespace awq {

class RunnableModel {
public:
  virtual ~RunnableModel() = default;
  virtual llvm::ArrayRef<TensorSignature> inputs() const = 0;
  virtual llvm::ArrayRef<TensorSignature> outputs() const = 0;
  /// Runs on `inputs` (in input order); the results own their memory.
  virtual llvm::Expected<std::vector<HostTensor>> run(llvm::ArrayRef<HostTensor> inputs) = 0;
  /// Keeps output `output` inside the model after every run and feeds it to
  /// input `input` of the next (awq_model_carry_output), so a KV cache is not
  /// copied out and back in at every step; the kept outputs come back from
  /// run() as null tensors. Returns false when the model cannot (the
  /// executor, or a library built before the API had it): the caller then
  /// passes the tensors itself.
  virtual llvm::Expected<bool> carryOutput(size_t output, size_t input) { return false; }
  /// The next run reads every input from the caller again (a new sequence).
  virtual void resetCarried() {}
  /// The model's metadata entry `key` (compiled libraries only; the IR's
  /// metadata is read from the module).
  virtual std::optional<llvm::StringRef> metadata(llvm::StringRef key) const {
    return std::nullopt;
  }
};

/// `executor` as a RunnableModel (it must outlive the result).
std::unique_ptr<RunnableModel> wrapExecutor(Executor &executor);

/// Loads a library made by awq-compile and creates its model; the error
/// names the library and what is missing or failed.
llvm::Expected<std::unique_ptr<RunnableModel>> loadModelLibrary(llvm::StringRef path);

} // namespace awq

#endif // AWQ_TOOLS_AWQRUN_RUNNABLEMODEL_H
