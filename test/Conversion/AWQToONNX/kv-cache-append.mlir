// awq.kv_cache_append exports as the Concat on axis 2 it was formed from.
// RUN: awq-translate --export-onnx %s -o %t.onnx
// RUN: awq-translate --import-onnx %t.onnx | FileCheck %s
// CHECK: func.func @{{.*}}(%[[PAST:.*]]: tensor<1x2x?x4xf32> {{.*}}, %[[NEW:.*]]: tensor<1x2x1x4xf32> {{.*}})
// CHECK: %[[PRESENT:.*]] = onnx.node "Concat"(%[[PAST]], %[[NEW]]) {attrs = {axis = 2 : i64}, name = "/kv_cache_append/Concat", opset = 17 : i64} : (tensor<1x2x?x4xf32>, tensor<1x2x1x4xf32>) -> tensor<1x2x?x4xf32>
// CHECK: return %[[PRESENT]]
// CHECK-NOT: awq.
module attributes {onnx.opset_imports = {ai.onnx = 17 : i64}} {
  func.func @main(%past: tensor<1x2x?x4xf32> {onnx.name = "past_key_values.0.key"},
                  %k: tensor<1x2x1x4xf32> {onnx.name = "key"})
      -> tensor<1x2x?x4xf32> attributes {onnx.output_names = ["present.0.key"]} {
    %present = awq.kv_cache_append %past, %k : (tensor<1x2x?x4xf32>, tensor<1x2x1x4xf32>) -> tensor<1x2x?x4xf32>
    return %present : tensor<1x2x?x4xf32>
  }
}
