//===- ScalingGroups.h - Where AWQ scales go, from graph structure -*- C++ -*-===//
//
// A scaling group is a set of linears that read the same value x: AWQ
// divides x by s (an awq.scale) and multiplies their input rows by s. Where
// the 1/s can be folded is decided by what produces x (ChannelTrace.h):
//
//   - a norm (input_layernorm -> q, k, v; post_attention_layernorm -> gate,
//     up; with an MoE router among the readers, it is compensated too);
//   - a linear, directly or through scale-commuting ops (up -> down through
//     SiLU(gate) * up; v -> o through attention, per KV head under GQA);
//   - anything else (GELU): the awq.scale stays explicit.
//
// No per-architecture table: the same rules cover Llama, GPT-2, OPT, ...
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_TRANSFORMS_SCALINGGROUPS_H
#define AWQ_TRANSFORMS_SCALINGGROUPS_H

#include "awq/Dialect/AWQ/AWQDialect.h"
#include "awq/Transforms/ChannelTrace.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <functional>
#include <string>
#include <vector>

namespace awq {

enum class ScaleFoldTarget { Norm, Linear, Explicit };

struct ScalingGroup {
  /// The value the group's linears read, which the awq.scale divides.
  mlir::Value input;
  /// The linears reading `input`, in program order; all get their input rows
  /// multiplied by s.
  std::vector<LinearOp> consumers;
  /// Which of `consumers` are quantized (the others, e.g. a router, are only
  /// compensated).
  std::vector<bool> quantized;
  ScaleFoldTarget target = ScaleFoldTarget::Explicit;
  /// The op 1/s folds into (norm or linear), or the op producing `input`.
  mlir::Operation *producer = nullptr;
  /// Number of independent scales: the producer's channels for a linear
  /// target (one scale per KV channel under GQA), else input's channels.
  int64_t searchChannels = 0;
  /// For each channel of `input`, the index of its independent scale.
  std::vector<int64_t> channelMap;

  /// True when several input channels share one scale: the producer's
  /// channels are repeated (v -> o under grouped-query attention, where each
  /// KV channel serves several query heads).
  bool sharesScales() const {
    return searchChannels < static_cast<int64_t>(channelMap.size());
  }

  /// "norm -> [q, k, v]"-style description for progress messages.
  std::string describe() const;
};

/// The scaling groups of `function`: one per value read by at least one
/// linear that `shouldQuantize` accepts, in program order.
std::vector<ScalingGroup>
discoverScalingGroups(mlir::func::FuncOp function,
                      const std::function<bool(LinearOp)> &shouldQuantize);

} // namespace awq

#endif // AWQ_TRANSFORMS_SCALINGGROUPS_H
