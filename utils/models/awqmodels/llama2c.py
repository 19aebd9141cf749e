"""Llama2cWeights: a llama2.c legacy checkpoint (.bin) as a weight source with HF names."""

import re
import struct

import numpy as np

from .config import ModelConfig

HEADER = struct.Struct("<7i")  # dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
LAYER_PARAMETER = re.compile(r"model\.layers\.(\d+)\.(.+)\.weight")

# HF parameter -> llama2.c tensor. Matrices are [out, in] in llama2.c and are
# transposed to [in, out]; only the embedding keeps its [vocab, dim] layout.
WHOLE_TENSORS = {"model.embed_tokens.weight": "embed", "model.norm.weight": "final_norm", "lm_head.weight": "classifier"}
LAYER_TENSORS = {  # model.layers.{i}.<module>.weight -> row i of the stacked tensor
    "input_layernorm": "attention_norm",
    "post_attention_layernorm": "ffn_norm",
    "self_attn.q_proj": "wq",
    "self_attn.k_proj": "wk",
    "self_attn.v_proj": "wv",
    "self_attn.o_proj": "wo",
    "mlp.gate_proj": "w1",
    "mlp.down_proj": "w2",
    "mlp.up_proj": "w3",
}


class Llama2cWeights:
    """Reads the checkpoint through a memory map, so only the tensor being converted is
    ever resident; `tensor(name, shape, role)` returns the HF-named tensor, linears
    transposed to [in, out].

    llama2.c applies RoPE to interleaved pairs (x0, x1), (x2, x3), ... of each head.
    For rope_layout 'half-split' (HF's rotate_half on (x_i, x_{i+hd/2})) the rows of
    wq and wk are permuted within each head exactly as HF's convert_llama_weights_to_hf
    does: row 2i + j of a head moves to row j * hd/2 + i. q and k are permuted alike,
    so every q.k score, and thus the output, is unchanged.
    """

    def __init__(self, path, rope_layout: str = "half-split"):
        with open(path, "rb") as f:
            dim, hidden, n_layers, n_heads, n_kv_heads, vocab, seq_len = HEADER.unpack(f.read(HEADER.size))
        self.config = ModelConfig(
            arch="llama",
            dim=dim,
            n_layers=n_layers,
            n_heads=n_heads,
            n_kv_heads=n_kv_heads,
            hidden_dim=hidden,
            vocab_size=abs(vocab),
            max_positions=seq_len,
            rope_layout=rope_layout,
            tie_word_embeddings=vocab > 0,  # llama2.c's convention: negative vocab = own classifier
        )
        self._tensors = self._map_tensors(np.memmap(path, dtype="<f4", mode="r", offset=HEADER.size))

    def _map_tensors(self, data: np.ndarray) -> dict:
        c = self.config
        kv_dim = c.n_kv_heads * c.head_dim
        layout = [
            ("embed", (c.vocab_size, c.dim)),
            ("attention_norm", (c.n_layers, c.dim)),
            ("wq", (c.n_layers, c.dim, c.dim)),
            ("wk", (c.n_layers, kv_dim, c.dim)),
            ("wv", (c.n_layers, kv_dim, c.dim)),
            ("wo", (c.n_layers, c.dim, c.dim)),
            ("ffn_norm", (c.n_layers, c.dim)),
            ("w1", (c.n_layers, c.hidden_dim, c.dim)),
            ("w2", (c.n_layers, c.dim, c.hidden_dim)),
            ("w3", (c.n_layers, c.hidden_dim, c.dim)),
            ("final_norm", (c.dim,)),
            ("legacy_rope_tables", (2, c.max_positions, c.head_dim // 2)),  # unused: RoPE is computed
        ]
        if not c.tie_word_embeddings:
            layout.append(("classifier", (c.vocab_size, c.dim)))
        tensors, offset = {}, 0
        for name, shape in layout:
            size = int(np.prod(shape))
            tensors[name] = data[offset : offset + size].reshape(shape)
            offset += size
        if offset != data.size:
            raise ValueError(f"checkpoint holds {data.size} floats, its header describes {offset}")
        return tensors

    def tensor(self, name: str, shape: tuple, role: str) -> np.ndarray:
        if name in WHOLE_TENSORS:
            w = self._tensors[WHOLE_TENSORS[name]]
        else:
            match = LAYER_PARAMETER.fullmatch(name)
            if not match or match[2] not in LAYER_TENSORS:
                raise KeyError(f"no llama2.c tensor for {name}")
            module = match[2]
            w = self._tensors[LAYER_TENSORS[module]][int(match[1])]
            if module == "self_attn.q_proj":
                w = self._rope_rows(w, self.config.n_heads)
            elif module == "self_attn.k_proj":
                w = self._rope_rows(w, self.config.n_kv_heads)
        return np.asarray(w.T if w.ndim == 2 and name != "model.embed_tokens.weight" else w)

    def _rope_rows(self, w: np.ndarray, n_heads: int) -> np.ndarray:
        """[n_heads * hd, dim] rows in this model's RoPE layout (see the class docstring)."""
        if self.config.rope_layout == "interleaved":
            return w
        hd = self.config.head_dim
        return w.reshape(n_heads, hd // 2, 2, w.shape[1]).transpose(0, 2, 1, 3).reshape(w.shape)
