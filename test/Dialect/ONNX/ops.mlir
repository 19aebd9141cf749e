// RUN: awq-opt %s | FileCheck %s
// RUN: awq-opt %s | awq-opt | FileCheck %s
// RUN: awq-opt --mlir-print-op-generic %s | awq-opt | FileCheck %s

// CHECK-LABEL: func.func @graph
// CHECK-SAME: %{{.*}}: tensor<?x?xi64> {onnx.name = "input_ids"}
func.func @graph(%ids: tensor<?x?xi64> {onnx.name = "input_ids"}) -> tensor<?x?x64xf32>
    attributes {onnx.output_names = ["hidden"]} {
  // CHECK: onnx.initializer "model.embed_tokens.weight" = dense<{{.*}}> : tensor<512x64xf32>
  %emb = onnx.initializer "model.embed_tokens.weight" = dense<0.5> : tensor<512x64xf32>
  // CHECK: onnx.node "Gather"(%{{.*}}, %{{.*}}) {attrs = {axis = 0 : i64}, name = "/embed/Gather", opset = 17 : i64} : (tensor<512x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
  %h = onnx.node "Gather"(%emb, %ids) {opset = 17 : i64, name = "/embed/Gather", attrs = {axis = 0 : i64}}
      : (tensor<512x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
  // Every ONNX attribute kind: INT, FLOAT, STRING, INTS, FLOATS, STRINGS, TENSOR.
  // CHECK: onnx.node "Custom"(%{{.*}}) {attrs = {f = 5.000000e-01 : f32, fs = array<f32: 1.000000e+00, 2.000000e+00>, i = 3 : i64, is = array<i64: 1, -1>, s = "tanh", ss = ["a", "b"], t = dense<1> : tensor<2xi64>}, domain = "com.example", opset = 1 : i64} : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %c = onnx.node "Custom"(%h) {domain = "com.example", opset = 1 : i64,
        attrs = {i = 3 : i64, f = 0.5 : f32, s = "tanh", is = array<i64: 1, -1>,
                 fs = array<f32: 1.0, 2.0>, ss = ["a", "b"], t = dense<1> : tensor<2xi64>}}
      : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  // An omitted optional input, and a node with several results.
  // CHECK: %[[NONE:.*]] = onnx.none
  %none = onnx.none
  // CHECK: onnx.node "Clip"(%{{.*}}, %[[NONE]], %{{.*}}) {opset = 13 : i64} : (tensor<?x?x64xf32>, none, tensor<f32>) -> tensor<?x?x64xf32>
  %max = onnx.initializer "max" = dense<6.0> : tensor<f32>
  %clip = onnx.node "Clip"(%c, %none, %max) {opset = 13 : i64}
      : (tensor<?x?x64xf32>, none, tensor<f32>) -> tensor<?x?x64xf32>
  // CHECK: onnx.node "Split"(%{{.*}}) {attrs = {axis = -1 : i64, num_outputs = 2 : i64}, opset = 18 : i64} : (tensor<?x?x64xf32>) -> (tensor<?x?x32xf32>, tensor<?x?x32xf32>)
  %a:2 = onnx.node "Split"(%clip) {opset = 18 : i64, attrs = {axis = -1 : i64, num_outputs = 2 : i64}}
      : (tensor<?x?x64xf32>) -> (tensor<?x?x32xf32>, tensor<?x?x32xf32>)
  %cat = onnx.node "Concat"(%a#1, %a#0) {opset = 13 : i64, attrs = {axis = -1 : i64}}
      : (tensor<?x?x32xf32>, tensor<?x?x32xf32>) -> tensor<?x?x64xf32>
  return %cat : tensor<?x?x64xf32>
}

// Initializers are constants: they fold, so unused ones disappear and equal
// ones are kept apart by their names.
// CHECK-LABEL: func.func @initializer_is_constant
// RUN: awq-opt --canonicalize %s | FileCheck %s --check-prefix=CANON
// CANON-LABEL: func.func @initializer_is_constant
// CANON-NEXT: %[[W:.*]] = onnx.initializer "used"
// CANON-NEXT: return %[[W]]
func.func @initializer_is_constant() -> tensor<2xf32> {
  %unused = onnx.initializer "unused" = dense<1.0> : tensor<2xf32>
  %used = onnx.initializer "used" = dense<2.0> : tensor<2xf32>
  return %used : tensor<2xf32>
}
