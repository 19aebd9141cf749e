// RUN: awq-opt %s --awq-fuse-head-transposes --split-input-file | FileCheck %s

// A Llama layer with a KV cache as HF exports it, after the other fusions:
// q and k reshaped to [B, S, H, D], transposed to [B, H, S, D], rotated with
// the model's cos/sin unsqueezed to one head; k and v appended to the cache;
// the attention's result transposed back. All four transposes go: rotary
// runs on [B, S, H, D] with cos/sin reshaped once to [1, S, 1, D] (straight
// from the model's [1, S, D], so the per-layer Unsqueezes go too), the
// appends and the attention take [B, S, H, D].
// CHECK-LABEL: func.func @llama_layer
// CHECK-SAME: (%[[Q:[^:]*]]: tensor<1x?x4x8xf32>, %[[K:[^:]*]]: tensor<1x?x2x8xf32>, %[[V:[^:]*]]: tensor<1x?x2x8xf32>, %[[PK:[^:]*]]: tensor<1x2x?x8xf32>, %[[PV:[^:]*]]: tensor<1x2x?x8xf32>, %[[COS:[^:]*]]: tensor<1x?x8xf32>, %[[SIN:[^:]*]]: tensor<1x?x8xf32>)
// CHECK-NOT: "Transpose"
// CHECK-NOT: "Unsqueeze"
// CHECK-DAG: %[[SHAPE:.*]] = onnx.initializer "awq.head_layout.angle_shape" = dense<[1, -1, 1, 8]> : tensor<4xi64>
// CHECK-DAG: %[[C:.*]] = onnx.node "Reshape"(%[[COS]], %[[SHAPE]]) {opset = 17 : i64} : (tensor<1x?x8xf32>, tensor<4xi64>) -> tensor<1x?x1x8xf32>
// CHECK-DAG: %[[S:.*]] = onnx.node "Reshape"(%[[SIN]], %{{.*}}) {{.*}} -> tensor<1x?x1x8xf32>
// CHECK-DAG: %[[QR:.*]] = awq.rotary_embedding %[[Q]], %[[C]], %[[S]] {layout = #awq.rotary_layout<half_split>} : tensor<1x?x4x8xf32>, tensor<1x?x1x8xf32>
// CHECK-DAG: %[[KR:.*]] = awq.rotary_embedding %[[K]], %[[C]], %[[S]] {layout = #awq.rotary_layout<half_split>} : tensor<1x?x2x8xf32>, tensor<1x?x1x8xf32>
// CHECK-DAG: %[[KC:.*]] = awq.kv_cache_append %[[PK]], %[[KR]] {update_layout = #awq.head_layout<bshd>} : (tensor<1x2x?x8xf32>, tensor<1x?x2x8xf32>) -> tensor<1x2x?x8xf32>
// CHECK-DAG: %[[VC:.*]] = awq.kv_cache_append %[[PV]], %[[V]] {update_layout = #awq.head_layout<bshd>} : (tensor<1x2x?x8xf32>, tensor<1x?x2x8xf32>) -> tensor<1x2x?x8xf32>
// CHECK: %[[O:.*]] = awq.attention %[[QR]], %[[KC]], %[[VC]] {query_layout = #awq.head_layout<bshd>, scale = 0.353553385 : f32} : (tensor<1x?x4x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x?x4x8xf32>
// CHECK: return %[[O]], %[[KC]], %[[VC]]
func.func @llama_layer(%q: tensor<1x?x4x8xf32>, %k: tensor<1x?x2x8xf32>, %v: tensor<1x?x2x8xf32>,
                       %pk: tensor<1x2x?x8xf32>, %pv: tensor<1x2x?x8xf32>,
                       %cos3: tensor<1x?x8xf32>, %sin3: tensor<1x?x8xf32>)
    -> (tensor<1x?x4x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) {
  %one = onnx.node "Constant"() {opset = 17 : i64, attrs = {value = dense<1> : tensor<1xi64>}} : () -> tensor<1xi64>
  %cos = onnx.node "Unsqueeze"(%cos3, %one) {opset = 17 : i64} : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %sin = onnx.node "Unsqueeze"(%sin3, %one) {opset = 17 : i64} : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %qt = onnx.node "Transpose"(%q) {name = "/q/Transpose", opset = 17 : i64, attrs = {perm = array<i64: 0, 2, 1, 3>}} : (tensor<1x?x4x8xf32>) -> tensor<1x4x?x8xf32>
  %kt = onnx.node "Transpose"(%k) {name = "/k/Transpose", opset = 17 : i64, attrs = {perm = array<i64: 0, 2, 1, 3>}} : (tensor<1x?x2x8xf32>) -> tensor<1x2x?x8xf32>
  %vt = onnx.node "Transpose"(%v) {name = "/v/Transpose", opset = 17 : i64, attrs = {perm = array<i64: 0, 2, 1, 3>}} : (tensor<1x?x2x8xf32>) -> tensor<1x2x?x8xf32>
  %qr = awq.rotary_embedding %qt, %cos, %sin {layout = #awq.rotary_layout<half_split>} : tensor<1x4x?x8xf32>, tensor<1x1x?x8xf32>
  %kr = awq.rotary_embedding %kt, %cos, %sin {layout = #awq.rotary_layout<half_split>} : tensor<1x2x?x8xf32>, tensor<1x1x?x8xf32>
  %kc = awq.kv_cache_append %pk, %kr : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %vc = awq.kv_cache_append %pv, %vt : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %o = awq.attention %qr, %kc, %vc {scale = 0.35355338 : f32} : (tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x4x?x8xf32>
  %ot = onnx.node "Transpose"(%o) {opset = 17 : i64, attrs = {perm = array<i64: 0, 2, 1, 3>}} : (tensor<1x4x?x8xf32>) -> tensor<1x?x4x8xf32>
  return %ot, %kc, %vc : tensor<1x?x4x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
}

// -----

// Without a cache, attention reads k and v as [B, H, T, D]: their
// transposes stay, and so does the rotary embedding of k (moving its
// transpose would only move it). q's and the result's go.
// CHECK-LABEL: func.func @no_cache
// CHECK-SAME: (%[[Q:[^:]*]]: tensor<1x?x4x8xf32>, %[[K:[^:]*]]: tensor<1x?x4x8xf32>
// CHECK-DAG: %[[KT:.*]] = onnx.node "Transpose"(%[[K]])
// CHECK-DAG: %[[KR:.*]] = awq.rotary_embedding %[[KT]], %{{.*}}, %{{.*}} {{.*}} : tensor<1x4x?x8xf32>, tensor<1x1x?x8xf32>
// CHECK-DAG: %[[QR:.*]] = awq.rotary_embedding %[[Q]], %{{.*}}, %{{.*}} {{.*}} : tensor<1x?x4x8xf32>, tensor<1x?x1x8xf32>
// CHECK: %[[O:.*]] = awq.attention %[[QR]], %[[KR]], %{{.*}} {query_layout = #awq.head_layout<bshd>
// CHECK-NEXT: return %[[O]] : tensor<1x?x4x8xf32>
func.func @no_cache(%q: tensor<1x?x4x8xf32>, %k: tensor<1x?x4x8xf32>, %v: tensor<1x?x4x8xf32>,
                    %cos: tensor<1x1x?x8xf32>, %sin: tensor<1x1x?x8xf32>) -> tensor<1x?x4x8xf32> {
  %qt = onnx.node "Transpose"(%q) {opset = 17 : i64, attrs = {perm = array<i64: 0, 2, 1, 3>}} : (tensor<1x?x4x8xf32>) -> tensor<1x4x?x8xf32>
  %kt = onnx.node "Transpose"(%k) {opset = 17 : i64, attrs = {perm = array<i64: 0, 2, 1, 3>}} : (tensor<1x?x4x8xf32>) -> tensor<1x4x?x8xf32>
  %vt = onnx.node "Transpose"(%v) {opset = 17 : i64, attrs = {perm = array<i64: 0, 2, 1, 3>}} : (tensor<1x?x4x8xf32>) -> tensor<1x4x?x8xf32>
  %qr = awq.rotary_embedding %qt, %cos, %sin {layout = #awq.rotary_layout<half_split>} : tensor<1x4x?x8xf32>, tensor<1x1x?x8xf32>
  %kr = awq.rotary_embedding %kt, %cos, %sin {layout = #awq.rotary_layout<half_split>} : tensor<1x4x?x8xf32>, tensor<1x1x?x8xf32>
  %o = awq.attention %qr, %kr, %vt {scale = 0.35355338 : f32} : (tensor<1x4x?x8xf32>, tensor<1x4x?x8xf32>, tensor<1x4x?x8xf32>) -> tensor<1x4x?x8xf32>
  %ot = onnx.node "Transpose"(%o) {opset = 17 : i64, attrs = {perm = array<i64: 0, 2, 1, 3>}} : (tensor<1x4x?x8xf32>) -> tensor<1x?x4x8xf32>
  return %ot : tensor<1x?x4x8xf32>
}

// -----

// Left as they are: an attention whose result something other than a head
// transpose reads (the query's transpose stays too), a rotary embedding
// whose input transpose has another reader, one whose cos and sin have two
// heads (a reshape could not swap them), and an update transposed by
// another permutation.
// CHECK-LABEL: func.func @kept
// CHECK-NOT: head_layout
// CHECK-COUNT-5: onnx.node "Transpose"
// CHECK-NOT: head_layout
func.func @kept(%q: tensor<1x?x4x8xf32>, %k: tensor<1x?x2x8xf32>, %pk: tensor<1x2x?x8xf32>,
                %pw: tensor<1x?x2x8xf32>, %x: tensor<1x8x?x2xf32>,
                %cos: tensor<1x1x?x8xf32>, %sin: tensor<1x1x?x8xf32>,
                %cos2: tensor<1x2x?x8xf32>, %sin2: tensor<1x2x?x8xf32>)
    -> (tensor<1x4x?x8xf32>, tensor<1x?x4x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>,
        tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) {
  %qt = onnx.node "Transpose"(%q) {opset = 17 : i64, attrs = {perm = array<i64: 0, 2, 1, 3>}} : (tensor<1x?x4x8xf32>) -> tensor<1x4x?x8xf32>
  %o = awq.attention %qt, %pk, %pk {scale = 0.35355338 : f32} : (tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x4x?x8xf32>
  %ot = onnx.node "Transpose"(%o) {opset = 17 : i64, attrs = {perm = array<i64: 0, 2, 1, 3>}} : (tensor<1x4x?x8xf32>) -> tensor<1x?x4x8xf32>
  %wt = onnx.node "Transpose"(%pw) {opset = 17 : i64, attrs = {perm = array<i64: 0, 2, 1, 3>}} : (tensor<1x?x2x8xf32>) -> tensor<1x2x?x8xf32>
  %wr = awq.rotary_embedding %wt, %cos2, %sin2 {layout = #awq.rotary_layout<half_split>} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
  %wc = awq.kv_cache_append %pk, %wr : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %xt = onnx.node "Transpose"(%x) {opset = 17 : i64, attrs = {perm = array<i64: 0, 3, 2, 1>}} : (tensor<1x8x?x2xf32>) -> tensor<1x2x?x8xf32>
  %xc = awq.kv_cache_append %pk, %xt : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %yt = onnx.node "Transpose"(%k) {opset = 17 : i64, attrs = {perm = array<i64: 0, 2, 1, 3>}} : (tensor<1x?x2x8xf32>) -> tensor<1x2x?x8xf32>
  %yr = awq.rotary_embedding %yt, %cos, %sin {layout = #awq.rotary_layout<half_split>} : tensor<1x2x?x8xf32>, tensor<1x1x?x8xf32>
  %yc = awq.kv_cache_append %pk, %yr : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  return %o, %ot, %wc, %xc, %yc, %yt : tensor<1x4x?x8xf32>, tensor<1x?x4x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
}
