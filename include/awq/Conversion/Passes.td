//===- Passes.td - awq conversion passes -------------------*- tablegen -*-===//

#ifndef AWQ_CONVERSION_PASSES_TD
#define AWQ_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertONNXToAWQ : Pass<"convert-onnx-to-awq"> {
  let summary = "Raise generic onnx.node ops to awq transformer ops";
  let description = [{
    Rewrites the ONNX constructs that the AWQ passes reason about into `awq`
    ops, one pattern per construct:

    - `MatMul(x, W)` and `Gemm(x, W, C)` with a constant 2-D weight, an
      optional constant bias (`Gemm`'s C, or a following `Add`), and a
      constant weight behind `Transpose(perm = [1, 0])` or `Gemm(transB = 1)`
      kept in place with `transpose_weight` → `awq.linear`;
    - `LayerNormalization` (last axis), and the decomposed chain exporters
      emit below opset 17 → `awq.layer_norm`;
    - `SimplifiedLayerNormalization`, `RMSNormalization` (last axis) and the
      decomposed RMSNorm chain → `awq.rms_norm`, with Gemma's `x * (1 + w)`
      kept as `unit_offset`;
    - onnxruntime's `SkipSimplifiedLayerNormalization` /
      `SkipLayerNormalization` → an ONNX `Add` for the residual sum and an
      awq norm;
    - `Mul(x, Sigmoid(x))` → `awq.silu`; `Gelu` (opset 20, and
      `com.microsoft`'s `Gelu`/`FastGelu` without bias) and the decomposed
      exact (erf) and tanh GELU chains → `awq.gelu`.

    Nodes left without users are erased afterwards (except random ones).
    Everything else stays a generic `onnx.node` and still runs.
  }];
  let dependentDialects = ["::awq::AWQDialect"];
}

def AWQFuseAttention : Pass<"awq-fuse-attention"> {
  let summary = "Fuse ONNX's attention chain into awq.attention (after quantization)";
  let description = [{
    Rewrites the chain exporters write for scaled dot-product attention,

        MatMul(q, Transpose(k)) [-> Div or Mul by a positive scalar constant]
          [-> Add(., mask) | Where(cond, ., fill) | Where(cond, fill, .)]
          -> Softmax(last axis) -> MatMul(., v)

    on rank-4 f32 tensors into one `awq.attention(q, k, v[, mask])` with the
    scale as an attribute, so the runtime never materializes the scores:

    - the key is the Transpose's input when it swapped the last two axes (a
      Transpose by the composed permutation, or of k^T, otherwise);
    - a `Where` that fills masked scores with -inf or a value <= -1e30 (the
      exporters' most negative float) becomes the additive mask
      `Where(cond, 0, fill)`: adding such a fill gives the same float as
      replacing the score by it;
    - grouped-query attention's repeat_kv on both k and v
      (`Reshape(Expand(Unsqueeze(x, [2]), [1, 1, n, 1, 1]), [0, Hkv * n, -1, D])`)
      is seen through: the op reads the Hkv heads directly;
    - scalar factors on q or k^T (the SDPA export's sqrt(scale) on each) join
      the op's scale, and Casts to the type a value already has (around
      Softmax's dtype=float32) are seen through;
    - only chains whose intermediate values have no other users fuse, and only
      where MatMul's batch broadcasting is not needed (bar one kv head).

    The AWQ passes reason about attention through the generic ops, so this
    pass runs after quantization (awq-compile runs it before
    awq-prepack-weights). Nodes left without users are erased.
  }];
  let dependentDialects = ["::awq::AWQDialect"];
}

def AWQFuseRotaryEmbedding : Pass<"awq-fuse-rotary-embedding"> {
  let summary = "Fuse ONNX's rotary embedding chain into awq.rotary_embedding";
  let description = [{
    Rewrites `Add(Mul(x, cos), Mul(rotate(x), sin))` (operands of the Add and
    of each Mul in either order) into `awq.rotary_embedding(x, cos, sin)`,
    where rotate(x) is spelled out as exporters write it on the last axis of
    x [..., D]:

        half_split (HF's rotate_half):
          Concat(Neg(Slice(x, D/2:D)), Slice(x, 0:D/2), axis = -1)
        interleaved (GPT-J's rotate_every_two, llama2.c):
          Reshape(Concat(Unsqueeze(Neg(Slice(x, 1::2)), -1),
                         Unsqueeze(Slice(x, 0::2), -1), axis = -1),
                  [0, ..., 0, D])

    Slices may use any opset's form, ends past D, and bounds computed in the
    graph from static dims (TorchScript's Shape -> Gather -> Div -> Unsqueeze
    for `x.shape[-1] // 2`). cos and sin must share a
    type and broadcast into x without widening it, D in their last dim; the
    two Muls must have no other users. The op rounds as the chain did, so the
    result keeps its bits. awq-compile runs this pass after quantization,
    next to awq-fuse-attention. Nodes left without users are erased.
  }];
  let dependentDialects = ["::awq::AWQDialect"];
}

def AWQFuseResidualNorm : Pass<"awq-fuse-residual-norm"> {
  let summary = "Fuse a residual Add into the norm of its sum";
  let description = [{
    Rewrites an ONNX `Add(x, r)` whose result an `awq.rms_norm` or
    `awq.layer_norm` normalizes into `awq.add_rms_norm(x, r, weight)` /
    `awq.add_layer_norm(x, r, weight[, bias])`. The op's `sum` result takes
    the Add's place (its other users, e.g. the next residual Add, read it) and
    its `result` the norm's. Only Adds whose operands have the sum's exact
    type fuse (no broadcasting), and only where the norm's parameters are
    defined before the Add. The op rounds the sum as the Add did, so the
    result keeps its bits. awq-compile runs this pass after quantization,
    with awq-fuse-attention: the AWQ passes fold scales into the plain norms.
  }];
  let dependentDialects = ["::awq::AWQDialect"];
}

def AWQFuseKVCache : Pass<"awq-fuse-kv-cache"> {
  let summary = "Mark a KV cache's Concat as an append the runtime may do in place";
  let description = [{
    Rewrites `Concat(past, update, axis = 2)` of rank-4 float tensors into
    `awq.kv_cache_append(past, update)` (the same value) where `past` is a
    model input read otherwise only by Shape, and the result is read only as
    the key or value of `awq.attention`, by Shape, and by the return. A
    compiled library that keeps its cache between steps
    (awq_model_carry_output) then appends each step's rows into memory with
    room to grow instead of copying the whole cache; awq.attention reads it
    with its row capacity. awq-compile runs this pass after
    awq-fuse-attention (which it needs: a cache read by MatMul is left as is).
  }];
  let dependentDialects = ["::awq::AWQDialect"];
}

def AWQFuseHeadTransposes : Pass<"awq-fuse-head-transposes"> {
  let summary = "Drop the head transposes around attention into the ops that read them";
  let description = [{
    Exporters turn a projection's output [B, S, H * D] into attention's
    [B, H, S, D] with `Transpose(Reshape(.), perm = [0, 2, 1, 3])`, and the
    attention's result back the same way: a copy each (a kernel launch each
    on a GPU), four per layer. This pass lets the ops read the order the
    projections write:

    - `Transpose(x) -> awq.rotary_embedding` becomes `awq.rotary_embedding ->
      Transpose`: the op is elementwise over heads and positions; its cos and
      sin (rank 4, one head) are reshaped to x's order, which moves nothing.
      Only where the transpose has no other reader and every reader of the
      rotary embedding takes the transpose in (below).
    - `awq.kv_cache_append(past, Transpose(x))` becomes
      `awq.kv_cache_append(past, x) {update_layout = #awq.head_layout<bshd>}`.
    - `Transpose(awq.attention(Transpose(x), k, v))` becomes
      `awq.attention(x, k, v) {query_layout = #awq.head_layout<bshd>}` where
      only head transposes read the attention's result.

    Keys and values without a cache (read by attention as [B, H, T, D]) keep
    their transposes. awq-compile runs this pass after awq-fuse-attention,
    awq-fuse-rotary-embedding and awq-fuse-kv-cache. Nodes left without
    users are erased.
  }];
  let dependentDialects = ["::awq::AWQDialect"];
}

def ConvertAWQToRuntime : Pass<"convert-awq-to-runtime", "::mlir::ModuleOp"> {
  let summary = "Lower a model function to calls of the runtime's node entries";
  let description = [{
    Turns the module's model function (onnx and awq ops on tensors) into what
    a compiled model library provides the runtime (runtime/include/
    awq_compiled_model.h):

    - `func.func @awq_compiled_model_graph(%slots, %allocator) -> i32`, a
      straight-line sequence of `func.call`s of the runtime's node entries
      (`awq_node_onnx_Reshape`, `awq_node_awq_group_matmul`, ...; see
      runtime/include/awq_node.h), each given its serialized attributes (an
      `llvm.mlir.global` per node), pointers to its operand slots and its
      first result slot; a failing status returns at once;
    - one read-only `llvm.mlir.global` per constant (initializers, Constant
      nodes), 64-byte aligned, and the table of their addresses;
    - the model description: inputs and outputs with names and (dynamic)
      shapes, constants, and the memory plan, which gives every intermediate
      a buffer shared with intermediates whose lifetimes do not overlap
      (greedy over the op order; a node's results never share a buffer with
      its operands, and model outputs keep theirs).

    The result mixes func, arith, cf and llvm ops; upstream conversions take
    it to the LLVM dialect. Ops without a runtime entry are rejected, naming
    the op.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"cpu\"",
           "Which node entries the graph calls: \"cpu\" (awq_node_*) or "
           "\"cuda\" (awq_cuda_node_*: the device forms of runtime/cuda/model, "
           "with the CPU entry as the fallback of each)">,
    Option<"weightsFile", "weights-file", "std::string", /*default=*/"\"\"",
           "Leave the constants out of the library: the description names "
           "this side file (next to the library) and each constant's offset "
           "in it, and every constant global is marked `awq.side_file_offset` "
           "for the driver to write">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect", "::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect", "::mlir::cf::ControlFlowDialect"];
}

def AWQPrepackWeights : Pass<"awq-prepack-weights"> {
  let summary = "Repack constant group-matmul weights for the runtime's fast kernels";
  let description = [{
    Compile-time preparation of the quantized linears of a model that is
    about to be lowered (convert-awq-to-runtime):

    - `Mul(awq.silu(group_matmul(x, gate)), group_matmul(x, up))`, LLaMA's
      gated MLP, with both matmuls bias-free, of one shape and used only
      there → `awq.prepacked_gate_up_silu`;
    - every other `awq.group_matmul` with constant weights →
      `awq.prepacked_matmul`.

    The weights become one constant blob each, in the order the target's
    kernels read, made by the runtime's own packer (so each layout has one
    definition):

    - `target=cpu`: `awq_group_weights_prepack` (4-bit weights with groups
      of whole 32-input blocks run on the AVX2/AVX-512 kernels, other shapes
      on the portable path);
    - `target=cuda`: `awq_cuda_group_weights_pack`, scales in the dtype the
      CUDA kernels run in (bf16 for a bf16 graph, else f16), the default
      blob layout; matmuls those kernels cannot run (not 4 or 8 bits, a
      group size neither a multiple of 32 nor the whole row) stay as they
      are. The CUDA node entries upload each blob once. `cuda-layout`
      picks the blob layout: row chunks (the CUDA-core GEMV's) or mma tiles
      (the tensor-core kernel's, 4-bit weights only; 8-bit ones keep row
      chunks).
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"cpu\"",
           "Whose kernels the blobs are for: \"cpu\" or \"cuda\"">,
    Option<"cudaLayout", "cuda-layout", "std::string", /*default=*/"\"default\"",
           "CUDA blob layout: \"default\" (the runtime's choice), "
           "\"row-chunks\" or \"mma-tiles\" (4-bit weights; others keep "
           "row chunks)">,
    Option<"activations", "activations", "std::string", /*default=*/"\"int8\"",
           "How activations meet the weights: \"int8\" (quantized per block of "
           "32, like onnxruntime's accuracy_level 4; fastest) or \"f32\" "
           "(exact up to summation order)">
  ];
  let dependentDialects = ["::awq::AWQDialect", "::mlir::arith::ArithDialect"];
}

def ConvertAWQToQuant : Pass<"convert-awq-to-quant"> {
  let summary = "Rewrite awq.group_matmul into upstream quant + linalg ops";
  let description = [{
    Gives compilers that understand MLIR's `quant` dialect our quantized
    linears. Each `awq.group_matmul` with constant weights becomes:

    ```mlir
    %codes = arith.constant dense<...> : tensor<NxKxi4>
    %q = quant.scast %codes : tensor<NxKxi4>
        to tensor<NxKx!quant.uniform<u4:f32:{0:1, 1:G}, {{s:z, ...}, ...}>>
    %w = quant.dcast %q : ... to tensor<NxKxf32>
    %y = linalg.generic   // y[b..., n] = sum_k x[b..., k] * w[n, k], zero init
    %z = linalg.generic   // z[b..., n] = y[b..., n] + bias[n] (with a bias)
    ```

    The weight's element type is a block-wise ("sub-channel") type with
    blocks of one row by `group_size` inputs, holding the scales and zero
    points; the codes are one storage value per element. With zero points
    the storage is unsigned (`uB`); without, it is signed (`iB`) with zero
    points 0 and codes shifted by `-2^(B-1)`, the same weights as the
    implicit zero point `2^(B-1)`.

    Beware when reading printed types: the zero points are stored in the
    signless storage integer type, so `u4` zero point 8 prints as `-8`.

    The names of the onnx.initializer ops the weight came from stay on the
    codes constant (`awq.initializer_names`) and the op's `name` on the
    contraction (`awq.name`), so `convert-quant-to-awq` gives back the same
    IR. A group matmul whose last group is partial, whose weights are not
    constants, or whose scales differ in type from its activations is left
    as is with a warning.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::quant::QuantDialect",
                           "::mlir::tensor::TensorDialect"];
}

def ConvertQuantToAWQ : Pass<"convert-quant-to-awq"> {
  let summary = "Rewrite dequantize-then-matmul (quant + linalg) into awq.group_matmul";
  let description = [{
    The inverse of `convert-awq-to-quant`, for weights quantized by other
    producers too: a `linalg.generic` contraction
    `out[b..., n] = sum_k x[b..., k] * w[n, k]` on a zero-filled init, with
    `w` a `quant.dcast` of a `quant.scast` of a constant, optionally followed
    by a generic adding a `[N]` bias, becomes one `awq.group_matmul` with
    packed codes, scales and zero points.

    Accepted weight types: block-wise types with blocks of one row and
    `group_size` inputs, and per-axis types on axis 0 (one group per row),
    with 2, 3, 4 or 8 storage bits. Signed storage maps to codes shifted by
    `2^(B-1)`; zero points are dropped only when signed storage has all zero
    points (the symmetric form). Other matmuls on dequantized weights (e.g.
    per-axis along the inputs, per-tensor) are left as is with a warning;
    float matmuls are not touched.
  }];
  let dependentDialects = ["::awq::AWQDialect", "::awq::onnx::ONNXDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // AWQ_CONVERSION_PASSES_TD
