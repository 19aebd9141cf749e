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
// The chain's nodes, dead once raised, are erased: nothing else is left.
// CHECK-LABEL: func.func @decomposed_rms_norm
// CHECK-NEXT: %[[G:.*]] = onnx.initializer "norm.weight"
// CHECK-NEXT: %[[N:.*]] = awq.rms_norm %arg0, %[[G]] {epsilon = 9.99999974E-6 : f32} : (tensor<?x?x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
// CHECK-NEXT: return %[[N]]
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

// -----

// Gemma's RMSNorm multiplies by (1 + w): the weight stays w, with unit_offset.
// CHECK-LABEL: func.func @decomposed_rms_norm_gemma
// CHECK-NEXT: %[[G:.*]] = onnx.initializer "norm.weight"
// CHECK-NEXT: %[[N:.*]] = awq.rms_norm %arg0, %[[G]] {epsilon = 9.99999997E-7 : f32, unit_offset}
// CHECK-NEXT: return %[[N]]
func.func @decomposed_rms_norm_gemma(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %g = onnx.initializer "norm.weight" = dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32>
  %two = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<2.0> : tensor<f32>}} : () -> tensor<f32>
  %eps = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<1.0e-06> : tensor<f32>}} : () -> tensor<f32>
  %one = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<1.0> : tensor<f32>}} : () -> tensor<f32>
  %sq = onnx.node "Pow"(%x, %two) {opset = 17 : i64} : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  %mean = onnx.node "ReduceMean"(%sq) {opset = 17 : i64, attrs = {axes = array<i64: -1>, keepdims = 1 : i64}} : (tensor<?x4xf32>) -> tensor<?x1xf32>
  %add = onnx.node "Add"(%mean, %eps) {opset = 17 : i64} : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %rms = onnx.node "Sqrt"(%add) {opset = 17 : i64} : (tensor<?x1xf32>) -> tensor<?x1xf32>
  %n = onnx.node "Div"(%x, %rms) {opset = 17 : i64} : (tensor<?x4xf32>, tensor<?x1xf32>) -> tensor<?x4xf32>
  %w1 = onnx.node "Add"(%g, %one) {opset = 17 : i64} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %y = onnx.node "Mul"(%n, %w1) {opset = 17 : i64} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// torch's exact GELU: Mul(Mul(x, 1 + erf(x / sqrt 2)), 0.5).
// CHECK-LABEL: func.func @decomposed_gelu_erf
// CHECK-NEXT: %[[G:.*]] = awq.gelu %arg0 : tensor<?x8xf32>
// CHECK-NEXT: return %[[G]]
func.func @decomposed_gelu_erf(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %sqrt2 = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<1.41421354> : tensor<f32>}} : () -> tensor<f32>
  %one = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<1.0> : tensor<f32>}} : () -> tensor<f32>
  %half = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<0.5> : tensor<f32>}} : () -> tensor<f32>
  %d = onnx.node "Div"(%x, %sqrt2) {opset = 17 : i64} : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %e = onnx.node "Erf"(%d) {opset = 17 : i64} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %a = onnx.node "Add"(%e, %one) {opset = 17 : i64} : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %m = onnx.node "Mul"(%x, %a) {opset = 17 : i64} : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %y = onnx.node "Mul"(%m, %half) {opset = 17 : i64} : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// GPT-2's NewGELU: Mul(Mul(x, 0.5), 1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
// CHECK-LABEL: func.func @decomposed_gelu_tanh
// CHECK-NEXT: %[[G:.*]] = awq.gelu %arg0 {approximate = #awq.gelu_approximation<tanh>} : tensor<?x8xf32>
// CHECK-NEXT: return %[[G]]
func.func @decomposed_gelu_tanh(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %half = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<0.5> : tensor<f32>}} : () -> tensor<f32>
  %three = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<3.0> : tensor<f32>}} : () -> tensor<f32>
  %c = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<0.044715> : tensor<f32>}} : () -> tensor<f32>
  %s = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<0.797884583> : tensor<f32>}} : () -> tensor<f32>
  %one = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<1.0> : tensor<f32>}} : () -> tensor<f32>
  %hx = onnx.node "Mul"(%x, %half) {opset = 17 : i64} : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %p = onnx.node "Pow"(%x, %three) {opset = 17 : i64} : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %pc = onnx.node "Mul"(%p, %c) {opset = 17 : i64} : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %sum = onnx.node "Add"(%x, %pc) {opset = 17 : i64} : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %arg = onnx.node "Mul"(%sum, %s) {opset = 17 : i64} : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %t = onnx.node "Tanh"(%arg) {opset = 17 : i64} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %a = onnx.node "Add"(%t, %one) {opset = 17 : i64} : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %y = onnx.node "Mul"(%hx, %a) {opset = 17 : i64} : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Not a GELU: 0.6 instead of 0.5, and an erf of x / 2 instead of x / sqrt 2.
// CHECK-LABEL: func.func @decomposed_gelu_negative
// CHECK-NOT: awq.gelu
// CHECK: onnx.node "Erf"
func.func @decomposed_gelu_negative(%x: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %sqrt2 = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<1.41421354> : tensor<f32>}} : () -> tensor<f32>
  %two = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<2.0> : tensor<f32>}} : () -> tensor<f32>
  %one = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<1.0> : tensor<f32>}} : () -> tensor<f32>
  %half = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<0.5> : tensor<f32>}} : () -> tensor<f32>
  %notHalf = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<0.6> : tensor<f32>}} : () -> tensor<f32>
  %d = onnx.node "Div"(%x, %sqrt2) {opset = 17 : i64} : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %e = onnx.node "Erf"(%d) {opset = 17 : i64} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %a = onnx.node "Add"(%e, %one) {opset = 17 : i64} : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %m = onnx.node "Mul"(%x, %a) {opset = 17 : i64} : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %y0 = onnx.node "Mul"(%m, %notHalf) {opset = 17 : i64} : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %d2 = onnx.node "Div"(%x, %two) {opset = 17 : i64} : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %e2 = onnx.node "Erf"(%d2) {opset = 17 : i64} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %a2 = onnx.node "Add"(%e2, %one) {opset = 17 : i64} : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %m2 = onnx.node "Mul"(%x, %a2) {opset = 17 : i64} : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %y1 = onnx.node "Mul"(%m2, %half) {opset = 17 : i64} : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  return %y0, %y1 : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// onnxruntime's fused residual RMSNorm: the sum stays an ONNX Add on the
// residual stream (output 3), the norm becomes awq.rms_norm.
// CHECK-LABEL: func.func @skip_simplified_layer_norm
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[R:.*]]: tensor<?x8xf32>)
// CHECK: %[[S0:.*]] = onnx.node "Add"(%[[X]], %[[R]]) {name = "/layers.0/SkipNorm", opset = 14 : i64}
// CHECK: %[[S:.*]] = onnx.node "Add"(%[[S0]], %{{.*}}) {name = "/layers.0/SkipNorm", opset = 14 : i64}
// CHECK: %[[N:.*]] = awq.rms_norm %[[S]], %{{.*}} {epsilon = 9.99999997E-7 : f32}
// CHECK: return %[[N]], %[[S]]
func.func @skip_simplified_layer_norm(%x: tensor<?x8xf32>, %r: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %g = onnx.initializer "norm.weight" = dense<1.0> : tensor<8xf32>
  %b = onnx.initializer "norm.bias" = dense<0.5> : tensor<8xf32>
  %none = onnx.none
  %y:4 = onnx.node "SkipSimplifiedLayerNormalization"(%x, %r, %g, %b) {domain = "com.microsoft", opset = 1 : i64, name = "/layers.0/SkipNorm", attrs = {epsilon = 1.0e-06 : f32}}
      : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<?x8xf32>, tensor<?x1xf32>, tensor<?x1xf32>, tensor<?x8xf32>)
  return %y#0, %y#3 : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// SkipLayerNormalization keeps its beta; with the Mean output used it stays.
// CHECK-LABEL: func.func @skip_layer_norm
// CHECK: %[[S:.*]] = onnx.node "Add"
// CHECK: awq.layer_norm %[[S]], %{{.*}}, %{{.*}} {epsilon = 9.99999996E-13 : f32}
// CHECK: onnx.node "SkipLayerNormalization"
func.func @skip_layer_norm(%x: tensor<?x8xf32>, %r: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x1xf32>) {
  %g = onnx.initializer "ln.weight" = dense<1.0> : tensor<8xf32>
  %beta = onnx.initializer "ln.bias" = dense<0.5> : tensor<8xf32>
  %y = onnx.node "SkipLayerNormalization"(%x, %r, %g, %beta) {domain = "com.microsoft", opset = 1 : i64}
      : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %z:2 = onnx.node "SkipLayerNormalization"(%x, %r, %g, %beta) {domain = "com.microsoft", opset = 1 : i64}
      : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<?x8xf32>, tensor<?x1xf32>)
  return %y, %z#1 : tensor<?x8xf32>, tensor<?x1xf32>
}
