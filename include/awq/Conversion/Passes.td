//===- Passes.td - awq conversion passes -------------------*- tablegen -*-===//

#ifndef AWQ_CONVERSION_PASSES_TD
#define AWQ_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertONNXToAWQ : Pass<"convert-onnx-to-awq"> {
  let summary = "Raise generic onnx.node ops to awq transformer ops";
  let description = [{
    Rewrites the ONNX constructs that the AWQ passes reason about into `awq`
    ops, one pattern per construct:

    - `MatMul(x, W)` and `Gemm(x, W, C)` with a constant 2-D weight, an
      optional constant bias (`Gemm`'s C, or a following `Add`), and a
      constant weight behind `Transpose(perm = [1, 0])` or `Gemm(transB = 1)`
      kept in place with `transpose_weight` → `awq.linear`;
    - `LayerNormalization` (last axis), and the decomposed chain exporters
      emit below opset 17 → `awq.layer_norm`;
    - `SimplifiedLayerNormalization`, `RMSNormalization` (last axis) and the
      decomposed RMSNorm chain → `awq.rms_norm`, with Gemma's `x * (1 + w)`
      kept as `unit_offset`;
    - onnxruntime's `SkipSimplifiedLayerNormalization` /
      `SkipLayerNormalization` → an ONNX `Add` for the residual sum and an
      awq norm;
    - `Mul(x, Sigmoid(x))` → `awq.silu`; `Gelu` (opset 20, and
      `com.microsoft`'s `Gelu`/`FastGelu` without bias) and the decomposed
      exact (erf) and tanh GELU chains → `awq.gelu`.

    Nodes left without users are erased afterwards (except random ones).
    Everything else stays a generic `onnx.node` and still runs.
  }];
  let dependentDialects = ["::awq::AWQDialect"];
}

#endif // AWQ_CONVERSION_PASSES_TD
