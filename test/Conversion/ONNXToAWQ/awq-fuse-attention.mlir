// RUN: awq-opt %s --awq-fuse-attention --split-input-file | FileCheck %s

// Llama / GPT-NeoX: MatMul(q, Transpose(k)) / sqrt(D) + mask -> Softmax -> MatMul(v).
// CHECK-LABEL: func.func @scaled_masked
// CHECK-SAME: (%[[Q:.*]]: tensor<1x4x?x16xf32>, %[[K:.*]]: tensor<1x4x?x16xf32>, %[[V:.*]]: tensor<1x4x?x16xf32>, %[[M:.*]]: tensor<?x?xf32>)
// CHECK-NOT: onnx.node
// CHECK: %[[O:.*]] = awq.attention %[[Q]], %[[K]], %[[V]], %[[M]] {scale = 2.500000e-01 : f32} : (tensor<1x4x?x16xf32>, tensor<1x4x?x16xf32>, tensor<1x4x?x16xf32>, tensor<?x?xf32>) -> tensor<1x4x?x16xf32>
// CHECK-NEXT: return %[[O]]
func.func @scaled_masked(%q: tensor<1x4x?x16xf32>, %k: tensor<1x4x?x16xf32>, %v: tensor<1x4x?x16xf32>,
                         %mask: tensor<?x?xf32>) -> tensor<1x4x?x16xf32> {
  %c = onnx.initializer "sqrt_d" = dense<4.0> : tensor<f32>
  %kt = onnx.node "Transpose"(%k) {opset = 17 : i64, attrs = {perm = array<i64: 0, 1, 3, 2>}}
      : (tensor<1x4x?x16xf32>) -> tensor<1x4x16x?xf32>
  %s = onnx.node "MatMul"(%q, %kt) {opset = 17 : i64} : (tensor<1x4x?x16xf32>, tensor<1x4x16x?xf32>) -> tensor<1x4x?x?xf32>
  %d = onnx.node "Div"(%s, %c) {opset = 17 : i64} : (tensor<1x4x?x?xf32>, tensor<f32>) -> tensor<1x4x?x?xf32>
  %a = onnx.node "Add"(%d, %mask) {opset = 17 : i64} : (tensor<1x4x?x?xf32>, tensor<?x?xf32>) -> tensor<1x4x?x?xf32>
  %p = onnx.node "Softmax"(%a) {opset = 17 : i64, attrs = {axis = -1 : i64}} : (tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32>
  %o = onnx.node "MatMul"(%p, %v) {opset = 17 : i64} : (tensor<1x4x?x?xf32>, tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32>
  return %o : tensor<1x4x?x16xf32>
}

// -----

// OPT scales q beforehand: no scale node, scale 1; the mask on the left of the
// Add; Softmax of opset 11 over its last axis named explicitly.
// CHECK-LABEL: func.func @unscaled_mask_first
// CHECK-SAME: (%[[Q:.*]]: tensor<?x4x?x16xf32>, %[[K:.*]]: tensor<?x4x?x16xf32>, %[[V:.*]]: tensor<?x4x?x8xf32>, %[[M:.*]]: tensor<?x1x?x?xf32>)
// CHECK-NEXT: awq.attention %[[Q]], %[[K]], %[[V]], %[[M]] {scale = 1.000000e+00 : f32} : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x8xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x8xf32>
func.func @unscaled_mask_first(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x8xf32>,
                               %mask: tensor<?x1x?x?xf32>) -> tensor<?x4x?x8xf32> {
  %kt = onnx.node "Transpose"(%k) {opset = 11 : i64, attrs = {perm = array<i64: 0, 1, 3, 2>}}
      : (tensor<?x4x?x16xf32>) -> tensor<?x4x16x?xf32>
  %s = onnx.node "MatMul"(%q, %kt) {opset = 11 : i64} : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %a = onnx.node "Add"(%mask, %s) {opset = 11 : i64} : (tensor<?x1x?x?xf32>, tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = onnx.node "Softmax"(%a) {opset = 11 : i64, attrs = {axis = 3 : i64}} : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %o = onnx.node "MatMul"(%p, %v) {opset = 11 : i64} : (tensor<?x4x?x?xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// -----

// GPT-2: Mul by a constant on its left, Where(causal, scores, finfo.min)
// becomes the additive mask Where(causal, 0, finfo.min); no mask operand
// keeps the scores otherwise.
// CHECK-LABEL: func.func @where_mask
// CHECK-SAME: (%[[Q:.*]]: tensor<1x4x?x16xf32>, %[[K:.*]]: tensor<1x4x?x16xf32>, %[[V:.*]]: tensor<1x4x?x16xf32>, %[[C:.*]]: tensor<?x?xi1>)
// CHECK-DAG: %[[FILL:.*]] = onnx.initializer "fill"
// CHECK-DAG: %[[ZERO:.*]] = onnx.initializer "awq.attention.mask_zero" = dense<0.000000e+00> : tensor<f32>
// CHECK: %[[M:.*]] = onnx.node "Where"(%[[C]], %[[ZERO]], %[[FILL]]) {name = "/attn/Where", opset = 17 : i64} : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
// CHECK-NEXT: %[[O:.*]] = awq.attention %[[Q]], %[[K]], %[[V]], %[[M]] {scale = 2.500000e-01 : f32}
// CHECK-NEXT: return %[[O]]
func.func @where_mask(%q: tensor<1x4x?x16xf32>, %k: tensor<1x4x?x16xf32>, %v: tensor<1x4x?x16xf32>,
                      %causal: tensor<?x?xi1>) -> tensor<1x4x?x16xf32> {
  %c = onnx.initializer "scale" = dense<0.25> : tensor<f32>
  %fill = onnx.initializer "fill" = dense<-3.40282347E+38> : tensor<f32>
  %kt = onnx.node "Transpose"(%k) {opset = 17 : i64, attrs = {perm = array<i64: 0, 1, 3, 2>}}
      : (tensor<1x4x?x16xf32>) -> tensor<1x4x16x?xf32>
  %s = onnx.node "MatMul"(%q, %kt) {opset = 17 : i64} : (tensor<1x4x?x16xf32>, tensor<1x4x16x?xf32>) -> tensor<1x4x?x?xf32>
  %d = onnx.node "Mul"(%c, %s) {opset = 17 : i64} : (tensor<f32>, tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32>
  %w = onnx.node "Where"(%causal, %d, %fill) {opset = 17 : i64, name = "/attn/Where"}
      : (tensor<?x?xi1>, tensor<1x4x?x?xf32>, tensor<f32>) -> tensor<1x4x?x?xf32>
  %p = onnx.node "Softmax"(%w) {opset = 17 : i64, attrs = {axis = -1 : i64}} : (tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32>
  %o = onnx.node "MatMul"(%p, %v) {opset = 17 : i64} : (tensor<1x4x?x?xf32>, tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32>
  return %o : tensor<1x4x?x16xf32>
}

// -----

// Grouped-query attention: repeat_kv on k and v is seen through (2 kv heads
// for 8 query heads); a key transposed straight from [B, T, H, D] by
// perm [0, 2, 3, 1] is transposed once by the composed perm [0, 2, 1, 3]
// (its value is repeated: only the value's repeat_kv is left in place then).
// CHECK-LABEL: func.func @gqa_repeat_kv
// CHECK-SAME: (%[[Q:.*]]: tensor<1x8x?x16xf32>, %[[K:.*]]: tensor<1x2x?x16xf32>, %[[V:.*]]: tensor<1x2x?x16xf32>, %[[X:.*]]: tensor<1x?x8x16xf32>)
// CHECK: %[[VR:.*]] = onnx.node "Reshape"
// CHECK: awq.attention %[[Q]], %[[K]], %[[V]] {scale = 1.000000e+00 : f32} : (tensor<1x8x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>) -> tensor<1x8x?x16xf32>
// CHECK: %[[XT:.*]] = onnx.node "Transpose"(%[[X]]) {attrs = {perm = array<i64: 0, 2, 1, 3>}, name = "/k/T", opset = 13 : i64} : (tensor<1x?x8x16xf32>) -> tensor<1x8x?x16xf32>
// CHECK: awq.attention %[[Q]], %[[XT]], %[[VR]] {scale = 1.000000e+00 : f32} : (tensor<1x8x?x16xf32>, tensor<1x8x?x16xf32>, tensor<1x8x?x16xf32>) -> tensor<1x8x?x16xf32>
// CHECK-NOT: Expand
func.func @gqa_repeat_kv(%q: tensor<1x8x?x16xf32>, %k: tensor<1x2x?x16xf32>, %v: tensor<1x2x?x16xf32>,
                         %x: tensor<1x?x8x16xf32>) -> (tensor<1x8x?x16xf32>, tensor<1x8x?x16xf32>) {
  %axes = onnx.initializer "axes" = dense<2> : tensor<1xi64>
  %rep = onnx.initializer "rep" = dense<[1, 1, 4, 1, 1]> : tensor<5xi64>
  %shape = onnx.initializer "shape" = dense<[0, 8, -1, 16]> : tensor<4xi64>
  %ku = onnx.node "Unsqueeze"(%k, %axes) {opset = 17 : i64} : (tensor<1x2x?x16xf32>, tensor<1xi64>) -> tensor<1x2x1x?x16xf32>
  %ke = onnx.node "Expand"(%ku, %rep) {opset = 17 : i64} : (tensor<1x2x1x?x16xf32>, tensor<5xi64>) -> tensor<1x2x4x?x16xf32>
  %kr = onnx.node "Reshape"(%ke, %shape) {opset = 17 : i64} : (tensor<1x2x4x?x16xf32>, tensor<4xi64>) -> tensor<1x8x?x16xf32>
  %vu = onnx.node "Unsqueeze"(%v, %axes) {opset = 17 : i64} : (tensor<1x2x?x16xf32>, tensor<1xi64>) -> tensor<1x2x1x?x16xf32>
  %ve = onnx.node "Expand"(%vu, %rep) {opset = 17 : i64} : (tensor<1x2x1x?x16xf32>, tensor<5xi64>) -> tensor<1x2x4x?x16xf32>
  %vr = onnx.node "Reshape"(%ve, %shape) {opset = 17 : i64} : (tensor<1x2x4x?x16xf32>, tensor<4xi64>) -> tensor<1x8x?x16xf32>
  %kt = onnx.node "Transpose"(%kr) {opset = 17 : i64, attrs = {perm = array<i64: 0, 1, 3, 2>}}
      : (tensor<1x8x?x16xf32>) -> tensor<1x8x16x?xf32>
  %s = onnx.node "MatMul"(%q, %kt) {opset = 17 : i64} : (tensor<1x8x?x16xf32>, tensor<1x8x16x?xf32>) -> tensor<1x8x?x?xf32>
  %p = onnx.node "Softmax"(%s) {opset = 17 : i64} : (tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  %o = onnx.node "MatMul"(%p, %vr) {opset = 17 : i64} : (tensor<1x8x?x?xf32>, tensor<1x8x?x16xf32>) -> tensor<1x8x?x16xf32>

  %xt = onnx.node "Transpose"(%x) {opset = 13 : i64, name = "/k/T", attrs = {perm = array<i64: 0, 2, 3, 1>}}
      : (tensor<1x?x8x16xf32>) -> tensor<1x8x16x?xf32>
  %s2 = onnx.node "MatMul"(%q, %xt) {opset = 17 : i64} : (tensor<1x8x?x16xf32>, tensor<1x8x16x?xf32>) -> tensor<1x8x?x?xf32>
  %p2 = onnx.node "Softmax"(%s2) {opset = 17 : i64} : (tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  %o2 = onnx.node "MatMul"(%p2, %vr) {opset = 17 : i64} : (tensor<1x8x?x?xf32>, tensor<1x8x?x16xf32>) -> tensor<1x8x?x16xf32>
  return %o, %o2 : tensor<1x8x?x16xf32>, tensor<1x8x?x16xf32>
}

// -----

// Left alone: a Where fill that does not absorb the scores (-1e4 replaces a
// score; adding it would not), probabilities used elsewhere, a Softmax over
// another axis, opset 11's default axis (1: a softmax over [H, S, T] flattened),
// and f16.
// CHECK-LABEL: func.func @not_fused
// CHECK-NOT: awq.attention
// CHECK-COUNT-5: onnx.node "Softmax"
// CHECK-NOT: awq.attention
func.func @not_fused(%q: tensor<1x4x8x16xf32>, %kt: tensor<1x4x16x8xf32>, %v: tensor<1x4x8x16xf32>,
                     %causal: tensor<8x8xi1>, %qh: tensor<1x4x8x16xf16>, %kth: tensor<1x4x16x8xf16>,
                     %vh: tensor<1x4x8x16xf16>)
    -> (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>,
        tensor<1x4x8x16xf32>, tensor<1x4x8x16xf16>) {
  %fill = onnx.initializer "fill" = dense<-1.0e+04> : tensor<f32>
  %s0 = onnx.node "MatMul"(%q, %kt) {opset = 17 : i64} : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %w0 = onnx.node "Where"(%causal, %s0, %fill) {opset = 17 : i64} : (tensor<8x8xi1>, tensor<1x4x8x8xf32>, tensor<f32>) -> tensor<1x4x8x8xf32>
  %p0 = onnx.node "Softmax"(%w0) {opset = 17 : i64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %o0 = onnx.node "MatMul"(%p0, %v) {opset = 17 : i64} : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>

  %s1 = onnx.node "MatMul"(%q, %kt) {opset = 17 : i64} : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %p1 = onnx.node "Softmax"(%s1) {opset = 17 : i64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %o1 = onnx.node "MatMul"(%p1, %v) {opset = 17 : i64} : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>

  %s2 = onnx.node "MatMul"(%q, %kt) {opset = 17 : i64} : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %p2 = onnx.node "Softmax"(%s2) {opset = 17 : i64, attrs = {axis = 2 : i64}} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %o2 = onnx.node "MatMul"(%p2, %v) {opset = 17 : i64} : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>

  %s3 = onnx.node "MatMul"(%q, %kt) {opset = 11 : i64} : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %p3 = onnx.node "Softmax"(%s3) {opset = 11 : i64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %o3 = onnx.node "MatMul"(%p3, %v) {opset = 11 : i64} : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>

  %s4 = onnx.node "MatMul"(%qh, %kth) {opset = 17 : i64} : (tensor<1x4x8x16xf16>, tensor<1x4x16x8xf16>) -> tensor<1x4x8x8xf16>
  %p4 = onnx.node "Softmax"(%s4) {opset = 17 : i64} : (tensor<1x4x8x8xf16>) -> tensor<1x4x8x8xf16>
  %o4 = onnx.node "MatMul"(%p4, %vh) {opset = 17 : i64} : (tensor<1x4x8x8xf16>, tensor<1x4x8x16xf16>) -> tensor<1x4x8x16xf16>
  return %o0, %o1, %p1, %o2, %o3, %o4 : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x8xf32>,
      tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf16>
}

// -----

// The SDPA export: q and k^T each scaled by sqrt(scale) (a Mul and a Div here)
// fold into the op's scale (0.5 * 0.5 = 0.25), so the key cache is not
// rescaled; no-op Casts around the Softmax (dtype=float32) are seen through.
// CHECK-LABEL: func.func @sdpa_scaled_operands
// CHECK-SAME: (%[[Q:.*]]: tensor<1x4x?x16xf32>, %[[K:.*]]: tensor<1x4x?x16xf32>, %[[V:.*]]: tensor<1x4x?x16xf32>)
// CHECK-NOT: onnx.node
// CHECK: awq.attention %[[Q]], %[[K]], %[[V]] {scale = 2.500000e-01 : f32}
// CHECK-NEXT: return
func.func @sdpa_scaled_operands(%q: tensor<1x4x?x16xf32>, %k: tensor<1x4x?x16xf32>, %v: tensor<1x4x?x16xf32>)
    -> tensor<1x4x?x16xf32> {
  %half = onnx.initializer "half" = dense<0.5> : tensor<f32>
  %two = onnx.initializer "two" = dense<2.0> : tensor<f32>
  %qs = onnx.node "Mul"(%q, %half) {opset = 17 : i64} : (tensor<1x4x?x16xf32>, tensor<f32>) -> tensor<1x4x?x16xf32>
  %kt = onnx.node "Transpose"(%k) {opset = 17 : i64, attrs = {perm = array<i64: 0, 1, 3, 2>}}
      : (tensor<1x4x?x16xf32>) -> tensor<1x4x16x?xf32>
  %kts = onnx.node "Div"(%kt, %two) {opset = 17 : i64} : (tensor<1x4x16x?xf32>, tensor<f32>) -> tensor<1x4x16x?xf32>
  %s = onnx.node "MatMul"(%qs, %kts) {opset = 17 : i64} : (tensor<1x4x?x16xf32>, tensor<1x4x16x?xf32>) -> tensor<1x4x?x?xf32>
  %c0 = onnx.node "Cast"(%s) {opset = 17 : i64, attrs = {to = 1 : i64}} : (tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32>
  %p = onnx.node "Softmax"(%c0) {opset = 17 : i64} : (tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32>
  %c1 = onnx.node "Cast"(%p) {opset = 17 : i64, attrs = {to = 1 : i64}} : (tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32>
  %o = onnx.node "MatMul"(%c1, %v) {opset = 17 : i64} : (tensor<1x4x?x?xf32>, tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32>
  return %o : tensor<1x4x?x16xf32>
}
