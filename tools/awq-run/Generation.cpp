//===- Generation.cpp - Continue a prompt token by token ------------------===//
//
// Greedy by default; with a temperature, samples from the softmax of the
// last position's logits, optionally cut to the top-k tokens and to the
// smallest set whose probability reaches top-p. With a KV cache the prompt is
// run once and every new token alone; without one (or with --no-kv-cache)
// each step runs the whole sequence.
//
//===----------------------------------------------------------------------===//

#include "Modes.h"

#include "llvm/Support/FormatVariadic.h"

#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

using namespace awq;

namespace {

/// Chooses the next token from one row of logits.
class TokenSampler {
public:
  explicit TokenSampler(const GenerationOptions &options)
      : options(options), random(options.seed) {}

  int64_t next(llvm::ArrayRef<float> logits) {
    if (options.temperature <= 0)
      return std::max_element(logits.begin(), logits.end()) - logits.begin();
    std::vector<int64_t> order(logits.size());
    std::iota(order.begin(), order.end(), 0);
    // Most likely first; equal logits in id order, so runs are reproducible.
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return logits[a] != logits[b] ? logits[a] > logits[b] : a < b;
    });
    if (options.topK > 0 && options.topK < static_cast<int64_t>(order.size()))
      order.resize(options.topK);
    std::vector<double> probabilities;
    double sum = 0;
    for (int64_t id : order) {
      probabilities.push_back(
          std::exp((logits[id] - logits[order[0]]) / options.temperature));
      sum += probabilities.back();
    }
    // Keep the most likely tokens until their probability reaches top-p.
    double kept = 0;
    size_t count = 0;
    while (count < order.size() && (count == 0 || kept < options.topP * sum))
      kept += probabilities[count++];
    std::discrete_distribution<size_t> pick(probabilities.begin(),
                                            probabilities.begin() + count);
    return order[pick(random)];
  }

private:
  const GenerationOptions &options;
  std::mt19937_64 random;
};

/// The logits of the last position of [1, sequence, vocab] logits.
llvm::ArrayRef<float> lastRow(const HostTensor &logits, int64_t vocab) {
  return logits.values<float>().take_back(vocab);
}

} // namespace

llvm::Error awq::runGeneration(DecoderModel &model, const Tokenizer &tokenizer,
                               const GenerationOptions &options,
                               llvm::raw_ostream &out) {
  if (options.topP <= 0 || options.topP > 1)
    return llvm::createStringError(
        llvm::formatv("--top-p must be in (0, 1], got {0}", options.topP));
  llvm::Expected<std::vector<int64_t>> prompt = tokenizer.encode(options.prompt);
  if (!prompt)
    return prompt.takeError();
  std::vector<int64_t> ids;
  if (std::optional<int64_t> bos = tokenizer.bosId())
    ids.push_back(*bos);
  ids.insert(ids.end(), prompt->begin(), prompt->end());
  if (ids.empty())
    return llvm::createStringError("the prompt is empty");
  for (int64_t id : ids)
    if (id < 0 || id >= model.vocabSize())
      return llvm::createStringError(llvm::formatv(
          "prompt token {0} is outside the model's vocabulary of {1}", id,
          model.vocabSize()));

  TokenSampler sampler(options);
  size_t promptLength = ids.size();
  auto start = std::chrono::steady_clock::now();
  model.resetCache();
  for (int64_t step = 0; step < options.maxTokens; ++step) {
    if (static_cast<int64_t>(ids.size()) >= options.contextLength) {
      llvm::errs() << llvm::formatv(
          "awq-run: stopped at the model's context length ({0} tokens)\n",
          options.contextLength);
      break;
    }
    llvm::Expected<HostTensor> logits =
        options.useCache
            ? model.forwardCached(llvm::ArrayRef(ids).drop_front(model.cachedLength()))
            : model.forward(ids);
    if (!logits)
      return logits.takeError();
    ids.push_back(sampler.next(lastRow(*logits, model.vocabSize())));
  }
  out << tokenizer.decode(ids) << '\n';
  if (options.printIds) {
    out << "ids:";
    for (int64_t id : ids)
      out << ' ' << id;
    out << '\n';
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  size_t generated = ids.size() - promptLength;
  llvm::errs() << llvm::formatv("awq-run: {0} tokens generated in {1:F3} s ({2:F1} tokens/s)\n",
                                generated, seconds, generated / seconds);
  return llvm::Error::success();
}
