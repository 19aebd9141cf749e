// RUN: awq-opt %s -split-input-file -verify-diagnostics

func.func @linear_weight_rank(%x: tensor<4x64xf32>, %w: tensor<64xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'awq.linear' op weight must have rank 2, got rank 1}}
  %0 = awq.linear %x, %w : (tensor<4x64xf32>, tensor<64xf32>) -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

func.func @linear_in_features(%x: tensor<4x32xf32>, %w: tensor<64x172xf32>) -> tensor<4x172xf32> {
  // expected-error @+1 {{'awq.linear' op input has 32 features but the [K, N] weight of shape [64, 172] expects 64}}
  %0 = awq.linear %x, %w : (tensor<4x32xf32>, tensor<64x172xf32>) -> tensor<4x172xf32>
  return %0 : tensor<4x172xf32>
}

// -----

func.func @linear_transposed_in_features(%x: tensor<4x64xf32>, %w: tensor<64x172xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'awq.linear' op input has 64 features but the [N, K] weight of shape [64, 172] expects 172}}
  %0 = awq.linear %x, %w {transpose_weight} : (tensor<4x64xf32>, tensor<64x172xf32>) -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

func.func @linear_bias(%x: tensor<4x64xf32>, %w: tensor<64x172xf32>, %b: tensor<64xf32>) -> tensor<4x172xf32> {
  // expected-error @+1 {{'awq.linear' op bias has 64 elements but the op has 172 output features}}
  %0 = awq.linear %x, %w, %b : (tensor<4x64xf32>, tensor<64x172xf32>, tensor<64xf32>) -> tensor<4x172xf32>
  return %0 : tensor<4x172xf32>
}

// -----

func.func @linear_result_shape(%x: tensor<4x64xf32>, %w: tensor<64x172xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'awq.linear' op result shape [4, 64] does not match expected [4, 172]}}
  %0 = awq.linear %x, %w : (tensor<4x64xf32>, tensor<64x172xf32>) -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

func.func @linear_result_rank(%x: tensor<4x64xf32>, %w: tensor<64x172xf32>) -> tensor<172xf32> {
  // expected-error @+1 {{'awq.linear' op result must have rank 2 like the input, got 1}}
  %0 = awq.linear %x, %w : (tensor<4x64xf32>, tensor<64x172xf32>) -> tensor<172xf32>
  return %0 : tensor<172xf32>
}

// -----

func.func @linear_result_type(%x: tensor<4x64xf32>, %w: tensor<64x172xf32>) -> tensor<4x172xf16> {
  // expected-error @+1 {{'awq.linear' op result element type 'f16' differs from input element type 'f32'}}
  %0 = awq.linear %x, %w : (tensor<4x64xf32>, tensor<64x172xf32>) -> tensor<4x172xf16>
  return %0 : tensor<4x172xf16>
}

// -----

func.func @linear_int_input(%x: tensor<4x64xi32>, %w: tensor<64x172xf32>) -> tensor<4x172xf32> {
  // expected-error @+1 {{'awq.linear' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %0 = awq.linear %x, %w : (tensor<4x64xi32>, tensor<64x172xf32>) -> tensor<4x172xf32>
  return %0 : tensor<4x172xf32>
}

// -----

func.func @scale_count(%x: tensor<4x64xf32>, %s: tensor<32xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'awq.scale' op has 32 scales but the input has 64 channels}}
  %0 = awq.scale %x, %s : tensor<4x64xf32>, tensor<32xf32>
  return %0 : tensor<4x64xf32>
}

// -----

func.func @scale_type(%x: tensor<4x64xf32>, %s: tensor<64xf16>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'awq.scale' op scales element type 'f16' differs from input element type 'f32'}}
  %0 = awq.scale %x, %s : tensor<4x64xf32>, tensor<64xf16>
  return %0 : tensor<4x64xf32>
}

// -----

func.func @group_matmul_bits(%x: tensor<4x64xf32>, %q: tensor<8x40xui8>, %s: tensor<8x2xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'awq.group_matmul' op bits must be 2, 3, 4 or 8, got 5}}
  %0 = awq.group_matmul %x, %q, %s {bits = 5 : i64, group_size = 32 : i64, in_features = 64 : i64}
      : (tensor<4x64xf32>, tensor<8x40xui8>, tensor<8x2xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @group_matmul_group_size(%x: tensor<4x64xf32>, %q: tensor<8x32xui8>, %s: tensor<8x1xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'awq.group_matmul' op group_size must be in [1, in_features = 64], got 128}}
  %0 = awq.group_matmul %x, %q, %s {bits = 4 : i64, group_size = 128 : i64, in_features = 64 : i64}
      : (tensor<4x64xf32>, tensor<8x32xui8>, tensor<8x1xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @group_matmul_in_features(%x: tensor<4x64xf32>, %q: tensor<8x32xui8>, %s: tensor<8x2xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'awq.group_matmul' op in_features must be positive, got 0}}
  %0 = awq.group_matmul %x, %q, %s {bits = 4 : i64, group_size = 32 : i64, in_features = 0 : i64}
      : (tensor<4x64xf32>, tensor<8x32xui8>, tensor<8x2xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @group_matmul_input_features(%x: tensor<4x48xf32>, %q: tensor<8x32xui8>, %s: tensor<8x2xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'awq.group_matmul' op input has 48 features but in_features is 64}}
  %0 = awq.group_matmul %x, %q, %s {bits = 4 : i64, group_size = 32 : i64, in_features = 64 : i64}
      : (tensor<4x48xf32>, tensor<8x32xui8>, tensor<8x2xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @group_matmul_qweight(%x: tensor<4x64xf32>, %q: tensor<8x64xui8>, %s: tensor<8x2xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'awq.group_matmul' op qweight shape [8, 64] does not match [N, ceil(64 * 4 / 8)] = [N, 32] for the row_major layout}}
  %0 = awq.group_matmul %x, %q, %s {bits = 4 : i64, group_size = 32 : i64, in_features = 64 : i64}
      : (tensor<4x64xf32>, tensor<8x64xui8>, tensor<8x2xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @group_matmul_scales(%x: tensor<4x172xf32>, %q: tensor<8x86xui8>, %s: tensor<8x5xf32>) -> tensor<4x8xf32> {
  // The partial last group counts: ceil(172 / 32) = 6.
  // expected-error @+1 {{'awq.group_matmul' op scales shape [8, 5] does not match [N, ceil(in_features / group_size)] = [8, 6]}}
  %0 = awq.group_matmul %x, %q, %s {bits = 4 : i64, group_size = 32 : i64, in_features = 172 : i64}
      : (tensor<4x172xf32>, tensor<8x86xui8>, tensor<8x5xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @group_matmul_zero_points(%x: tensor<4x64xf32>, %q: tensor<8x32xui8>, %s: tensor<8x2xf32>, %z: tensor<8x1xui8>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'awq.group_matmul' op zero_points shape [8, 1] does not match [N, ceil(in_features / group_size)] = [8, 2]}}
  %0 = awq.group_matmul %x, %q, %s zero_points %z {bits = 4 : i64, group_size = 32 : i64, in_features = 64 : i64}
      : (tensor<4x64xf32>, tensor<8x32xui8>, tensor<8x2xf32>, tensor<8x1xui8>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @group_matmul_bias(%x: tensor<4x64xf32>, %q: tensor<8x32xui8>, %s: tensor<8x2xf32>, %b: tensor<4xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'awq.group_matmul' op bias has 4 elements but the op has 8 output features}}
  %0 = awq.group_matmul %x, %q, %s bias %b {bits = 4 : i64, group_size = 32 : i64, in_features = 64 : i64}
      : (tensor<4x64xf32>, tensor<8x32xui8>, tensor<8x2xf32>, tensor<4xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @group_matmul_result(%x: tensor<4x64xf32>, %q: tensor<8x32xui8>, %s: tensor<8x2xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'awq.group_matmul' op result shape [4, 16] does not match expected [4, 8]}}
  %0 = awq.group_matmul %x, %q, %s {bits = 4 : i64, group_size = 32 : i64, in_features = 64 : i64}
      : (tensor<4x64xf32>, tensor<8x32xui8>, tensor<8x2xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

func.func @rms_norm_weight(%x: tensor<4x64xf32>, %g: tensor<32xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'awq.rms_norm' op weight has 32 elements but the input has 64 channels}}
  %0 = awq.rms_norm %x, %g {epsilon = 1.0e-05 : f32} : (tensor<4x64xf32>, tensor<32xf32>) -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

func.func @rms_norm_epsilon(%x: tensor<4x64xf32>, %g: tensor<64xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'awq.rms_norm' op epsilon must be >= 0}}
  %0 = awq.rms_norm %x, %g {epsilon = -1.0e-05 : f32} : (tensor<4x64xf32>, tensor<64xf32>) -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

func.func @layer_norm_bias(%x: tensor<4x64xf32>, %g: tensor<64xf32>, %b: tensor<63xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'awq.layer_norm' op bias has 63 elements but the input has 64 channels}}
  %0 = awq.layer_norm %x, %g, %b {epsilon = 1.0e-05 : f32} : (tensor<4x64xf32>, tensor<64xf32>, tensor<63xf32>) -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

func.func @add_rms_norm_residual_type(%x: tensor<4x64xf32>, %r: tensor<4x64xf16>, %g: tensor<64xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'awq.add_rms_norm' op failed to verify that all of {input, residual, sum, result} have same type}}
  %h, %y = awq.add_rms_norm %x, %r, %g {epsilon = 1.0e-05 : f32} : (tensor<4x64xf32>, tensor<4x64xf16>, tensor<64xf32>) -> (tensor<4x64xf32>, tensor<4x64xf32>)
  return %y : tensor<4x64xf32>
}

// -----

func.func @add_rms_norm_weight(%x: tensor<4x64xf32>, %r: tensor<4x64xf32>, %g: tensor<32xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'awq.add_rms_norm' op weight has 32 elements but the input has 64 channels}}
  %h, %y = awq.add_rms_norm %x, %r, %g {epsilon = 1.0e-05 : f32} : (tensor<4x64xf32>, tensor<4x64xf32>, tensor<32xf32>) -> (tensor<4x64xf32>, tensor<4x64xf32>)
  return %y : tensor<4x64xf32>
}

// -----

func.func @add_layer_norm_epsilon(%x: tensor<4x64xf32>, %r: tensor<4x64xf32>, %g: tensor<64xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'awq.add_layer_norm' op epsilon must be >= 0}}
  %h, %y = awq.add_layer_norm %x, %r, %g {epsilon = -1.0 : f32} : (tensor<4x64xf32>, tensor<4x64xf32>, tensor<64xf32>) -> (tensor<4x64xf32>, tensor<4x64xf32>)
  return %y : tensor<4x64xf32>
}

// -----

func.func @add_layer_norm_bias(%x: tensor<4x64xf32>, %r: tensor<4x64xf32>, %g: tensor<64xf32>, %b: tensor<63xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'awq.add_layer_norm' op bias has 63 elements but the input has 64 channels}}
  %h, %y = awq.add_layer_norm %x, %r, %g, %b {epsilon = 1.0e-05 : f32} : (tensor<4x64xf32>, tensor<4x64xf32>, tensor<64xf32>, tensor<63xf32>) -> (tensor<4x64xf32>, tensor<4x64xf32>)
  return %y : tensor<4x64xf32>
}

// -----

func.func @layer_norm_epsilon(%x: tensor<4x64xf32>, %g: tensor<64xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'awq.layer_norm' op epsilon must be >= 0}}
  %0 = awq.layer_norm %x, %g {epsilon = 0x7FC00000 : f32} : (tensor<4x64xf32>, tensor<64xf32>) -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

func.func @gelu_approximation(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  // expected-error @+2 {{expected ::awq::GeluApproximation to be one of: none, tanh}}
  // expected-error @+1 {{failed to parse AWQ_GeluApproximationAttr parameter}}
  %0 = awq.gelu %x {approximate = #awq.gelu_approximation<erf>} : tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

func.func @attention_sequence_first_result(%q: tensor<1x4x8x64xf32>, %k: tensor<1x2x?x64xf32>) -> tensor<1x8x4x64xf32> {
  // expected-error @+1 {{'awq.attention' op result shape [1, 8, 4, 64] does not match [B, S, Hq, Dv] = [1, 4, 8, 64]}}
  %0 = awq.attention %q, %k, %k {scale = 1.0 : f32, query_layout = #awq.head_layout<bshd>}
      : (tensor<1x4x8x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>) -> tensor<1x8x4x64xf32>
  return %0 : tensor<1x8x4x64xf32>
}

// -----

func.func @attention_sequence_first_heads(%q: tensor<1x4x6x64xf32>, %k: tensor<1x4x?x64xf32>) -> tensor<1x4x6x64xf32> {
  // 6 query heads in [B, S, H, D] for 4 key/value heads.
  // expected-error @+1 {{'awq.attention' op query heads (6) must be a multiple of key/value heads (4)}}
  %0 = awq.attention %q, %k, %k {scale = 1.0 : f32, query_layout = #awq.head_layout<bshd>}
      : (tensor<1x4x6x64xf32>, tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>) -> tensor<1x4x6x64xf32>
  return %0 : tensor<1x4x6x64xf32>
}

// -----

func.func @attention_rank(%q: tensor<8x4x64xf32>, %k: tensor<1x8x4x64xf32>) -> tensor<1x8x4x64xf32> {
  // expected-error @+1 {{'awq.attention' op query must have rank 4 ([B, H, S, D]), got [8, 4, 64]}}
  %0 = awq.attention %q, %k, %k {scale = 1.0 : f32}
      : (tensor<8x4x64xf32>, tensor<1x8x4x64xf32>, tensor<1x8x4x64xf32>) -> tensor<1x8x4x64xf32>
  return %0 : tensor<1x8x4x64xf32>
}

// -----

func.func @attention_element_type(%q: tensor<1x8x4x64xf32>, %k: tensor<1x8x4x64xf16>) -> tensor<1x8x4x64xf32> {
  // expected-error @+1 {{'awq.attention' op key element type 'f16' differs from the query's 'f32'}}
  %0 = awq.attention %q, %k, %k {scale = 1.0 : f32}
      : (tensor<1x8x4x64xf32>, tensor<1x8x4x64xf16>, tensor<1x8x4x64xf16>) -> tensor<1x8x4x64xf32>
  return %0 : tensor<1x8x4x64xf32>
}

// -----

func.func @attention_head_dim(%q: tensor<1x8x4x64xf32>, %k: tensor<1x8x4x32xf32>) -> tensor<1x8x4x32xf32> {
  // expected-error @+1 {{'awq.attention' op head dims differ: query [1, 8, 4, 64], key [1, 8, 4, 32]}}
  %0 = awq.attention %q, %k, %k {scale = 1.0 : f32}
      : (tensor<1x8x4x64xf32>, tensor<1x8x4x32xf32>, tensor<1x8x4x32xf32>) -> tensor<1x8x4x32xf32>
  return %0 : tensor<1x8x4x32xf32>
}

// -----

func.func @attention_kv_heads(%q: tensor<1x8x4x64xf32>, %k: tensor<1x3x?x64xf32>) -> tensor<1x8x4x64xf32> {
  // expected-error @+1 {{'awq.attention' op query heads (8) must be a multiple of key/value heads (3)}}
  %0 = awq.attention %q, %k, %k {scale = 1.0 : f32}
      : (tensor<1x8x4x64xf32>, tensor<1x3x?x64xf32>, tensor<1x3x?x64xf32>) -> tensor<1x8x4x64xf32>
  return %0 : tensor<1x8x4x64xf32>
}

// -----

func.func @attention_key_value(%q: tensor<1x8x4x64xf32>, %k: tensor<1x8x6x64xf32>, %v: tensor<1x8x5x64xf32>) -> tensor<1x8x4x64xf32> {
  // expected-error @+1 {{'awq.attention' op key [1, 8, 6, 64] and value [1, 8, 5, 64] disagree on heads or length}}
  %0 = awq.attention %q, %k, %v {scale = 1.0 : f32}
      : (tensor<1x8x4x64xf32>, tensor<1x8x6x64xf32>, tensor<1x8x5x64xf32>) -> tensor<1x8x4x64xf32>
  return %0 : tensor<1x8x4x64xf32>
}

// -----

func.func @attention_result(%q: tensor<1x8x4x64xf32>, %k: tensor<1x8x6x64xf32>, %v: tensor<1x8x6x32xf32>) -> tensor<1x8x4x64xf32> {
  // expected-error @+1 {{'awq.attention' op result shape [1, 8, 4, 64] does not match [B, Hq, S, Dv] = [1, 8, 4, 32]}}
  %0 = awq.attention %q, %k, %v {scale = 1.0 : f32}
      : (tensor<1x8x4x64xf32>, tensor<1x8x6x64xf32>, tensor<1x8x6x32xf32>) -> tensor<1x8x4x64xf32>
  return %0 : tensor<1x8x4x64xf32>
}

// -----

func.func @attention_mask(%q: tensor<1x8x4x64xf32>, %k: tensor<1x8x6x64xf32>, %m: tensor<4x5xf32>) -> tensor<1x8x4x64xf32> {
  // expected-error @+1 {{'awq.attention' op mask [4, 5] does not broadcast to the scores [B, Hq, S, T] = [1, 8, 4, 6]}}
  %0 = awq.attention %q, %k, %k, %m {scale = 1.0 : f32}
      : (tensor<1x8x4x64xf32>, tensor<1x8x6x64xf32>, tensor<1x8x6x64xf32>, tensor<4x5xf32>) -> tensor<1x8x4x64xf32>
  return %0 : tensor<1x8x4x64xf32>
}

// -----

func.func @rotary_odd_head_dim(%x: tensor<1x8x4x63xf32>, %c: tensor<4x63xf32>) -> tensor<1x8x4x63xf32> {
  // expected-error @+1 {{'awq.rotary_embedding' op the input's last dim (the head dim) must be static, positive and even, got [1, 8, 4, 63]}}
  %0 = awq.rotary_embedding %x, %c, %c {layout = #awq.rotary_layout<half_split>} : tensor<1x8x4x63xf32>, tensor<4x63xf32>
  return %0 : tensor<1x8x4x63xf32>
}

// -----

func.func @rotary_dynamic_head_dim(%x: tensor<1x8x4x?xf32>, %c: tensor<4x64xf32>) -> tensor<1x8x4x?xf32> {
  // expected-error @+1 {{'awq.rotary_embedding' op the input's last dim (the head dim) must be static, positive and even, got [1, 8, 4, ?]}}
  %0 = awq.rotary_embedding %x, %c, %c {layout = #awq.rotary_layout<half_split>} : tensor<1x8x4x?xf32>, tensor<4x64xf32>
  return %0 : tensor<1x8x4x?xf32>
}

// -----

func.func @rotary_element_type(%x: tensor<1x8x4x64xf32>, %c: tensor<4x64xf16>) -> tensor<1x8x4x64xf32> {
  // expected-error @+1 {{'awq.rotary_embedding' op cos/sin element type 'f16' differs from the input's 'f32'}}
  %0 = awq.rotary_embedding %x, %c, %c {layout = #awq.rotary_layout<half_split>} : tensor<1x8x4x64xf32>, tensor<4x64xf16>
  return %0 : tensor<1x8x4x64xf32>
}

// -----

func.func @rotary_widening(%x: tensor<1x1x4x64xf32>, %c: tensor<1x8x4x64xf32>) -> tensor<1x1x4x64xf32> {
  // expected-error @+1 {{'awq.rotary_embedding' op cos/sin [1, 8, 4, 64] must broadcast to the input [1, 1, 4, 64] with the head dim 64 last}}
  %0 = awq.rotary_embedding %x, %c, %c {layout = #awq.rotary_layout<half_split>} : tensor<1x1x4x64xf32>, tensor<1x8x4x64xf32>
  return %0 : tensor<1x1x4x64xf32>
}

// -----

func.func @rotary_one_angle_per_head(%x: tensor<1x8x4x64xf32>, %c: tensor<4x1xf32>) -> tensor<1x8x4x64xf32> {
  // expected-error @+1 {{'awq.rotary_embedding' op cos/sin [4, 1] must broadcast to the input [1, 8, 4, 64] with the head dim 64 last}}
  %0 = awq.rotary_embedding %x, %c, %c {layout = #awq.rotary_layout<half_split>} : tensor<1x8x4x64xf32>, tensor<4x1xf32>
  return %0 : tensor<1x8x4x64xf32>
}

// -----

// expected-note @+1 {{prior use here}}
func.func @rotary_sin_type(%x: tensor<1x8x4x64xf32>, %c: tensor<4x64xf32>, %s: tensor<1x4x64xf32>) -> tensor<1x8x4x64xf32> {
  // expected-error @+1 {{use of value '%s' expects different type than prior uses: 'tensor<4x64xf32>' vs 'tensor<1x4x64xf32>'}}
  %0 = awq.rotary_embedding %x, %c, %s {layout = #awq.rotary_layout<half_split>} : tensor<1x8x4x64xf32>, tensor<4x64xf32>
  return %0 : tensor<1x8x4x64xf32>
}

// -----

func.func @kv_cache_append_heads(%past: tensor<1x4x?x64xf32>, %k: tensor<1x2x1x64xf32>) -> tensor<1x4x?x64xf32> {
  // expected-error @+1 {{'awq.kv_cache_append' op past [1, 4, ?, 64], update [1, 2, 1, 64] and present [1, 4, ?, 64] differ outside axis 2}}
  %0 = awq.kv_cache_append %past, %k : (tensor<1x4x?x64xf32>, tensor<1x2x1x64xf32>) -> tensor<1x4x?x64xf32>
  return %0 : tensor<1x4x?x64xf32>
}

// -----

func.func @kv_cache_append_sequence_first_heads(%past: tensor<1x4x?x64xf32>, %k: tensor<1x4x1x64xf32>) -> tensor<1x4x?x64xf32> {
  // [B, S, H, D]: 1 head, 4 positions.
  // expected-error @+1 {{'awq.kv_cache_append' op past [1, 4, ?, 64], update [1, 4, 1, 64] and present [1, 4, ?, 64] differ outside axis 2}}
  %0 = awq.kv_cache_append %past, %k {update_layout = #awq.head_layout<bshd>} : (tensor<1x4x?x64xf32>, tensor<1x4x1x64xf32>) -> tensor<1x4x?x64xf32>
  return %0 : tensor<1x4x?x64xf32>
}

// -----

func.func @kv_cache_append_rows(%past: tensor<1x4x3x64xf32>, %k: tensor<1x4x1x64xf32>) -> tensor<1x4x5x64xf32> {
  // expected-error @+1 {{'awq.kv_cache_append' op present has 5 rows on axis 2, past and update 3 + 1}}
  %0 = awq.kv_cache_append %past, %k : (tensor<1x4x3x64xf32>, tensor<1x4x1x64xf32>) -> tensor<1x4x5x64xf32>
  return %0 : tensor<1x4x5x64xf32>
}

// -----

func.func @kv_cache_append_rank(%past: tensor<4x?x64xf32>, %k: tensor<4x1x64xf32>) -> tensor<4x?x64xf32> {
  // expected-error @+1 {{'awq.kv_cache_append' op past must have rank 4 ([B, H, T, D]), got [4, ?, 64]}}
  %0 = awq.kv_cache_append %past, %k : (tensor<4x?x64xf32>, tensor<4x1x64xf32>) -> tensor<4x?x64xf32>
  return %0 : tensor<4x?x64xf32>
}
