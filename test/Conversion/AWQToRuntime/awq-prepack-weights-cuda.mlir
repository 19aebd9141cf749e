// RUN: awq-opt %s --awq-prepack-weights=target=cuda --split-input-file | FileCheck %s
// RUN: not awq-opt %s --awq-prepack-weights=target=gpu --split-input-file 2>&1 | FileCheck %s --check-prefix=BAD

// RUN: awq-opt %s --awq-prepack-weights="target=cuda cuda-layout=mma-tiles" --split-input-file | FileCheck %s --check-prefix=MMA
// RUN: not awq-opt %s --awq-prepack-weights="target=cuda cuda-layout=tiles" --split-input-file 2>&1 | FileCheck %s --check-prefix=BADLAYOUT

// BAD: awq-prepack-weights: target='gpu' is neither 'cpu' nor 'cuda'
// BADLAYOUT: awq-prepack-weights: cuda-layout='tiles' is not one of 'default', 'row-chunks', 'mma-tiles'

// target=cuda packs the CUDA kernels' blob (awq_cuda_group_weights_pack) into
// the same prepacked op: 1024 bytes = the 64-byte header padded to 256, codes
// 2 rows x 64 inputs at 4 bits (row chunks), f16 scales and u8 zeros of 2 x 2
// groups, each array on a 256-byte boundary.
// CHECK-LABEL: func.func @single
// CHECK-NOT: onnx.initializer "q"
// CHECK: onnx.initializer "b"
// CHECK: %[[BLOB:.*]] = arith.constant dense_resource<awq_cuda_packed> : tensor<1024xui8>
// CHECK: %[[Y:.*]] = awq.prepacked_matmul %arg0, %[[BLOB]] bias %{{.*}} {activations = "int8", name = "fc", out_features = 2 : i64} : (tensor<?x64xf32>, tensor<1024xui8>, tensor<2xf32>) -> tensor<?x2xf32>
// CHECK-NOT: awq.group_matmul
// The header after MLIR's alignment word: magic "AWQC", version 1, bits 4,
// scales f16 (awq_dtype 2: an f32 graph runs the CUDA group matmul in f16),
// group 32, K 64, N 2, K_padded 64, 2 groups, zero points, layout 0 (row chunks).
// CHECK: awq_cuda_packed: "0x4000000041575143010000000400000002000000200000000000000040000000000000000200000000000000400000000000000002000000000000000100000000000000
// cuda-layout=mma-tiles: the same header but layout 1 (mma tiles), and 1280
// bytes: the 2 rows padded to one 16-row tile (codes 16 x 64 x 4 bits = 512
// bytes), scales and zeros stored per (tile, group, row of 8).
// MMA-LABEL: func.func @single
// MMA: awq.prepacked_matmul %arg0, %{{.*}} bias %{{.*}} : (tensor<?x64xf32>, tensor<1280xui8>, tensor<2xf32>) -> tensor<?x2xf32>
// MMA: awq_cuda_packed: "0x4000000041575143010000000400000002000000200000000000000040000000000000000200000000000000400000000000000002000000000000000100000001000000
func.func @single(%x: tensor<?x64xf32>) -> tensor<?x2xf32> {
  %q = onnx.initializer "q" = dense<17> : tensor<2x32xui8>
  %s = onnx.initializer "s" = dense<0.5> : tensor<2x2xf32>
  %z = onnx.initializer "z" = dense<8> : tensor<2x2xui8>
  %b = onnx.initializer "b" = dense<1.0> : tensor<2xf32>
  %0 = awq.group_matmul %x, %q, %s zero_points %z bias %b
         {bits = 4 : i64, group_size = 32 : i64, in_features = 64 : i64, name = "fc"}
      : (tensor<?x64xf32>, tensor<2x32xui8>, tensor<2x2xf32>, tensor<2x2xui8>, tensor<2xf32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

// A bf16 graph's scales are stored in bf16 (awq_dtype 3); no zero points.
// CHECK-LABEL: func.func @bf16
// CHECK: awq.prepacked_matmul %arg0, %{{.*}} {activations = "int8", out_features = 2 : i64} : (tensor<?x64xbf16>, tensor<768xui8>) -> tensor<?x2xbf16>
// CHECK: awq_cuda_packed: "0x40000000415751430100000004000000030000002000000000000000400000000000000002000000000000004000000000000000020000000000000000000000
func.func @bf16(%x: tensor<?x64xbf16>) -> tensor<?x2xbf16> {
  %q = onnx.initializer "q" = dense<17> : tensor<2x32xui8>
  %s = onnx.initializer "s" = dense<0.5> : tensor<2x2xbf16>
  %0 = awq.group_matmul %x, %q, %s {bits = 4 : i64, group_size = 32 : i64, in_features = 64 : i64}
      : (tensor<?x64xbf16>, tensor<2x32xui8>, tensor<2x2xbf16>) -> tensor<?x2xbf16>
  return %0 : tensor<?x2xbf16>
}

// -----

// What the CUDA kernels cannot run stays canonical (the CUDA backend runs the
// CPU entry on it): 3-bit codes, groups of 16.
// CHECK-LABEL: func.func @not_for_the_kernels
// CHECK: awq.group_matmul %arg0, %{{.*}} {bits = 3 : i64
// CHECK: awq.group_matmul %arg0, %{{.*}} {bits = 4 : i64, group_size = 16 : i64
// CHECK-NOT: prepacked
func.func @not_for_the_kernels(%x: tensor<?x64xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %q3 = onnx.initializer "q3" = dense<17> : tensor<2x24xui8>
  %s = onnx.initializer "s" = dense<0.5> : tensor<2x2xf32>
  %a = awq.group_matmul %x, %q3, %s {bits = 3 : i64, group_size = 32 : i64, in_features = 64 : i64}
      : (tensor<?x64xf32>, tensor<2x24xui8>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %q4 = onnx.initializer "q4" = dense<17> : tensor<2x32xui8>
  %s16 = onnx.initializer "s16" = dense<0.5> : tensor<2x4xf32>
  %b = awq.group_matmul %x, %q4, %s16 {bits = 4 : i64, group_size = 16 : i64, in_features = 64 : i64}
      : (tensor<?x64xf32>, tensor<2x32xui8>, tensor<2x4xf32>) -> tensor<?x2xf32>
  return %a, %b : tensor<?x2xf32>, tensor<?x2xf32>
}

// -----

// LLaMA's gated MLP fuses as for the CPU, both blobs for the CUDA kernels
// (awq_cuda_gate_up_silu runs it).
// CHECK-LABEL: func.func @gate_up
// CHECK-NOT: onnx.initializer
// CHECK-DAG: %[[GATE:.*]] = arith.constant dense_resource<awq_cuda_packed{{.*}}>
// CHECK-DAG: %[[UP:.*]] = arith.constant dense_resource<awq_cuda_packed{{.*}}>
// CHECK: %[[H:.*]] = awq.prepacked_gate_up_silu %arg0, %[[GATE]], %[[UP]] {activations = "int8", name = "gate", out_features = 2 : i64}
// CHECK-NOT: awq.silu
// CHECK: return %[[H]]
func.func @gate_up(%x: tensor<?x64xf32>) -> tensor<?x2xf32> {
  %qg = onnx.initializer "qg" = dense<17> : tensor<2x32xui8>
  %qu = onnx.initializer "qu" = dense<34> : tensor<2x32xui8>
  %s = onnx.initializer "s" = dense<0.5> : tensor<2x2xf32>
  %g = awq.group_matmul %x, %qg, %s {bits = 4 : i64, group_size = 32 : i64, in_features = 64 : i64, name = "gate"}
      : (tensor<?x64xf32>, tensor<2x32xui8>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %u = awq.group_matmul %x, %qu, %s {bits = 4 : i64, group_size = 32 : i64, in_features = 64 : i64, name = "up"}
      : (tensor<?x64xf32>, tensor<2x32xui8>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %a = awq.silu %g : tensor<?x2xf32>
  %h = onnx.node "Mul"(%a, %u) {opset = 17 : i64} : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
  return %h : tensor<?x2xf32>
}

// -----

// 8-bit codes have no mma-tile form: with cuda-layout=mma-tiles they keep
// row chunks (layout 0 in the header's last word), like the default.
// CHECK-LABEL: func.func @eight_bits
// CHECK: awq_cuda_packed: "0x4000000041575143010000000800000002000000200000000000000040000000000000000200000000000000400000000000000002000000000000000100000000000000
// MMA-LABEL: func.func @eight_bits
// MMA: awq_cuda_packed: "0x4000000041575143010000000800000002000000200000000000000040000000000000000200000000000000400000000000000002000000000000000100000000000000
func.func @eight_bits(%x: tensor<?x64xf32>) -> tensor<?x2xf32> {
  %q = onnx.initializer "q8" = dense<17> : tensor<2x64xui8>
  %s = onnx.initializer "s8" = dense<0.5> : tensor<2x2xf32>
  %z = onnx.initializer "z8" = dense<8> : tensor<2x2xui8>
  %0 = awq.group_matmul %x, %q, %s zero_points %z
         {bits = 8 : i64, group_size = 32 : i64, in_features = 64 : i64}
      : (tensor<?x64xf32>, tensor<2x64xui8>, tensor<2x2xf32>, tensor<2x2xui8>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}
