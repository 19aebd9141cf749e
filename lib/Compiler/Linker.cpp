//===- Linker.cpp - Linking a model library -------------------------------===//

#include "Linker.h"

#include "awq/Compiler/Compile.h"

#include "awq/Compiler/RuntimeLinkConfig.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <vector>

using namespace llvm;

namespace awq {

bool hasCudaTarget() { return AWQ_HAVE_CUDA_TARGET != 0; }

Error linkModelLibrary(StringRef objectPath, StringRef libraryPath, LinkedBackend backend) {
  const bool cuda = backend != LinkedBackend::Host;
#if !AWQ_HAVE_CUDA_TARGET
  if (cuda)
    return createStringError(inconvertibleErrorCode(),
                             "--target=cuda: this awq-compile was built without CUDA (no nvcc "
                             "was found when it was configured), so it has no GPU runtime to "
                             "link; rebuild with the CUDA toolkit installed");
#endif
  // Export the public API only.
  SmallString<128> versionScript, linkLog;
  if (std::error_code ec =
          sys::fs::createTemporaryFile("awq-model", "map", versionScript))
    return createStringError(ec, "cannot create a version script: " + ec.message());
  if (std::error_code ec = sys::fs::createTemporaryFile("awq-link", "log", linkLog))
    return createStringError(ec, "cannot create a temporary file: " + ec.message());
  llvm::scope_exit cleanup([&] {
    sys::fs::remove(versionScript);
    sys::fs::remove(linkLog);
  });
  {
    std::error_code ec;
    raw_fd_ostream script(versionScript, ec);
    if (ec)
      return createStringError(ec, "cannot write the version script: " + ec.message());
    script << "{ global: awq_model_*; local: *; };\n";
  }

  // The API lives in archive members nothing in the object references; the
  // backend is the host one or, for --target=cuda, the device one.
  std::vector<std::string> args = {AWQ_LINK_DRIVER, "-shared", "-fuse-ld=lld", "-o",
                                   libraryPath.str(), objectPath.str(), "-Wl,--whole-archive",
                                   AWQ_MODEL_API_ARCHIVE};
#if AWQ_HAVE_CUDA_TARGET
  if (backend == LinkedBackend::CudaDevice) {
    args.push_back(AWQ_CUDA_MODEL_RUNTIME_ARCHIVE);
    args.push_back("-Wl,--no-whole-archive");
    args.push_back(AWQ_CUDA_RUNTIME_ARCHIVE);
  } else if (backend == LinkedBackend::CudaEmulator) {
    args.push_back(AWQ_CUDA_EMULATED_MODEL_RUNTIME_ARCHIVE);
    args.push_back("-Wl,--no-whole-archive");
    args.push_back(AWQ_CUDA_EMULATED_RUNTIME_ARCHIVE);
    args.push_back(AWQ_CUDA_EMULATOR_ARCHIVE);
  }
#endif
  if (!cuda) {
    args.push_back(AWQ_MODEL_RUNTIME_ARCHIVE);
    args.push_back("-Wl,--no-whole-archive");
  }
  args.insert(args.end(), {AWQ_RUNTIME_ARCHIVE, "-Wl,--version-script=" + versionScript.str().str(),
                           "-Wl,-Bsymbolic", "-Wl,-z,noexecstack"});
  for (const char *flag : AWQ_RUNTIME_LINK_FLAGS)
    if (*flag)
      args.push_back(flag);
#if AWQ_HAVE_CUDA_TARGET
  if (backend == LinkedBackend::CudaDevice)
    for (const char *flag : AWQ_CUDA_LINK_FLAGS)
      if (*flag)
        args.push_back(flag);
#endif
  std::vector<StringRef> argRefs(args.begin(), args.end());

  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(linkLog),
                                          StringRef(linkLog)};
  std::string message;
  int status = sys::ExecuteAndWait(args[0], argRefs, /*Env=*/std::nullopt, redirects,
                                   /*SecondsToWait=*/0, /*MemoryLimit=*/0, &message);
  if (status == 0)
    return Error::success();
  std::string log;
  if (auto buffer = MemoryBuffer::getFile(linkLog))
    log = (*buffer)->getBuffer().trim().str();
  std::string command = llvm::join(args, " ");
  return createStringError(
      inconvertibleErrorCode(),
      formatv("linking the model library failed (exit {0}{1}{2}):\n  {3}\n{4}", status,
              message.empty() ? "" : ", ", message, command, log));
}

} // namespace awq
