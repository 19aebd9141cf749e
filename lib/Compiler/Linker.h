//===- Linker.h - Linking a model library -----------------------*- C++ -*-===//

#ifndef AWQ_LIB_COMPILER_LINKER_H
#define AWQ_LIB_COMPILER_LINKER_H

#include "llvm/Support/Error.h"

namespace awq {

/// Links `objectPath` with the runtime archives into the shared library
/// `libraryPath`, exporting only the awq_model_* API (a version script hides
/// the runtime, so a host linking its own runtime copy cannot clash). Uses the
/// C++ driver the project was built with; its output is in the error.
/// `cuda`: the device backend (AWQCudaModelRuntime) and the CUDA libraries
/// instead of the host backend; an error when this build has no CUDA.
llvm::Error linkModelLibrary(llvm::StringRef objectPath, llvm::StringRef libraryPath,
                             bool cuda = false);

} // namespace awq

#endif // AWQ_LIB_COMPILER_LINKER_H
