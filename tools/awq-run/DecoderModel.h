//===- DecoderModel.h - A causal LM over a runnable model --------*- C++ -*-===//
//
// Gives a model (executor or compiled library) the interface a decoder-only language model has in the
// fixture graphs (utils/models/README.md): `input_ids` [batch, sequence] in,
// `logits` [batch, sequence, vocab] out, and optionally a KV cache as inputs
// `past_key_values.{i}.key|value` fed from outputs `present.{i}.key|value`.
// Batch is always 1 here.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_TOOLS_AWQRUN_DECODERMODEL_H
#define AWQ_TOOLS_AWQRUN_DECODERMODEL_H

#include "RunnableModel.h"

#include <optional>

namespace awq {

class DecoderModel {
public:
  /// Checks that `executor`'s inputs and outputs have the names and types
  /// above; fails naming the first one that does not fit. With
  /// `keepCacheInModel`, a model that can (a compiled library) keeps its KV
  /// cache between runs itself (RunnableModel::carryOutput), so the cache is
  /// not copied out and back in at every step (on a GPU, through the host).
  static llvm::Expected<DecoderModel> create(RunnableModel &executor,
                                             bool keepCacheInModel = true);

  bool hasKVCache() const { return !cacheInputs.empty(); }
  /// The vocabulary size, from the logits' static last dimension.
  int64_t vocabSize() const { return vocab; }

  /// Logits [1, ids.size(), vocab] for `ids` scored from position 0; the KV
  /// cache, if any, starts empty and then holds `ids`.
  llvm::Expected<HostTensor> forward(llvm::ArrayRef<int64_t> ids);

  /// Logits for `ids` appended to the sequence the cache holds, which then
  /// grows by them. Needs a KV cache.
  llvm::Expected<HostTensor> forwardCached(llvm::ArrayRef<int64_t> ids);
  /// Empties the KV cache.
  void resetCache();
  /// Tokens the KV cache holds.
  int64_t cachedLength() const { return cached; }

private:
  explicit DecoderModel(RunnableModel &executor) : executor(&executor) {}
  /// Runs `ids` after the tensors in `cache` (one per cache input).
  llvm::Expected<std::vector<HostTensor>>
  run(llvm::ArrayRef<int64_t> ids, llvm::ArrayRef<HostTensor> cache);
  /// Zero-length cache tensors, one per cache input.
  std::vector<HostTensor> emptyCache() const;

  RunnableModel *executor;
  size_t idsInput = 0;
  size_t logitsOutput = 0;
  int64_t vocab = 0;
  /// Input index of each cache tensor, and the output index that updates it.
  std::vector<size_t> cacheInputs;
  std::vector<size_t> cacheOutputs;
  /// The cache tensors passed in: the last outputs, or (when the model keeps
  /// them) zero-length ones that it ignores after the first run.
  std::vector<HostTensor> cache;
  int64_t cached = 0;
  bool cacheKeptInModel = false;
};

} // namespace awq

#endif // AWQ_TOOLS_AWQRUN_DECODERMODEL_H
