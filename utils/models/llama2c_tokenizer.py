"""Llama2cTokenizer: reads a llama2.c tokenizer (.bin) and encodes text the way llama2.c's
run.c and shared/tools/stories260k_reference.py do (used by the tests; C++ has its own)."""

import struct

BOS_ID = 1
# llama2.c vocabularies begin with <unk>, <s>, </s>, then the 256 byte-fallback tokens
# <0x00>..<0xFF>: byte b is token b + 3.
BYTE_TOKEN_OFFSET = 3


class Llama2cTokenizer:
    def __init__(self, path, vocab_size: int):
        with open(path, "rb") as f:
            data = f.read()
        offset = 4  # int32 max_token_length, not needed to encode
        self.pieces, self.scores = [], []
        for _ in range(vocab_size):
            score, length = struct.unpack_from("<fi", data, offset)
            offset += 8
            self.pieces.append(data[offset : offset + length])
            self.scores.append(score)
            offset += length
        self._ids = {piece: i for i, piece in enumerate(self.pieces)}

    def encode(self, text: str, bos: bool = True) -> list:
        """BOS, a leading-space token, one token per character (bytes for unknown ones),
        then repeatedly merge the adjacent pair whose merged piece has the highest score."""
        ids = [self._ids[b" "]] if text else []
        for char in text:
            encoded = char.encode()
            if encoded in self._ids:
                ids.append(self._ids[encoded])
            else:
                ids.extend(byte + BYTE_TOKEN_OFFSET for byte in encoded)
        while True:
            best_score, best_index, best_id = float("-inf"), None, None
            for i in range(len(ids) - 1):
                merged = self._ids.get(self.pieces[ids[i]] + self.pieces[ids[i + 1]])
                if merged is not None and self.scores[merged] > best_score:
                    best_score, best_index, best_id = self.scores[merged], i, merged
            if best_index is None:
                break
            ids[best_index : best_index + 2] = [best_id]
        return [BOS_ID] + ids if bos else ids

    def decode(self, ids: list) -> str:
        """Concatenates the pieces' bytes (as the reference script prints them)."""
        return b"".join(self.pieces[i] for i in ids).decode(errors="replace")
