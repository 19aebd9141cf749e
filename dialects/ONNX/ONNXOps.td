//===- ONNXOps.td - Ops of the onnx import dialect ---------*- tablegen -*-===//

#ifndef AWQ_DIALECT_ONNX_ONNXOPS_TD
#define AWQ_DIALECT_ONNX_ONNXOPS_TD

include "ONNXDialect.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def ONNX_NodeOp : ONNX_Op<"node"> {
  let summary = "One imported ONNX node, kept generic";
  let description = [{
    A node of the ONNX graph with its operator type (`op_type`), operator-set
    domain (`domain`, empty for the default `ai.onnx` domain), the opset
    version that was imported for that domain (`opset`), the node's name when
    it had one, and its attributes in `attrs`:

    | ONNX attribute | MLIR attribute |
    | --- | --- |
    | INT / FLOAT / STRING | `i64` / `f32` / string |
    | INTS / FLOATS | `array<i64: ...>` / `array<f32: ...>` |
    | STRINGS | array of strings |
    | TENSOR | elements attribute |

    Omitted optional inputs are fed by `onnx.none`. Example:

    ```mlir
    %y = onnx.node "Softmax"(%x) {opset = 17 : i64, name = "/attn/Softmax",
                                  attrs = {axis = -1 : i64}}
        : (tensor<?x8x?x?xf32>) -> tensor<?x8x?x?xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$inputs,
                       StrAttr:$op_type,
                       DefaultValuedStrAttr<StrAttr, "">:$domain,
                       I64Attr:$opset,
                       OptionalAttr<StrAttr>:$name,
                       OptionalAttr<DictionaryAttr>:$attrs);
  let results = (outs Variadic<AnyType>:$outputs);
  let assemblyFormat = [{
    $op_type `(` $inputs `)` attr-dict `:` functional-type($inputs, $outputs)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The ONNX attribute `attrName`, or null when the node does not have it.
    ::mlir::Attribute getOnnxAttr(::llvm::StringRef attrName);
    /// Typed reads of ONNX attributes, returning `defaultValue` (ONNX's
    /// default for that attribute) when the node does not set it.
    int64_t getIntAttr(::llvm::StringRef attrName, int64_t defaultValue);
    float getFloatAttr(::llvm::StringRef attrName, float defaultValue);
    ::llvm::StringRef getStringAttr(::llvm::StringRef attrName,
                                    ::llvm::StringRef defaultValue);
    /// An INTS attribute, or std::nullopt when the node does not set it.
    std::optional<::llvm::ArrayRef<int64_t>> getIntsAttr(::llvm::StringRef attrName);
    /// True when input `index` exists and is not an omitted optional input.
    bool hasInput(unsigned index);
  }];
}

def ONNX_InitializerOp : ONNX_Op<"initializer",
    [ConstantLike, Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "A named ONNX initializer (a constant tensor)";
  let description = [{
    An initializer of the ONNX graph. `value` is usually a `dense_resource`
    blob that points into the memory-mapped model or external-data file, so
    weights are never copied into the IR; printing elides large blobs unless
    asked (`--mlir-elide-resource-strings-if-larger`). `name` is the ONNX
    tensor name, kept for export and for mapping to framework module names.

    ```mlir
    %w = onnx.initializer "model.layers.0.mlp.up_proj.weight"
           = dense_resource<blob0> : tensor<64x172xf32>
    ```
  }];
  let arguments = (ins StrAttr:$tensor_name, ElementsAttr:$value);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$tensor_name `=` $value attr-dict";
  let hasFolder = 1;
}

def ONNX_NoneOp : ONNX_Op<"none", [Pure]> {
  let summary = "Stands for an omitted optional input of an ONNX node";
  let description = [{
    ONNX leaves optional inputs out by giving them an empty name; the importer
    feeds such positions with the result of `onnx.none`.

    ```mlir
    %none = onnx.none
    %y = onnx.node "Clip"(%x, %none, %max) {opset = 13 : i64}
        : (tensor<4xf32>, none, tensor<f32>) -> tensor<4xf32>
    ```
  }];
  let results = (outs NoneType:$result);
  let assemblyFormat = "attr-dict";
}

#endif // AWQ_DIALECT_ONNX_ONNXOPS_TD
