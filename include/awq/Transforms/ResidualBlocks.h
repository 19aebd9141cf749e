//===- ResidualBlocks.h - Decoder blocks along the residual stream -*- C++ -*-===//
//
// Calibration runs the model one residual block at a time. The residual
// stream is the chain of Adds x_{j+1} = Add(x_j, f(x_j)) whose branch f
// contains a linear; block j holds the ops that depend on x_j and feed
// x_{j+1} (the attention or the MLP of a decoder layer). Values a block
// reads from outside (the attention mask, RoPE tables) are its side inputs.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_TRANSFORMS_RESIDUALBLOCKS_H
#define AWQ_TRANSFORMS_RESIDUALBLOCKS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <vector>

namespace awq {

struct ResidualBlock {
  mlir::Value input;
  mlir::Value output;
  /// The block's ops in program order, constants excluded.
  std::vector<mlir::Operation *> ops;
  /// Non-constant values the ops read that are defined outside the block.
  std::vector<mlir::Value> sideInputs;
  /// True when the block holds attention (a Softmax): it starts a decoder
  /// layer.
  bool hasAttention = false;
};

/// The residual blocks of `function` in order, or failure (with a message)
/// when there is no residual stream.
mlir::FailureOr<std::vector<ResidualBlock>>
findResidualBlocks(mlir::func::FuncOp function);

} // namespace awq

#endif // AWQ_TRANSFORMS_RESIDUALBLOCKS_H
