// An ONNX operator the executor has no kernel for.
func.func @main(%x: tensor<4xf32> {onnx.name = "x"}) -> tensor<4xf32> {
  %y = onnx.node "Hardmax"(%x) {opset = 17 : i64, name = "/head/Hardmax"}
      : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}
