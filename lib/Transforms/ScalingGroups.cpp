//===- ScalingGroups.cpp - Where AWQ scales go, from graph structure ------===//

#include "awq/Transforms/ScalingGroups.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace awq {

/// A short name for a linear or other op in messages: the ONNX node name's
/// second-to-last component ("/model/layers.0/mlp/up_proj/MatMul" ->
/// "up_proj"), else its op name.
static std::string shortName(Operation *op) {
  if (!op)
    return "argument";
  if (auto name = op->getAttrOfType<StringAttr>("name")) {
    SmallVector<StringRef> parts;
    name.getValue().split(parts, '/', -1, /*KeepEmpty=*/false);
    if (parts.size() >= 2)
      return parts[parts.size() - 2].str();
    return name.getValue().str();
  }
  return op->getName().getStringRef().str();
}

std::string ScalingGroup::describe() const {
  std::string text = shortName(producer) + " -> [";
  for (auto [index, consumer] : llvm::enumerate(consumers))
    text += (index ? ", " : "") + shortName(consumer);
  return text + "]";
}

std::vector<ScalingGroup>
discoverScalingGroups(func::FuncOp function,
                      const std::function<bool(LinearOp)> &shouldQuantize) {
  std::vector<ScalingGroup> groups;
  llvm::DenseSet<Value> seen;
  function.walk([&](LinearOp linear) {
    Value input = linear.getInput();
    if (!seen.insert(input).second)
      return;
    ScalingGroup group;
    group.input = input;
    bool onlyLinearUsers = true;
    for (Operation *user : input.getUsers()) {
      auto consumer = dyn_cast<LinearOp>(user);
      if (consumer && consumer.getInput() == input)
        group.consumers.push_back(consumer);
      else
        onlyLinearUsers = false;
    }
    // Use lists run backwards; program order makes messages read q, k, v.
    llvm::sort(group.consumers, [](LinearOp a, LinearOp b) {
      return a->isBeforeInBlock(b);
    });
    for (LinearOp consumer : group.consumers)
      group.quantized.push_back(shouldQuantize(consumer));
    if (llvm::none_of(group.quantized, [](bool q) { return q; }))
      return;
    // A scale needs a producer op; a function argument has none to fold into
    // and is left alone.
    if (!input.getDefiningOp())
      return;

    ChannelTrace trace = traceChannels(input);
    group.producer = trace.producer;
    int64_t channels = cast<RankedTensorType>(input.getType()).getShape().back();
    auto identity = [&] {
      group.searchChannels = channels;
      group.channelMap.resize(channels);
      for (int64_t c = 0; c < channels; ++c)
        group.channelMap[c] = c;
    };
    if (isa_and_present<RMSNormOp, LayerNormOp>(trace.producer) &&
        trace.path.empty()) {
      group.target = ScaleFoldTarget::Norm;
      identity();
    } else if (isa_and_present<LinearOp>(trace.producer) && trace.exclusive &&
               onlyLinearUsers) {
      group.target = ScaleFoldTarget::Linear;
      group.searchChannels = trace.producerChannels;
      group.channelMap = trace.channelMap;
    } else {
      group.target = ScaleFoldTarget::Explicit;
      group.producer = input.getDefiningOp();
      identity();
    }
    groups.push_back(std::move(group));
  });
  return groups;
}

} // namespace awq
