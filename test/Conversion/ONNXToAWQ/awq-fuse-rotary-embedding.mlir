// RUN: awq-opt %s --awq-fuse-rotary-embedding --split-input-file | FileCheck %s

// HF's apply_rotary_pos_emb on q and k (opset 17): rotate_half as
// Concat(Neg(Slice(x, 32:INT64_MAX)), Slice(x, 0:32)); one cos/sin for both.
// CHECK-LABEL: func.func @half_split_q_and_k
// CHECK-SAME: (%[[Q:.*]]: tensor<1x4x?x64xf32>, %[[K:.*]]: tensor<1x2x?x64xf32>, %[[COS:.*]]: tensor<1x1x?x64xf32>, %[[SIN:.*]]: tensor<1x1x?x64xf32>)
// CHECK-NOT: onnx.node
// CHECK: %[[QR:.*]] = awq.rotary_embedding %[[Q]], %[[COS]], %[[SIN]] {layout = #awq.rotary_layout<half_split>} : tensor<1x4x?x64xf32>, tensor<1x1x?x64xf32>
// CHECK-NEXT: %[[KR:.*]] = awq.rotary_embedding %[[K]], %[[COS]], %[[SIN]] {layout = #awq.rotary_layout<half_split>} : tensor<1x2x?x64xf32>, tensor<1x1x?x64xf32>
// CHECK-NEXT: return %[[QR]], %[[KR]]
func.func @half_split_q_and_k(%q: tensor<1x4x?x64xf32>, %k: tensor<1x2x?x64xf32>,
                              %cos: tensor<1x1x?x64xf32>, %sin: tensor<1x1x?x64xf32>)
    -> (tensor<1x4x?x64xf32>, tensor<1x2x?x64xf32>) {
  %zero = onnx.initializer "zero" = dense<0> : tensor<1xi64>
  %half = onnx.initializer "half" = dense<32> : tensor<1xi64>
  %end = onnx.initializer "end" = dense<9223372036854775807> : tensor<1xi64>
  %last = onnx.initializer "last" = dense<-1> : tensor<1xi64>
  %q1 = onnx.node "Slice"(%q, %zero, %half, %last) {opset = 17 : i64} : (tensor<1x4x?x64xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x4x?x32xf32>
  %q2 = onnx.node "Slice"(%q, %half, %end, %last) {opset = 17 : i64} : (tensor<1x4x?x64xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x4x?x32xf32>
  %qn = onnx.node "Neg"(%q2) {opset = 17 : i64} : (tensor<1x4x?x32xf32>) -> tensor<1x4x?x32xf32>
  %qr = onnx.node "Concat"(%qn, %q1) {opset = 17 : i64, attrs = {axis = -1 : i64}} : (tensor<1x4x?x32xf32>, tensor<1x4x?x32xf32>) -> tensor<1x4x?x64xf32>
  %qc = onnx.node "Mul"(%q, %cos) {opset = 17 : i64} : (tensor<1x4x?x64xf32>, tensor<1x1x?x64xf32>) -> tensor<1x4x?x64xf32>
  %qs = onnx.node "Mul"(%qr, %sin) {opset = 17 : i64} : (tensor<1x4x?x64xf32>, tensor<1x1x?x64xf32>) -> tensor<1x4x?x64xf32>
  %qo = onnx.node "Add"(%qc, %qs) {opset = 17 : i64} : (tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>) -> tensor<1x4x?x64xf32>
  %k1 = onnx.node "Slice"(%k, %zero, %half, %last) {opset = 17 : i64} : (tensor<1x2x?x64xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x?x32xf32>
  %k2 = onnx.node "Slice"(%k, %half, %end, %last) {opset = 17 : i64} : (tensor<1x2x?x64xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x?x32xf32>
  %kn = onnx.node "Neg"(%k2) {opset = 17 : i64} : (tensor<1x2x?x32xf32>) -> tensor<1x2x?x32xf32>
  %kr = onnx.node "Concat"(%kn, %k1) {opset = 17 : i64, attrs = {axis = 3 : i64}} : (tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>) -> tensor<1x2x?x64xf32>
  %kc = onnx.node "Mul"(%k, %cos) {opset = 17 : i64} : (tensor<1x2x?x64xf32>, tensor<1x1x?x64xf32>) -> tensor<1x2x?x64xf32>
  %ks = onnx.node "Mul"(%kr, %sin) {opset = 17 : i64} : (tensor<1x2x?x64xf32>, tensor<1x1x?x64xf32>) -> tensor<1x2x?x64xf32>
  %ko = onnx.node "Add"(%kc, %ks) {opset = 17 : i64} : (tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>) -> tensor<1x2x?x64xf32>
  return %qo, %ko : tensor<1x4x?x64xf32>, tensor<1x2x?x64xf32>
}

// -----

// GPT-J's rotate_every_two (opset 13: Unsqueeze's axes and Slice's steps are
// inputs), factors and summands in the other order, f16.
// CHECK-LABEL: func.func @interleaved_operands_swapped
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x4x8xf16>, %[[COS:.*]]: tensor<?x1x8xf16>, %[[SIN:.*]]: tensor<?x1x8xf16>)
// CHECK-NOT: onnx.node
// CHECK: %[[R:.*]] = awq.rotary_embedding %[[X]], %[[COS]], %[[SIN]] {layout = #awq.rotary_layout<interleaved>} : tensor<?x?x4x8xf16>, tensor<?x1x8xf16>
// CHECK-NEXT: return %[[R]]
func.func @interleaved_operands_swapped(%x: tensor<?x?x4x8xf16>, %cos: tensor<?x1x8xf16>, %sin: tensor<?x1x8xf16>)
    -> tensor<?x?x4x8xf16> {
  %zero = onnx.initializer "zero" = dense<0> : tensor<1xi64>
  %one = onnx.initializer "one" = dense<1> : tensor<1xi64>
  %two = onnx.initializer "two" = dense<2> : tensor<1xi64>
  %dim = onnx.initializer "dim" = dense<8> : tensor<1xi64>
  %last = onnx.initializer "last" = dense<-1> : tensor<1xi64>
  %shape = onnx.initializer "shape" = dense<[0, 0, 0, 8]> : tensor<4xi64>
  %even = onnx.node "Slice"(%x, %zero, %dim, %last, %two) {opset = 13 : i64} : (tensor<?x?x4x8xf16>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?x4x4xf16>
  %odd = onnx.node "Slice"(%x, %one, %dim, %last, %two) {opset = 13 : i64} : (tensor<?x?x4x8xf16>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?x4x4xf16>
  %neg = onnx.node "Neg"(%odd) {opset = 13 : i64} : (tensor<?x?x4x4xf16>) -> tensor<?x?x4x4xf16>
  %a = onnx.node "Unsqueeze"(%neg, %last) {opset = 13 : i64} : (tensor<?x?x4x4xf16>, tensor<1xi64>) -> tensor<?x?x4x4x1xf16>
  %b = onnx.node "Unsqueeze"(%even, %last) {opset = 13 : i64} : (tensor<?x?x4x4xf16>, tensor<1xi64>) -> tensor<?x?x4x4x1xf16>
  %pairs = onnx.node "Concat"(%a, %b) {opset = 13 : i64, attrs = {axis = -1 : i64}} : (tensor<?x?x4x4x1xf16>, tensor<?x?x4x4x1xf16>) -> tensor<?x?x4x4x2xf16>
  %rot = onnx.node "Reshape"(%pairs, %shape) {opset = 13 : i64} : (tensor<?x?x4x4x2xf16>, tensor<4xi64>) -> tensor<?x?x4x8xf16>
  %c = onnx.node "Mul"(%cos, %x) {opset = 13 : i64} : (tensor<?x1x8xf16>, tensor<?x?x4x8xf16>) -> tensor<?x?x4x8xf16>
  %s = onnx.node "Mul"(%sin, %rot) {opset = 13 : i64} : (tensor<?x1x8xf16>, tensor<?x?x4x8xf16>) -> tensor<?x?x4x8xf16>
  %o = onnx.node "Add"(%s, %c) {opset = 13 : i64} : (tensor<?x?x4x8xf16>, tensor<?x?x4x8xf16>) -> tensor<?x?x4x8xf16>
  return %o : tensor<?x?x4x8xf16>
}

// -----

// Opset 9: Slice's bounds and axes are attributes.
// CHECK-LABEL: func.func @slice_attributes
// CHECK: awq.rotary_embedding %{{.*}}, %{{.*}}, %{{.*}} {layout = #awq.rotary_layout<half_split>} : tensor<2x3x16xf32>, tensor<3x16xf32>
// CHECK-NOT: onnx.node
func.func @slice_attributes(%x: tensor<2x3x16xf32>, %cos: tensor<3x16xf32>, %sin: tensor<3x16xf32>) -> tensor<2x3x16xf32> {
  %x1 = onnx.node "Slice"(%x) {opset = 9 : i64, attrs = {starts = array<i64: 0>, ends = array<i64: 8>, axes = array<i64: 2>}} : (tensor<2x3x16xf32>) -> tensor<2x3x8xf32>
  %x2 = onnx.node "Slice"(%x) {opset = 9 : i64, attrs = {starts = array<i64: -8>, ends = array<i64: 16>, axes = array<i64: -1>}} : (tensor<2x3x16xf32>) -> tensor<2x3x8xf32>
  %n = onnx.node "Neg"(%x2) {opset = 9 : i64} : (tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
  %r = onnx.node "Concat"(%n, %x1) {opset = 9 : i64, attrs = {axis = 2 : i64}} : (tensor<2x3x8xf32>, tensor<2x3x8xf32>) -> tensor<2x3x16xf32>
  %c = onnx.node "Mul"(%x, %cos) {opset = 9 : i64} : (tensor<2x3x16xf32>, tensor<3x16xf32>) -> tensor<2x3x16xf32>
  %s = onnx.node "Mul"(%r, %sin) {opset = 9 : i64} : (tensor<2x3x16xf32>, tensor<3x16xf32>) -> tensor<2x3x16xf32>
  %o = onnx.node "Add"(%c, %s) {opset = 9 : i64} : (tensor<2x3x16xf32>, tensor<2x3x16xf32>) -> tensor<2x3x16xf32>
  return %o : tensor<2x3x16xf32>
}

// -----

// Not rotations: the halves concatenated the other way round (the sign on
// the wrong half), a slice one short of the half, and angles that would
// widen x (x [2, 1, 16], cos [2, 3, 16]) stay generic.
// CHECK-LABEL: func.func @not_rotations
// CHECK-NOT: awq.rotary_embedding
// CHECK: return
func.func @not_rotations(%x: tensor<2x1x16xf32>, %cos: tensor<1x16xf32>, %sin: tensor<1x16xf32>, %wide: tensor<2x3x16xf32>)
    -> (tensor<2x1x16xf32>, tensor<2x1x16xf32>, tensor<2x3x16xf32>) {
  %zero = onnx.initializer "zero" = dense<0> : tensor<1xi64>
  %seven = onnx.initializer "seven" = dense<7> : tensor<1xi64>
  %eight = onnx.initializer "eight" = dense<8> : tensor<1xi64>
  %dim = onnx.initializer "dim" = dense<16> : tensor<1xi64>
  %last = onnx.initializer "last" = dense<-1> : tensor<1xi64>
  %x1 = onnx.node "Slice"(%x, %zero, %eight, %last) {opset = 17 : i64} : (tensor<2x1x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x1x8xf32>
  %x2 = onnx.node "Slice"(%x, %eight, %dim, %last) {opset = 17 : i64} : (tensor<2x1x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x1x8xf32>
  // Concat(Neg(first half), second half).
  %n1 = onnx.node "Neg"(%x1) {opset = 17 : i64} : (tensor<2x1x8xf32>) -> tensor<2x1x8xf32>
  %r1 = onnx.node "Concat"(%n1, %x2) {opset = 17 : i64, attrs = {axis = -1 : i64}} : (tensor<2x1x8xf32>, tensor<2x1x8xf32>) -> tensor<2x1x16xf32>
  %c1 = onnx.node "Mul"(%x, %cos) {opset = 17 : i64} : (tensor<2x1x16xf32>, tensor<1x16xf32>) -> tensor<2x1x16xf32>
  %s1 = onnx.node "Mul"(%r1, %sin) {opset = 17 : i64} : (tensor<2x1x16xf32>, tensor<1x16xf32>) -> tensor<2x1x16xf32>
  %o1 = onnx.node "Add"(%c1, %s1) {opset = 17 : i64} : (tensor<2x1x16xf32>, tensor<2x1x16xf32>) -> tensor<2x1x16xf32>
  // The first slice stops at 7.
  %y1 = onnx.node "Slice"(%x, %zero, %seven, %last) {opset = 17 : i64} : (tensor<2x1x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x1x8xf32>
  %n2 = onnx.node "Neg"(%x2) {opset = 17 : i64} : (tensor<2x1x8xf32>) -> tensor<2x1x8xf32>
  %r2 = onnx.node "Concat"(%n2, %y1) {opset = 17 : i64, attrs = {axis = -1 : i64}} : (tensor<2x1x8xf32>, tensor<2x1x8xf32>) -> tensor<2x1x16xf32>
  %c2 = onnx.node "Mul"(%x, %cos) {opset = 17 : i64} : (tensor<2x1x16xf32>, tensor<1x16xf32>) -> tensor<2x1x16xf32>
  %s2 = onnx.node "Mul"(%r2, %sin) {opset = 17 : i64} : (tensor<2x1x16xf32>, tensor<1x16xf32>) -> tensor<2x1x16xf32>
  %o2 = onnx.node "Add"(%c2, %s2) {opset = 17 : i64} : (tensor<2x1x16xf32>, tensor<2x1x16xf32>) -> tensor<2x1x16xf32>
  // Angles wider than x.
  %n3 = onnx.node "Neg"(%x2) {opset = 17 : i64} : (tensor<2x1x8xf32>) -> tensor<2x1x8xf32>
  %r3 = onnx.node "Concat"(%n3, %x1) {opset = 17 : i64, attrs = {axis = -1 : i64}} : (tensor<2x1x8xf32>, tensor<2x1x8xf32>) -> tensor<2x1x16xf32>
  %c3 = onnx.node "Mul"(%x, %wide) {opset = 17 : i64} : (tensor<2x1x16xf32>, tensor<2x3x16xf32>) -> tensor<2x3x16xf32>
  %s3 = onnx.node "Mul"(%r3, %wide) {opset = 17 : i64} : (tensor<2x1x16xf32>, tensor<2x3x16xf32>) -> tensor<2x3x16xf32>
  %o3 = onnx.node "Add"(%c3, %s3) {opset = 17 : i64} : (tensor<2x3x16xf32>, tensor<2x3x16xf32>) -> tensor<2x3x16xf32>
  return %o1, %o2, %o3 : tensor<2x1x16xf32>, tensor<2x1x16xf32>, tensor<2x3x16xf32>
}

// -----

// x * cos is also returned: fusing would compute it twice, so nothing fuses.
// CHECK-LABEL: func.func @product_used_elsewhere
// CHECK-NOT: awq.rotary_embedding
// CHECK: return
func.func @product_used_elsewhere(%x: tensor<4x16xf32>, %cos: tensor<4x16xf32>, %sin: tensor<4x16xf32>)
    -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %zero = onnx.initializer "zero" = dense<0> : tensor<1xi64>
  %eight = onnx.initializer "eight" = dense<8> : tensor<1xi64>
  %dim = onnx.initializer "dim" = dense<16> : tensor<1xi64>
  %last = onnx.initializer "last" = dense<-1> : tensor<1xi64>
  %x1 = onnx.node "Slice"(%x, %zero, %eight, %last) {opset = 17 : i64} : (tensor<4x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4x8xf32>
  %x2 = onnx.node "Slice"(%x, %eight, %dim, %last) {opset = 17 : i64} : (tensor<4x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4x8xf32>
  %n = onnx.node "Neg"(%x2) {opset = 17 : i64} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %r = onnx.node "Concat"(%n, %x1) {opset = 17 : i64, attrs = {axis = -1 : i64}} : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x16xf32>
  %c = onnx.node "Mul"(%x, %cos) {opset = 17 : i64} : (tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>
  %s = onnx.node "Mul"(%r, %sin) {opset = 17 : i64} : (tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>
  %o = onnx.node "Add"(%c, %s) {opset = 17 : i64} : (tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>
  return %o, %c : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// TorchScript's export of rotate_half: the slice bounds are
// x.shape[-1] // 2 computed in the graph (Shape -> Gather -> Div -> Cast ->
// Unsqueeze); the head dim is static, so they are known at compile time.
// CHECK-LABEL: func.func @shape_arithmetic_bounds
// CHECK-SAME: (%[[X:.*]]: tensor<?x4x?x16xf32>, %[[COS:.*]]: tensor<?x1x?x16xf32>, %[[SIN:.*]]: tensor<?x1x?x16xf32>)
// CHECK-NOT: onnx.node "Slice"
// CHECK: %[[R:.*]] = awq.rotary_embedding %[[X]], %[[COS]], %[[SIN]] {layout = #awq.rotary_layout<half_split>}
// CHECK-NEXT: return %[[R]]
func.func @shape_arithmetic_bounds(%x: tensor<?x4x?x16xf32>, %cos: tensor<?x1x?x16xf32>, %sin: tensor<?x1x?x16xf32>)
    -> tensor<?x4x?x16xf32> {
  %zero = onnx.initializer "zero" = dense<0> : tensor<1xi64>
  %axis0 = onnx.initializer "axis0" = dense<0> : tensor<1xi64>
  %three = onnx.initializer "three" = dense<3> : tensor<i64>
  %two = onnx.initializer "two" = dense<2> : tensor<i64>
  %end = onnx.initializer "end" = dense<9223372036854775807> : tensor<1xi64>
  %last = onnx.initializer "last" = dense<3> : tensor<1xi64>
  %shape = onnx.node "Shape"(%x) {opset = 14 : i64} : (tensor<?x4x?x16xf32>) -> tensor<4xi64>
  %dim = onnx.node "Gather"(%shape, %three) {opset = 14 : i64, attrs = {axis = 0 : i64}} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %half = onnx.node "Div"(%dim, %two) {opset = 14 : i64} : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %halfl = onnx.node "Cast"(%half) {opset = 14 : i64, attrs = {to = 7 : i64}} : (tensor<i64>) -> tensor<i64>
  %halfv = onnx.node "Unsqueeze"(%halfl, %axis0) {opset = 14 : i64} : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %x1 = onnx.node "Slice"(%x, %zero, %halfv, %last) {opset = 14 : i64} : (tensor<?x4x?x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x8xf32>
  %x2 = onnx.node "Slice"(%x, %halfv, %end, %last) {opset = 14 : i64} : (tensor<?x4x?x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x8xf32>
  %n = onnx.node "Neg"(%x2) {opset = 14 : i64} : (tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  %r = onnx.node "Concat"(%n, %x1) {opset = 14 : i64, attrs = {axis = -1 : i64}} : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x16xf32>
  %c = onnx.node "Mul"(%x, %cos) {opset = 14 : i64} : (tensor<?x4x?x16xf32>, tensor<?x1x?x16xf32>) -> tensor<?x4x?x16xf32>
  %s = onnx.node "Mul"(%r, %sin) {opset = 14 : i64} : (tensor<?x4x?x16xf32>, tensor<?x1x?x16xf32>) -> tensor<?x4x?x16xf32>
  %o = onnx.node "Add"(%c, %s) {opset = 14 : i64} : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// -----

// A bound from a dynamic dim (the sequence length) is not known: no fusion.
// CHECK-LABEL: func.func @dynamic_bound
// CHECK-NOT: awq.rotary_embedding
// CHECK: return
func.func @dynamic_bound(%x: tensor<?x4x?x16xf32>, %cos: tensor<?x1x?x16xf32>, %sin: tensor<?x1x?x16xf32>)
    -> tensor<?x4x?x16xf32> {
  %zero = onnx.initializer "zero" = dense<0> : tensor<1xi64>
  %axis0 = onnx.initializer "axis0" = dense<0> : tensor<1xi64>
  %two = onnx.initializer "two" = dense<2> : tensor<i64>
  %end = onnx.initializer "end" = dense<9223372036854775807> : tensor<1xi64>
  %last = onnx.initializer "last" = dense<3> : tensor<1xi64>
  %shape = onnx.node "Shape"(%x) {opset = 14 : i64} : (tensor<?x4x?x16xf32>) -> tensor<4xi64>
  %dim = onnx.node "Gather"(%shape, %two) {opset = 14 : i64, attrs = {axis = 0 : i64}} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %halfv = onnx.node "Unsqueeze"(%dim, %axis0) {opset = 14 : i64} : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %x1 = onnx.node "Slice"(%x, %zero, %halfv, %last) {opset = 14 : i64} : (tensor<?x4x?x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x8xf32>
  %x2 = onnx.node "Slice"(%x, %halfv, %end, %last) {opset = 14 : i64} : (tensor<?x4x?x16xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4x?x8xf32>
  %n = onnx.node "Neg"(%x2) {opset = 14 : i64} : (tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
  %r = onnx.node "Concat"(%n, %x1) {opset = 14 : i64, attrs = {axis = -1 : i64}} : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x16xf32>
  %c = onnx.node "Mul"(%x, %cos) {opset = 14 : i64} : (tensor<?x4x?x16xf32>, tensor<?x1x?x16xf32>) -> tensor<?x4x?x16xf32>
  %s = onnx.node "Mul"(%r, %sin) {opset = 14 : i64} : (tensor<?x4x?x16xf32>, tensor<?x1x?x16xf32>) -> tensor<?x4x?x16xf32>
  %o = onnx.node "Add"(%c, %s) {opset = 14 : i64} : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}
