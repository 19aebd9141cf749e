//===- Compile.cpp - ONNX in, shared library out --------------------------===//

#include "awq/Compiler/Compile.h"

#include "Linker.h"

#include "awq/Compiler/Pipeline.h"
#include "awq/Conversion/AWQToRuntime/AWQToRuntime.h"
#include "awq/Conversion/ONNXToAWQ/ONNXToAWQ.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <chrono>

using namespace mlir;

namespace awq {

std::optional<EmitKind> parseEmitKind(StringRef name) {
  return llvm::StringSwitch<std::optional<EmitKind>>(name)
      .Case("onnx-mlir", EmitKind::ONNXMLIR)
      .Case("awq-mlir", EmitKind::AWQMLIR)
      .Case("runtime-mlir", EmitKind::RuntimeMLIR)
      .Case("llvm-mlir", EmitKind::LLVMMLIR)
      .Case("llvm", EmitKind::LLVMIR)
      .Case("obj", EmitKind::Object)
      .Case("so", EmitKind::SharedLibrary)
      .Default(std::nullopt);
}

StringRef getEmitKindName(EmitKind kind) {
  switch (kind) {
  case EmitKind::ONNXMLIR: return "onnx-mlir";
  case EmitKind::AWQMLIR: return "awq-mlir";
  case EmitKind::RuntimeMLIR: return "runtime-mlir";
  case EmitKind::LLVMMLIR: return "llvm-mlir";
  case EmitKind::LLVMIR: return "llvm";
  case EmitKind::Object: return "obj";
  case EmitKind::SharedLibrary: return "so";
  }
  return "";
}

namespace {

/// Prints "[awq-compile] <stage>: <seconds> s" when the stage is done.
class StageTimer {
public:
  StageTimer(const CompileOptions &options, StringRef stage)
      : progress(options.progress), stage(stage.str()),
        start(std::chrono::steady_clock::now()) {
    if (progress)
      *progress << "[awq-compile] " << this->stage << "...\n";
  }
  ~StageTimer() {
    if (!progress)
      return;
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
                         .count();
    *progress << llvm::formatv("[awq-compile] {0}: {1:f2} s\n", stage, seconds);
    progress->flush();
  }

private:
  llvm::raw_ostream *progress;
  std::string stage;
  std::chrono::steady_clock::time_point start;
};

LogicalResult emitError(ModuleOp module, const llvm::Twine &message) {
  return mlir::emitError(module.getLoc(), message);
}

/// Writes `module` as text to the output, atomically.
LogicalResult writeMLIR(ModuleOp module, const CompileOptions &options) {
  if (llvm::Error error = llvm::writeToOutput(options.outputPath, [&](llvm::raw_ostream &os) {
        module.print(os);
        return llvm::Error::success();
      }))
    return emitError(module, "cannot write '" + options.outputPath +
                                  "': " + llvm::toString(std::move(error)));
  return success();
}

/// Writes the bytes of a constant global's initializer (an i8 array).
void writeGlobalBytes(LLVM::GlobalOp global, llvm::raw_ostream &os) {
  Attribute value = global.getValueOrNull();
  if (auto resource = dyn_cast_if_present<DenseResourceElementsAttr>(value)) {
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      os.write(blob->getData().data(), blob->getData().size());
    return;
  }
  auto dense = dyn_cast_if_present<DenseElementsAttr>(value);
  if (!dense)
    return;
  // A splat (e.g. an i64 -1: eight 0xFF bytes) stores its byte once.
  ArrayRef<char> raw = dense.getRawData();
  int64_t copies = dense.isSplat() ? dense.getNumElements() : 1;
  for (int64_t i = 0; i < copies; ++i)
    os.write(raw.data(), raw.size());
}

/// With a side file: writes the marked constants into it at their offsets
/// and drops them from the module (the library only maps the file).
LogicalResult writeSideFile(ModuleOp module, const CompileOptions &options) {
  SmallString<256> path(options.outputPath);
  llvm::sys::path::remove_filename(path);
  llvm::sys::path::append(path, options.weightsFile);
  SmallVector<LLVM::GlobalOp> sideGlobals;
  for (auto global : module.getOps<LLVM::GlobalOp>())
    if (global->hasAttr("awq.side_file_offset"))
      sideGlobals.push_back(global);
  llvm::Error error = llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
    uint64_t written = 0;
    for (LLVM::GlobalOp global : sideGlobals) {
      uint64_t offset =
          global->getAttrOfType<IntegerAttr>("awq.side_file_offset").getInt();
      os.write_zeros(offset - written);
      writeGlobalBytes(global, os);
      written = offset + cast<LLVM::LLVMArrayType>(global.getGlobalType()).getNumElements();
    }
    return llvm::Error::success();
  });
  if (error)
    return emitError(module, "cannot write the weights file '" + path +
                                 "': " + llvm::toString(std::move(error)));
  for (LLVM::GlobalOp global : sideGlobals)
    global.erase();
  return success();
}

/// Translates to LLVM IR and sets the host triple and data layout.
std::unique_ptr<llvm::Module> translateToLLVMIR(ModuleOp module, llvm::LLVMContext &context,
                                                std::unique_ptr<llvm::TargetMachine> &machine) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target) {
    (void)emitError(module, "no LLVM target for '" + triple.str() + "': " + error);
    return nullptr;
  }
  // The graph function is a sequence of calls: generic code is as fast as
  // any, and the library runs on any CPU of the architecture (the runtime
  // picks its kernels at run time).
  machine.reset(target->createTargetMachine(triple, "generic", "", llvm::TargetOptions(),
                                            llvm::Reloc::PIC_));
  if (!machine) {
    (void)emitError(module, "cannot create an LLVM target machine for '" + triple.str() + "'");
    return nullptr;
  }
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);
  std::unique_ptr<llvm::Module> llvmModule = translateModuleToLLVMIR(module, context, "awq_model");
  if (!llvmModule) {
    (void)emitError(module, "translation to LLVM IR failed");
    return nullptr;
  }
  llvmModule->setTargetTriple(triple);
  llvmModule->setDataLayout(machine->createDataLayout());
  return llvmModule;
}

LogicalResult emitObject(ModuleOp module, llvm::Module &llvmModule,
                         llvm::TargetMachine &machine, llvm::raw_pwrite_stream &os) {
  llvm::legacy::PassManager passes;
  if (machine.addPassesToEmitFile(passes, os, nullptr, llvm::CodeGenFileType::ObjectFile))
    return emitError(module, "the LLVM target cannot emit object files");
  passes.run(llvmModule);
  return success();
}

} // namespace

LogicalResult compileModule(ModuleOp module, const CompileOptions &options) {
  auto runPasses = [&](StringRef stage, llvm::function_ref<void(PassManager &)> build) {
    StageTimer timer(options, stage);
    PassManager pm(module->getContext());
    build(pm);
    return pm.run(module);
  };
  if (options.emit == EmitKind::ONNXMLIR)
    return writeMLIR(module, options);

  // Raise and quantize.
  if (options.quantize) {
    std::unique_ptr<AWQPipelineOptions> pipelineOptions =
        AWQPipelineOptions::createFromString(options.pipelineOptions);
    if (!pipelineOptions)
      return emitError(module, "invalid quantization options '" +
                                   options.pipelineOptions + "'");
    bool calibrated = !pipelineOptions->dataPath.empty();
    if (failed(runPasses(calibrated ? "raise + AWQ calibrate + fold + quantize"
                                    : "raise + round-to-nearest quantize",
                         [&](PassManager &pm) { buildAWQPipeline(pm, *pipelineOptions); })))
      return failure();
  } else if (failed(runPasses("raise", [&](PassManager &pm) {
               pm.addPass(createConvertONNXToAWQ());
             }))) {
    return failure();
  }
  if (options.emit == EmitKind::AWQMLIR)
    return writeMLIR(module, options);

  ConvertAWQToRuntimeOptions lowerOptions;
  lowerOptions.weightsFile = options.weightsFile;
  lowerOptions.target = options.target;
  const bool cuda = options.target == "cuda";
  AWQPrepackWeightsOptions prepackOptions;
  prepackOptions.activations = options.activations;
  // Each target's kernels get their own blob layout, packed here once.
  prepackOptions.target = cuda ? "cuda" : "cpu";
  prepackOptions.cudaLayout = options.cudaWeightLayout;
  std::string lowerStage = cuda ? "prepack weights for CUDA + lower to CUDA node calls"
                                : "prepack weights + lower to runtime calls";
  // "fuse attention, rotary embeddings, ... + ...": what runs.
  SmallVector<StringRef, 5> fused;
  if (options.fuseAttention)
    fused.push_back("attention");
  if (options.fuseRotaryEmbedding)
    fused.push_back("rotary embeddings");
  if (options.fuseResidualNorm)
    fused.push_back("residual norms");
  // The cache append needs fused attention (the only reader it allows).
  if (options.fuseKVCache && options.fuseAttention)
    fused.push_back("KV-cache appends");
  if (options.fuseHeadTransposes && options.fuseAttention)
    fused.push_back("head transposes");
  if (!fused.empty()) {
    std::string list = fused.front().str();
    for (size_t i = 1; i < fused.size(); ++i)
      list += (i + 1 == fused.size() ? " and " : ", ") + fused[i].str();
    lowerStage = "fuse " + list + " + " + lowerStage;
  }
  if (failed(runPasses(lowerStage,
                       [&](PassManager &pm) {
                         // After quantization: the AWQ passes read attention
                         // through its generic ops.
                         if (options.fuseAttention)
                           pm.addPass(createAWQFuseAttention());
                         if (options.fuseRotaryEmbedding)
                           pm.addPass(createAWQFuseRotaryEmbedding());
                         if (options.fuseResidualNorm)
                           pm.addPass(createAWQFuseResidualNorm());
                         if (options.fuseKVCache && options.fuseAttention)
                           pm.addPass(createAWQFuseKVCache());
                         if (options.fuseHeadTransposes && options.fuseAttention)
                           pm.addPass(createAWQFuseHeadTransposes());
                         pm.addPass(createAWQPrepackWeights(prepackOptions));
                         pm.addPass(createConvertAWQToRuntime(lowerOptions));
                       })))
    return failure();
  if (options.emit == EmitKind::RuntimeMLIR)
    return writeMLIR(module, options);
  if (!options.weightsFile.empty()) {
    StageTimer timer(options, "write weights file");
    if (failed(writeSideFile(module, options)))
      return failure();
  }
  if (failed(runPasses("convert to the LLVM dialect",
                       [&](PassManager &pm) { buildRuntimeToLLVMPipeline(pm); })))
    return failure();
  if (options.emit == EmitKind::LLVMMLIR)
    return writeMLIR(module, options);

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::TargetMachine> machine;
  std::unique_ptr<llvm::Module> llvmModule;
  {
    StageTimer timer(options, "translate to LLVM IR");
    llvmModule = translateToLLVMIR(module, llvmContext, machine);
    if (!llvmModule)
      return failure();
  }
  if (options.emit == EmitKind::LLVMIR) {
    if (llvm::Error error = llvm::writeToOutput(options.outputPath, [&](llvm::raw_ostream &os) {
          llvmModule->print(os, nullptr);
          return llvm::Error::success();
        }))
      return emitError(module, "cannot write '" + options.outputPath +
                                   "': " + llvm::toString(std::move(error)));
    return success();
  }

  StageTimer timer(options, options.emit == EmitKind::Object ? "emit object"
                                                             : "emit object + link");
  if (options.emit == EmitKind::Object) {
    LogicalResult result = success();
    if (llvm::Error error = llvm::writeToOutput(options.outputPath, [&](llvm::raw_ostream &os) {
          llvm::SmallVector<char, 0> buffer;
          llvm::raw_svector_ostream objectStream(buffer);
          result = emitObject(module, *llvmModule, *machine, objectStream);
          os.write(buffer.data(), buffer.size());
          return llvm::Error::success();
        }))
      return emitError(module, "cannot write '" + options.outputPath +
                                   "': " + llvm::toString(std::move(error)));
    return result;
  }

  // The object goes to a temporary; the library is linked to a temporary
  // next to the output and renamed into place.
  SmallString<128> objectPath;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("awq-model", "o", objectPath))
    return emitError(module, "cannot create a temporary object file: " + ec.message());
  SmallString<256> temporaryLibrary(options.outputPath);
  temporaryLibrary += ".tmp-%%%%%%";
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(temporaryLibrary, temporaryLibrary))
    return emitError(module, "cannot create '" + temporaryLibrary + "': " + ec.message());
  llvm::scope_exit cleanup([&] {
    llvm::sys::fs::remove(objectPath);
    llvm::sys::fs::remove(temporaryLibrary);
  });
  {
    std::error_code ec;
    llvm::raw_fd_ostream objectStream(objectPath, ec);
    if (ec)
      return emitError(module, "cannot write '" + objectPath + "': " + ec.message());
    if (failed(emitObject(module, *llvmModule, *machine, objectStream)))
      return failure();
  }
  llvmModule.reset();
  const LinkedBackend backend = !cuda                                ? LinkedBackend::Host
                                : options.cudaRuntime == "emulator" ? LinkedBackend::CudaEmulator
                                                                    : LinkedBackend::CudaDevice;
  if (llvm::Error error = linkModelLibrary(objectPath, temporaryLibrary, backend))
    return emitError(module, llvm::toString(std::move(error)));
  if (std::error_code ec = llvm::sys::fs::rename(temporaryLibrary, options.outputPath))
    return emitError(module, "cannot write '" + options.outputPath + "': " + ec.message());
  return success();
}

} // namespace awq
