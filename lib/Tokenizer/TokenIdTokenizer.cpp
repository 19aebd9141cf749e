//===- TokenIdTokenizer.cpp - Pre-tokenized text: token ids ---------------===//
//
// For vocabularies awq-run does not implement, text is tokenized elsewhere
// (e.g. utils/tokenize_hf.py) and given as whitespace-separated integers;
// documents stay separated by blank lines. No BOS is added: the file holds
// whatever ids the model should see.
//
//===----------------------------------------------------------------------===//

#include "TokenizerFormats.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

using namespace awq;

namespace {

class TokenIdTokenizer final : public Tokenizer {
public:
  llvm::Expected<std::vector<int64_t>> encode(llvm::StringRef text) const override {
    std::vector<int64_t> ids;
    llvm::SmallVector<llvm::StringRef> fields;
    llvm::SplitString(text, fields, " \t\r\n\v\f");
    for (llvm::StringRef field : fields) {
      int64_t id;
      if (field.getAsInteger(10, id) || id < 0)
        return llvm::createStringError(llvm::formatv(
            "'{0}' is not a token id (token-id text holds non-negative "
            "integers separated by whitespace)",
            field));
      ids.push_back(id);
    }
    return ids;
  }

  std::string decode(llvm::ArrayRef<int64_t> ids) const override {
    std::string text;
    for (int64_t id : ids)
      text += (text.empty() ? "" : " ") + std::to_string(id);
    return text;
  }

  std::optional<int64_t> bosId() const override { return std::nullopt; }
};

} // namespace

std::unique_ptr<Tokenizer> awq::createTokenIdTokenizer() {
  return std::make_unique<TokenIdTokenizer>();
}
