//===- Llama2cTokenizer.cpp - llama2.c `.bin` vocabularies ----------------===//
//
// The file is an int32 max token length, then per token a float32 merge
// score, an int32 byte length and the bytes. Encoding follows llama2.c's
// run.c and shared/tools/stories260k_reference.py exactly: a leading space
// token, one token per UTF-8 character (its bytes + 3 when the character is
// not in the vocabulary), then repeatedly the adjacent pair whose merged
// piece scores highest is merged, the leftmost pair winning ties.
//
//===----------------------------------------------------------------------===//

#include "TokenizerFormats.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdio>
#include <cstring>
#include <queue>

using namespace awq;

namespace {

/// llama2.c vocabularies start with <unk>, <s>, </s>, then the 256 byte
/// tokens <0x00>..<0xFF>: byte b is token b + 3.
constexpr int64_t kBosId = 1;
constexpr int64_t kByteTokenOffset = 3;

class Llama2cTokenizer final : public Tokenizer {
public:
  Llama2cTokenizer(std::vector<std::string> pieces, std::vector<float> scores)
      : pieces(std::move(pieces)), scores(std::move(scores)) {
    // As the reference's dict: a piece listed twice maps to its last id.
    for (auto [id, piece] : llvm::enumerate(this->pieces))
      ids.insert_or_assign(piece, id);
  }

  llvm::Expected<std::vector<int64_t>> encode(llvm::StringRef text) const override;
  std::string decode(llvm::ArrayRef<int64_t> ids) const override;
  std::optional<int64_t> bosId() const override { return kBosId; }

private:
  std::optional<int64_t> lookup(llvm::StringRef piece) const {
    auto it = ids.find(piece);
    return it == ids.end() ? std::nullopt : std::optional<int64_t>(it->second);
  }

  std::vector<std::string> pieces;
  std::vector<float> scores;
  llvm::StringMap<int64_t> ids;
};

/// Bytes in the UTF-8 sequence starting with `lead` (1 for an invalid lead
/// byte, which is then encoded on its own).
size_t utf8Length(unsigned char lead) {
  if (lead >= 0xF0 && lead < 0xF8)
    return 4;
  if (lead >= 0xE0)
    return lead < 0xF0 ? 3 : 1;
  if (lead >= 0xC0)
    return 2;
  return 1;
}

llvm::Expected<std::vector<int64_t>>
Llama2cTokenizer::encode(llvm::StringRef text) const {
  std::vector<int64_t> symbols;
  if (text.empty())
    return symbols;
  std::optional<int64_t> space = lookup(" ");
  if (!space)
    return llvm::createStringError("the vocabulary has no ' ' token");
  symbols.push_back(*space);
  for (size_t i = 0; i < text.size();) {
    size_t length = std::min(utf8Length(text[i]), text.size() - i);
    llvm::StringRef character = text.substr(i, length);
    if (std::optional<int64_t> id = lookup(character))
      symbols.push_back(*id);
    else
      for (unsigned char byte : character)
        symbols.push_back(byte + kByteTokenOffset);
    i += length;
  }

  // The greedy merges, done with a heap of candidate pairs over a linked list
  // of symbols instead of rescanning the sequence after every merge. A pair
  // is (score, left position); merges never reorder symbols, so the original
  // position of the left symbol orders pairs left to right.
  size_t count = symbols.size();
  std::vector<int64_t> next(count), prev(count);
  std::vector<bool> alive(count, true);
  for (size_t i = 0; i < count; ++i) {
    next[i] = i + 1 < count ? static_cast<int64_t>(i + 1) : -1;
    prev[i] = static_cast<int64_t>(i) - 1;
  }
  struct Candidate {
    float score;
    int64_t left, right;
    // The symbols the pair joined, to recognise pairs an earlier merge changed.
    int64_t leftSymbol, rightSymbol, merged;
    bool operator<(const Candidate &other) const {
      // Highest score first; among equal scores the leftmost pair.
      if (score != other.score)
        return score < other.score;
      return left > other.left;
    }
  };
  std::priority_queue<Candidate> candidates;
  auto propose = [&](int64_t left, int64_t right) {
    if (left < 0 || right < 0)
      return;
    std::string merged = pieces[symbols[left]] + pieces[symbols[right]];
    if (std::optional<int64_t> id = lookup(merged))
      candidates.push(
          {scores[*id], left, right, symbols[left], symbols[right], *id});
  };
  for (size_t i = 0; i + 1 < count; ++i)
    propose(i, i + 1);
  while (!candidates.empty()) {
    Candidate best = candidates.top();
    candidates.pop();
    // Merges only grow symbols, so an unchanged pair has the same symbols.
    if (!alive[best.left] || !alive[best.right] ||
        next[best.left] != best.right || symbols[best.left] != best.leftSymbol ||
        symbols[best.right] != best.rightSymbol)
      continue;
    symbols[best.left] = best.merged;
    alive[best.right] = false;
    next[best.left] = next[best.right];
    if (next[best.right] >= 0)
      prev[next[best.right]] = best.left;
    propose(prev[best.left], best.left);
    propose(best.left, next[best.left]);
  }
  std::vector<int64_t> result;
  for (int64_t i = 0; i >= 0 && static_cast<size_t>(i) < count; i = next[i])
    result.push_back(symbols[i]);
  return result;
}

std::string Llama2cTokenizer::decode(llvm::ArrayRef<int64_t> ids) const {
  std::string text;
  for (int64_t id : ids) {
    if (id == kBosId || id < 0 || static_cast<size_t>(id) >= pieces.size())
      continue;
    const std::string &piece = pieces[id];
    // Byte tokens are spelled <0xXX>; print the byte, as run.c does.
    unsigned byte;
    if (piece.size() == 6 && std::sscanf(piece.c_str(), "<0x%02X>", &byte) == 1)
      text += static_cast<char>(byte);
    else
      text += piece;
  }
  return text;
}

} // namespace

llvm::Expected<std::unique_ptr<Tokenizer>>
awq::loadLlama2cTokenizer(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(path);
  if (!file)
    return llvm::createStringError(llvm::formatv(
        "cannot read tokenizer '{0}': {1}", path, file.getError().message()));
  llvm::StringRef bytes = (*file)->getBuffer();
  auto malformed = [&](size_t offset) {
    return llvm::createStringError(llvm::formatv(
        "tokenizer '{0}' is not a llama2.c tokenizer (truncated entry at byte {1})",
        path, offset));
  };
  std::vector<std::string> pieces;
  std::vector<float> scores;
  size_t offset = sizeof(int32_t); // the max token length is not needed
  if (bytes.size() < offset)
    return malformed(0);
  while (offset < bytes.size()) {
    float score;
    int32_t length;
    if (bytes.size() - offset < sizeof(score) + sizeof(length))
      return malformed(offset);
    std::memcpy(&score, bytes.data() + offset, sizeof(score));
    std::memcpy(&length, bytes.data() + offset + sizeof(score), sizeof(length));
    offset += sizeof(score) + sizeof(length);
    if (length < 0 || bytes.size() - offset < static_cast<size_t>(length))
      return malformed(offset);
    pieces.push_back(bytes.substr(offset, length).str());
    scores.push_back(score);
    offset += length;
  }
  if (pieces.size() < kByteTokenOffset + 256)
    return llvm::createStringError(llvm::formatv(
        "tokenizer '{0}' has {1} tokens, fewer than llama2.c's 259 special and "
        "byte tokens",
        path, pieces.size()));
  return std::make_unique<Llama2cTokenizer>(std::move(pieces), std::move(scores));
}
