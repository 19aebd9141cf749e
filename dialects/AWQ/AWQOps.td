//===- AWQOps.td - Ops of the awq dialect ------------------*- tablegen -*-===//

#ifndef AWQ_DIALECT_AWQ_AWQOPS_TD
#define AWQ_DIALECT_AWQ_AWQOPS_TD

include "AWQDialect.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// Activations and float weights: the dtypes transformers run in.
def AWQ_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
def AWQ_FloatVector : 1DTensorOf<[F32, F16, BF16]>;
// Packed codes and zero points are bytes; they are read as unsigned.
def AWQ_ByteTensor : RankedTensorOf<[I8, UI8]>;

//===----------------------------------------------------------------------===//
// linear
//===----------------------------------------------------------------------===//

def AWQ_LinearOp : AWQ_Op<"linear", [Pure]> {
  let summary = "Activation times a constant weight, plus an optional bias";
  let description = [{
    `result[..., n] = sum_k input[..., k] * W[k, n] + bias[n]`.

    The weight is `[K, N]` (ONNX `MatMul` order) or, with `transpose_weight`,
    `[N, K]` (PyTorch `nn.Linear` and `Gemm(transB=1)` order), so raising never
    has to copy a weight to transpose it. `name` keeps the ONNX node name, used
    by exclude patterns and by exporters.

    `clip` is AWQ's clipping-search result: an f32 `[N, ceil(K /
    clip_group_size)]` tensor; `awq-quantize` clamps each group of
    `clip_group_size` inputs of output row n to `[-clip, clip]` before
    quantizing it.

    ```mlir
    %y = awq.linear %x, %w, %b {name = "/mlp/up_proj/MatMul"}
        : (tensor<?x?x64xf32>, tensor<64x172xf32>, tensor<172xf32>)
        -> tensor<?x?x172xf32>
    ```
  }];
  let arguments = (ins AWQ_FloatTensor:$input, AWQ_FloatTensor:$weight,
                       Optional<AWQ_FloatVector>:$bias,
                       UnitAttr:$transpose_weight,
                       OptionalAttr<StrAttr>:$name,
                       OptionalAttr<ElementsAttr>:$clip,
                       OptionalAttr<I64Attr>:$clip_group_size);
  let results = (outs AWQ_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Number of inputs K and outputs N, read from the weight's shape.
    int64_t getInFeatures();
    int64_t getOutFeatures();
    /// Checks the shape of the optional clip attribute.
    ::mlir::LogicalResult verifyClip();
  }];
}

//===----------------------------------------------------------------------===//
// scale
//===----------------------------------------------------------------------===//

def AWQ_ScaleOp : AWQ_Op<"scale", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Divide each channel (last dimension) by a positive scale";
  let description = [{
    `result[..., c] = input[..., c] / scales[c]`.

    AWQ calibration inserts this op in front of each group of linears that
    share an input, and multiplies those linears' input rows by the same
    scales, so the function is unchanged. `awq-fold-scales` then folds the
    division into the preceding norm or linear; it stays only where no fold
    exists (e.g. after a GELU, which does not commute with scaling).

    ```mlir
    %y = awq.scale %x, %s : tensor<?x?x64xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins AWQ_FloatTensor:$input, AWQ_FloatVector:$scales);
  let results = (outs AWQ_FloatTensor:$result);
  let assemblyFormat = "$input `,` $scales attr-dict `:` type($input) `,` type($scales)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// group_matmul
//===----------------------------------------------------------------------===//

def AWQ_GroupMatmulOp : AWQ_Op<"group_matmul",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "Linear with a packed low-bit weight and per-group scales";
  let description = [{
    The quantized form of `awq.linear`. The weight has N output rows and K
    inputs; each row is cut into `ceil(K / group_size)` groups of
    `group_size` consecutive inputs (the last group may be partial). Weight
    element `(n, k)` with group `g = k / group_size` is

      `w = (q[n, k] - zero_points[n, g]) * scales[n, g]`

    with `q` the unsigned `bits`-wide code read from `qweight` in the given
    `layout`; without `zero_points` the zero point is `2^(bits-1)`. Then
    `result[..., n] = sum_k input[..., k] * w[n, k] + bias[n]`.

    Shapes (`row_major`): qweight `[N, ceil(K*bits/8)]`, scales and
    zero_points `[N, ceil(K/group_size)]`, bias `[N]`.

    ```mlir
    %y = awq.group_matmul %x, %q, %s zero_points %z
           {bits = 4 : i64, group_size = 32 : i64, in_features = 64 : i64,
            layout = #awq.layout<row_major>}
        : (tensor<?x64xf32>, tensor<172x32xui8>, tensor<172x2xf32>,
           tensor<172x2xui8>) -> tensor<?x172xf32>
    ```
  }];
  let arguments = (ins AWQ_FloatTensor:$input, AWQ_ByteTensor:$qweight,
                       AWQ_FloatTensor:$scales,
                       Optional<AWQ_ByteTensor>:$zero_points,
                       Optional<AWQ_FloatVector>:$bias,
                       I64Attr:$bits, I64Attr:$group_size, I64Attr:$in_features,
                       DefaultValuedAttr<AWQ_WeightLayoutAttr,
                                         "::awq::WeightLayout::RowMajor">:$layout,
                       OptionalAttr<StrAttr>:$name);
  let results = (outs AWQ_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $qweight `,` $scales (`zero_points` $zero_points^)?
    (`bias` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Number of groups per output row: ceil(in_features / group_size).
    int64_t getNumGroups();
    int64_t getOutFeatures();
  }];
}

def AWQ_PrepackedMatmulOp : AWQ_Op<"prepacked_matmul", [Pure]> {
  let summary = "Group matmul on weights repacked for the runtime's kernels";
  let description = [{
    What `awq-prepack-weights` makes of an `awq.group_matmul` with constant
    weights in a compiled model: `weights` is the runtime's self-describing
    blob (runtime/include/awq_runtime.h, "Prepacked group weights": a header
    with bits, group size, K and N, then the codes in the order the AVX2 /
    AVX-512 kernels read them, the scales and zero points). Same result as
    the group matmul it replaces; with `activations = "int8"` the input is
    quantized per block of 32 (the error bound is in the runtime header).

    ```mlir
    %y = awq.prepacked_matmul %x, %blob {activations = "int8", out_features = 172 : i64}
        : (tensor<?x64xf32>, tensor<12352xui8>) -> tensor<?x172xf32>
    ```
  }];
  let arguments = (ins AWQ_FloatTensor:$input, AWQ_ByteTensor:$weights,
                       Optional<AWQ_FloatVector>:$bias, I64Attr:$out_features,
                       DefaultValuedStrAttr<StrAttr, "f32">:$activations,
                       OptionalAttr<StrAttr>:$name);
  let results = (outs AWQ_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weights (`bias` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def AWQ_PrepackedGateUpSiLUOp : AWQ_Op<"prepacked_gate_up_silu", [Pure]> {
  let summary = "SiLU(x . gate^T) * (x . up^T) on prepacked weights, fused";
  let description = [{
    LLaMA's MLP front half, `Mul(SiLU(gate(x)), up(x))`, as one runtime
    call: each tile of both weights is computed on the same thread and
    combined there, without [.., N] intermediates. `gate_weights` and
    `up_weights` are prepacked blobs (see `awq.prepacked_matmul`) of the same
    shape and layout.

    ```mlir
    %h = awq.prepacked_gate_up_silu %x, %gate, %up {out_features = 172 : i64}
        : (tensor<?x64xf32>, tensor<12352xui8>, tensor<12352xui8>) -> tensor<?x172xf32>
    ```
  }];
  let arguments = (ins AWQ_FloatTensor:$input, AWQ_ByteTensor:$gate_weights,
                       AWQ_ByteTensor:$up_weights, I64Attr:$out_features,
                       DefaultValuedStrAttr<StrAttr, "f32">:$activations,
                       OptionalAttr<StrAttr>:$name);
  let results = (outs AWQ_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $gate_weights `,` $up_weights attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

def AWQ_RMSNormOp : AWQ_Op<"rms_norm", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "RMS normalization over the last dimension";
  let description = [{
    `result = input / sqrt(mean(input^2, -1) + epsilon) * g` where
    `g = weight`, or `g = 1 + weight` with `unit_offset` (Gemma's form).
    The AWQ passes fold inverse scales into `weight` (for `unit_offset`:
    `w <- (1 + w) / s - 1`).

    ```mlir
    %y = awq.rms_norm %x, %g {epsilon = 1.0e-05 : f32}
        : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins AWQ_FloatTensor:$input, AWQ_FloatVector:$weight,
                       F32Attr:$epsilon, UnitAttr:$unit_offset);
  let results = (outs AWQ_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def AWQ_LayerNormOp : AWQ_Op<"layer_norm",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Layer normalization over the last dimension";
  let description = [{
    `result = (input - mean) / sqrt(var + epsilon) * weight + bias`, mean and
    (biased) variance over the last dimension; `bias` is optional.

    ```mlir
    %y = awq.layer_norm %x, %g, %b {epsilon = 1.0e-05 : f32}
        : (tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>)
        -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins AWQ_FloatTensor:$input, AWQ_FloatVector:$weight,
                       Optional<AWQ_FloatVector>:$bias, F32Attr:$epsilon);
  let results = (outs AWQ_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Residual add fused with the norm that follows it
//===----------------------------------------------------------------------===//

def AWQ_AddRMSNormOp : AWQ_Op<"add_rms_norm",
    [Pure, AllTypesMatch<["input", "residual", "sum", "result"]>]> {
  let summary = "Residual add and RMS normalization of the sum";
  let description = [{
    `sum = input + residual`, rounded to the element type as ONNX's Add
    rounds it, and `result = awq.rms_norm(sum, weight)` (same `epsilon` and
    `unit_offset`). A pre-norm decoder adds each block's output to the
    residual stream and normalizes the sum for the next block; the op does
    both in one pass over the row, and `sum` stays the residual stream.
    `awq-fuse-residual-norm` forms it from an ONNX Add whose result feeds an
    awq.rms_norm; it gives the same bits as the two ops.

    ```mlir
    %h, %y = awq.add_rms_norm %x, %r, %g {epsilon = 1.0e-05 : f32}
        : (tensor<1x?x64xf32>, tensor<1x?x64xf32>, tensor<64xf32>)
        -> (tensor<1x?x64xf32>, tensor<1x?x64xf32>)
    ```
  }];
  let arguments = (ins AWQ_FloatTensor:$input, AWQ_FloatTensor:$residual,
                       AWQ_FloatVector:$weight, F32Attr:$epsilon, UnitAttr:$unit_offset);
  let results = (outs AWQ_FloatTensor:$sum, AWQ_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $residual `,` $weight attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def AWQ_AddLayerNormOp : AWQ_Op<"add_layer_norm",
    [Pure, AllTypesMatch<["input", "residual", "sum", "result"]>]> {
  let summary = "Residual add and layer normalization of the sum";
  let description = [{
    `sum = input + residual`, rounded to the element type as ONNX's Add
    rounds it, and `result = awq.layer_norm(sum, weight[, bias])` over the
    last dimension. The post-add LayerNorm of GPT-2 and OPT blocks in one
    pass; `awq-fuse-residual-norm` forms it from an ONNX Add whose result
    feeds an awq.layer_norm, with the same bits as the two ops.

    ```mlir
    %h, %y = awq.add_layer_norm %x, %r, %g, %b {epsilon = 1.0e-05 : f32}
        : (tensor<1x?x64xf32>, tensor<1x?x64xf32>, tensor<64xf32>, tensor<64xf32>)
        -> (tensor<1x?x64xf32>, tensor<1x?x64xf32>)
    ```
  }];
  let arguments = (ins AWQ_FloatTensor:$input, AWQ_FloatTensor:$residual,
                       AWQ_FloatVector:$weight, Optional<AWQ_FloatVector>:$bias,
                       F32Attr:$epsilon);
  let results = (outs AWQ_FloatTensor:$sum, AWQ_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $residual `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def AWQ_AttentionOp : AWQ_Op<"attention", [Pure]> {
  let summary = "Scaled dot-product attention: softmax(scale * q k^T + mask) v";
  let description = [{
    `query` [B, Hq, S, D], `key` [B, Hkv, T, D], `value` [B, Hkv, T, Dv]
    -> `result` [B, Hq, S, Dv], with

        result[b, h, i] = sum_j p_j * value[b, h / (Hq / Hkv), j]
        p = softmax_j(scale * query[b, h, i] . key[b, h / (Hq / Hkv), j]
                      + mask[b, h, i, j])

    Hq is a multiple of Hkv (grouped-query attention reads one key/value head
    for Hq / Hkv query heads). `mask` is optional, additive, and broadcasts to
    [B, Hq, S, T] without widening it. A query whose scores are all -inf
    yields zeros (where ONNX's Softmax would give NaN; the runtime's Softmax
    yields zeros too).

    `awq-fuse-attention` forms it from ONNX's MatMul / scale / mask / Softmax
    / MatMul chain once the model is quantized; the runtime runs it in one
    pass over the keys, without materializing the [B, Hq, S, T] scores.

    With `query_layout = #awq.head_layout<bshd>` the query is [B, S, Hq, D]
    and the result [B, S, Hq, Dv] (keys and values stay [B, Hkv, T, D]): the
    order a projection's output has once reshaped, so the transposes around
    attention go (`awq-fuse-head-transposes`). Absent, it is `bhsd`.

    ```mlir
    %o = awq.attention %q, %k, %v, %mask {scale = 1.250000e-01 : f32}
        : (tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>,
           tensor<?x?xf32>) -> tensor<1x8x?x64xf32>
    ```
  }];
  let arguments = (ins AWQ_FloatTensor:$query, AWQ_FloatTensor:$key,
                       AWQ_FloatTensor:$value, Optional<AWQ_FloatTensor>:$mask,
                       F32Attr:$scale, OptionalAttr<AWQ_HeadLayoutAttr>:$query_layout);
  let results = (outs AWQ_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`,` $mask^)? attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    /// True when the query and the result are [B, S, H, D].
    bool isSequenceFirst() {
      return getQueryLayout() && *getQueryLayout() == ::awq::HeadLayout::BSHD;
    }
  }];
  let hasVerifier = 1;
}

def AWQ_KVCacheAppendOp : AWQ_Op<"kv_cache_append",
    [Pure, AllElementTypesMatch<["past", "update", "present"]>]> {
  let summary = "A decoder's KV cache grown by this step's keys or values";
  let description = [{
    `past` [B, H, P, D] (a model input: the cache so far) and `update`
    [B, H, S, D] (this step's keys or values) -> `present` [B, H, P + S, D],
    the concatenation along axis 2: the value ONNX's `Concat(past, update,
    axis = 2)` gives. As an op of its own it tells the runtime that `present`
    extends `past`: a compiled library that keeps its cache between steps
    (awq_model_carry_output) appends the S new rows in place, into memory
    with room to grow, instead of copying the whole cache every step.
    `awq-fuse-kv-cache` forms it where `past` is only read by the Concat (and
    by Shape) and `present` only by awq.attention, Shape and the return.
    With `update_layout = #awq.head_layout<bshd>` the update is [B, S, H, D]
    (a projection's output reshaped, not yet transposed; the op transposes it
    as it copies). Absent, it is `bhsd`.

    ```mlir
    %present = awq.kv_cache_append %past, %k
        : (tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>) -> tensor<1x4x?x64xf32>
    ```
  }];
  let arguments = (ins AWQ_FloatTensor:$past, AWQ_FloatTensor:$update,
                       OptionalAttr<AWQ_HeadLayoutAttr>:$update_layout);
  let results = (outs AWQ_FloatTensor:$present);
  let extraClassDeclaration = [{
    /// True when the update is [B, S, H, D].
    bool isSequenceFirst() {
      return getUpdateLayout() && *getUpdateLayout() == ::awq::HeadLayout::BSHD;
    }
  }];
  let assemblyFormat = [{
    $past `,` $update attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Rotary position embedding
//===----------------------------------------------------------------------===//

def AWQ_RotaryEmbeddingOp : AWQ_Op<"rotary_embedding",
    [Pure, AllTypesMatch<["input", "result"]>, AllTypesMatch<["cos", "sin"]>]> {
  let summary = "Rotary position embedding from given cos and sin: x cos + rotate(x) sin";
  let description = [{
    `input` [..., D] with D even and static; `cos` and `sin` (one type)
    broadcast to the input's shape without widening it, with D in their last
    dim:

        result = input * cos + rotate(input) * sin

    where `rotate` pairs channels by `layout` and gives each the other's
    value, the first of the pair negated:

        half_split:  rotate(x)[i] = -x[i + D/2], rotate(x)[i + D/2] = x[i]   (i < D/2)
        interleaved: rotate(x)[2i] = -x[2i + 1], rotate(x)[2i + 1] = x[2i]

    Each product and the sum are rounded to the element type, as ONNX's Mul,
    Mul and Add round them, so the op gives the same bits as the graph it
    replaces. Exporters compute cos and sin once per forward from the
    positions; `awq-fuse-rotary-embedding` forms this op from the
    Slice / Neg / Concat / Mul / Add chain they write for each of q and k.

    ```mlir
    %q_rot = awq.rotary_embedding %q, %cos, %sin {layout = #awq.rotary_layout<half_split>}
        : tensor<1x8x?x64xf32>, tensor<1x1x?x64xf32>
    ```
  }];
  let arguments = (ins AWQ_FloatTensor:$input, AWQ_FloatTensor:$cos, AWQ_FloatTensor:$sin,
                       AWQ_RotaryLayoutAttr:$layout);
  let results = (outs AWQ_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $cos `,` $sin attr-dict `:` type($input) `,` type($cos)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

def AWQ_SiLUOp : AWQ_Op<"silu", [Pure, SameOperandsAndResultType]> {
  let summary = "SiLU (swish): x * sigmoid(x)";
  let description = [{
    ```mlir
    %y = awq.silu %x : tensor<?x?x172xf32>
    ```
  }];
  let arguments = (ins AWQ_FloatTensor:$input);
  let results = (outs AWQ_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def AWQ_GELUOp : AWQ_Op<"gelu", [Pure, SameOperandsAndResultType]> {
  let summary = "GELU, exact (erf) or tanh-approximated";
  let description = [{
    `approximate = none`: `0.5 x (1 + erf(x / sqrt(2)))`;
    `approximate = tanh`: `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`.
    GELU does not commute with a per-channel scale, so an AWQ scale between a
    GELU and the next linear stays as an explicit `awq.scale`.

    ```mlir
    %y = awq.gelu %x {approximate = #awq.gelu_approximation<tanh>}
        : tensor<?x?x256xf32>
    ```
  }];
  let arguments = (ins AWQ_FloatTensor:$input,
                       DefaultValuedAttr<AWQ_GeluApproximationAttr,
                                         "::awq::GeluApproximation::None">:$approximate);
  let results = (outs AWQ_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

#endif // AWQ_DIALECT_AWQ_AWQOPS_TD
