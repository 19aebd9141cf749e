//===- AWQDialect.td - The awq dialect ---------------------*- tablegen -*-===//
//
// Transformer-level ops (linear, norms, activations) that raising produces from
// imported ONNX graphs, and the quantization ops the AWQ passes introduce
// (per-channel scale, low-bit group matmul).
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_DIALECT_AWQ_AWQDIALECT_TD
#define AWQ_DIALECT_AWQ_AWQDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def AWQ_Dialect : Dialect {
  let name = "awq";
  let cppNamespace = "::awq";
  let summary = "Transformer and weight-quantization ops for AWQ";
  let description = [{
    The ops AWQ reasons about: `awq.linear` (activation times a constant
    weight), the norms whose weights absorb the inverse AWQ scales, the
    activations between linears, the explicit `awq.scale` op that calibration
    inserts, and `awq.group_matmul`, a linear whose weight is stored as packed
    low-bit integers with one scale and zero point per group of inputs.
  }];
  let useDefaultAttributePrinterParser = 1;
}

class AWQ_Op<string mnemonic, list<Trait> traits = []>
    : Op<AWQ_Dialect, mnemonic, traits>;

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def AWQ_WeightLayout : I32EnumAttr<"WeightLayout",
    "memory order of a packed low-bit weight", [
      I32EnumAttrCase<"RowMajor", 0, "row_major">
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::awq";
}
def AWQ_WeightLayoutAttr : EnumAttr<AWQ_Dialect, AWQ_WeightLayout, "layout"> {
  let assemblyFormat = "`<` $value `>`";
  let summary = "Packed weight layout";
  let description = [{
    `row_major`: the canonical form. The weight of a linear with K inputs and N
    outputs is stored as `[N, ceil(K * bits / 8)]` bytes: each output row is a
    little-endian bit stream of K unsigned `bits`-wide codes, input 0 in the
    lowest bits of byte 0 (for 4 bits: low nibble first, as onnxruntime's
    MatMulNBits). Backends repack into their own layouts at compile time.
  }];
}

def AWQ_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "how GELU is computed", [
      I32EnumAttrCase<"None", 0, "none">,
      I32EnumAttrCase<"Tanh", 1, "tanh">
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::awq";
}
def AWQ_GeluApproximationAttr
    : EnumAttr<AWQ_Dialect, AWQ_GeluApproximation, "gelu_approximation"> {
  let assemblyFormat = "`<` $value `>`";
}

def AWQ_RotaryLayout : I32EnumAttr<"RotaryLayout",
    "which channels of a head rotary embedding rotates together", [
      I32EnumAttrCase<"HalfSplit", 0, "half_split">,
      I32EnumAttrCase<"Interleaved", 1, "interleaved">
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::awq";
}
def AWQ_RotaryLayoutAttr : EnumAttr<AWQ_Dialect, AWQ_RotaryLayout, "rotary_layout"> {
  let assemblyFormat = "`<` $value `>`";
  let summary = "Rotary embedding layout";
  let description = [{
    `half_split` (HF's rotate_half, LLaMA and GPT-NeoX): channel i turns with
    channel i + D/2. `interleaved` (GPT-J, llama2.c): channel 2i with 2i + 1.
  }];
}

def AWQ_HeadLayout : I32EnumAttr<"HeadLayout",
    "how a rank-4 tensor of attention heads orders its axes", [
      I32EnumAttrCase<"BHSD", 0, "bhsd">,
      I32EnumAttrCase<"BSHD", 1, "bshd">
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::awq";
}
def AWQ_HeadLayoutAttr : EnumAttr<AWQ_Dialect, AWQ_HeadLayout, "head_layout"> {
  let assemblyFormat = "`<` $value `>`";
  let summary = "Axis order of a tensor of attention heads";
  let description = [{
    `bhsd`: [batch, heads, sequence, head dim], the order attention and KV
    caches use. `bshd`: [batch, sequence, heads, head dim], the order a
    projection's output [B, S, H * D] has once reshaped, before exporters
    transpose it.
  }];
}

#endif // AWQ_DIALECT_AWQ_AWQDIALECT_TD
