//===- Pipeline.cpp - The awq-pipeline pass pipeline ----------------------===//

#include "awq/Compiler/Pipeline.h"

#include "awq/Conversion/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace awq {

void buildAWQPipeline(OpPassManager &pm, const AWQPipelineOptions &options) {
  // Raising is idempotent, so the pipeline takes ONNX-level and awq-level IR.
  pm.addPass(createConvertONNXToAWQ());
  if (options.calibrates()) {
    pm.addPass(createAWQCalibrate(calibrateOptionsFrom(options)));
    pm.addPass(createAWQFoldScales());
  } else {
    llvm::errs() << "awq-pipeline: no calibration data (data=), quantizing "
                    "with plain round-to-nearest (RTN)\n";
  }
  pm.addPass(createAWQQuantize(quantizeOptionsFrom(options)));
}

void registerAWQPipeline() {
  PassPipelineRegistration<AWQPipelineOptions>(
      "awq-pipeline",
      "Quantize a model: convert-onnx-to-awq, awq-calibrate, awq-fold-scales, "
      "awq-quantize with one set of options (RTN without data=)",
      buildAWQPipeline);
}

} // namespace awq
