//===- ONNXToAWQ.h - Raising onnx.node ops to awq ops -----------*- C++ -*-===//

#ifndef AWQ_CONVERSION_ONNXTOAWQ_ONNXTOAWQ_H
#define AWQ_CONVERSION_ONNXTOAWQ_ONNXTOAWQ_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace awq {

#define GEN_PASS_DECL_CONVERTONNXTOAWQ
#define GEN_PASS_DECL_AWQFUSEATTENTION
#define GEN_PASS_DECL_AWQFUSEROTARYEMBEDDING
#define GEN_PASS_DECL_AWQFUSERESIDUALNORM
#define GEN_PASS_DECL_AWQFUSEKVCACHE
#define GEN_PASS_DECL_AWQFUSEHEADTRANSPOSES
#include "awq/Conversion/Passes.h.inc"

/// Adds the patterns that raise ONNX linears, norms and activations to awq
/// ops; embedders can run them inside their own passes.
void populateONNXToAWQPatterns(mlir::RewritePatternSet &patterns);

/// Adds the pattern of awq-fuse-attention: ONNX's attention chain (scores
/// MatMul, scale, mask, Softmax, probabilities MatMul) -> awq.attention.
void populateAttentionFusionPatterns(mlir::RewritePatternSet &patterns);

/// Adds the pattern of awq-fuse-rotary-embedding: Add(Mul(x, cos),
/// Mul(rotate(x), sin)), rotate spelled out in Slice/Neg/Concat (half-split)
/// or with Unsqueeze/Reshape around it (interleaved) -> awq.rotary_embedding.
void populateRotaryEmbeddingFusionPatterns(mlir::RewritePatternSet &patterns);

/// Adds the patterns of awq-fuse-residual-norm: an ONNX Add whose result an
/// awq.rms_norm / awq.layer_norm normalizes -> awq.add_rms_norm /
/// awq.add_layer_norm (the sum stays a result).
void populateResidualNormFusionPatterns(mlir::RewritePatternSet &patterns);

/// Adds the pattern of awq-fuse-kv-cache: Concat(past, update, axis = 2) of
/// a model input that only attention reads afterwards ->
/// awq.kv_cache_append (appended in place by a compiled library).
void populateKVCacheFusionPatterns(mlir::RewritePatternSet &patterns);

/// Adds the patterns of awq-fuse-head-transposes: a head transpose
/// (perm [0, 2, 1, 3]) moved past awq.rotary_embedding and taken into
/// awq.kv_cache_append (update_layout) and awq.attention (query_layout).
void populateHeadTransposeFusionPatterns(mlir::RewritePatternSet &patterns);

/// Erases the onnx.node ops under `root` whose results are all unused, except
/// the nondeterministic ones (Random*, Multinomial, Bernoulli). onnx.node is
/// not Pure, so the rewrite driver keeps what raising leaves dead (the Pow,
/// ReduceMean, ... of a decomposed norm); run this after the patterns.
void eraseDeadONNXNodes(mlir::Operation *root);

} // namespace awq

#endif // AWQ_CONVERSION_ONNXTOAWQ_ONNXTOAWQ_H
