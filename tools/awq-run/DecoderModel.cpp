//===- DecoderModel.cpp - A causal LM over a runnable model -----------===//

#include "DecoderModel.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/FormatVariadic.h"


using namespace awq;

static constexpr llvm::StringLiteral kIdsName = "input_ids";
static constexpr llvm::StringLiteral kLogitsName = "logits";
static constexpr llvm::StringLiteral kPastPrefix = "past_key_values.";
static constexpr llvm::StringLiteral kPresentPrefix = "present.";

llvm::Expected<DecoderModel> DecoderModel::create(RunnableModel &executor,
                                                  bool keepCacheInModel) {
  DecoderModel model(executor);
  std::optional<size_t> ids;
  for (auto [index, input] : llvm::enumerate(executor.inputs())) {
    if (input.name == kIdsName) {
      if (input.dtype != AWQ_I64 || input.shape.size() != 2)
        return llvm::createStringError(
            "the model's 'input_ids' must be int64 [batch, sequence]");
      ids = index;
      continue;
    }
    llvm::StringRef name = input.name;
    if (!name.starts_with(kPastPrefix))
      return llvm::createStringError(llvm::formatv(
          "the model's input '{0}' is neither 'input_ids' nor a "
          "'past_key_values.*' cache input, so it cannot be run as a language "
          "model (use --input to feed inputs directly)",
          name));
    std::string present = (kPresentPrefix + name.drop_front(kPastPrefix.size())).str();
    const TensorSignature *output = llvm::find_if(
        executor.outputs(), [&](const TensorSignature &o) { return o.name == present; });
    if (output == executor.outputs().end())
      return llvm::createStringError(llvm::formatv(
          "the model has cache input '{0}' but no output '{1}'", name, present));
    if (input.dtype != AWQ_F32 || input.shape.size() != 4 ||
        mlir::ShapedType::isDynamic(input.shape[1]) ||
        mlir::ShapedType::isDynamic(input.shape[3]))
      return llvm::createStringError(llvm::formatv(
          "cache input '{0}' must be float32 [batch, heads, past, head_dim] "
          "with static heads and head_dim",
          name));
    model.cacheInputs.push_back(index);
    model.cacheOutputs.push_back(output - executor.outputs().begin());
  }
  if (!ids)
    return llvm::createStringError("the model has no 'input_ids' input");
  model.idsInput = *ids;
  const TensorSignature *logits = llvm::find_if(
      executor.outputs(), [](const TensorSignature &o) { return o.name == kLogitsName; });
  if (logits == executor.outputs().end())
    return llvm::createStringError("the model has no 'logits' output");
  if (logits->dtype != AWQ_F32 || logits->shape.size() != 3 ||
      mlir::ShapedType::isDynamic(logits->shape[2]))
    return llvm::createStringError(
        "the model's 'logits' must be float32 [batch, sequence, vocab] with a "
        "static vocab");
  model.logitsOutput = logits - executor.outputs().begin();
  model.vocab = logits->shape[2];
  model.cache = model.emptyCache();
  if (keepCacheInModel && model.hasKVCache()) {
    for (auto [input, output] : llvm::zip(model.cacheInputs, model.cacheOutputs)) {
      llvm::Expected<bool> kept = executor.carryOutput(output, input);
      if (!kept)
        return kept.takeError();
      if (!*kept)
        break; // the model cannot: the first pair already says so
      model.cacheKeptInModel = true;
    }
  }
  return model;
}

std::vector<HostTensor> DecoderModel::emptyCache() const {
  std::vector<HostTensor> tensors;
  for (size_t input : cacheInputs) {
    const TensorSignature &signature = executor->inputs()[input];
    tensors.push_back(HostTensor::allocate(
        AWQ_F32, {1, signature.shape[1], 0, signature.shape[3]}));
  }
  return tensors;
}

llvm::Expected<std::vector<HostTensor>>
DecoderModel::run(llvm::ArrayRef<int64_t> ids, llvm::ArrayRef<HostTensor> cacheTensors) {
  std::vector<HostTensor> inputs(executor->inputs().size());
  HostTensor idsTensor =
      HostTensor::allocate(AWQ_I64, {1, static_cast<int64_t>(ids.size())});
  llvm::copy(ids, idsTensor.mutableValues<int64_t>().begin());
  inputs[idsInput] = idsTensor;
  for (auto [input, tensor] : llvm::zip(cacheInputs, cacheTensors))
    inputs[input] = tensor;
  return executor->run(inputs);
}

llvm::Expected<HostTensor> DecoderModel::forward(llvm::ArrayRef<int64_t> ids) {
  resetCache();
  return forwardCached(ids);
}

llvm::Expected<HostTensor> DecoderModel::forwardCached(llvm::ArrayRef<int64_t> ids) {
  llvm::Expected<std::vector<HostTensor>> outputs = run(ids, cache);
  if (!outputs)
    return outputs.takeError();
  if (!cacheKeptInModel)
    for (auto [tensor, output] : llvm::zip(cache, cacheOutputs))
      tensor = (*outputs)[output];
  cached += ids.size();
  return (*outputs)[logitsOutput];
}

void DecoderModel::resetCache() {
  cache = emptyCache();
  cached = 0;
  if (cacheKeptInModel)
    executor->resetCarried();
}
