//===- Perplexity.cpp - exp(mean NLL) of a text under the model -----------===//
//
// Two protocols. Standard: tokenize the whole text (BOS first), cut it into
// consecutive windows of the context length, and predict every token of a
// window after its first from the ones before it. Documents (the project's
// accuracy protocol, shared/docs/accuracy-baseline.md): split the text on
// "\n\n", strip, drop empty pieces, and score each document on its own as
// BOS + encoding truncated to the window.
//
//===----------------------------------------------------------------------===//

#include "Modes.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

#include <chrono>
#include <cmath>

using namespace awq;

namespace {

/// Running sum of negative log-likelihoods.
struct NLLTotal {
  double nll = 0;
  int64_t tokens = 0;
  double mean() const { return nll / tokens; }
};

/// Adds -log p(ids[i + 1] | ids[..i]) for every i, given the logits of
/// `ids` minus its last token. Log-softmax in double: a float sum over the
/// vocabulary would lose digits the perplexity is compared to.
void addNLL(const HostTensor &logits, llvm::ArrayRef<int64_t> ids,
            int64_t vocab, NLLTotal &total) {
  llvm::ArrayRef<float> values = logits.values<float>();
  for (size_t position = 0; position + 1 < ids.size(); ++position) {
    llvm::ArrayRef<float> row = values.slice(position * vocab, vocab);
    double maximum = *std::max_element(row.begin(), row.end());
    double sum = 0;
    for (float logit : row)
      sum += std::exp(logit - maximum);
    total.nll += maximum + std::log(sum) - row[ids[position + 1]];
    ++total.tokens;
  }
}

/// Prints progress on stderr at most once every few seconds.
class Progress {
public:
  explicit Progress(llvm::StringRef unit) : unit(unit) {}
  void update(size_t done, size_t count, const NLLTotal &total) {
    auto now = std::chrono::steady_clock::now();
    if (now - lastPrint < std::chrono::seconds(2) || done == count)
      return;
    lastPrint = now;
    llvm::errs() << llvm::formatv("  {0}/{1} {2}, {3} tokens, perplexity so far {4:F4}\n",
                                  done, count, unit, total.tokens,
                                  std::exp(total.mean()));
  }

private:
  llvm::StringRef unit;
  std::chrono::steady_clock::time_point lastPrint = std::chrono::steady_clock::now();
};

/// Scores `ids` (at least two tokens) as one sequence.
llvm::Error scoreSequence(DecoderModel &model, llvm::ArrayRef<int64_t> ids,
                          NLLTotal &total) {
  for (int64_t id : ids)
    if (id < 0 || id >= model.vocabSize())
      return llvm::createStringError(llvm::formatv(
          "token id {0} is outside the model's vocabulary of {1}", id,
          model.vocabSize()));
  llvm::Expected<HostTensor> logits = model.forward(ids.drop_back());
  if (!logits)
    return logits.takeError();
  addNLL(*logits, ids, model.vocabSize(), total);
  return llvm::Error::success();
}

/// `text` split on "\n\n" (exactly as Python's str.split), each piece
/// stripped of surrounding whitespace, empty pieces dropped.
std::vector<llvm::StringRef> splitDocuments(llvm::StringRef text) {
  llvm::SmallVector<llvm::StringRef> pieces;
  text.split(pieces, "\n\n");
  std::vector<llvm::StringRef> documents;
  for (llvm::StringRef piece : pieces)
    if (!piece.trim().empty())
      documents.push_back(piece.trim());
  return documents;
}

/// `bos` (if the tokenizer has one) followed by the encoding of `text`.
llvm::Expected<std::vector<int64_t>> encodeWithBOS(const Tokenizer &tokenizer,
                                                   llvm::StringRef text) {
  llvm::Expected<std::vector<int64_t>> encoded = tokenizer.encode(text);
  if (!encoded)
    return encoded.takeError();
  std::vector<int64_t> ids;
  if (std::optional<int64_t> bos = tokenizer.bosId())
    ids.push_back(*bos);
  ids.insert(ids.end(), encoded->begin(), encoded->end());
  return ids;
}

llvm::Error scoreDocuments(DecoderModel &model, const Tokenizer &tokenizer,
                           llvm::StringRef text, const PerplexityOptions &options,
                           NLLTotal &total) {
  std::vector<llvm::StringRef> documents = splitDocuments(text);
  if (options.skip >= static_cast<int64_t>(documents.size()))
    return llvm::createStringError(llvm::formatv(
        "--skip {0} leaves none of the {1} documents", options.skip,
        documents.size()));
  documents.erase(documents.begin(), documents.begin() + options.skip);
  if (options.first >= 0 && options.first < static_cast<int64_t>(documents.size()))
    documents.resize(options.first);
  Progress progress("documents");
  for (auto [index, document] : llvm::enumerate(documents)) {
    llvm::Expected<std::vector<int64_t>> ids = encodeWithBOS(tokenizer, document);
    if (!ids)
      return ids.takeError();
    if (static_cast<int64_t>(ids->size()) > options.window)
      ids->resize(options.window);
    if (ids->size() >= 2)
      if (llvm::Error error = scoreSequence(model, *ids, total))
        return error;
    progress.update(index + 1, documents.size(), total);
  }
  return llvm::Error::success();
}

llvm::Error scoreWindows(DecoderModel &model, const Tokenizer &tokenizer,
                         llvm::StringRef text, const PerplexityOptions &options,
                         NLLTotal &total) {
  llvm::Expected<std::vector<int64_t>> ids = encodeWithBOS(tokenizer, text);
  if (!ids)
    return ids.takeError();
  llvm::ArrayRef<int64_t> all = *ids;
  size_t windows = (all.size() + options.window - 1) / options.window;
  Progress progress("windows");
  for (size_t window = 0; window < windows; ++window) {
    llvm::ArrayRef<int64_t> part =
        all.slice(window * options.window).take_front(options.window);
    if (part.size() >= 2)
      if (llvm::Error error = scoreSequence(model, part, total))
        return error;
    progress.update(window + 1, windows, total);
  }
  return llvm::Error::success();
}

} // namespace

llvm::Error awq::runPerplexity(DecoderModel &model, const Tokenizer &tokenizer,
                               const PerplexityOptions &options,
                               llvm::raw_ostream &out) {
  if (options.window < 2)
    return llvm::createStringError(
        llvm::formatv("the window must hold at least 2 tokens, got {0}",
                      options.window));
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(options.textPath, /*IsText=*/true);
  if (!file)
    return llvm::createStringError(llvm::formatv(
        "cannot read '{0}': {1}", options.textPath, file.getError().message()));
  llvm::StringRef text = (*file)->getBuffer();
  if (text.trim().empty())
    return llvm::createStringError(
        llvm::formatv("'{0}' holds no text to score", options.textPath));

  NLLTotal total;
  llvm::Error error = options.documents
                          ? scoreDocuments(model, tokenizer, text, options, total)
                          : scoreWindows(model, tokenizer, text, options, total);
  if (error)
    return error;
  if (total.tokens == 0)
    return llvm::createStringError(
        "no token was predicted: every sequence is shorter than 2 tokens");
  out << llvm::formatv("tokens {0}\nmean NLL {1:F6}\nperplexity {2:F6}\n",
                       total.tokens, total.mean(), std::exp(total.mean()));
  return llvm::Error::success();
}
