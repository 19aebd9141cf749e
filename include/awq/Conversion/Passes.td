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
    - `LayerNormalization` (last axis) → `awq.layer_norm`;
    - `SimplifiedLayerNormalization` and `RMSNormalization` (last axis) →
      `awq.rms_norm`;
    - `Mul(x, Sigmoid(x))` → `awq.silu`; `Gelu` (opset 20, and
      `com.microsoft`'s `Gelu`/`FastGelu` without bias) → `awq.gelu`.

    Everything else stays a generic `onnx.node` and still runs.
  }];
  let dependentDialects = ["::awq::AWQDialect"];
}

#endif // AWQ_CONVERSION_PASSES_TD
