//===- Pipeline.cpp - The awq-pipeline pass pipeline ----------------------===//

#include "awq/Compiler/Pipeline.h"

#include "awq/Conversion/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace awq {

AWQCalibrateOptions AWQPipelineOptions::calibrateOptions() const {
  AWQCalibrateOptions options;
  options.dataPath = dataPath;
  options.tokenizerSpec = tokenizerSpec;
  options.skipDocuments = skipDocuments;
  options.numSamples = numSamples;
  options.sequenceLength = sequenceLength;
  options.pack = pack;
  options.gridSize = gridSize;
  options.duoScaling = duoScaling;
  options.clipSearch = clipSearch;
  options.clipTokens = clipTokens;
  options.loss = loss;
  options.gqaScales = gqaScales;
  options.searchTokens = searchTokens;
  options.propagate = propagate;
  options.bits = bits;
  options.groupSize = groupSize;
  options.zeroPoint = zeroPoint;
  options.exclude.assign(exclude.begin(), exclude.end());
  options.quantizeLMHead = quantizeLMHead;
  return options;
}

AWQQuantizeOptions AWQPipelineOptions::quantizeOptions() const {
  AWQQuantizeOptions options;
  options.bits = bits;
  options.groupSize = groupSize;
  options.zeroPoint = zeroPoint;
  options.exclude.assign(exclude.begin(), exclude.end());
  options.quantizeLMHead = quantizeLMHead;
  options.scalesInActivationType = scalesInActivationType;
  return options;
}

void buildAWQPipeline(OpPassManager &pm, const AWQPipelineOptions &options) {
  // Raising is idempotent, so the pipeline takes ONNX-level and awq-level IR.
  pm.addPass(createConvertONNXToAWQ());
  if (options.calibrates()) {
    pm.addPass(createAWQCalibrate(options.calibrateOptions()));
    pm.addPass(createAWQFoldScales());
  } else {
    llvm::errs() << "awq-pipeline: no calibration data (data=), quantizing "
                    "with plain round-to-nearest (RTN)\n";
  }
  pm.addPass(createAWQQuantize(options.quantizeOptions()));
}

void registerAWQPipeline() {
  PassPipelineRegistration<AWQPipelineOptions>(
      "awq-pipeline",
      "Quantize a model: convert-onnx-to-awq, awq-calibrate, awq-fold-scales, "
      "awq-quantize with one set of options (RTN without data=)",
      buildAWQPipeline);
}

} // namespace awq
