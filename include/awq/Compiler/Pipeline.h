//===- Pipeline.h - The awq-pipeline pass pipeline --------------*- C++ -*-===//
//
// The compiler's quantization pipeline in one place:
//
//   convert-onnx-to-awq -> awq-calibrate -> awq-fold-scales -> awq-quantize
//
// with one set of options, so the quantizer the search simulates and the one
// that runs afterwards cannot disagree (bits, group size, zero point, which
// linears stay in full precision). Without calibration data the pipeline is
// plain round-to-nearest: raise, then quantize.
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_COMPILER_PIPELINE_H
#define AWQ_COMPILER_PIPELINE_H

#include "awq/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <string>

namespace awq {

struct AWQPipelineOptions : public mlir::PassPipelineOptions<AWQPipelineOptions> {
  // The quantizer (awq-quantize, and what awq-calibrate optimizes for).
  Option<int64_t> bits{*this, "bits", llvm::cl::desc("Bits per weight: 2, 3, 4 or 8"),
                       llvm::cl::init(AWQQuantizeOptions().bits)};
  Option<int64_t> groupSize{
      *this, "group-size",
      llvm::cl::desc("Inputs per quantization group (0 or -1: per-channel)"),
      llvm::cl::init(AWQQuantizeOptions().groupSize)};
  Option<bool> zeroPoint{*this, "zero-point",
                         llvm::cl::desc("Asymmetric quantization with a zero point per group"),
                         llvm::cl::init(AWQQuantizeOptions().zeroPoint)};
  ListOption<std::string> exclude{
      *this, "exclude",
      llvm::cl::desc("Regexes of weight or node names that stay in full precision")};
  Option<bool> quantizeLMHead{*this, "quantize-lm-head",
                              llvm::cl::desc("Also quantize the LM head"),
                              llvm::cl::init(false)};
  Option<bool> scalesInActivationType{
      *this, "scales-in-activation-type",
      llvm::cl::desc("Store scales in the activation's element type"),
      llvm::cl::init(false)};

  // Calibration (awq-calibrate); without `data` the pipeline is RTN. The
  // defaults are the passes' own, taken from their generated option structs.
  Option<std::string> dataPath{
      *this, "data",
      llvm::cl::desc("Calibration text (documents separated by blank lines); "
                     "empty: plain RTN, no calibration"),
      llvm::cl::init("")};
  Option<std::string> tokenizerSpec{
      *this, "tokenizer",
      llvm::cl::desc("llama2.c .bin or SentencePiece .model tokenizer, or 'token-ids'"),
      llvm::cl::init("")};
  Option<int64_t> skipDocuments{*this, "skip",
                                llvm::cl::desc("Leave out the first N documents"),
                                llvm::cl::init(0)};
  Option<int64_t> numSamples{*this, "samples", llvm::cl::desc("Calibration sequences"),
                             llvm::cl::init(AWQCalibrateOptions().numSamples)};
  Option<int64_t> sequenceLength{*this, "seq-len",
                                 llvm::cl::desc("Tokens per calibration sequence"),
                                 llvm::cl::init(AWQCalibrateOptions().sequenceLength)};
  Option<bool> pack{*this, "pack",
                    llvm::cl::desc("Concatenate documents and cut seq-len blocks"),
                    llvm::cl::init(false)};
  Option<int64_t> gridSize{*this, "grid", llvm::cl::desc("alpha grid {0, 1/grid, ..., 1}"),
                           llvm::cl::init(AWQCalibrateOptions().gridSize)};
  Option<bool> duoScaling{*this, "duo",
                          llvm::cl::desc("AutoAWQ's s = x^a / (w^(1-a) + 1e-4)"),
                          llvm::cl::init(AWQCalibrateOptions().duoScaling)};
  Option<bool> clipSearch{*this, "clip",
                          llvm::cl::desc("Search a clip per (output row, group)"),
                          llvm::cl::init(AWQCalibrateOptions().clipSearch)};
  Option<int64_t> clipTokens{*this, "clip-tokens",
                             llvm::cl::desc("Tokens the clipping search aims at"),
                             llvm::cl::init(AWQCalibrateOptions().clipTokens)};
  Option<bool> gqaScales{*this, "gqa-v-o",
                         llvm::cl::desc("Also scale v -> o under grouped-query attention"),
                         llvm::cl::init(AWQCalibrateOptions().gqaScales)};
  Option<int64_t> searchTokens{
      *this, "search-tokens",
      llvm::cl::desc("Tokens the scale search's loss runs on (0: all)"),
      llvm::cl::init(AWQCalibrateOptions().searchTokens)};
  Option<bool> propagate{*this, "propagate",
                         llvm::cl::desc("Calibrate each block on the quantized "
                                        "previous blocks' output"),
                         llvm::cl::init(AWQCalibrateOptions().propagate)};
  Option<std::string> loss{*this, "loss", llvm::cl::desc("'block' or 'group'"),
                           llvm::cl::init(AWQCalibrateOptions().loss)};

  /// True when calibration data is given (AWQ); false is RTN.
  bool calibrates() const { return !dataPath.empty(); }
  // The options of its awq-calibrate and awq-quantize passes come from
  // calibrateOptionsFrom / quantizeOptionsFrom (awq/Transforms/Passes.h).
};

/// Adds the pipeline to `pm` (anchored on a builtin.module). Without
/// calibration data it adds only the raise and the quantizer, and says so on
/// stderr.
void buildAWQPipeline(mlir::OpPassManager &pm, const AWQPipelineOptions &options);

/// Registers `awq-pipeline` with the global pass registry.
void registerAWQPipeline();

} // namespace awq

#endif // AWQ_COMPILER_PIPELINE_H
