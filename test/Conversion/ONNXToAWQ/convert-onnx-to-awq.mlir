// RUN: awq-opt %s --convert-onnx-to-awq --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @matmul_bias
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x64xf32>)
// CHECK-DAG: %[[W:.*]] = onnx.initializer "up.weight"
// CHECK-DAG: %[[B:.*]] = onnx.initializer "up.bias"
// CHECK: %[[Y:.*]] = awq.linear %[[X]], %[[W]], %[[B]] {name = "/up/MatMul"} : (tensor<?x?x64xf32>, tensor<64x172xf32>, tensor<172xf32>) -> tensor<?x?x172xf32>
// CHECK-NOT: onnx.node
// CHECK: return %[[Y]]
func.func @matmul_bias(%x: tensor<?x?x64xf32>) -> tensor<?x?x172xf32> {
  %w = onnx.initializer "up.weight" = dense<1.0> : tensor<64x172xf32>
  %b = onnx.initializer "up.bias" = dense<0.5> : tensor<172xf32>
  %0 = onnx.node "MatMul"(%x, %w) {opset = 17 : i64, name = "/up/MatMul"}
      : (tensor<?x?x64xf32>, tensor<64x172xf32>) -> tensor<?x?x172xf32>
  %1 = onnx.node "Add"(%b, %0) {opset = 17 : i64}
      : (tensor<172xf32>, tensor<?x?x172xf32>) -> tensor<?x?x172xf32>
  return %1 : tensor<?x?x172xf32>
}

// -----

// A weight behind Transpose(perm = [1, 0]) is used in place.
// CHECK-LABEL: func.func @matmul_transposed_weight
// CHECK: %[[W:.*]] = onnx.initializer "q.weight"
// CHECK: awq.linear %{{.*}}, %[[W]] {transpose_weight} : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
func.func @matmul_transposed_weight(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %w = onnx.initializer "q.weight" = dense<1.0> : tensor<32x64xf32>
  %t = onnx.node "Transpose"(%w) {opset = 13 : i64, attrs = {perm = array<i64: 1, 0>}}
      : (tensor<32x64xf32>) -> tensor<64x32xf32>
  %0 = onnx.node "MatMul"(%x, %t) {opset = 13 : i64}
      : (tensor<?x64xf32>, tensor<64x32xf32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

// Activation times activation (attention scores) is not a linear.
// CHECK-LABEL: func.func @matmul_not_constant
// CHECK: onnx.node "MatMul"
// CHECK-NOT: awq.linear
func.func @matmul_not_constant(%q: tensor<?x8x?x8xf32>, %k: tensor<?x8x8x?xf32>) -> tensor<?x8x?x?xf32> {
  %0 = onnx.node "MatMul"(%q, %k) {opset = 13 : i64}
      : (tensor<?x8x?x8xf32>, tensor<?x8x8x?xf32>) -> tensor<?x8x?x?xf32>
  return %0 : tensor<?x8x?x?xf32>
}

// -----

// A bias Add is folded only when the Add is the MatMul's only user.
// CHECK-LABEL: func.func @matmul_shared_result
// CHECK: %[[Y:.*]] = awq.linear %{{.*}}, %{{.*}} : (tensor<4x64xf32>, tensor<64x16xf32>) -> tensor<4x16xf32>
// CHECK: onnx.node "Add"(%[[Y]], %{{.*}})
// CHECK: return %[[Y]]
func.func @matmul_shared_result(%x: tensor<4x64xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %w = onnx.initializer "w" = dense<1.0> : tensor<64x16xf32>
  %b = onnx.initializer "b" = dense<1.0> : tensor<16xf32>
  %0 = onnx.node "MatMul"(%x, %w) {opset = 13 : i64} : (tensor<4x64xf32>, tensor<64x16xf32>) -> tensor<4x16xf32>
  %1 = onnx.node "Add"(%0, %b) {opset = 13 : i64} : (tensor<4x16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  return %0, %1 : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// An Add of something other than a [N] constant is not a bias.
// CHECK-LABEL: func.func @matmul_residual_add
// CHECK: %[[Y:.*]] = awq.linear
// CHECK: onnx.node "Add"(%[[Y]], %{{.*}})
func.func @matmul_residual_add(%x: tensor<4x64xf32>, %r: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %w = onnx.initializer "w" = dense<1.0> : tensor<64x16xf32>
  %0 = onnx.node "MatMul"(%x, %w) {opset = 13 : i64} : (tensor<4x64xf32>, tensor<64x16xf32>) -> tensor<4x16xf32>
  %1 = onnx.node "Add"(%0, %r) {opset = 13 : i64} : (tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>
  return %1 : tensor<4x16xf32>
}

// -----

// CHECK-LABEL: func.func @gemm
// CHECK: awq.linear %{{.*}}, %{{.*}}, %{{.*}} {name = "fc", transpose_weight} : (tensor<4x64xf32>, tensor<16x64xf32>, tensor<16xf32>) -> tensor<4x16xf32>
// CHECK: onnx.node "Gemm"(%{{.*}}, %{{.*}}) {attrs = {alpha = 2.000000e+00 : f32}
func.func @gemm(%x: tensor<4x64xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %w = onnx.initializer "fc.weight" = dense<1.0> : tensor<16x64xf32>
  %b = onnx.initializer "fc.bias" = dense<1.0> : tensor<16xf32>
  %0 = onnx.node "Gemm"(%x, %w, %b) {opset = 13 : i64, name = "fc", attrs = {transB = 1 : i64}}
      : (tensor<4x64xf32>, tensor<16x64xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  // alpha != 1 scales the product: not a plain linear.
  %w2 = onnx.initializer "w2" = dense<1.0> : tensor<64x16xf32>
  %1 = onnx.node "Gemm"(%x, %w2) {opset = 13 : i64, attrs = {alpha = 2.0 : f32}}
      : (tensor<4x64xf32>, tensor<64x16xf32>) -> tensor<4x16xf32>
  return %0, %1 : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// CHECK-LABEL: func.func @layer_norm
// CHECK: awq.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32} : (tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
// Normalizing another axis, or using the Mean output, keeps the ONNX node.
// CHECK: onnx.node "LayerNormalization"(%{{.*}}, %{{.*}}) {attrs = {axis = 0 : i64}
// CHECK: onnx.node "LayerNormalization"(%{{.*}}, %{{.*}}) {opset = 17 : i64} : (tensor<?x?x64xf32>, tensor<64xf32>) -> (tensor<?x?x64xf32>, tensor<?x?x1xf32>)
func.func @layer_norm(%x: tensor<?x?x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>)
    -> (tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x1xf32>) {
  %0 = onnx.node "LayerNormalization"(%x, %g, %b) {opset = 17 : i64, attrs = {axis = -1 : i64, epsilon = 1.0e-05 : f32}}
      : (tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %1 = onnx.node "LayerNormalization"(%x, %g) {opset = 17 : i64, attrs = {axis = 0 : i64}}
      : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %2:2 = onnx.node "LayerNormalization"(%x, %g) {opset = 17 : i64}
      : (tensor<?x?x64xf32>, tensor<64xf32>) -> (tensor<?x?x64xf32>, tensor<?x?x1xf32>)
  return %0, %1, %2#1 : tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x1xf32>
}

// -----

// CHECK-LABEL: func.func @rms_norm
// CHECK: awq.rms_norm %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32}
// CHECK: awq.rms_norm %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32}
// A scale of another element type is left alone.
// CHECK: onnx.node "RMSNormalization"
func.func @rms_norm(%x: tensor<?x64xf32>, %g: tensor<64xf32>, %g16: tensor<64xf16>)
    -> (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>) {
  %0 = onnx.node "SimplifiedLayerNormalization"(%x, %g) {opset = 1 : i64, attrs = {axis = -1 : i64, epsilon = 1.0e-06 : f32}}
      : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  %1 = onnx.node "RMSNormalization"(%x, %g) {opset = 23 : i64}
      : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  %2 = onnx.node "RMSNormalization"(%x, %g16) {opset = 23 : i64}
      : (tensor<?x64xf32>, tensor<64xf16>) -> tensor<?x64xf32>
  return %0, %1, %2 : tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// CHECK-LABEL: func.func @silu
// CHECK-SAME: (%[[X:.*]]: tensor<?x172xf32>, %[[Y:.*]]: tensor<?x172xf32>)
// The Sigmoid of x has no users left and is gone.
// CHECK-NOT: onnx.node "Sigmoid"(%[[X]])
// CHECK: %[[A:.*]] = awq.silu %[[X]] : tensor<?x172xf32>
// CHECK: %[[B:.*]] = awq.silu %[[X]] : tensor<?x172xf32>
// x * sigmoid(y) is not SiLU.
// CHECK: %[[S:.*]] = onnx.node "Sigmoid"(%[[Y]])
// CHECK: onnx.node "Mul"(%[[X]], %[[S]])
func.func @silu(%x: tensor<?x172xf32>, %y: tensor<?x172xf32>) -> (tensor<?x172xf32>, tensor<?x172xf32>, tensor<?x172xf32>) {
  %s = onnx.node "Sigmoid"(%x) {opset = 13 : i64} : (tensor<?x172xf32>) -> tensor<?x172xf32>
  %0 = onnx.node "Mul"(%x, %s) {opset = 14 : i64} : (tensor<?x172xf32>, tensor<?x172xf32>) -> tensor<?x172xf32>
  %1 = onnx.node "Mul"(%s, %x) {opset = 14 : i64} : (tensor<?x172xf32>, tensor<?x172xf32>) -> tensor<?x172xf32>
  %sy = onnx.node "Sigmoid"(%y) {opset = 13 : i64} : (tensor<?x172xf32>) -> tensor<?x172xf32>
  %2 = onnx.node "Mul"(%x, %sy) {opset = 14 : i64} : (tensor<?x172xf32>, tensor<?x172xf32>) -> tensor<?x172xf32>
  return %0, %1, %2 : tensor<?x172xf32>, tensor<?x172xf32>, tensor<?x172xf32>
}

// -----

// CHECK-LABEL: func.func @gelu
// CHECK: awq.gelu %{{.*}} {approximate = #awq.gelu_approximation<tanh>} : tensor<?x256xf32>
// CHECK: awq.gelu %{{.*}} : tensor<?x256xf32>
// CHECK: awq.gelu %{{.*}} : tensor<?x256xf32>
// CHECK: awq.gelu %{{.*}} {approximate = #awq.gelu_approximation<tanh>} : tensor<?x256xf32>
// FastGelu with a bias input is not a plain GELU.
// CHECK: onnx.node "FastGelu"
func.func @gelu(%x: tensor<?x256xf32>, %b: tensor<256xf32>) -> (tensor<?x256xf32>, tensor<?x256xf32>, tensor<?x256xf32>, tensor<?x256xf32>, tensor<?x256xf32>) {
  %0 = onnx.node "Gelu"(%x) {opset = 20 : i64, attrs = {approximate = "tanh"}} : (tensor<?x256xf32>) -> tensor<?x256xf32>
  %1 = onnx.node "Gelu"(%x) {opset = 20 : i64} : (tensor<?x256xf32>) -> tensor<?x256xf32>
  %2 = onnx.node "Gelu"(%x) {domain = "com.microsoft", opset = 1 : i64} : (tensor<?x256xf32>) -> tensor<?x256xf32>
  %3 = onnx.node "FastGelu"(%x) {domain = "com.microsoft", opset = 1 : i64} : (tensor<?x256xf32>) -> tensor<?x256xf32>
  %4 = onnx.node "FastGelu"(%x, %b) {domain = "com.microsoft", opset = 1 : i64} : (tensor<?x256xf32>, tensor<256xf32>) -> tensor<?x256xf32>
  return %0, %1, %2, %3, %4 : tensor<?x256xf32>, tensor<?x256xf32>, tensor<?x256xf32>, tensor<?x256xf32>, tensor<?x256xf32>
}

// -----

// The RMSNorm chain torch.onnx.export writes for LlamaRMSNorm (README of
// utils/models) becomes one awq.rms_norm with the Add's epsilon.
// CHECK-LABEL: func.func @decomposed_rms_norm
// CHECK: %[[G:.*]] = onnx.initializer "norm.weight"
// CHECK: %[[N:.*]] = awq.rms_norm %arg0, %[[G]] {epsilon = 9.99999974E-6 : f32} : (tensor<?x?x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
// CHECK-NOT: onnx.node "Pow"
// CHECK: return %[[N]]
func.func @decomposed_rms_norm(%x: tensor<?x?x4xf32>) -> tensor<?x?x4xf32> {
  %g = onnx.initializer "norm.weight" = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %two = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<2.0> : tensor<f32>}} : () -> tensor<f32>
  %eps = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<1.0e-05> : tensor<f32>}} : () -> tensor<f32>
  %one = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<1.0> : tensor<f32>}} : () -> tensor<f32>
  %xc = onnx.node "Cast"(%x) {opset = 17 : i64, attrs = {to = 1 : i64}} : (tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %sq = onnx.node "Pow"(%xc, %two) {opset = 17 : i64} : (tensor<?x?x4xf32>, tensor<f32>) -> tensor<?x?x4xf32>
  %mean = onnx.node "ReduceMean"(%sq) {opset = 17 : i64, attrs = {axes = array<i64: -1>, keepdims = 1 : i64}} : (tensor<?x?x4xf32>) -> tensor<?x?x1xf32>
  %add = onnx.node "Add"(%mean, %eps) {opset = 17 : i64} : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %rms = onnx.node "Sqrt"(%add) {opset = 17 : i64} : (tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %inv = onnx.node "Div"(%one, %rms) {opset = 17 : i64} : (tensor<f32>, tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %n = onnx.node "Mul"(%xc, %inv) {opset = 17 : i64} : (tensor<?x?x4xf32>, tensor<?x?x1xf32>) -> tensor<?x?x4xf32>
  %nc = onnx.node "Cast"(%n) {opset = 17 : i64, attrs = {to = 1 : i64}} : (tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %y = onnx.node "Mul"(%g, %nc) {opset = 17 : i64} : (tensor<4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// Not an RMSNorm: the mean is over the first axis.
// CHECK-LABEL: func.func @decomposed_rms_norm_wrong_axis
// CHECK-NOT: awq.rms_norm
// CHECK: onnx.node "ReduceMean"
func.func @decomposed_rms_norm_wrong_axis(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %g = onnx.initializer "norm.weight" = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %two = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<2.0> : tensor<f32>}} : () -> tensor<f32>
  %eps = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<1.0e-05> : tensor<f32>}} : () -> tensor<f32>
  %sq = onnx.node "Pow"(%x, %two) {opset = 17 : i64} : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %mean = onnx.node "ReduceMean"(%sq) {opset = 17 : i64, attrs = {axes = array<i64: 0>, keepdims = 1 : i64}} : (tensor<3x4xf32>) -> tensor<1x4xf32>
  %add = onnx.node "Add"(%mean, %eps) {opset = 17 : i64} : (tensor<1x4xf32>, tensor<f32>) -> tensor<1x4xf32>
  %rms = onnx.node "Sqrt"(%add) {opset = 17 : i64} : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %n = onnx.node "Div"(%x, %rms) {opset = 17 : i64} : (tensor<3x4xf32>, tensor<1x4xf32>) -> tensor<3x4xf32>
  %y = onnx.node "Mul"(%n, %g) {opset = 17 : i64} : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// LayerNorm below opset 17: ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt,
// Div, Mul(weight), Add(bias) -> awq.layer_norm.
// CHECK-LABEL: func.func @decomposed_layer_norm
// CHECK: awq.layer_norm %arg0, %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32}
// CHECK-NOT: onnx.node "Sub"
func.func @decomposed_layer_norm(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %g = onnx.initializer "ln.weight" = dense<1.0> : tensor<4xf32>
  %b = onnx.initializer "ln.bias" = dense<0.5> : tensor<4xf32>
  %two = onnx.node "Constant"() {opset = 13 : i64, attrs = {value = dense<2.0> : tensor<f32>}} : () -> tensor<f32>
  %eps = onnx.node "Constant"() {opset = 13 : i64, attrs = {value = dense<1.0e-05> : tensor<f32>}} : () -> tensor<f32>
  %mean = onnx.node "ReduceMean"(%x) {opset = 13 : i64, attrs = {axes = array<i64: -1>, keepdims = 1 : i64}} : (tensor<?x4xf32>) -> tensor<?x1xf32>
  %c = onnx.node "Sub"(%x, %mean) {opset = 13 : i64} : (tensor<?x4xf32>, tensor<?x1xf32>) -> tensor<?x4xf32>
  %sq = onnx.node "Pow"(%c, %two) {opset = 13 : i64} : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  %var = onnx.node "ReduceMean"(%sq) {opset = 13 : i64, attrs = {axes = array<i64: -1>, keepdims = 1 : i64}} : (tensor<?x4xf32>) -> tensor<?x1xf32>
  %add = onnx.node "Add"(%var, %eps) {opset = 13 : i64} : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %std = onnx.node "Sqrt"(%add) {opset = 13 : i64} : (tensor<?x1xf32>) -> tensor<?x1xf32>
  %n = onnx.node "Div"(%c, %std) {opset = 13 : i64} : (tensor<?x4xf32>, tensor<?x1xf32>) -> tensor<?x4xf32>
  %m = onnx.node "Mul"(%n, %g) {opset = 13 : i64} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %y = onnx.node "Add"(%m, %b) {opset = 13 : i64} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
