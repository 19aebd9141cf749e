//===- ONNXDialect.td - The onnx import dialect ------------*- tablegen -*-===//
//
// The `onnx` dialect holds imported ONNX graphs faithfully: one generic op per
// node, keeping op type, domain, opset and attributes, so import is trivial and
// a graph that was only imported can be exported back unchanged. All meaning
// (raising to `awq` ops) lives in conversion patterns.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_DIALECT_ONNX_ONNXDIALECT_TD
#define AWQ_DIALECT_ONNX_ONNXDIALECT_TD

include "mlir/IR/OpBase.td"

def ONNX_Dialect : Dialect {
  let name = "onnx";
  let cppNamespace = "::awq::onnx";
  let summary = "Generic, faithful form of imported ONNX graphs";
  let description = [{
    Every ONNX node becomes one `onnx.node` op that keeps its op type, domain,
    opset version and attributes; initializers become `onnx.initializer` ops
    whose values are (usually memory-mapped) resource blobs. A graph becomes a
    `func.func` whose arguments carry the ONNX input names (`onnx.name`) and
    whose `onnx.output_names` attribute lists the output names.
  }];
}

class ONNX_Op<string mnemonic, list<Trait> traits = []>
    : Op<ONNX_Dialect, mnemonic, traits>;

#endif // AWQ_DIALECT_ONNX_ONNXDIALECT_TD
