// RUN: awq-opt %s --awq-fuse-kv-cache --split-input-file | FileCheck %s

// A layer's cache as HF exports it: past from the model's inputs (its length
// also read by Shape), present concatenated on axis 2, read by the fused
// attention and returned.
// CHECK-LABEL: func.func @cache_read_by_attention
// CHECK-SAME: (%[[Q:.*]]: tensor<1x4x?x8xf32>, %[[K:.*]]: tensor<1x2x?x8xf32>, %[[V:.*]]: tensor<1x2x?x8xf32>, %[[PK:.*]]: tensor<1x2x?x8xf32>, %[[PV:.*]]: tensor<1x2x?x8xf32>)
// CHECK-DAG: %[[KC:.*]] = awq.kv_cache_append %[[PK]], %[[K]] : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
// CHECK-DAG: %[[VC:.*]] = awq.kv_cache_append %[[PV]], %[[V]] : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
// CHECK-DAG: onnx.node "Shape"(%[[PK]])
// CHECK: %[[O:.*]] = awq.attention %[[Q]], %[[KC]], %[[VC]]
// CHECK: return %[[O]], %[[KC]], %[[VC]]
// CHECK-NOT: "Concat"
func.func @cache_read_by_attention(%q: tensor<1x4x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>,
                                   %pk: tensor<1x2x?x8xf32>, %pv: tensor<1x2x?x8xf32>)
    -> (tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<4xi64>) {
  %len = onnx.node "Shape"(%pk) {opset = 17 : i64} : (tensor<1x2x?x8xf32>) -> tensor<4xi64>
  %kc = onnx.node "Concat"(%pk, %k) {opset = 17 : i64, attrs = {axis = -2 : i64}} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %vc = onnx.node "Concat"(%pv, %v) {opset = 17 : i64, attrs = {axis = 2 : i64}} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %o = awq.attention %q, %kc, %vc {scale = 0.35355338 : f32} : (tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x4x?x8xf32>
  return %o, %kc, %vc, %len : tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<4xi64>
}

// -----

// Left as Concat: a cache the generic MatMul reads (attention not fused), a
// past another op reads, a concatenation on another axis, and one whose
// first operand is computed rather than a model input.
// CHECK-LABEL: func.func @not_a_cache
// CHECK-NOT: awq.kv_cache_append
// CHECK-COUNT-4: onnx.node "Concat"
// CHECK-NOT: awq.kv_cache_append
func.func @not_a_cache(%q: tensor<1x2x1x8xf32>, %k: tensor<1x2x1x8xf32>, %pk: tensor<1x2x?x8xf32>,
                       %pv: tensor<1x2x?x8xf32>, %pw: tensor<1x2x?x8xf32>)
    -> (tensor<1x2x1x?xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x8xf32>) {
  %kc = onnx.node "Concat"(%pk, %k) {opset = 17 : i64, attrs = {axis = 2 : i64}} : (tensor<1x2x?x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x?x8xf32>
  %kt = onnx.node "Transpose"(%kc) {opset = 17 : i64, attrs = {perm = [0, 1, 3, 2]}} : (tensor<1x2x?x8xf32>) -> tensor<1x2x8x?xf32>
  %s = onnx.node "MatMul"(%q, %kt) {opset = 17 : i64} : (tensor<1x2x1x8xf32>, tensor<1x2x8x?xf32>) -> tensor<1x2x1x?xf32>
  %vc = onnx.node "Concat"(%pv, %k) {opset = 17 : i64, attrs = {axis = 2 : i64}} : (tensor<1x2x?x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x?x8xf32>
  %pv2 = onnx.node "Neg"(%pv) {opset = 17 : i64} : (tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %wc = onnx.node "Concat"(%pw, %pw) {opset = 17 : i64, attrs = {axis = 3 : i64}} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x16xf32>
  %xc = onnx.node "Concat"(%pv2, %k) {opset = 17 : i64, attrs = {axis = 2 : i64}} : (tensor<1x2x?x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x?x8xf32>
  return %s, %vc, %pv2, %wc, %xc : tensor<1x2x1x?xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x8xf32>
}
