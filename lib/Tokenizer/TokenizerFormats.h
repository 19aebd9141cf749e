//===- TokenizerFormats.h - The loaders of each tokenizer format -*- C++ -*-===//

#ifndef AWQ_LIB_TOKENIZER_TOKENIZERFORMATS_H
#define AWQ_LIB_TOKENIZER_TOKENIZERFORMATS_H

#include "awq/Tokenizer/Tokenizer.h"

namespace awq {

/// A llama2.c tokenizer `.bin` file.
llvm::Expected<std::unique_ptr<Tokenizer>> loadLlama2cTokenizer(llvm::StringRef path);
/// A SentencePiece `.model` file.
llvm::Expected<std::unique_ptr<Tokenizer>> loadSentencePieceTokenizer(llvm::StringRef path);
/// Text that is already whitespace-separated token ids.
std::unique_ptr<Tokenizer> createTokenIdTokenizer();

} // namespace awq

#endif // AWQ_LIB_TOKENIZER_TOKENIZERFORMATS_H
