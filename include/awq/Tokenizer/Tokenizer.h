//===- Tokenizer.h - Text to token ids and back -----------------*- C++ -*-===//
//
// The small interface awq-run scores and generates text through, with one
// implementation per vocabulary format: llama2.c `.bin`, SentencePiece
// `.model`, and pre-tokenized token-id files for any other vocabulary.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_TOKENIZER_TOKENIZER_H
#define AWQ_TOKENIZER_TOKENIZER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace awq {

class Tokenizer {
public:
  virtual ~Tokenizer();

  /// The ids of `text`, without a BOS token.
  virtual llvm::Expected<std::vector<int64_t>> encode(llvm::StringRef text) const = 0;
  /// The text of `ids` (a BOS id among them is dropped).
  virtual std::string decode(llvm::ArrayRef<int64_t> ids) const = 0;
  /// The id that starts a sequence, or std::nullopt when the format has none
  /// (token-id files carry their BOS, if any, themselves).
  virtual std::optional<int64_t> bosId() const = 0;
};

/// The value of `--tokenizer` that reads text inputs as whitespace-separated
/// token ids instead of text.
inline constexpr llvm::StringLiteral kTokenIdsTokenizer = "token-ids";

/// Loads the tokenizer `spec` names: a llama2.c `.bin` file, a SentencePiece
/// `.model` file, or `token-ids`. Fails with a message naming the file for an
/// unknown format, a missing file or a malformed one.
llvm::Expected<std::unique_ptr<Tokenizer>> loadTokenizer(llvm::StringRef spec);

} // namespace awq

#endif // AWQ_TOKENIZER_TOKENIZER_H
