//===- Compile.h - ONNX in, shared library out ------------------*- C++ -*-===//
//
// The stages of awq-compile, each stopping point an `EmitKind` (the emit
// ladder, as in the MLIR Toy compiler):
//
//   onnx-mlir     the imported graph (onnx.node ops)
//   awq-mlir      raised and quantized (awq-pipeline: AWQ, or RTN without data)
//   runtime-mlir  calls of the runtime's node entries (convert-awq-to-runtime)
//   llvm-mlir     the LLVM dialect (upstream conversions)
//   llvm          LLVM IR
//   obj           an object file (LLVM's target machinery, host CPU, PIC)
//   so            a shared library: the object linked with the runtime,
//                 exporting only the API of awq_model.h
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_COMPILER_COMPILE_H
#define AWQ_COMPILER_COMPILE_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>

namespace awq {

enum class EmitKind { ONNXMLIR, AWQMLIR, RuntimeMLIR, LLVMMLIR, LLVMIR, Object, SharedLibrary };

/// "onnx-mlir", "awq-mlir", ..., "so"; std::nullopt for anything else.
std::optional<EmitKind> parseEmitKind(llvm::StringRef name);
llvm::StringRef getEmitKindName(EmitKind kind);

struct CompileOptions {
  EmitKind emit = EmitKind::SharedLibrary;
  /// Options of the awq-pipeline pass pipeline ("bits=4 group-size=128
  /// data=... tokenizer=..."); ignored when `quantize` is false.
  std::string pipelineOptions;
  /// false: keep the weights in full precision (an fp32 library).
  bool quantize = true;
  /// How activations meet 4-bit weights in the compiled kernels: "int8"
  /// (fastest, like onnxruntime's accuracy_level 4) or "f32" (exact).
  std::string activations = "int8";
  /// true: the attention chains of the graph become awq.attention
  /// (awq-fuse-attention, after quantization); false keeps the generic ops.
  bool fuseAttention = true;
  /// true: the rotary embeddings of q and k become awq.rotary_embedding
  /// (awq-fuse-rotary-embedding, after quantization); false keeps the
  /// generic ops.
  bool fuseRotaryEmbedding = true;
  /// true: a residual Add feeding a norm becomes awq.add_rms_norm /
  /// awq.add_layer_norm (awq-fuse-residual-norm, after quantization); false
  /// keeps the Add and the norm.
  bool fuseResidualNorm = true;
  /// true (with fuseAttention): a KV cache's Concat becomes
  /// awq.kv_cache_append (awq-fuse-kv-cache), which the library appends in
  /// place when it keeps the cache; false keeps the Concat.
  bool fuseKVCache = true;
  /// Let fused attention and the cache appends read the projections' [B, S,
  /// H, D] order (awq-fuse-head-transposes), dropping the transposes around
  /// attention; false keeps them.
  bool fuseHeadTransposes = true;
  /// "cpu" or "cuda": the library runs its graph on the CPU runtime, or on the
  /// GPU (float tensors in device memory, awq_cuda_node_* entries, the
  /// weights packed for the CUDA kernels at compile time).
  std::string target = "cpu";
  /// With target "cuda": the CUDA weight-blob layout, "default" (the
  /// runtime's choice), "row-chunks" or "mma-tiles" (4-bit weights).
  std::string cudaWeightLayout = "default";
  /// With target "cuda": what the library's CUDA calls run on, "device" (the
  /// CUDA runtime and cuBLAS: an NVIDIA GPU) or "emulator" (the same kernels
  /// built for the CPU, runtime/cuda/emulator: slow, for testing the device
  /// path on machines without a GPU).
  std::string cudaRuntime = "device";
  /// Non-empty: the constants go to this side file next to the output
  /// (mapped when the library creates a model) instead of its read-only data.
  std::string weightsFile;
  /// Where the result goes ("-" for stdout, textual kinds only).
  std::string outputPath;
  /// Timing and progress lines go here (may be null).
  llvm::raw_ostream *progress = nullptr;
};

/// Whether this build can link --target=cuda libraries (the CUDA runtime was
/// built, i.e. nvcc was found when awq was configured).
bool hasCudaTarget();

/// Runs the stages from the imported `module` (onnx dialect) to
/// `options.emit` and writes the result to `options.outputPath`, atomically
/// (a temporary renamed into place; nothing is left behind on failure).
/// Errors are emitted as diagnostics on the module's context.
mlir::LogicalResult compileModule(mlir::ModuleOp module, const CompileOptions &options);

} // namespace awq

#endif // AWQ_COMPILER_COMPILE_H
