// Ops that read [B, S, H, D] (awq-fuse-head-transposes) export with the head
// transposes they took in: the update transposed before its Concat, the
// query before the scores MatMul and the result after the last MatMul.
// RUN: awq-translate --export-onnx %s -o %t.onnx
// RUN: awq-translate --import-onnx %t.onnx | FileCheck %s
// CHECK: func.func @{{.*}}(%[[PAST:[^:]*]]: tensor<1x2x?x4xf32> {{.*}}, %[[Q:[^:]*]]: tensor<1x1x4x4xf32> {{.*}}, %[[NEW:[^:]*]]: tensor<1x1x2x4xf32> {{.*}})
// CHECK: %[[NEWT:.*]] = onnx.node "Transpose"(%[[NEW]]) {attrs = {perm = array<i64: 0, 2, 1, 3>}, {{.*}}} : (tensor<1x1x2x4xf32>) -> tensor<1x2x1x4xf32>
// CHECK: %[[PRESENT:.*]] = onnx.node "Concat"(%[[PAST]], %[[NEWT]]) {{.*}} -> tensor<1x2x?x4xf32>
// CHECK: %[[QT:.*]] = onnx.node "Transpose"(%[[Q]]) {attrs = {perm = array<i64: 0, 2, 1, 3>}, {{.*}}} : (tensor<1x1x4x4xf32>) -> tensor<1x4x1x4xf32>
// CHECK: onnx.node "MatMul"(%[[QT]], %{{.*}})
// CHECK: %[[O:.*]] = onnx.node "MatMul"(%{{.*}}) {{.*}} -> tensor<1x4x1x4xf32>
// CHECK: %[[OT:.*]] = onnx.node "Transpose"(%[[O]]) {attrs = {perm = array<i64: 0, 2, 1, 3>}, {{.*}}} : (tensor<1x4x1x4xf32>) -> tensor<1x1x4x4xf32>
// CHECK: return %[[OT]], %[[PRESENT]]
// CHECK-NOT: awq.
module attributes {onnx.opset_imports = {ai.onnx = 17 : i64}} {
  func.func @main(%past: tensor<1x2x?x4xf32> {onnx.name = "past_key_values.0.key"},
                  %q: tensor<1x1x4x4xf32> {onnx.name = "query"},
                  %k: tensor<1x1x2x4xf32> {onnx.name = "key"})
      -> (tensor<1x1x4x4xf32>, tensor<1x2x?x4xf32>)
      attributes {onnx.output_names = ["attention", "present.0.key"]} {
    %present = awq.kv_cache_append %past, %k {update_layout = #awq.head_layout<bshd>}
        : (tensor<1x2x?x4xf32>, tensor<1x1x2x4xf32>) -> tensor<1x2x?x4xf32>
    %o = awq.attention %q, %present, %present {scale = 0.5 : f32, query_layout = #awq.head_layout<bshd>}
        : (tensor<1x1x4x4xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>) -> tensor<1x1x4x4xf32>
    return %o, %present : tensor<1x1x4x4xf32>, tensor<1x2x?x4xf32>
  }
}
