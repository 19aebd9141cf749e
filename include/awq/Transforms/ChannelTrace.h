//===- ChannelTrace.h - Follow channels back through scale-commuting ops -*- C++ -*-===//
//
// AWQ can move a per-channel scale from a linear's input back to an earlier
// op when every op in between commutes with a positive per-channel scale:
// elementwise Relu/Cast/Identity, a Mul by a branch that does not depend on
// the scaled value (SwiGLU's gate), Reshape/Transpose/Unsqueeze/Squeeze/
// Expand (splitting into heads, repeating KV heads), and attention's
// probabilities x V. This analysis finds that earlier op and, for every
// channel of the traced value, the producer channel it carries, so that
// head splits and GQA head repetition are followed exactly.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_TRANSFORMS_CHANNELTRACE_H
#define AWQ_TRANSFORMS_CHANNELTRACE_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

#include <vector>

namespace awq {

struct ChannelTrace {
  /// The op producing the traced channels: an awq.linear or norm when the
  /// path leads back to one, otherwise the traced value's defining op (null
  /// for a function argument).
  mlir::Operation *producer = nullptr;
  /// The ops between the producer and the traced value, producer side first
  /// (empty when the producer defines the traced value).
  std::vector<mlir::Operation *> path;
  /// For every channel (last-axis index) of the traced value, the channel of
  /// the producer's result it carries. Several channels map to one producer
  /// channel when heads are repeated (GQA).
  std::vector<int64_t> channelMap;
  /// Number of channels of the producer's result.
  int64_t producerChannels = 0;

  /// True when the path is exclusive: every value from the producer's result
  /// to the traced value feeds only the next op of the path, so scaling the
  /// producer's channels changes nothing but the traced value.
  bool exclusive = false;
};

/// Traces the channels of `value` (rank >= 1, static last dimension) back to
/// the nearest awq.linear, awq.rms_norm or awq.layer_norm reachable through
/// scale-commuting ops; when none is, the producer is `value`'s defining op
/// and the map the identity.
ChannelTrace traceChannels(mlir::Value value);

} // namespace awq

#endif // AWQ_TRANSFORMS_CHANNELTRACE_H
