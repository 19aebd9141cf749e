// RUN: awq-opt %s -split-input-file -verify-diagnostics

func.func @empty_op_type(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'onnx.node' op op_type must not be empty}}
  %0 = onnx.node ""(%x) {opset = 17 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @bad_opset(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'onnx.node' op opset must be positive, got 0}}
  %0 = onnx.node "Relu"(%x) {opset = 0 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @missing_opset(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'onnx.node' op requires attribute 'opset'}}
  %0 = onnx.node "Relu"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @initializer_not_elements() -> tensor<4xf32> {
  // expected-error @+1 {{invalid kind of attribute specified}}
  %0 = onnx.initializer "w" = 1.0 : f32
  return %0 : tensor<4xf32>
}
