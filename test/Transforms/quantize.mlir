// RUN: awq-opt %s --split-input-file --awq-quantize="bits=4 group-size=2" | FileCheck %s
// RUN: awq-opt %s --split-input-file --awq-quantize="bits=4 group-size=-1 zero-point=false" | FileCheck %s --check-prefix=CHANNEL
// RUN: awq-opt %s --split-input-file --awq-quantize="bits=4 group-size=2 exclude=^up\.weight$" | FileCheck %s --check-prefix=EXCLUDE
// RUN: awq-opt %s --split-input-file --awq-quantize="bits=4 group-size=2 quantize-lm-head=true" | FileCheck %s --check-prefix=HEAD

// Two rows, two groups of two inputs (by hand, asymmetric 4-bit):
//   row 0: [-1, 2] scale 0.2 zero 5 codes [0, 15]; [0, 1.5] scale 0.1 zero 0 codes [0, 15]
//   row 1: [-3, 0] scale 0.2 zero 15 codes [0, 15]; [0.6, -0.9] scale 0.1 zero 9 codes [15, 0]
// Packed low nibble first: row 0 [0xF0, 0xF0] = [240, 240]; row 1 [240, 15].
// The second linear reaches the result without another linear: it is the
// LM head and stays in full precision unless asked for.
// CHECK-LABEL: func.func @rtn
// CHECK-DAG: %[[Q:.*]] = onnx.initializer "up.weight.qweight" = dense<{{\[}}[240, 240], [240, 15]]> : tensor<2x2xui8>
// CHECK-DAG: %[[S:.*]] = onnx.initializer "up.weight.scales" = dense<{{\[}}[2.000000e-01, 1.000000e-01], [2.000000e-01, 1.000000e-01]]> : tensor<2x2xf32>
// CHECK-DAG: %[[Z:.*]] = onnx.initializer "up.weight.zeros" = dense<{{\[}}[5, 0], [15, 9]]> : tensor<2x2xui8>
// CHECK-NOT: "up.weight" =
// CHECK: %[[Y:.*]] = awq.group_matmul %{{.*}}, %[[Q]], %[[S]] zero_points %[[Z]] bias %{{.*}} {bits = 4 : i64, group_size = 2 : i64, in_features = 4 : i64, name = "/up/MatMul"}
// CHECK: awq.linear %[[Y]], %{{.*}} {name = "/lm_head/MatMul"}
// CHANNEL-LABEL: func.func @rtn
// CHANNEL: awq.group_matmul %{{.*}}, %{{.*}}, %{{.*}} bias %{{.*}} {bits = 4 : i64, group_size = 4 : i64, in_features = 4 : i64, name = "/up/MatMul"} : (tensor<3x4xf32>, tensor<2x2xui8>, tensor<2x1xf32>, tensor<2xf32>) -> tensor<3x2xf32>
// EXCLUDE-LABEL: func.func @rtn
// EXCLUDE-NOT: awq.group_matmul
// EXCLUDE: awq.linear %arg0, %{{.*}}, %{{.*}} {name = "/up/MatMul", transpose_weight}
// EXCLUDE-LABEL: func.func @partial_group
// HEAD-LABEL: func.func @rtn
// HEAD: awq.group_matmul {{.*}}name = "/up/MatMul"
// HEAD: awq.group_matmul {{.*}}name = "/lm_head/MatMul"
func.func @rtn(%x: tensor<3x4xf32>) -> tensor<3x5xf32> {
  %w = onnx.initializer "up.weight" = dense<[[-1.0, 2.0, 0.0, 1.5], [-3.0, 0.0, 0.6, -0.9]]> : tensor<2x4xf32>
  %b = onnx.initializer "up.bias" = dense<[0.5, -0.5]> : tensor<2xf32>
  %head = onnx.initializer "lm_head.weight" = dense<1.0> : tensor<2x5xf32>
  %y = awq.linear %x, %w, %b {transpose_weight, name = "/up/MatMul"} : (tensor<3x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %logits = awq.linear %y, %head {name = "/lm_head/MatMul"} : (tensor<3x2xf32>, tensor<2x5xf32>) -> tensor<3x5xf32>
  return %logits : tensor<3x5xf32>
}

// -----

// Five inputs in groups of two: the last group is partial (one input);
// codes pack into ceil(5 * 4 / 8) = 3 bytes per row.
// CHECK-LABEL: func.func @partial_group
// CHECK: awq.group_matmul {{.*}} {bits = 4 : i64, group_size = 2 : i64, in_features = 5 : i64, name = "/fc/MatMul"} : (tensor<?x5xf32>, tensor<3x3xui8>, tensor<3x3xf32>, tensor<3x3xui8>) -> tensor<?x3xf32>
func.func @partial_group(%x: tensor<?x5xf32>) -> tensor<?x4xf32> {
  %w = onnx.initializer "fc.weight" = dense<[[0.1, -0.2, 0.3], [0.4, 0.5, -0.6], [0.7, 0.8, 0.9], [-1.0, 1.1, 1.2], [1.3, -1.4, 1.5]]> : tensor<5x3xf32>
  %head = onnx.initializer "lm_head.weight" = dense<1.0> : tensor<3x4xf32>
  %y = awq.linear %x, %w {name = "/fc/MatMul"} : (tensor<?x5xf32>, tensor<5x3xf32>) -> tensor<?x3xf32>
  %logits = awq.linear %y, %head {name = "/lm_head/MatMul"} : (tensor<?x3xf32>, tensor<3x4xf32>) -> tensor<?x4xf32>
  return %logits : tensor<?x4xf32>
}

// -----

// An MoE router (its result reaches a TopK) stays in full precision; so does
// a linear whose weight is an activation.
// CHECK-LABEL: func.func @router
// CHECK: awq.linear {{.*}}name = "/router/MatMul"
// CHECK: awq.linear %{{.*}}, %arg1 {name = "/dynamic/MatMul"}
func.func @router(%x: tensor<4x8xf32>, %dynamic: tensor<8x4xf32>) -> (tensor<4x2xf32>, tensor<4x2xi64>, tensor<4x4xf32>) {
  %w = onnx.initializer "router.weight" = dense<0.5> : tensor<8x4xf32>
  %k = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<2> : tensor<1xi64>}} : () -> tensor<1xi64>
  %logits = awq.linear %x, %w {name = "/router/MatMul"} : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  %values, %indices = onnx.node "TopK"(%logits, %k) {opset = 17 : i64} : (tensor<4x4xf32>, tensor<1xi64>) -> (tensor<4x2xf32>, tensor<4x2xi64>)
  %d = awq.linear %x, %dynamic {name = "/dynamic/MatMul"} : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  return %values, %indices, %d : tensor<4x2xf32>, tensor<4x2xi64>, tensor<4x4xf32>
}
