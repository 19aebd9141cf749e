//===- awq-compile.cpp - ONNX in, fast shared library out -----------------===//
//
//   awq-compile model.onnx -o model.so [--calib text.txt --tokenizer tok.model]
//
// Imports the model, raises it to awq ops, quantizes its linears (AWQ with
// calibration text, round-to-nearest without), lowers it to calls of the
// runtime and links a shared library with the C API of awq_model.h. --emit
// stops at any stage of the way (see awq/Compiler/Compile.h).
//
//===----------------------------------------------------------------------===//

#include "awq/Compiler/Compile.h"
#include "awq/Importer/ONNXImporter.h"
#include "awq/InitAll.h"
#include "awq_runtime.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include <chrono>

namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("awq-compile options");

cl::opt<std::string> inputPath(cl::Positional, cl::desc("<model.onnx | model.mlir>"),
                               cl::Required, cl::cat(category));
cl::opt<std::string> outputPath("o", cl::desc("Output file (default: the input's name "
                                              "with the emitted kind's extension)"),
                                cl::value_desc("path"), cl::cat(category));
cl::opt<std::string> emit("emit",
                          cl::desc("Stop after a stage: onnx-mlir | awq-mlir | runtime-mlir "
                                   "| llvm-mlir | llvm | obj | so (default)"),
                          cl::init("so"), cl::cat(category));
cl::opt<std::string> target("target", cl::desc("cpu (default) or cuda: a library that runs on an NVIDIA GPU (4/8-bit group matmuls on the CUDA kernels, f16 activations inside them)"), cl::init("cpu"),
                            cl::cat(category));
cl::opt<std::string> cudaWeightLayout(
    "cuda-weight-layout",
    cl::desc("With --target=cuda, how 4-bit weights are laid out for the GPU kernels: "
             "row-chunks (CUDA-core GEMV; the default) or mma-tiles (the tensor-core "
             "mma.sync kernel for M <= 64)"),
    cl::init("default"), cl::cat(category));
cl::opt<std::string> cudaRuntime(
    "cuda-runtime",
    cl::desc("With --target=cuda, what the library's CUDA calls run on: device (an NVIDIA "
             "GPU; the default) or emulator (the same kernels on the CPU, slowly: for testing "
             "the GPU path where there is no GPU)"),
    cl::init("device"), cl::cat(category));

cl::opt<bool> noQuantize("no-quantize",
                         cl::desc("Keep the weights in full precision (an fp32 library)"),
                         cl::cat(category));
cl::opt<int> bits("bits", cl::desc("Bits per weight: 2, 3, 4 or 8 (default 4)"), cl::init(4),
                  cl::cat(category));
cl::opt<int> groupSize("group-size",
                       cl::desc("Inputs per quantization group: 32, 64, 128 (default), ... "
                                "or -1 for per-channel"),
                       cl::init(128), cl::cat(category));
cl::opt<bool> zeroPoint("zero-point", cl::desc("Asymmetric groups with a zero point (default)"),
                        cl::init(true), cl::cat(category));
cl::list<std::string> exclude("exclude",
                              cl::desc("Regex of weight or node names to keep in full "
                                       "precision (repeatable; the LM head is by default)"),
                              cl::cat(category));
cl::opt<std::string> calibPath("calib",
                               cl::desc("Calibration text (documents separated by blank "
                                        "lines); without it: round-to-nearest"),
                               cl::value_desc("file"), cl::cat(category));
cl::opt<std::string> tokenizer("tokenizer",
                               cl::desc("Tokenizer for --calib: llama2.c .bin, SentencePiece "
                                        ".model, or 'token-ids'"),
                               cl::cat(category));
cl::opt<int> samples("samples", cl::desc("Calibration sequences (default: the pass's)"),
                     cl::init(0), cl::cat(category));
cl::opt<int> seqLen("seq-len", cl::desc("Tokens per calibration sequence (default: the pass's)"),
                    cl::init(0), cl::cat(category));
cl::opt<int> skip("skip", cl::desc("Leave out the first N calibration documents"), cl::init(0),
                  cl::cat(category));
cl::opt<std::string> awqOptions("awq-options",
                                cl::desc("More awq-pipeline options, as awq-opt takes them "
                                         "(e.g. \"duo=false clip=true\")"),
                                cl::cat(category));
cl::opt<std::string> activations(
    "activations",
    cl::desc("How activations meet 4-bit weights: int8 (default; quantized per block of 32, "
             "like onnxruntime's accuracy_level 4) or f32 (exact up to rounding order)"),
    cl::init("int8"), cl::cat(category));
cl::opt<std::string> weightsFile("weights-file",
                                 cl::desc("Put the weights in this side file next to the "
                                          "output (mapped at load) instead of the library"),
                                 cl::cat(category));
cl::opt<int> threads("j", cl::desc("Threads for calibration (default: all cores)"), cl::init(0),
                     cl::cat(category));
cl::opt<bool> fuseAttention(
    "fuse-attention",
    cl::desc("Run each attention (scores MatMul, scale, mask, Softmax, MatMul) as one "
             "fused op (default; --fuse-attention=false keeps the graph's ops)"),
    cl::init(true), cl::cat(category));
cl::opt<bool> fuseRotaryEmbedding(
    "fuse-rotary-embedding",
    cl::desc("Run each rotary embedding (x * cos + rotate_half(x) * sin in Slice/Neg/Concat/"
             "Mul/Add) as one fused op (default; =false keeps the graph's ops)"),
    cl::init(true), cl::cat(category));
cl::opt<bool> fuseResidualNorm(
    "fuse-residual-norm",
    cl::desc("Run each residual Add and the RMSNorm/LayerNorm of its sum as one fused op "
             "(default; =false keeps the graph's ops)"),
    cl::init(true), cl::cat(category));
cl::opt<bool> fuseKVCache(
    "fuse-kv-cache",
    cl::desc("Grow each KV cache in place (Concat(past, new) -> awq.kv_cache_append; the "
             "library keeps room for later steps) when fused attention is its only reader "
             "(default; =false keeps the Concat, which copies the cache every step)"),
    cl::init(true), cl::cat(category));
cl::opt<bool> fuseHeadTransposes(
    "fuse-head-transposes",
    cl::desc("Let fused attention, rotary embeddings and cache appends read the projections' "
             "[B, S, H, D] order, dropping the transposes around attention (default; =false "
             "keeps them)"),
    cl::init(true), cl::cat(category));
cl::opt<bool> quiet("quiet", cl::desc("No progress lines on stderr"), cl::cat(category));

int fail(const llvm::Twine &message) {
  llvm::errs() << "awq-compile: error: " << message << "\n";
  return 1;
}

/// The awq-pipeline options the flags stand for.
std::string buildPipelineOptions() {
  std::vector<std::string> parts = {llvm::formatv("bits={0}", bits).str(),
                                    llvm::formatv("group-size={0}", groupSize).str(),
                                    zeroPoint ? "zero-point=true" : "zero-point=false"};
  if (!exclude.empty())
    parts.push_back("exclude=" + llvm::join(exclude, ","));
  if (!calibPath.empty()) {
    parts.push_back("data=" + calibPath);
    parts.push_back("tokenizer=" + tokenizer);
    if (samples > 0)
      parts.push_back(llvm::formatv("samples={0}", samples).str());
    if (seqLen > 0)
      parts.push_back(llvm::formatv("seq-len={0}", seqLen).str());
    if (skip > 0)
      parts.push_back(llvm::formatv("skip={0}", skip).str());
  }
  if (!awqOptions.empty())
    parts.push_back(awqOptions);
  return llvm::join(parts, " ");
}

std::string defaultOutputPath(awq::EmitKind kind) {
  llvm::SmallString<256> path(inputPath.getValue());
  llvm::StringRef extension;
  switch (kind) {
  case awq::EmitKind::ONNXMLIR:
  case awq::EmitKind::AWQMLIR:
  case awq::EmitKind::RuntimeMLIR:
  case awq::EmitKind::LLVMMLIR: extension = ".mlir"; break;
  case awq::EmitKind::LLVMIR: extension = ".ll"; break;
  case awq::EmitKind::Object: extension = ".o"; break;
  case awq::EmitKind::SharedLibrary: extension = ".so"; break;
  }
  llvm::sys::path::replace_extension(path, extension);
  return path.str().str();
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "awq-compile: quantize an ONNX transformer with AWQ and compile it into a shared "
      "library\n\n"
      "  awq-compile model.onnx -o model.so                       (round-to-nearest W4g128)\n"
      "  awq-compile model.onnx -o model.so --calib text.txt --tokenizer tok.model   (AWQ)\n"
      "  awq-compile model.onnx --emit=runtime-mlir -o -          (inspect a stage)\n\n"
      "The library exports the C API of awq_model.h; awq-run runs it too.\n");

  std::optional<awq::EmitKind> kind = awq::parseEmitKind(emit);
  if (!kind)
    return fail("--emit='" + emit +
                "' is not one of onnx-mlir, awq-mlir, runtime-mlir, llvm-mlir, llvm, obj, so");
  if (target != "cpu" && target != "cuda")
    return fail("--target='" + target + "' is not one of cpu, cuda");
  if (target == "cuda" && !awq::hasCudaTarget())
    return fail("--target=cuda: this awq-compile was built without CUDA (no nvcc was found "
                "when it was configured); rebuild with the CUDA toolkit installed");
  if (cudaWeightLayout != "default" && cudaWeightLayout != "row-chunks" &&
      cudaWeightLayout != "mma-tiles")
    return fail("--cuda-weight-layout='" + cudaWeightLayout +
                "' is not one of row-chunks, mma-tiles");
  if (cudaWeightLayout.getNumOccurrences() && target != "cuda")
    return fail("--cuda-weight-layout only applies with --target=cuda");
  if (cudaRuntime != "device" && cudaRuntime != "emulator")
    return fail("--cuda-runtime='" + cudaRuntime + "' is not one of device, emulator");
  if (cudaRuntime.getNumOccurrences() && target != "cuda")
    return fail("--cuda-runtime only applies with --target=cuda");
  if (bits != 2 && bits != 3 && bits != 4 && bits != 8)
    return fail(llvm::formatv("--bits={0}: must be 2, 3, 4 or 8", bits.getValue()));
  if (groupSize == 0 || groupSize < -1)
    return fail(llvm::formatv("--group-size={0}: must be positive, or -1 for per-channel",
                              groupSize.getValue()));
  if (!calibPath.empty() && tokenizer.empty())
    return fail("--calib needs --tokenizer (a .bin, a .model, or 'token-ids')");
  if (calibPath.empty() && (!tokenizer.empty() || samples || seqLen || skip))
    return fail("--tokenizer/--samples/--seq-len/--skip only apply with --calib");
  if (activations != "int8" && activations != "f32")
    return fail("--activations='" + activations + "' is neither int8 nor f32");
  if (!weightsFile.empty() && llvm::sys::path::has_parent_path(weightsFile))
    return fail("--weights-file='" + weightsFile +
                "': give a file name; it is written next to the output");
  if (!llvm::sys::fs::exists(inputPath))
    return fail("cannot open '" + inputPath + "': no such file");
  if (threads > 0)
    awq_set_num_threads(threads);

  awq::CompileOptions options;
  options.emit = *kind;
  options.quantize = !noQuantize;
  options.fuseAttention = fuseAttention;
  options.fuseRotaryEmbedding = fuseRotaryEmbedding;
  options.fuseResidualNorm = fuseResidualNorm;
  options.fuseKVCache = fuseKVCache;
  options.fuseHeadTransposes = fuseHeadTransposes;
  options.pipelineOptions = buildPipelineOptions();
  options.weightsFile = weightsFile;
  options.activations = activations;
  options.target = target;
  options.cudaWeightLayout = cudaWeightLayout;
  options.cudaRuntime = cudaRuntime;
  options.outputPath = outputPath.empty() ? defaultOutputPath(*kind) : outputPath.getValue();
  if (options.outputPath == "-" && *kind >= awq::EmitKind::Object)
    return fail("--emit=" + emit + " is binary; give -o a file");
  if (!quiet)
    options.progress = &llvm::errs();

  mlir::DialectRegistry registry;
  awq::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  auto start = std::chrono::steady_clock::now();

  mlir::OwningOpRef<mlir::ModuleOp> module;
  if (llvm::StringRef(inputPath).ends_with(".onnx")) {
    auto imported = awq::importONNXFile(inputPath, context);
    if (mlir::failed(imported))
      return 1;
    module = std::move(*imported);
  } else {
    module = mlir::parseSourceFile<mlir::ModuleOp>(inputPath, sourceMgr,
                                                   mlir::ParserConfig(&context));
    if (!module)
      return 1;
  }
  if (mlir::failed(awq::compileModule(*module, options)))
    return 1;
  if (!quiet) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    llvm::errs() << llvm::formatv("[awq-compile] wrote {0} ({1:f2} s in all)\n",
                                  options.outputPath, seconds);
  }
  return 0;
}
