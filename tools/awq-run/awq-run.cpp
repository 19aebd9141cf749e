//===- awq-run.cpp - Run an ONNX or MLIR model on the CPU executor ---------===//
//
// Loads a model (.onnx through the importer, or .mlir/.mlirbc in the onnx and
// awq dialects), optionally runs an MLIR pass pipeline on it, and executes it
// op by op on the runtime (awq/Execution/Executor.h) -- or loads a library
// made by awq-compile (.so) and runs that -- in one of four modes:
//
//   awq-run model.onnx --perplexity text.txt --tokenizer tok.bin
//   awq-run model.onnx --generate "Once upon a time" --tokenizer tok.bin
//   awq-run model.onnx --bench
//   awq-run model.onnx --input input_ids=ids.npy --output-dir out/
//
// Any failure prints one error line and exits with status 1.
//
//===----------------------------------------------------------------------===//

#include "DecoderModel.h"
#include "RunnableModel.h"
#include "Modes.h"

#include "awq/Importer/ONNXAttributeNames.h"
#include "awq/Importer/ONNXImporter.h"
#include "awq/InitAll.h"
#include "awq/Tokenizer/Tokenizer.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"

#include <cstdlib>
#include <limits>

using namespace mlir;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory modeCategory("Modes (choose at most one)");
cl::OptionCategory textCategory("Text (perplexity and generation)");
cl::OptionCategory executionCategory("Execution");

cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                               cl::desc("<model .onnx | .mlir | .mlirbc | .so>"));

cl::opt<std::string> perplexityPath(
    "perplexity", cl::cat(modeCategory), cl::value_desc("file"),
    cl::desc("Print the perplexity of the text in this file (needs --tokenizer)"));
cl::opt<std::string> generatePrompt(
    "generate", cl::cat(modeCategory), cl::value_desc("prompt"),
    cl::desc("Continue this prompt (needs --tokenizer)"));
cl::opt<bool> bench("bench", cl::cat(modeCategory),
                    cl::desc("Print prefill and decode tokens/s (median of "
                             "--bench-repeats runs on random token ids)"));
cl::list<std::string> inputSpecs(
    "input", cl::cat(modeCategory), cl::value_desc("NAME=FILE.npy"),
    cl::desc("Feed this .npy file to the model input NAME (repeatable)"));
cl::opt<std::string> outputDir(
    "output-dir", cl::cat(modeCategory), cl::value_desc("dir"),
    cl::desc("With --input: write every output to DIR/NAME.npy"));

cl::opt<std::string> tokenizerSpec(
    "tokenizer", cl::cat(textCategory), cl::value_desc("file"),
    cl::desc("llama2.c .bin or SentencePiece .model tokenizer, or 'token-ids' "
             "for text that is already whitespace-separated token ids"));
cl::opt<int64_t> window(
    "window", cl::cat(textCategory), cl::init(0), cl::value_desc("N"),
    cl::desc("Tokens per scored window or document (default: the model's "
             "context length, from its awq.config metadata)"));
enum class DocumentSplit { None, BlankLine };
cl::opt<DocumentSplit> documents(
    "documents", cl::cat(textCategory), cl::init(DocumentSplit::None),
    cl::desc("Score documents one by one instead of windows of the joined text"),
    cl::values(clEnumValN(DocumentSplit::BlankLine, "blank-line",
                          "documents are separated by blank lines; each is "
                          "BOS + its encoding, truncated to the window")));
cl::opt<int64_t> firstDocuments(
    "first", cl::cat(textCategory), cl::init(-1), cl::value_desc("N"),
    cl::desc("With --documents: score only N documents (after --skip)"));
cl::opt<int64_t> skipDocuments(
    "skip", cl::cat(textCategory), cl::init(0), cl::value_desc("M"),
    cl::desc("With --documents: leave out the first M documents"));
cl::opt<int64_t> maxTokens("max-tokens", cl::cat(textCategory), cl::init(40),
                           cl::desc("Tokens to generate"));
cl::opt<float> temperature(
    "temperature", cl::cat(textCategory), cl::init(0.0f),
    cl::desc("Sampling temperature; 0 (the default) is greedy"));
cl::opt<int64_t> topK("top-k", cl::cat(textCategory), cl::init(0),
                      cl::desc("Sample among the K most likely tokens (0: all)"));
cl::opt<float> topP("top-p", cl::cat(textCategory), cl::init(1.0f),
                    cl::desc("Sample among the most likely tokens whose "
                             "probabilities sum to P (1: all)"));
cl::opt<uint64_t> seed("seed", cl::cat(textCategory), cl::init(0),
                       cl::desc("Sampling seed"));
cl::opt<bool> noKVCache(
    "no-kv-cache", cl::cat(textCategory),
    cl::desc("Generate by running the whole sequence at every step even when "
             "the model has past_key_values.* inputs"));
cl::opt<bool> copyKVCache(
    "copy-kv-cache", cl::cat(executionCategory),
    cl::desc("With a compiled library: pass the KV cache out of the library and "
             "back in at every step instead of letting it keep the cache (the "
             "slower way, for comparison)"));
cl::opt<bool> printIds("print-ids", cl::cat(textCategory),
                       cl::desc("After generated text, print its token ids"));

cl::opt<std::string> pipeline(
    "pipeline", cl::cat(executionCategory), cl::value_desc("passes"),
    cl::desc("MLIR pass pipeline to run before executing, e.g. "
             "'convert-onnx-to-awq'"));
cl::opt<bool> profile(
    "profile", cl::cat(executionCategory),
    cl::desc("Print the time spent per op kind on stderr at the end"));
cl::opt<int64_t> benchPrompt("bench-prompt", cl::cat(executionCategory),
                             cl::init(128), cl::desc("Prompt tokens for --bench"));
cl::opt<int64_t> benchDecode("bench-decode", cl::cat(executionCategory),
                             cl::init(32),
                             cl::desc("Decoded tokens per --bench run"));
cl::opt<int64_t> benchRepeats("bench-repeats", cl::cat(executionCategory),
                              cl::init(5), cl::desc("Timed --bench runs"));

/// Reads the model file: imported from ONNX, or parsed as MLIR text or
/// bytecode. Failures are reported through the context's diagnostics.
OwningOpRef<ModuleOp> loadModule(MLIRContext &context, llvm::SourceMgr &sourceMgr) {
  llvm::StringRef extension = llvm::sys::path::extension(modelPath);
  if (extension == ".onnx") {
    FailureOr<OwningOpRef<ModuleOp>> module = awq::importONNXFile(modelPath, context);
    return succeeded(module) ? std::move(*module) : nullptr;
  }
  if (extension == ".mlir" || extension == ".mlirbc")
    return parseSourceFile<ModuleOp>(modelPath, sourceMgr, ParserConfig(&context));
  emitError(UnknownLoc::get(&context))
      << "'" << modelPath << "' is not a model: expected .onnx, .mlir or .mlirbc";
  return nullptr;
}

/// Runs `--pipeline` on `module`.
LogicalResult runPipeline(ModuleOp module) {
  // Accept both "passes" and "builtin.module(passes)".
  llvm::StringRef passes = pipeline;
  if (passes.consume_front("builtin.module(") && !passes.consume_back(")"))
    return emitError(module.getLoc()) << "unbalanced --pipeline '" << pipeline << "'";
  PassManager manager(module->getContext());
  std::string message;
  llvm::raw_string_ostream messageStream(message);
  if (failed(parsePassPipeline(passes, manager, messageStream)))
    return emitError(module.getLoc())
           << "invalid --pipeline '" << pipeline << "': " << llvm::StringRef(message).trim();
  return manager.run(module);
}

/// The function to execute: the module's only func.func, or its `main`.
FailureOr<func::FuncOp> findEntryFunction(ModuleOp module) {
  auto functions = llvm::to_vector(module.getOps<func::FuncOp>());
  if (functions.size() == 1)
    return functions.front();
  if (auto main = module.lookupSymbol<func::FuncOp>("main"))
    return main;
  return emitError(module.getLoc())
         << "the module has " << functions.size()
         << " functions and none is named 'main': which one to run?";
}

/// The context length the model states in its awq.config metadata
/// (utils/models writes max_positions there), if any.
std::optional<int64_t> readContextLength(std::optional<llvm::StringRef> config) {
  if (!config)
    return std::nullopt;
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(*config);
  if (!json) {
    llvm::consumeError(json.takeError());
    return std::nullopt;
  }
  const llvm::json::Object *object = json->getAsObject();
  return object ? object->getInteger("max_positions") : std::nullopt;
}

void printProfile(const awq::Executor &executor) {
  std::vector<awq::OpKindProfile> entries = executor.profile();
  double total = 0;
  for (const awq::OpKindProfile &entry : entries)
    total += entry.seconds;
  llvm::errs() << llvm::formatv("{0,-32} {1,10} {2,12} {3,7}\n", "op", "calls",
                                "total ms", "share");
  for (const awq::OpKindProfile &entry : entries)
    llvm::errs() << llvm::formatv("{0,-32} {1,10} {2,12:F3} {3,6:F1}%\n",
                                  entry.kind, entry.calls, entry.seconds * 1e3,
                                  100 * entry.seconds / total);
  llvm::errs() << llvm::formatv("{0,-32} {1,10} {2,12:F3}\n", "all ops", "",
                                total * 1e3);
}

/// The awq.config metadata entry of `module`, if any.
std::optional<llvm::StringRef> getConfigMetadata(ModuleOp module) {
  auto metadata = module->getAttrOfType<DictionaryAttr>(awq::kMetadataPropsAttrName);
  auto config = metadata ? metadata.getAs<StringAttr>("awq.config") : nullptr;
  return config ? std::optional<llvm::StringRef>(config.getValue()) : std::nullopt;
}

/// Runs the selected mode on `executor`.
llvm::Error runMode(awq::RunnableModel &executor, std::optional<int64_t> contextLength) {
  int modes = !perplexityPath.empty() + !generatePrompt.empty() + bench +
              (!inputSpecs.empty() || !outputDir.empty());
  if (modes > 1)
    return llvm::createStringError(
        "choose one of --perplexity, --generate, --bench and --input/--output-dir");
  if (perplexityPath.empty() && generatePrompt.empty() && !bench)
    return awq::runRawIO(executor, inputSpecs, outputDir, llvm::outs());

  llvm::Expected<awq::DecoderModel> model = awq::DecoderModel::create(executor, !copyKVCache);
  if (!model)
    return model.takeError();
  if (bench)
    return awq::runBenchmark(*model, {benchPrompt, benchDecode, benchRepeats},
                             llvm::outs());

  if (tokenizerSpec.empty())
    return llvm::createStringError(
        "--perplexity and --generate need --tokenizer");
  llvm::Expected<std::unique_ptr<awq::Tokenizer>> tokenizer =
      awq::loadTokenizer(tokenizerSpec);
  if (!tokenizer)
    return tokenizer.takeError();
  std::optional<int64_t> length = window > 0 ? std::optional<int64_t>(window)
                                             : contextLength;
  if (!generatePrompt.empty()) {
    awq::GenerationOptions options{
        generatePrompt, maxTokens, temperature, topK, topP, seed,
        model->hasKVCache() && !noKVCache,
        length.value_or(std::numeric_limits<int64_t>::max()), printIds};
    return awq::runGeneration(*model, **tokenizer, options, llvm::outs());
  }
  if (!length)
    return llvm::createStringError(
        "the model does not state its context length (no awq.config "
        "metadata): pass --window N");
  awq::PerplexityOptions options{perplexityPath, *length,
                                 documents == DocumentSplit::BlankLine,
                                 skipDocuments, firstDocuments};
  return awq::runPerplexity(*model, **tokenizer, options, llvm::outs());
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  awq::registerAllPasses();
  // libLLVM.so registers an undocumented --threads of its own at load time;
  // awq-run's replaces it, so it is registered here, after removing that one.
  if (cl::Option *llvmThreads = cl::getRegisteredOptions().lookup("threads"))
    llvmThreads->removeArgument();
  static cl::opt<int> threads(
      "threads", cl::cat(executionCategory), cl::init(0),
      cl::desc("Threads for the runtime's kernels (0: all cores)"));
  cl::HideUnrelatedOptions({&modeCategory, &textCategory, &executionCategory});
  cl::ParseCommandLineOptions(
      argc, argv,
      "awq-run: run an ONNX or MLIR model on the CPU executor, or a library made by "
      "awq-compile\n\n"
      "  awq-run model.onnx --perplexity text.txt --tokenizer tok.bin\n"
      "  awq-run model.onnx --generate \"Once upon a time\" --tokenizer tok.bin\n"
      "  awq-run model.onnx --bench [--threads N]\n"
      "  awq-run model.onnx --input input_ids=ids.npy --output-dir out/\n"
      "  awq-run model.so --bench              (any mode works on a compiled library)\n");
  auto fail = [](const llvm::Twine &message) {
    llvm::WithColor::error(llvm::errs(), "awq-run") << message << '\n';
    return 1;
  };
  if (!llvm::sys::fs::exists(modelPath))
    return fail("model '" + modelPath + "' does not exist");
  // Idle OpenMP workers sleep at once instead of spinning for libomp's default
  // 200 ms: the executor runs many short parallel loops with serial work in
  // between, and spinning workers take the cores that work needs whenever the
  // machine is shared (stories260K on 2 loaded cores: 2.5x prefill, 2x decode).
  // Set before the first OpenMP call, which reads it; the environment wins.
  setenv("KMP_BLOCKTIME", "0", /*overwrite=*/0);
  awq_set_num_threads(threads);

  if (llvm::sys::path::extension(modelPath) == ".so") {
    if (!pipeline.empty() || profile)
      return fail("--pipeline and --profile apply to .onnx/.mlir models, not to a "
                  "compiled library");
    llvm::Expected<std::unique_ptr<awq::RunnableModel>> library =
        awq::loadModelLibrary(modelPath);
    if (!library)
      return fail(llvm::toString(library.takeError()));
    if (llvm::Error error =
            runMode(**library, readContextLength((*library)->metadata("awq.config"))))
      return fail(llvm::toString(std::move(error)));
    return 0;
  }

  DialectRegistry registry;
  awq::registerAllDialects(registry);
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);

  OwningOpRef<ModuleOp> module = loadModule(context, sourceMgr);
  if (!module)
    return 1;
  if (!pipeline.empty() && failed(runPipeline(*module)))
    return 1;
  FailureOr<func::FuncOp> function = findEntryFunction(*module);
  if (failed(function))
    return 1;
  FailureOr<std::unique_ptr<awq::Executor>> executor = awq::Executor::create(*function);
  if (failed(executor))
    return 1;
  (*executor)->setProfiling(profile);

  std::unique_ptr<awq::RunnableModel> runnable = awq::wrapExecutor(**executor);
  if (llvm::Error error = runMode(*runnable, readContextLength(getConfigMetadata(*module))))
    return fail(llvm::toString(std::move(error)));
  if (profile)
    printProfile(**executor);
  return 0;
}
