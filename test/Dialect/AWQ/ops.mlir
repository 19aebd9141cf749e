// RUN: awq-opt %s | FileCheck %s
// Round trip: the printed form parses back to the same IR.
// RUN: awq-opt %s | awq-opt | FileCheck %s
// Generic form round trip too (bytecode-independent check of the properties).
// RUN: awq-opt --mlir-print-op-generic %s | awq-opt | FileCheck %s

// CHECK-LABEL: func.func @linear
func.func @linear(%x: tensor<?x?x64xf32>, %w: tensor<64x172xf32>, %wt: tensor<172x64xf16>,
                  %b: tensor<172xf32>) -> (tensor<?x?x172xf32>, tensor<?x?x172xf32>) {
  // CHECK: awq.linear %{{.*}}, %{{.*}}, %{{.*}} {name = "/mlp/up_proj/MatMul"} : (tensor<?x?x64xf32>, tensor<64x172xf32>, tensor<172xf32>) -> tensor<?x?x172xf32>
  %0 = awq.linear %x, %w, %b {name = "/mlp/up_proj/MatMul"}
      : (tensor<?x?x64xf32>, tensor<64x172xf32>, tensor<172xf32>) -> tensor<?x?x172xf32>
  // CHECK: awq.linear %{{.*}}, %{{.*}} {transpose_weight} : (tensor<?x?x64xf32>, tensor<172x64xf16>) -> tensor<?x?x172xf32>
  %1 = awq.linear %x, %wt {transpose_weight}
      : (tensor<?x?x64xf32>, tensor<172x64xf16>) -> tensor<?x?x172xf32>
  return %0, %1 : tensor<?x?x172xf32>, tensor<?x?x172xf32>
}

// CHECK-LABEL: func.func @scale
func.func @scale(%x: tensor<2x?x64xbf16>, %s: tensor<64xbf16>) -> tensor<2x?x64xbf16> {
  // CHECK: awq.scale %{{.*}}, %{{.*}} : tensor<2x?x64xbf16>, tensor<64xbf16>
  %0 = awq.scale %x, %s : tensor<2x?x64xbf16>, tensor<64xbf16>
  return %0 : tensor<2x?x64xbf16>
}

// CHECK-LABEL: func.func @group_matmul
func.func @group_matmul(%x: tensor<?x172xf16>, %q4: tensor<64x86xui8>, %q3: tensor<64x65xi8>,
                        %s: tensor<64x6xf16>, %z: tensor<64x6xui8>, %b: tensor<64xf16>)
    -> (tensor<?x64xf16>, tensor<?x64xf16>) {
  // K = 172 is not a multiple of 32: 6 groups, the last one partial.
  // The default row_major layout is not printed.
  // CHECK: awq.group_matmul %{{.*}}, %{{.*}}, %{{.*}} zero_points %{{.*}} bias %{{.*}} {bits = 4 : i64, group_size = 32 : i64, in_features = 172 : i64, name = "down"}
  %0 = awq.group_matmul %x, %q4, %s zero_points %z bias %b
         {bits = 4 : i64, group_size = 32 : i64, in_features = 172 : i64,
          layout = #awq.layout<row_major>, name = "down"}
      : (tensor<?x172xf16>, tensor<64x86xui8>, tensor<64x6xf16>, tensor<64x6xui8>, tensor<64xf16>) -> tensor<?x64xf16>
  // 3 bits: ceil(172 * 3 / 8) = 65 bytes per row; no zero points (symmetric).
  // CHECK: awq.group_matmul %{{.*}}, %{{.*}}, %{{.*}} {bits = 3 : i64, group_size = 32 : i64, in_features = 172 : i64}
  %1 = awq.group_matmul %x, %q3, %s {bits = 3 : i64, group_size = 32 : i64, in_features = 172 : i64}
      : (tensor<?x172xf16>, tensor<64x65xi8>, tensor<64x6xf16>) -> tensor<?x64xf16>
  return %0, %1 : tensor<?x64xf16>, tensor<?x64xf16>
}

// CHECK-LABEL: func.func @norms
func.func @norms(%x: tensor<?x?x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>)
    -> (tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x64xf32>) {
  // CHECK: awq.rms_norm %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32} : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %0 = awq.rms_norm %x, %g {epsilon = 1.0e-05 : f32}
      : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  // CHECK: awq.rms_norm %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32, unit_offset}
  %1 = awq.rms_norm %x, %g {epsilon = 1.0e-06 : f32, unit_offset}
      : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  // CHECK: awq.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32} : (tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %2 = awq.layer_norm %x, %g, %b {epsilon = 1.0e-05 : f32}
      : (tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  return %0, %1, %2 : tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x64xf32>
}

// CHECK-LABEL: func.func @residual_norms
func.func @residual_norms(%x: tensor<?x?x64xf16>, %r: tensor<?x?x64xf16>, %g: tensor<64xf16>, %b: tensor<64xf16>)
    -> (tensor<?x?x64xf16>, tensor<?x?x64xf16>, tensor<?x?x64xf16>, tensor<?x?x64xf16>) {
  // CHECK: %[[H:.*]], %{{.*}} = awq.add_rms_norm %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32, unit_offset} : (tensor<?x?x64xf16>, tensor<?x?x64xf16>, tensor<64xf16>) -> (tensor<?x?x64xf16>, tensor<?x?x64xf16>)
  %h, %y = awq.add_rms_norm %x, %r, %g {epsilon = 1.0e-05 : f32, unit_offset}
      : (tensor<?x?x64xf16>, tensor<?x?x64xf16>, tensor<64xf16>) -> (tensor<?x?x64xf16>, tensor<?x?x64xf16>)
  // CHECK: %{{.*}}, %{{.*}} = awq.add_layer_norm %[[H]], %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32} : (tensor<?x?x64xf16>, tensor<?x?x64xf16>, tensor<64xf16>, tensor<64xf16>) -> (tensor<?x?x64xf16>, tensor<?x?x64xf16>)
  %h2, %y2 = awq.add_layer_norm %h, %x, %g, %b {epsilon = 1.0e-05 : f32}
      : (tensor<?x?x64xf16>, tensor<?x?x64xf16>, tensor<64xf16>, tensor<64xf16>) -> (tensor<?x?x64xf16>, tensor<?x?x64xf16>)
  return %h, %y, %h2, %y2 : tensor<?x?x64xf16>, tensor<?x?x64xf16>, tensor<?x?x64xf16>, tensor<?x?x64xf16>
}

// CHECK-LABEL: func.func @kv_cache_append
func.func @kv_cache_append(%past: tensor<1x4x?x64xf16>, %k: tensor<1x4x1x64xf16>) -> tensor<1x4x?x64xf16> {
  // CHECK: awq.kv_cache_append %{{.*}}, %{{.*}} : (tensor<1x4x?x64xf16>, tensor<1x4x1x64xf16>) -> tensor<1x4x?x64xf16>
  %0 = awq.kv_cache_append %past, %k : (tensor<1x4x?x64xf16>, tensor<1x4x1x64xf16>) -> tensor<1x4x?x64xf16>
  return %0 : tensor<1x4x?x64xf16>
}

// The update as a projection writes it, [B, S, H, D].
// CHECK-LABEL: func.func @kv_cache_append_sequence_first
func.func @kv_cache_append_sequence_first(%past: tensor<1x4x?x64xf16>, %k: tensor<1x?x4x64xf16>) -> tensor<1x4x?x64xf16> {
  // CHECK: awq.kv_cache_append %{{.*}}, %{{.*}} {update_layout = #awq.head_layout<bshd>} : (tensor<1x4x?x64xf16>, tensor<1x?x4x64xf16>) -> tensor<1x4x?x64xf16>
  %0 = awq.kv_cache_append %past, %k {update_layout = #awq.head_layout<bshd>} : (tensor<1x4x?x64xf16>, tensor<1x?x4x64xf16>) -> tensor<1x4x?x64xf16>
  return %0 : tensor<1x4x?x64xf16>
}

// CHECK-LABEL: func.func @activations
func.func @activations(%x: tensor<?x256xf32>) -> (tensor<?x256xf32>, tensor<?x256xf32>, tensor<?x256xf32>) {
  // CHECK: awq.silu %{{.*}} : tensor<?x256xf32>
  %0 = awq.silu %x : tensor<?x256xf32>
  // The default (exact erf) approximation is not printed.
  // CHECK: awq.gelu %{{.*}} : tensor<?x256xf32>
  %1 = awq.gelu %x {approximate = #awq.gelu_approximation<none>} : tensor<?x256xf32>
  // CHECK: awq.gelu %{{.*}} {approximate = #awq.gelu_approximation<tanh>} : tensor<?x256xf32>
  %2 = awq.gelu %x {approximate = #awq.gelu_approximation<tanh>} : tensor<?x256xf32>
  return %0, %1, %2 : tensor<?x256xf32>, tensor<?x256xf32>, tensor<?x256xf32>
}

// CHECK-LABEL: func.func @attention
func.func @attention(%q: tensor<1x8x?x64xf32>, %k: tensor<1x2x?x64xf32>, %v: tensor<1x2x?x32xf32>,
                     %mask: tensor<?x?xf32>) -> (tensor<1x8x?x32xf32>, tensor<1x8x?x32xf32>) {
  // CHECK: awq.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {scale = 1.250000e-01 : f32} : (tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x32xf32>, tensor<?x?xf32>) -> tensor<1x8x?x32xf32>
  %0 = awq.attention %q, %k, %v, %mask {scale = 0.125 : f32}
      : (tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x32xf32>, tensor<?x?xf32>) -> tensor<1x8x?x32xf32>
  // CHECK: awq.attention %{{.*}}, %{{.*}}, %{{.*}} {scale = 1.000000e+00 : f32} : (tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x32xf32>) -> tensor<1x8x?x32xf32>
  %1 = awq.attention %q, %k, %v {scale = 1.0 : f32}
      : (tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x32xf32>) -> tensor<1x8x?x32xf32>
  return %0, %1 : tensor<1x8x?x32xf32>, tensor<1x8x?x32xf32>
}

// Query and result [B, S, H, D]; keys and values stay [B, H, T, D].
// CHECK-LABEL: func.func @attention_sequence_first
func.func @attention_sequence_first(%q: tensor<1x?x8x64xf32>, %k: tensor<1x2x?x64xf32>, %v: tensor<1x2x?x32xf32>)
    -> tensor<1x?x8x32xf32> {
  // CHECK: awq.attention %{{.*}}, %{{.*}}, %{{.*}} {query_layout = #awq.head_layout<bshd>, scale = 1.250000e-01 : f32} : (tensor<1x?x8x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x32xf32>) -> tensor<1x?x8x32xf32>
  %0 = awq.attention %q, %k, %v {scale = 0.125 : f32, query_layout = #awq.head_layout<bshd>}
      : (tensor<1x?x8x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x32xf32>) -> tensor<1x?x8x32xf32>
  return %0 : tensor<1x?x8x32xf32>
}

// CHECK-LABEL: func.func @rotary_embedding
func.func @rotary_embedding(%q: tensor<1x8x?x64xf32>, %cos: tensor<1x1x?x64xf32>, %sin: tensor<1x1x?x64xf32>,
                            %x: tensor<?x16xbf16>, %c: tensor<16xbf16>)
    -> (tensor<1x8x?x64xf32>, tensor<?x16xbf16>) {
  // CHECK: awq.rotary_embedding %{{.*}}, %{{.*}}, %{{.*}} {layout = #awq.rotary_layout<half_split>} : tensor<1x8x?x64xf32>, tensor<1x1x?x64xf32>
  %0 = awq.rotary_embedding %q, %cos, %sin {layout = #awq.rotary_layout<half_split>}
      : tensor<1x8x?x64xf32>, tensor<1x1x?x64xf32>
  // CHECK: awq.rotary_embedding %{{.*}}, %{{.*}}, %{{.*}} {layout = #awq.rotary_layout<interleaved>} : tensor<?x16xbf16>, tensor<16xbf16>
  %1 = awq.rotary_embedding %x, %c, %c {layout = #awq.rotary_layout<interleaved>}
      : tensor<?x16xbf16>, tensor<16xbf16>
  return %0, %1 : tensor<1x8x?x64xf32>, tensor<?x16xbf16>
}
