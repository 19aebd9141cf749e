//===- CalibrationData.cpp - Calibration token sequences ------------------===//

#include "awq/Transforms/CalibrationData.h"

#include "awq/Tokenizer/Tokenizer.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/MemoryBuffer.h"

namespace awq {

llvm::Expected<std::vector<std::vector<int64_t>>>
loadCalibrationSequences(const CalibrationDataOptions &options) {
  if (options.path.empty() || options.tokenizer.empty())
    return llvm::createStringError(
        "awq-calibrate needs data=FILE and tokenizer=SPEC");
  llvm::Expected<std::unique_ptr<Tokenizer>> tokenizer =
      loadTokenizer(options.tokenizer);
  if (!tokenizer)
    return tokenizer.takeError();
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(options.path, /*IsText=*/true);
  if (!file)
    return llvm::createStringError("cannot read calibration data '" +
                                   options.path + "': " +
                                   file.getError().message());
  llvm::SmallVector<llvm::StringRef> pieces;
  (*file)->getBuffer().split(pieces, "\n\n");
  std::vector<llvm::StringRef> documents;
  for (llvm::StringRef piece : pieces)
    if (!piece.trim().empty())
      documents.push_back(piece.trim());
  if (options.skipDocuments >= static_cast<int64_t>(documents.size()))
    return llvm::createStringError("skip=" + std::to_string(options.skipDocuments) +
                                   " leaves none of the " +
                                   std::to_string(documents.size()) +
                                   " documents of '" + options.path + "'");

  std::vector<std::vector<int64_t>> sequences;
  std::vector<int64_t> packed;
  for (size_t index = options.skipDocuments; index < documents.size(); ++index) {
    if (!options.pack && static_cast<int64_t>(sequences.size()) >= options.numSamples)
      break;
    llvm::Expected<std::vector<int64_t>> ids = (*tokenizer)->encode(documents[index]);
    if (!ids)
      return ids.takeError();
    std::vector<int64_t> sequence;
    if (std::optional<int64_t> bos = (*tokenizer)->bosId())
      sequence.push_back(*bos);
    sequence.insert(sequence.end(), ids->begin(), ids->end());
    if (!options.pack) {
      if (static_cast<int64_t>(sequence.size()) > options.sequenceLength)
        sequence.resize(options.sequenceLength);
      if (sequence.size() >= 2)
        sequences.push_back(std::move(sequence));
      continue;
    }
    // Packed, a long document fills several blocks instead of being cut to
    // one (a text without blank lines, such as WikiText's raw test split, is
    // a single document).
    packed.insert(packed.end(), sequence.begin(), sequence.end());
    while (static_cast<int64_t>(packed.size()) >= options.sequenceLength &&
           static_cast<int64_t>(sequences.size()) < options.numSamples) {
      sequences.emplace_back(packed.begin(), packed.begin() + options.sequenceLength);
      packed.erase(packed.begin(), packed.begin() + options.sequenceLength);
    }
    if (static_cast<int64_t>(sequences.size()) >= options.numSamples)
      break;
  }
  if (sequences.empty())
    return llvm::createStringError("no calibration sequence in '" + options.path + "'");
  return sequences;
}

} // namespace awq
