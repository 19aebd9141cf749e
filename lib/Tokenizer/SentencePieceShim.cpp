//===- SentencePieceShim.cpp - libsentencepiece behind a C ABI ------------===//
//
// Built as its own module (libAWQSentencePieceShim.so) and opened with
// RTLD_DEEPBIND by SentencePieceTokenizer.cpp; see SentencePieceShim.h.
//
//===----------------------------------------------------------------------===//

#include "SentencePieceShim.h"

#include <sentencepiece_processor.h>

#include <cstdlib>
#include <cstring>

struct awq_sp_processor {
  sentencepiece::SentencePieceProcessor processor;
};

static char *copyString(const std::string &text) {
  char *copy = static_cast<char *>(std::malloc(text.size() + 1));
  if (copy)
    std::memcpy(copy, text.c_str(), text.size() + 1);
  return copy;
}

awq_sp_processor *awq_sp_load(const char *path, char **error) {
  auto *shim = new awq_sp_processor();
  sentencepiece::util::Status status = shim->processor.Load(path);
  if (status.ok())
    return shim;
  *error = copyString(status.ToString());
  delete shim;
  return nullptr;
}

void awq_sp_destroy(awq_sp_processor *processor) { delete processor; }

int awq_sp_encode(const awq_sp_processor *processor, const char *text, size_t length,
                  int64_t **ids, size_t *count, char **error) {
  std::vector<int> pieces;
  sentencepiece::util::Status status =
      processor->processor.Encode(std::string_view(text, length), &pieces);
  if (!status.ok()) {
    *error = copyString(status.ToString());
    return 1;
  }
  *count = pieces.size();
  *ids = static_cast<int64_t *>(std::malloc(std::max<size_t>(pieces.size(), 1) * sizeof(int64_t)));
  std::copy(pieces.begin(), pieces.end(), *ids);
  return 0;
}

char *awq_sp_decode(const awq_sp_processor *processor, const int64_t *ids, size_t count) {
  std::vector<int> pieces;
  for (size_t i = 0; i < count; ++i)
    if (ids[i] >= 0 && ids[i] < processor->processor.GetPieceSize())
      pieces.push_back(static_cast<int>(ids[i]));
  std::string text;
  // Decoding ids that exist cannot fail; on failure the text stays empty.
  (void)processor->processor.Decode(pieces, &text);
  return copyString(text);
}

int64_t awq_sp_bos_id(const awq_sp_processor *processor) {
  return processor->processor.bos_id();
}
