//===- OpKernels.h - Running one op on the runtime --------------*- C++ -*-===//
//
// The executor's dispatch: for each supported op, a kernel that reads the
// op's attributes, calls the runtime's shape and compute functions, and
// returns the result tensors. ONNX nodes are dispatched by (domain, op type);
// awq ops by their class.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_LIB_EXECUTION_OPKERNELS_H
#define AWQ_LIB_EXECUTION_OPKERNELS_H

#include "awq/Execution/HostTensor.h"

#include "mlir/IR/Operation.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

namespace awq {

using TensorList = llvm::SmallVector<HostTensor, 1>;

/// Runs `op` on `operands` (null tensors for `none` operands).
using OpKernel = llvm::Expected<TensorList> (*)(
    mlir::Operation *op, llvm::ArrayRef<const HostTensor *> operands);

/// The kernel for an onnx.node of `domain`/`opType` (domain "" or
/// "ai.onnx" for the default domain), or null when it is not supported.
OpKernel lookupONNXKernel(llvm::StringRef domain, llvm::StringRef opType);
/// The kernel for an awq op, or null when it has none.
OpKernel lookupAWQKernel(mlir::Operation *op);

/// The value of a constant attribute as a tensor: borrows the attribute's
/// bytes (resource blobs stay where they are mapped) where the layout
/// matches, and copies splats and packed booleans.
llvm::Expected<HostTensor> tensorFromElements(mlir::ElementsAttr elements);

/// Calls a runtime op: `shapeFn(out)` describes the result, which is then
/// allocated and filled by `computeFn(out)`; a failing status becomes an error
/// carrying the runtime's message.
llvm::Expected<HostTensor>
callRuntime(llvm::function_ref<awq_status(awq_tensor *)> shapeFn,
            llvm::function_ref<awq_status(awq_tensor *)> computeFn);

/// Runs the runtime's elementwise `kind` on `x` (activations included: GELU
/// and SiLU are unary ops of the runtime).
llvm::Expected<HostTensor> callUnary(awq_unary_op kind, const awq_tensor *x);

/// Wraps the one result of a runtime call as a kernel's result list.
llvm::Expected<TensorList> singleResult(llvm::Expected<HostTensor> tensor);

/// An error whose message is `message`.
llvm::Error makeError(const llvm::Twine &message);

} // namespace awq

#endif // AWQ_LIB_EXECUTION_OPKERNELS_H
