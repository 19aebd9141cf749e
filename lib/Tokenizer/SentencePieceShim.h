//===- SentencePieceShim.h - C ABI of the SentencePiece shim ----*- C++ -*-===//
//
// Debian's libsentencepiece carries its own copy of protobuf 3.14 and exports
// its symbols; in a process that also loads the system libprotobuf (the ONNX
// importer does), those calls bind to the other version and SentencePiece
// aborts on a version check. So SentencePiece lives in a shim module that
// awq-run opens with RTLD_DEEPBIND (its own symbols first), behind this
// C ABI. Memory returned by the shim is released with free().
//
//===----------------------------------------------------------------------===//

#ifndef AWQ_LIB_TOKENIZER_SENTENCEPIECESHIM_H
#define AWQ_LIB_TOKENIZER_SENTENCEPIECESHIM_H

#include <cstddef>
#include <cstdint>

extern "C" {

struct awq_sp_processor;

/// Loads a .model file; on failure returns null and a malloc'ed message.
awq_sp_processor *awq_sp_load(const char *path, char **error);
void awq_sp_destroy(awq_sp_processor *processor);
/// Encodes `text`; returns 0 and a malloc'ed array of `*count` ids, or
/// non-zero and a malloc'ed message.
int awq_sp_encode(const awq_sp_processor *processor, const char *text, size_t length,
                  int64_t **ids, size_t *count, char **error);
/// The malloc'ed, NUL-terminated text of `ids` (unknown ids are skipped).
char *awq_sp_decode(const awq_sp_processor *processor, const int64_t *ids, size_t count);
/// The BOS id, or -1 when the model has none.
int64_t awq_sp_bos_id(const awq_sp_processor *processor);

} // extern "C"

#endif // AWQ_LIB_TOKENIZER_SENTENCEPIECESHIM_H
