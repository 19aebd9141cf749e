//===- NumpyFile.h - Read and write NumPy .npy files ------------*- C++ -*-===//
//
// The NumPy .npy format (versions 1.0 and 2.0 read, 1.0 written): a magic
// string, a Python-literal header giving dtype, order and shape, then the raw
// little-endian C-order data. Only the dtypes the runtime holds are
// supported; bfloat16 has no NumPy dtype and is rejected.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_EXECUTION_NUMPYFILE_H
#define AWQ_EXECUTION_NUMPYFILE_H

#include "awq/Execution/HostTensor.h"

#include "llvm/Support/Error.h"

namespace awq {

/// Reads the .npy file at `path` into a new tensor. Fails with a message
/// naming the file for a missing, malformed, Fortran-ordered or big-endian
/// file, or a dtype the runtime does not hold.
llvm::Expected<HostTensor> readNumpyFile(llvm::StringRef path);

/// Writes `tensor` to `path` as a version 1.0 .npy file. The file appears
/// atomically (written to a temporary file, then renamed).
llvm::Error writeNumpyFile(llvm::StringRef path, const HostTensor &tensor);

} // namespace awq

#endif // AWQ_EXECUTION_NUMPYFILE_H
