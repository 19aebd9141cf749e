//===- LinearRoles.h - What a linear does in the model, from structure --*- C++ -*-===//
//
// Structural questions the AWQ passes ask about an awq.linear instead of
// matching per-architecture module names: is it the LM head, an MoE router,
// a query/key projection feeding attention scores, or excluded by name.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_TRANSFORMS_LINEARROLES_H
#define AWQ_TRANSFORMS_LINEARROLES_H

#include "awq/Dialect/AWQ/AWQDialect.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/Regex.h"

#include <memory>

#include <string>
#include <vector>

namespace awq {

/// True when `linear` is the LM head: its weight is also read by a Gather
/// (tied to the embedding), or its result reaches the function's results
/// without reaching another linear.
bool isLMHead(LinearOp linear);

/// True when `linear` is an MoE router: its result reaches a TopK without
/// passing another linear.
bool isRouter(LinearOp linear);

/// True when `linear` feeds attention scores (a query or key projection):
/// its result reaches, without passing another linear, a MatMul of two
/// activations whose product flows into a Softmax.
bool feedsAttentionScores(LinearOp linear);

/// Decides which linears stay in full precision: name patterns (regexes on
/// the weight initializer name and the node name), the LM head unless asked
/// for, and MoE routers.
class QuantizationExclusions {
public:
  /// Fails with a message naming the pattern when a regex does not compile.
  static llvm::Expected<QuantizationExclusions>
  create(llvm::ArrayRef<std::string> patterns, bool quantizeLMHead);

  /// True when `linear` should be quantized.
  bool shouldQuantize(LinearOp linear) const;

private:
  std::vector<std::shared_ptr<llvm::Regex>> regexes;
  bool quantizeLMHead = false;
};

} // namespace awq

#endif // AWQ_TRANSFORMS_LINEARROLES_H
