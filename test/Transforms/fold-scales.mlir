// RUN: awq-opt %s --split-input-file --awq-fold-scales | FileCheck %s

// RMSNorm weight absorbs 1/s: [1, 2, 3, 4] / [2, 4, 1, 0.5] = [0.5, 0.5, 3, 8].
// CHECK-LABEL: func.func @rms_norm
// CHECK: %[[G:.*]] = onnx.initializer "norm.weight.awq_scaled" = dense<[5.000000e-01, 5.000000e-01, 3.000000e+00, 8.000000e+00]>
// CHECK: %[[N:.*]] = awq.rms_norm %arg0, %[[G]]
// CHECK-NOT: awq.scale
// CHECK: awq.linear %[[N]]
// CHECK: awq.linear %[[N]]
func.func @rms_norm(%x: tensor<?x4xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %g = onnx.initializer "norm.weight" = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %s = onnx.initializer "s" = dense<[2.0, 4.0, 1.0, 0.5]> : tensor<4xf32>
  %wq = onnx.initializer "q.weight" = dense<1.0> : tensor<4x2xf32>
  %wk = onnx.initializer "k.weight" = dense<1.0> : tensor<4x2xf32>
  %n = awq.rms_norm %x, %g {epsilon = 1.0e-05 : f32} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %sn = awq.scale %n, %s : tensor<?x4xf32>, tensor<4xf32>
  %q = awq.linear %sn, %wq : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
  %k = awq.linear %sn, %wk : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
  return %q, %k : tensor<?x2xf32>, tensor<?x2xf32>
}

// -----

// Gemma's (1 + w) norm: w <- (1 + w) / s - 1 = [0, -0.75, -0.5, 7].
// CHECK-LABEL: func.func @rms_norm_unit_offset
// CHECK: onnx.initializer "norm.weight.awq_scaled" = dense<[0.000000e+00, -7.500000e-01, -5.000000e-01, 7.000000e+00]>
// CHECK: awq.rms_norm {{.*}}unit_offset
// CHECK-NOT: awq.scale
func.func @rms_norm_unit_offset(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %g = onnx.initializer "norm.weight" = dense<[1.0, 0.0, -0.5, 3.0]> : tensor<4xf32>
  %s = onnx.initializer "s" = dense<[2.0, 4.0, 1.0, 0.5]> : tensor<4xf32>
  %w = onnx.initializer "q.weight" = dense<1.0> : tensor<4x2xf32>
  %n = awq.rms_norm %x, %g {epsilon = 1.0e-05 : f32, unit_offset} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %sn = awq.scale %n, %s : tensor<?x4xf32>, tensor<4xf32>
  %q = awq.linear %sn, %w : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
  return %q : tensor<?x2xf32>
}

// -----

// LayerNorm: gamma and beta both divided by s.
// CHECK-LABEL: func.func @layer_norm
// CHECK-DAG: %[[G:.*]] = onnx.initializer "ln.weight.awq_scaled" = dense<[5.000000e-01, 2.500000e-01, 1.000000e+00, 2.000000e+00]>
// CHECK-DAG: %[[B:.*]] = onnx.initializer "ln.bias.awq_scaled" = dense<[1.000000e+00, -1.000000e+00, 0.000000e+00, 4.000000e+00]>
// CHECK: awq.layer_norm %arg0, %[[G]], %[[B]]
// CHECK-NOT: awq.scale
func.func @layer_norm(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  %g = onnx.initializer "ln.weight" = dense<1.0> : tensor<4xf32>
  %b = onnx.initializer "ln.bias" = dense<[2.0, -4.0, 0.0, 2.0]> : tensor<4xf32>
  %s = onnx.initializer "s" = dense<[2.0, 4.0, 1.0, 0.5]> : tensor<4xf32>
  %w = onnx.initializer "fc1.weight" = dense<1.0> : tensor<4x2xf32>
  %n = awq.layer_norm %x, %g, %b {epsilon = 1.0e-05 : f32} : (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %sn = awq.scale %n, %s : tensor<?x4xf32>, tensor<4xf32>
  %y = awq.linear %sn, %w : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// up -> SiLU(gate) * up -> down: up's output rows (columns of its [K, N]
// weight) and bias are divided by s = [2, 4].
// CHECK-LABEL: func.func @swiglu_up_down
// CHECK-DAG: %[[UP:.*]] = onnx.initializer "up.weight.awq_scaled" = dense<{{\[}}[5.000000e-01, 2.500000e-01], [1.000000e+00, 5.000000e-01], [1.500000e+00, 7.500000e-01]]>
// CHECK-DAG: %[[UB:.*]] = onnx.initializer "up.bias.awq_scaled" = dense<1.000000e+00> : tensor<2xf32>
// CHECK: %[[U:.*]] = awq.linear %arg0, %[[UP]], %[[UB]]
// CHECK: %[[M:.*]] = onnx.node "Mul"(%{{.*}}, %[[U]])
// CHECK-NOT: awq.scale
// CHECK: awq.linear %[[M]]
func.func @swiglu_up_down(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %wg = onnx.initializer "gate.weight" = dense<1.0> : tensor<3x2xf32>
  %wu = onnx.initializer "up.weight" = dense<[[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]> : tensor<3x2xf32>
  %bu = onnx.initializer "up.bias" = dense<[2.0, 4.0]> : tensor<2xf32>
  %wd = onnx.initializer "down.weight" = dense<1.0> : tensor<2x3xf32>
  %s = onnx.initializer "s" = dense<[2.0, 4.0]> : tensor<2xf32>
  %gate = awq.linear %x, %wg : (tensor<?x3xf32>, tensor<3x2xf32>) -> tensor<?x2xf32>
  %up = awq.linear %x, %wu, %bu : (tensor<?x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  %act = awq.silu %gate : tensor<?x2xf32>
  %h = onnx.node "Mul"(%act, %up) {opset = 17 : i64} : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
  %sh = awq.scale %h, %s : tensor<?x2xf32>, tensor<2xf32>
  %y = awq.linear %sh, %wd : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

// GQA v -> o: 2 query heads share 1 KV head of 2 channels. The scale on o's
// 4 inputs [2, 4, 2, 4] is the same on both query heads and maps to v's
// output channels [2, 4]; v's [N, K] rows are divided by it.
// CHECK-LABEL: func.func @gqa_v_o
// CHECK: %[[V:.*]] = onnx.initializer "v.weight.awq_scaled" = dense<{{\[}}[5.000000e-01, 5.000000e-01, 5.000000e-01, 5.000000e-01], [2.500000e-01, 2.500000e-01, 2.500000e-01, 2.500000e-01]]>
// CHECK: awq.linear %arg0, %[[V]] {transpose_weight}
// CHECK-NOT: awq.scale
func.func @gqa_v_o(%x: tensor<1x3x4xf32>, %p: tensor<1x2x3x3xf32>) -> tensor<1x3x4xf32> {
  %wv = onnx.initializer "v.weight" = dense<1.0> : tensor<2x4xf32>
  %wo = onnx.initializer "o.weight" = dense<1.0> : tensor<4x4xf32>
  %s = onnx.initializer "s" = dense<[2.0, 4.0, 2.0, 4.0]> : tensor<4xf32>
  %split = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<[0, 0, 1, 2]> : tensor<4xi64>}} : () -> tensor<4xi64>
  %axis = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<2> : tensor<1xi64>}} : () -> tensor<1xi64>
  %rep = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<[1, 1, 2, 1, 1]> : tensor<5xi64>}} : () -> tensor<5xi64>
  %heads = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<[0, 2, -1, 2]> : tensor<4xi64>}} : () -> tensor<4xi64>
  %merge = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<[0, 0, 4]> : tensor<3xi64>}} : () -> tensor<3xi64>
  %v = awq.linear %x, %wv {transpose_weight} : (tensor<1x3x4xf32>, tensor<2x4xf32>) -> tensor<1x3x2xf32>
  %v1 = onnx.node "Reshape"(%v, %split) {opset = 17 : i64} : (tensor<1x3x2xf32>, tensor<4xi64>) -> tensor<1x3x1x2xf32>
  %v2 = onnx.node "Transpose"(%v1) {opset = 17 : i64, attrs = {perm = array<i64: 0, 2, 1, 3>}} : (tensor<1x3x1x2xf32>) -> tensor<1x1x3x2xf32>
  %v3 = onnx.node "Unsqueeze"(%v2, %axis) {opset = 17 : i64} : (tensor<1x1x3x2xf32>, tensor<1xi64>) -> tensor<1x1x1x3x2xf32>
  %v4 = onnx.node "Expand"(%v3, %rep) {opset = 17 : i64} : (tensor<1x1x1x3x2xf32>, tensor<5xi64>) -> tensor<1x1x2x3x2xf32>
  %v5 = onnx.node "Reshape"(%v4, %heads) {opset = 17 : i64} : (tensor<1x1x2x3x2xf32>, tensor<4xi64>) -> tensor<1x2x3x2xf32>
  %a = onnx.node "MatMul"(%p, %v5) {opset = 17 : i64} : (tensor<1x2x3x3xf32>, tensor<1x2x3x2xf32>) -> tensor<1x2x3x2xf32>
  %a1 = onnx.node "Transpose"(%a) {opset = 17 : i64, attrs = {perm = array<i64: 0, 2, 1, 3>}} : (tensor<1x2x3x2xf32>) -> tensor<1x3x2x2xf32>
  %a2 = onnx.node "Reshape"(%a1, %merge) {opset = 17 : i64} : (tensor<1x3x2x2xf32>, tensor<3xi64>) -> tensor<1x3x4xf32>
  %sa = awq.scale %a2, %s : tensor<1x3x4xf32>, tensor<4xf32>
  %o = awq.linear %sa, %wo : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32>
  return %o : tensor<1x3x4xf32>
}

// -----

// Negative: GELU does not commute with a scale, so it stays explicit.
// CHECK-LABEL: func.func @gelu_keeps_scale
// CHECK: %[[A:.*]] = awq.gelu
// CHECK: %[[S:.*]] = awq.scale %[[A]]
// CHECK: awq.linear %[[S]]
func.func @gelu_keeps_scale(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w1 = onnx.initializer "fc1.weight" = dense<1.0> : tensor<2x2xf32>
  %w2 = onnx.initializer "fc2.weight" = dense<1.0> : tensor<2x2xf32>
  %s = onnx.initializer "s" = dense<[2.0, 4.0]> : tensor<2xf32>
  %h = awq.linear %x, %w1 : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %a = awq.gelu %h : tensor<?x2xf32>
  %sa = awq.scale %a, %s : tensor<?x2xf32>, tensor<2xf32>
  %y = awq.linear %sa, %w2 : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// Negative: the norm's result also feeds the residual-free output directly,
// which would change if its weight absorbed 1/s.
// CHECK-LABEL: func.func @norm_with_other_user
// CHECK: onnx.initializer "norm.weight" = dense<1.000000e+00>
// CHECK: awq.scale
func.func @norm_with_other_user(%x: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %g = onnx.initializer "norm.weight" = dense<1.0> : tensor<2xf32>
  %w = onnx.initializer "fc.weight" = dense<1.0> : tensor<2x2xf32>
  %s = onnx.initializer "s" = dense<[2.0, 4.0]> : tensor<2xf32>
  %n = awq.rms_norm %x, %g {epsilon = 1.0e-05 : f32} : (tensor<?x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  %sn = awq.scale %n, %s : tensor<?x2xf32>, tensor<2xf32>
  %y = awq.linear %sn, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %y, %n : tensor<?x2xf32>, tensor<?x2xf32>
}

// -----

// Negative: different query heads asking for different scales of one KV
// channel cannot be folded into v.
// CHECK-LABEL: func.func @gqa_disagreeing_heads
// CHECK: onnx.initializer "v.weight" = dense<1.000000e+00>
// CHECK: awq.scale
func.func @gqa_disagreeing_heads(%x: tensor<1x3x4xf32>, %p: tensor<1x2x3x3xf32>) -> tensor<1x3x4xf32> {
  %wv = onnx.initializer "v.weight" = dense<1.0> : tensor<2x4xf32>
  %wo = onnx.initializer "o.weight" = dense<1.0> : tensor<4x4xf32>
  %s = onnx.initializer "s" = dense<[2.0, 4.0, 3.0, 4.0]> : tensor<4xf32>
  %split = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<[0, 0, 1, 2]> : tensor<4xi64>}} : () -> tensor<4xi64>
  %axis = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<2> : tensor<1xi64>}} : () -> tensor<1xi64>
  %rep = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<[1, 1, 2, 1, 1]> : tensor<5xi64>}} : () -> tensor<5xi64>
  %heads = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<[0, 2, -1, 2]> : tensor<4xi64>}} : () -> tensor<4xi64>
  %merge = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<[0, 0, 4]> : tensor<3xi64>}} : () -> tensor<3xi64>
  %v = awq.linear %x, %wv {transpose_weight} : (tensor<1x3x4xf32>, tensor<2x4xf32>) -> tensor<1x3x2xf32>
  %v1 = onnx.node "Reshape"(%v, %split) {opset = 17 : i64} : (tensor<1x3x2xf32>, tensor<4xi64>) -> tensor<1x3x1x2xf32>
  %v2 = onnx.node "Transpose"(%v1) {opset = 17 : i64, attrs = {perm = array<i64: 0, 2, 1, 3>}} : (tensor<1x3x1x2xf32>) -> tensor<1x1x3x2xf32>
  %v3 = onnx.node "Unsqueeze"(%v2, %axis) {opset = 17 : i64} : (tensor<1x1x3x2xf32>, tensor<1xi64>) -> tensor<1x1x1x3x2xf32>
  %v4 = onnx.node "Expand"(%v3, %rep) {opset = 17 : i64} : (tensor<1x1x1x3x2xf32>, tensor<5xi64>) -> tensor<1x1x2x3x2xf32>
  %v5 = onnx.node "Reshape"(%v4, %heads) {opset = 17 : i64} : (tensor<1x1x2x3x2xf32>, tensor<4xi64>) -> tensor<1x2x3x2xf32>
  %a = onnx.node "MatMul"(%p, %v5) {opset = 17 : i64} : (tensor<1x2x3x3xf32>, tensor<1x2x3x2xf32>) -> tensor<1x2x3x2xf32>
  %a1 = onnx.node "Transpose"(%a) {opset = 17 : i64, attrs = {perm = array<i64: 0, 2, 1, 3>}} : (tensor<1x2x3x2xf32>) -> tensor<1x3x2x2xf32>
  %a2 = onnx.node "Reshape"(%a1, %merge) {opset = 17 : i64} : (tensor<1x3x2x2xf32>, tensor<3xi64>) -> tensor<1x3x4xf32>
  %sa = awq.scale %a2, %s : tensor<1x3x4xf32>, tensor<4xf32>
  %o = awq.linear %sa, %wo : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32>
  return %o : tensor<1x3x4xf32>
}
