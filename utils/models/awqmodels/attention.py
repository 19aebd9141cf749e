"""Causal self-attention pieces shared by the llama, gpt2 and opt graphs."""

import math
from dataclasses import dataclass

import numpy as np

from .graph_builder import GraphBuilder

# HF masks with the most negative float32 rather than -inf (torch.finfo(dtype).min).
MASK_VALUE = float(np.finfo(np.float32).min)


@dataclass
class Positions:
    """Per-forward values every layer needs, built once at model scope."""

    position_ids: str  # int64 [1, seq]: past_len, past_len + 1, ...
    causal: str  # bool [seq, past_len + seq]: query i may attend key j


def positions(g: GraphBuilder, input_ids: str, past_key: str | None) -> Positions:
    """Positions start at the cache length: past_len = Shape(past_key)[2], else 0.

    Range(past_len, past_len + seq) gives the query positions and Range(0, past_len + seq)
    the key positions; causal = LessOrEqual(key[None, :], query[:, None]). The HF
    export derives the same from an attention_mask input; these graphs take none
    (no padding), so the mask is built from shapes alone.
    """
    zero, one = g.constant(0, np.int64), g.constant(1, np.int64)
    past_len = g.dim(past_key, 2) if past_key else zero
    total_len = g.op("Add", past_len, g.dim(input_ids, 1))
    query_positions = g.op("Range", past_len, total_len, one)
    key_positions = g.op("Range", zero, total_len, one)
    causal = g.op("LessOrEqual", g.unsqueeze(key_positions, [0]), g.unsqueeze(query_positions, [1]))
    return Positions(g.unsqueeze(query_positions, [0]), causal)


def additive_mask(g: GraphBuilder, causal: str) -> str:
    """Where(causal, 0, MASK_VALUE): float [seq, past_len + seq], added to the scores."""
    return g.op("Where", causal, g.constant(0.0), g.constant(MASK_VALUE))


def split_heads(g: GraphBuilder, x: str, n_heads: int, head_dim: int) -> str:
    """[B, S, n*hd] -> Reshape [B, S, n, hd] -> Transpose(0, 2, 1, 3) -> [B, n, S, hd]."""
    return g.op("Transpose", g.reshape(x, [0, 0, n_heads, head_dim]), perm=[0, 2, 1, 3])


def merge_heads(g: GraphBuilder, x: str, dim: int) -> str:
    """[B, n, S, hd] -> Transpose(0, 2, 1, 3) -> Reshape [B, S, n*hd]."""
    return g.reshape(g.op("Transpose", x, perm=[0, 2, 1, 3]), [0, 0, dim])


def append_to_cache(g: GraphBuilder, past: str, new: str, present_name: str) -> str:
    """Concat(past, new, axis=2) along the sequence axis; the result is graph output `present_name`."""
    return g.op("Concat", past, new, axis=2, output_name=present_name)


def repeat_kv(g: GraphBuilder, x: str, n_rep: int, n_kv_heads: int, head_dim: int) -> str:
    """HF repeat_kv for GQA, x[:, :, None].expand(B, kv, rep, T, hd).reshape(B, kv*rep, T, hd):
    Unsqueeze(2) -> Expand -> Reshape. (The exporter computes Expand's shape with
    Shape/Gather/Concat; a broadcasting [1, 1, rep, 1, 1] is equivalent and static.)"""
    expanded = g.op("Expand", g.unsqueeze(x, [2]), g.constant([1, 1, n_rep, 1, 1], np.int64))
    return g.reshape(expanded, [0, n_kv_heads * n_rep, -1, head_dim])


def attend(g: GraphBuilder, q: str, k: str, v: str, head_dim: int, mask: str, divide_scores: bool, mask_by_where: bool) -> str:
    """softmax(q k^T [/ sqrt(hd)] + mask) v on [B, H, S, hd] tensors:

    Transpose(k, 0 1 3 2) -> MatMul(q, .) [-> Div(., sqrt(hd))] -> Add(., mask) or
    Where(causal, ., MASK_VALUE) -> Softmax(-1) -> MatMul(., v)

    Llama and GPT-2 divide the scores; OPT scales q instead (divide_scores=False).
    GPT-2 applies its causal buffer with Where (mask is then the bool causal tensor).
    """
    scores = g.op("MatMul", q, g.op("Transpose", k, perm=[0, 1, 3, 2]))
    if divide_scores:
        scores = g.op("Div", scores, g.constant(math.sqrt(head_dim)))
    if mask_by_where:
        scores = g.op("Where", mask, scores, g.constant(MASK_VALUE))
    else:
        scores = g.op("Add", scores, mask)
    return g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
