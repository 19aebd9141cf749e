// A four-token "language model" for awq-run's error tests: the logits of a
// token are its row of an embedding table. No awq.config metadata, so it
// states no context length.
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "input_ids"}) -> tensor<?x?x4xf32>
    attributes {onnx.output_names = ["logits"]} {
  %table = onnx.initializer "embedding" = dense<[[0.0, 1.0, 2.0, 3.0], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [3.0, 2.0, 1.0, 0.0]]> : tensor<4x4xf32>
  %logits = onnx.node "Gather"(%table, %ids) {opset = 17 : i64, name = "/embed/Gather"}
      : (tensor<4x4xf32>, tensor<?x?xi64>) -> tensor<?x?x4xf32>
  return %logits : tensor<?x?x4xf32>
}
