//===- Linker.h - Linking a model library -----------------------*- C++ -*-===//

#ifndef AWQ_LIB_COMPILER_LINKER_H
#define AWQ_LIB_COMPILER_LINKER_H

#include "llvm/Support/Error.h"

namespace awq {

/// Links `objectPath` with the runtime archives into the shared library
/// `libraryPath`, exporting only the awq_model_* API (a version script hides
/// the runtime, so a host linking its own runtime copy cannot clash). Uses the
/// C++ driver the project was built with; its output is in the error.
/// `backend`: the host one, the device one (AWQCudaModelRuntime) with the
/// CUDA libraries, or the device one on the CUDA emulator (the same backend
/// and kernels built for the CPU: runtime/cuda/emulator); the CUDA ones are
/// an error when this build has no CUDA.
enum class LinkedBackend { Host, CudaDevice, CudaEmulator };
llvm::Error linkModelLibrary(llvm::StringRef objectPath, llvm::StringRef libraryPath,
                             LinkedBackend backend = LinkedBackend::Host);

} // namespace awq

#endif // AWQ_LIB_COMPILER_LINKER_H
