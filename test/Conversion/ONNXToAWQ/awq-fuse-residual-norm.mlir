// RUN: awq-opt %s --awq-fuse-residual-norm --split-input-file | FileCheck %s

// A Llama layer's two residual adds, each normalized for the next block: both
// fuse, and the first sum (the residual stream) feeds the second Add through
// the fused op's `sum` result.
// CHECK-LABEL: func.func @llama_residual_stream
// CHECK-SAME: (%[[X:.*]]: tensor<1x?x64xf32>, %[[A:.*]]: tensor<1x?x64xf32>, %[[M:.*]]: tensor<1x?x64xf32>, %[[G1:.*]]: tensor<64xf32>, %[[G2:.*]]: tensor<64xf32>)
// CHECK-NOT: onnx.node
// CHECK: %[[H:.*]], %[[N:.*]] = awq.add_rms_norm %[[X]], %[[A]], %[[G1]] {epsilon = 9.99999974E-6 : f32} : (tensor<1x?x64xf32>, tensor<1x?x64xf32>, tensor<64xf32>) -> (tensor<1x?x64xf32>, tensor<1x?x64xf32>)
// CHECK-NEXT: %[[O:.*]], %[[N2:.*]] = awq.add_rms_norm %[[H]], %[[M]], %[[G2]] {epsilon = 9.99999974E-6 : f32, unit_offset}
// CHECK-NEXT: return %[[N]], %[[O]], %[[N2]]
func.func @llama_residual_stream(%x: tensor<1x?x64xf32>, %attn: tensor<1x?x64xf32>, %mlp: tensor<1x?x64xf32>,
                                 %g1: tensor<64xf32>, %g2: tensor<64xf32>)
    -> (tensor<1x?x64xf32>, tensor<1x?x64xf32>, tensor<1x?x64xf32>) {
  %h = onnx.node "Add"(%x, %attn) {opset = 17 : i64} : (tensor<1x?x64xf32>, tensor<1x?x64xf32>) -> tensor<1x?x64xf32>
  %n = awq.rms_norm %h, %g1 {epsilon = 1.0e-05 : f32} : (tensor<1x?x64xf32>, tensor<64xf32>) -> tensor<1x?x64xf32>
  %o = onnx.node "Add"(%h, %mlp) {opset = 17 : i64} : (tensor<1x?x64xf32>, tensor<1x?x64xf32>) -> tensor<1x?x64xf32>
  %n2 = awq.rms_norm %o, %g2 {epsilon = 1.0e-05 : f32, unit_offset} : (tensor<1x?x64xf32>, tensor<64xf32>) -> tensor<1x?x64xf32>
  return %n, %o, %n2 : tensor<1x?x64xf32>, tensor<1x?x64xf32>, tensor<1x?x64xf32>
}

// -----

// GPT-2's LayerNorm with a bias, f16, the Add's operands in the other order.
// CHECK-LABEL: func.func @layer_norm_with_bias
// CHECK-SAME: (%[[X:.*]]: tensor<2x?x32xf16>, %[[R:.*]]: tensor<2x?x32xf16>, %[[G:.*]]: tensor<32xf16>, %[[B:.*]]: tensor<32xf16>)
// CHECK: %[[S:.*]], %[[N:.*]] = awq.add_layer_norm %[[R]], %[[X]], %[[G]], %[[B]] {epsilon = 9.99999974E-6 : f32}
// CHECK-NEXT: return %[[N]], %[[S]]
func.func @layer_norm_with_bias(%x: tensor<2x?x32xf16>, %r: tensor<2x?x32xf16>, %g: tensor<32xf16>, %b: tensor<32xf16>)
    -> (tensor<2x?x32xf16>, tensor<2x?x32xf16>) {
  %h = onnx.node "Add"(%r, %x) {opset = 14 : i64} : (tensor<2x?x32xf16>, tensor<2x?x32xf16>) -> tensor<2x?x32xf16>
  %n = awq.layer_norm %h, %g, %b {epsilon = 1.0e-05 : f32} : (tensor<2x?x32xf16>, tensor<32xf16>, tensor<32xf16>) -> tensor<2x?x32xf16>
  return %n, %h : tensor<2x?x32xf16>, tensor<2x?x32xf16>
}

// -----

// Not fused: an Add that broadcasts (a bias row), an input that is no Add,
// and a norm whose weight is computed after the Add.
// CHECK-LABEL: func.func @not_fused
// CHECK: onnx.node "Add"
// CHECK-NEXT: awq.rms_norm
// CHECK-NEXT: awq.layer_norm
// CHECK-NEXT: onnx.node "Add"
// CHECK-NEXT: onnx.node "Mul"
// CHECK-NEXT: awq.rms_norm
// CHECK-NOT: awq.add_
func.func @not_fused(%x: tensor<4x64xf32>, %bias: tensor<64xf32>, %g: tensor<64xf32>)
    -> (tensor<4x64xf32>, tensor<4x64xf32>, tensor<4x64xf32>) {
  %h = onnx.node "Add"(%x, %bias) {opset = 17 : i64} : (tensor<4x64xf32>, tensor<64xf32>) -> tensor<4x64xf32>
  %n = awq.rms_norm %h, %g {epsilon = 1.0e-05 : f32} : (tensor<4x64xf32>, tensor<64xf32>) -> tensor<4x64xf32>
  %l = awq.layer_norm %x, %g {epsilon = 1.0e-05 : f32} : (tensor<4x64xf32>, tensor<64xf32>) -> tensor<4x64xf32>
  %s = onnx.node "Add"(%x, %l) {opset = 17 : i64} : (tensor<4x64xf32>, tensor<4x64xf32>) -> tensor<4x64xf32>
  %w = onnx.node "Mul"(%g, %g) {opset = 17 : i64} : (tensor<64xf32>, tensor<64xf32>) -> tensor<64xf32>
  %m = awq.rms_norm %s, %w {epsilon = 1.0e-05 : f32} : (tensor<4x64xf32>, tensor<64xf32>) -> tensor<4x64xf32>
  return %n, %l, %m : tensor<4x64xf32>, tensor<4x64xf32>, tensor<4x64xf32>
}

// -----

// Two norms of one sum: one fuses, the other reads the fused sum.
// CHECK-LABEL: func.func @two_norms_of_one_sum
// CHECK: %[[S:.*]], %{{.*}} = awq.add_rms_norm
// CHECK-NEXT: awq.rms_norm %[[S]]
// CHECK-NEXT: return
func.func @two_norms_of_one_sum(%x: tensor<4x64xf32>, %r: tensor<4x64xf32>, %g: tensor<64xf32>)
    -> (tensor<4x64xf32>, tensor<4x64xf32>) {
  %h = onnx.node "Add"(%x, %r) {opset = 17 : i64} : (tensor<4x64xf32>, tensor<4x64xf32>) -> tensor<4x64xf32>
  %a = awq.rms_norm %h, %g {epsilon = 1.0e-05 : f32} : (tensor<4x64xf32>, tensor<64xf32>) -> tensor<4x64xf32>
  %b = awq.rms_norm %h, %g {epsilon = 1.0e-06 : f32} : (tensor<4x64xf32>, tensor<64xf32>) -> tensor<4x64xf32>
  return %a, %b : tensor<4x64xf32>, tensor<4x64xf32>
}
