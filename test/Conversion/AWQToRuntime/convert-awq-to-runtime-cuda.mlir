// RUN: awq-opt %s --convert-awq-to-runtime=target=cuda | FileCheck %s
// RUN: not awq-opt %s --convert-awq-to-runtime=target=tpu 2>&1 | FileCheck %s --check-prefix=BAD

// target=cuda calls the CUDA backend's entry of every op (awq_cuda_node_*,
// the device form with the CPU entry as its fallback); nothing else changes.
// CHECK-DAG: func.func private @awq_cuda_node_onnx_Add(!llvm.ptr, !llvm.ptr, i32, !llvm.ptr, i32, !llvm.ptr) -> i32
// CHECK-DAG: func.func private @awq_cuda_node_awq_rms_norm(!llvm.ptr, !llvm.ptr, i32, !llvm.ptr, i32, !llvm.ptr) -> i32
// CHECK-LABEL: func.func @awq_compiled_model_graph
// CHECK: call @awq_cuda_node_awq_rms_norm(
// CHECK: call @awq_cuda_node_onnx_Add(
// CHECK-NOT: call @awq_node_

// BAD: error: convert-awq-to-runtime: target='tpu' is neither 'cpu' nor 'cuda'

func.func @main(%x: tensor<2x4xf32> {onnx.name = "x"}, %g: tensor<4xf32> {onnx.name = "g"}) -> (tensor<2x4xf32> {onnx.name = "y"}) {
  %0 = awq.rms_norm %x, %g {epsilon = 1.0e-05 : f32} : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %1 = onnx.node "Add"(%0, %x) {opset = 17 : i64, name = "residual"} : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return %1 : tensor<2x4xf32>
}
