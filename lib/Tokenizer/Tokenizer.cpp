//===- Tokenizer.cpp - Pick the tokenizer format from its name ------------===//

#include "awq/Tokenizer/Tokenizer.h"

#include "TokenizerFormats.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

using namespace awq;

Tokenizer::~Tokenizer() = default;

llvm::Expected<std::unique_ptr<Tokenizer>> awq::loadTokenizer(llvm::StringRef spec) {
  if (spec == kTokenIdsTokenizer)
    return createTokenIdTokenizer();
  if (!llvm::sys::fs::exists(spec))
    return llvm::createStringError(
        llvm::formatv("tokenizer '{0}' does not exist", spec));
  llvm::StringRef extension = llvm::sys::path::extension(spec);
  if (extension == ".bin")
    return loadLlama2cTokenizer(spec);
  if (extension == ".model")
    return loadSentencePieceTokenizer(spec);
  return llvm::createStringError(llvm::formatv(
      "unknown tokenizer format '{0}': expected a llama2.c .bin file, a "
      "SentencePiece .model file, or '{1}'",
      spec, kTokenIdsTokenizer));
}
