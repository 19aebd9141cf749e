//===- Benchmark.cpp - Prefill and decode throughput ----------------------===//
//
// Prefill: one forward pass over a prompt of seeded random token ids.
// Decode: with a KV cache, the prompt is prefilled (untimed) and then tokens
// are fed one at a time, the cache growing; without one, every decode step
// runs the whole sequence so far, which is what generation would do. Each
// figure is the median over the repeats, after one untimed warm-up run.
//
//===----------------------------------------------------------------------===//

#include "Modes.h"

#include "llvm/Support/FormatVariadic.h"

#include <chrono>
#include <random>

using namespace awq;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t middle = values.size() / 2;
  return values.size() % 2 ? values[middle]
                           : (values[middle - 1] + values[middle]) / 2;
}

/// Times one prefill of `prompt`.
llvm::Expected<double> timePrefill(DecoderModel &model,
                                   llvm::ArrayRef<int64_t> prompt) {
  Clock::time_point start = Clock::now();
  llvm::Expected<HostTensor> logits = model.forward(prompt);
  if (!logits)
    return logits.takeError();
  return secondsSince(start);
}

/// Times feeding `tokens` one at a time after `prompt`.
llvm::Expected<double> timeDecode(DecoderModel &model,
                                  llvm::ArrayRef<int64_t> prompt,
                                  llvm::ArrayRef<int64_t> tokens) {
  std::vector<int64_t> sequence(prompt.begin(), prompt.end());
  if (model.hasKVCache()) {
    model.resetCache();
    if (llvm::Expected<HostTensor> logits = model.forwardCached(prompt); !logits)
      return logits.takeError();
  }
  Clock::time_point start = Clock::now();
  for (int64_t token : tokens) {
    sequence.push_back(token);
    llvm::Expected<HostTensor> logits =
        model.hasKVCache() ? model.forwardCached(token) : model.forward(sequence);
    if (!logits)
      return logits.takeError();
  }
  return secondsSince(start);
}

} // namespace

llvm::Error awq::runBenchmark(DecoderModel &model, const BenchmarkOptions &options,
                              llvm::raw_ostream &out) {
  if (options.promptLength < 1 || options.decodeTokens < 1 || options.repeats < 1)
    return llvm::createStringError(
        "--bench-prompt, --bench-decode and --bench-repeats must be positive");
  // Fixed seed: every engine and every run sees the same ids.
  std::mt19937_64 random(0);
  std::uniform_int_distribution<int64_t> token(0, model.vocabSize() - 1);
  std::vector<int64_t> prompt(options.promptLength), decoded(options.decodeTokens);
  for (int64_t &id : prompt)
    id = token(random);
  for (int64_t &id : decoded)
    id = token(random);

  std::vector<double> prefillTimes, decodeTimes;
  for (int64_t run = 0; run <= options.repeats; ++run) {
    llvm::Expected<double> prefill = timePrefill(model, prompt);
    if (!prefill)
      return prefill.takeError();
    llvm::Expected<double> decode = timeDecode(model, prompt, decoded);
    if (!decode)
      return decode.takeError();
    if (run == 0) // warm-up
      continue;
    prefillTimes.push_back(*prefill);
    decodeTimes.push_back(*decode);
  }
  double prefill = median(prefillTimes), decode = median(decodeTimes);
  out << llvm::formatv("prefill: {0} tokens in {1:F3} ms, {2:F1} tokens/s\n",
                       options.promptLength, prefill * 1e3,
                       options.promptLength / prefill);
  out << llvm::formatv("decode: {0} tokens in {1:F3} ms, {2:F1} tokens/s ({3})\n",
                       options.decodeTokens, decode * 1e3,
                       options.decodeTokens / decode,
                       model.hasKVCache() ? "KV cache" : "full recompute");
  return llvm::Error::success();
}
