//===- RegionFunction.h - Run part of a function on the executor -*- C++ -*-===//
//
// Calibration runs one residual block (or the prologue before the residual
// stream) at a time: the block's ops are cloned into a function of their
// own, whose arguments are the values read from outside and, for the
// linears being searched, their weights, so candidate weights can be fed
// without rebuilding anything.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_LIB_TRANSFORMS_REGIONFUNCTION_H
#define AWQ_LIB_TRANSFORMS_REGIONFUNCTION_H

#include "awq/Dialect/AWQ/AWQDialect.h"
#include "awq/Execution/Executor.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/DenseMap.h"

#include <memory>
#include <vector>

namespace awq {

class RegionFunction {
public:
  /// Clones `ops` (program order) into a new function returning `outputs`.
  /// Arguments, in order: `inputs`, then the weights of `weightLinears`.
  /// Constants are cloned in; any other value read from outside is an error.
  static mlir::FailureOr<std::unique_ptr<RegionFunction>>
  build(llvm::ArrayRef<mlir::Operation *> ops, llvm::ArrayRef<mlir::Value> inputs,
        llvm::ArrayRef<mlir::Value> outputs,
        llvm::ArrayRef<LinearOp> weightLinears);

  /// Runs on `inputs` followed by one weight per weight linear (in the
  /// linear's stored layout); `observer` sees the original ops.
  llvm::Expected<std::vector<HostTensor>>
  run(std::vector<HostTensor> inputs, llvm::ArrayRef<HostTensor> weights,
      llvm::function_ref<void(mlir::Operation *original,
                              llvm::ArrayRef<const HostTensor *> operands)>
          observer = nullptr);

private:
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::unique_ptr<Executor> executor;
  llvm::DenseMap<mlir::Operation *, mlir::Operation *> originalOf;
};

/// A tensor holding `values` (row-major) with `shape`.
HostTensor makeTensor(llvm::ArrayRef<float> values, llvm::ArrayRef<int64_t> shape);

/// `linear`'s weight given as [N, K] row-major, in the linear's stored layout.
HostTensor weightTensorForLinear(LinearOp linear, llvm::ArrayRef<float> weightNK);

} // namespace awq

#endif // AWQ_LIB_TRANSFORMS_REGIONFUNCTION_H
