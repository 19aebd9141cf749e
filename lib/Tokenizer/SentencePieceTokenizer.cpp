//===- SentencePieceTokenizer.cpp - SentencePiece `.model` vocabularies ---===//
//
// Delegates to Debian's libsentencepiece, so encoding (normalization, the
// dummy-prefix space, byte fallback) is exactly SentencePiece's own. The
// library is reached through a shim module opened with RTLD_DEEPBIND, which
// keeps its bundled protobuf apart from the importer's (SentencePieceShim.h).
//
//===----------------------------------------------------------------------===//

#include "SentencePieceShim.h"
#include "TokenizerFormats.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <dlfcn.h>

using namespace awq;

namespace {

/// The shim's entry points, resolved once.
struct ShimFunctions {
  decltype(&awq_sp_load) load;
  decltype(&awq_sp_destroy) destroy;
  decltype(&awq_sp_encode) encode;
  decltype(&awq_sp_decode) decode;
  decltype(&awq_sp_bos_id) bosId;
};

/// A malloc'ed string from the shim, as a std::string.
std::string takeString(char *text) {
  std::string copy = text ? text : "";
  std::free(text);
  return copy;
}

/// Opens the shim, which sits in the `lib` folder beside the tools' `bin`.
llvm::Expected<const ShimFunctions *> openShim() {
  static std::optional<ShimFunctions> functions;
  static std::string failure;
  if (functions)
    return &*functions;
  if (failure.empty()) {
    // Any address in this program locates its executable.
    static int anchor;
    llvm::SmallString<256> path(
        llvm::sys::fs::getMainExecutable(nullptr, &anchor));
    llvm::sys::path::remove_filename(path);
    llvm::sys::path::append(path, "..", "lib", "libAWQSentencePieceShim.so");
    void *module = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!module) {
      failure = llvm::formatv("cannot load the SentencePiece shim: {0}", dlerror());
      return llvm::createStringError(failure);
    }
    auto resolve = [&](const char *name) { return dlsym(module, name); };
    functions = ShimFunctions{
        reinterpret_cast<decltype(&awq_sp_load)>(resolve("awq_sp_load")),
        reinterpret_cast<decltype(&awq_sp_destroy)>(resolve("awq_sp_destroy")),
        reinterpret_cast<decltype(&awq_sp_encode)>(resolve("awq_sp_encode")),
        reinterpret_cast<decltype(&awq_sp_decode)>(resolve("awq_sp_decode")),
        reinterpret_cast<decltype(&awq_sp_bos_id)>(resolve("awq_sp_bos_id"))};
    if (!functions->load || !functions->destroy || !functions->encode ||
        !functions->decode || !functions->bosId) {
      functions.reset();
      failure = "the SentencePiece shim lacks an entry point";
    }
  }
  if (!failure.empty())
    return llvm::createStringError(failure);
  return &*functions;
}

class SentencePieceTokenizer final : public Tokenizer {
public:
  SentencePieceTokenizer(const ShimFunctions &shim, awq_sp_processor *processor)
      : shim(shim), processor(processor) {}
  ~SentencePieceTokenizer() override { shim.destroy(processor); }

  llvm::Expected<std::vector<int64_t>> encode(llvm::StringRef text) const override {
    int64_t *ids = nullptr;
    size_t count = 0;
    char *error = nullptr;
    if (shim.encode(processor, text.data(), text.size(), &ids, &count, &error))
      return llvm::createStringError("SentencePiece cannot encode the text: " +
                                     takeString(error));
    std::vector<int64_t> result(ids, ids + count);
    std::free(ids);
    return result;
  }

  std::string decode(llvm::ArrayRef<int64_t> ids) const override {
    std::vector<int64_t> kept;
    for (int64_t id : ids)
      if (id != shim.bosId(processor))
        kept.push_back(id);
    return takeString(shim.decode(processor, kept.data(), kept.size()));
  }

  std::optional<int64_t> bosId() const override {
    int64_t id = shim.bosId(processor);
    return id >= 0 ? std::optional<int64_t>(id) : std::nullopt;
  }

private:
  const ShimFunctions &shim;
  awq_sp_processor *processor;
};

} // namespace

llvm::Expected<std::unique_ptr<Tokenizer>>
awq::loadSentencePieceTokenizer(llvm::StringRef path) {
  llvm::Expected<const ShimFunctions *> shim = openShim();
  if (!shim)
    return shim.takeError();
  char *error = nullptr;
  awq_sp_processor *processor = (*shim)->load(path.str().c_str(), &error);
  if (!processor)
    return llvm::createStringError(llvm::formatv(
        "cannot load SentencePiece model '{0}': {1}", path, takeString(error)));
  return std::make_unique<SentencePieceTokenizer>(**shim, processor);
}
