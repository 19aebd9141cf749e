//===- CalibrationData.h - Calibration token sequences ----------*- C++ -*-===//

#ifndef AWQ_TRANSFORMS_CALIBRATIONDATA_H
#define AWQ_TRANSFORMS_CALIBRATIONDATA_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace awq {

struct CalibrationDataOptions {
  std::string path;
  /// A tokenizer spec as awq-run's --tokenizer (llama2.c .bin, SentencePiece
  /// .model, or "token-ids").
  std::string tokenizer;
  int64_t skipDocuments = 0;
  int64_t numSamples = 128;
  int64_t sequenceLength = 512;
  /// Concatenate and cut into sequenceLength blocks (llm-awq) instead of one
  /// sequence per document.
  bool pack = false;
};

/// The calibration sequences: the file split into documents on blank lines
/// (stripped, empty ones dropped, as the accuracy protocol), each BOS (when
/// the tokenizer has one) + its encoding, truncated to sequenceLength; with
/// `pack`, the documents' whole encodings concatenated and cut into
/// sequenceLength blocks.
llvm::Expected<std::vector<std::vector<int64_t>>>
loadCalibrationSequences(const CalibrationDataOptions &options);

} // namespace awq

#endif // AWQ_TRANSFORMS_CALIBRATIONDATA_H
