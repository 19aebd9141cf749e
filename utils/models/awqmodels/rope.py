"""Rotary position embeddings (RoPE) in the HF half-split and the llama2.c interleaved layouts."""

import numpy as np

from .graph_builder import GraphBuilder


def rotary_cos_sin(g: GraphBuilder, position_ids: str, head_dim: int, theta: float, layout: str) -> tuple:
    """cos and sin [1, S, hd], computed from position ids as HF LlamaRotaryEmbedding does
    (transformers >= 4.38; older versions Gathered rows of cached tables instead):

    Unsqueeze(position_ids, 1) -> Cast(f32) -> MatMul(inv_freq [1, hd/2, 1], .)
    -> Transpose(0, 2, 1) = freqs [1, S, hd/2]; then
    half-split:  Concat(freqs, freqs, -1)                                  (f0..f_{h-1}, f0..f_{h-1})
    interleaved: Unsqueeze(-1) x2 -> Concat(-1) -> Reshape [0, 0, hd]      (f0, f0, f1, f1, ...)
    -> Cos, Sin.
    """
    inv_freq = 1.0 / theta ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    positions = g.cast_to_float(g.unsqueeze(position_ids, [1]))
    freqs = g.op("MatMul", g.constant(inv_freq.reshape(1, -1, 1)), positions)
    freqs = g.op("Transpose", freqs, perm=[0, 2, 1])
    if layout == "half-split":
        angles = g.op("Concat", freqs, freqs, axis=-1)
    else:
        pair = g.unsqueeze(freqs, [-1])
        angles = g.reshape(g.op("Concat", pair, pair, axis=-1), [0, 0, head_dim])
    return g.op("Cos", angles), g.op("Sin", angles)


def rotate(g: GraphBuilder, x: str, head_dim: int, layout: str) -> str:
    """The partner of each element, signed, so that x * cos + rotate(x) * sin is the rotation.

    half-split (HF rotate_half): Slice(0:hd/2), Slice(hd/2:) -> Neg(second) -> Concat(-second, first)
    interleaved (GPT-J rotate_every_two): Slice(0::2), Slice(1::2) -> Neg(odd) -> Unsqueeze(-1) x2
    -> Concat(-odd, even, -1) -> Reshape [0, 0, 0, hd]
    """
    if layout == "half-split":
        half = head_dim // 2
        first, second = g.slice_last_axis(x, 0, half), g.slice_last_axis(x, half, head_dim)
        return g.op("Concat", g.op("Neg", second), first, axis=-1)
    even, odd = g.slice_last_axis(x, 0, head_dim, 2), g.slice_last_axis(x, 1, head_dim, 2)
    pairs = g.op("Concat", g.unsqueeze(g.op("Neg", odd), [-1]), g.unsqueeze(even, [-1]), axis=-1)
    return g.reshape(pairs, [0, 0, 0, head_dim])


def apply_rotary(g: GraphBuilder, q: str, k: str, cos: str, sin: str, head_dim: int, layout: str) -> tuple:
    """HF apply_rotary_pos_emb on [B, H, S, hd] q and k: Unsqueeze(cos, 1), Unsqueeze(sin, 1),
    then Add(Mul(x, cos), Mul(rotate(x), sin)) for each of q and k."""
    cos, sin = g.unsqueeze(cos, [1]), g.unsqueeze(sin, [1])

    def embed(x):
        return g.op("Add", g.op("Mul", x, cos), g.op("Mul", rotate(g, x, head_dim, layout), sin))

    return embed(q), embed(k)
