"""The OPT (OPTForCausalLM) graph: LayerNorm, offset learned positions, separate biased
q/k/v with q pre-scaled, ReLU MLP."""

import numpy as np

from .activations import ACTIVATION_BUILDERS
from .attention import additive_mask, append_to_cache, attend, merge_heads, positions, split_heads
from .config import OPT_POSITION_OFFSET, ModelConfig
from .graph_builder import GraphBuilder
from .linear import embedding, lm_head, linear
from .norms import layer_norm


def build_opt(g: GraphBuilder, config: ModelConfig, kv_cache: bool) -> None:
    """Nodes from 'input_ids' (and 'past_key_values.{i}.key/value') to 'logits' (and 'present.{i}.*')."""
    with g.scope("model/decoder"):
        x = embedding(g, "input_ids", "embed_tokens", config.vocab_size, config.dim)
        pos = positions(g, "input_ids", "past_key_values.0.key" if kv_cache else None)
        mask = additive_mask(g, pos.causal)
        # HF derives positions from CumSum(attention_mask); without padding that is past_len + i.
        table_rows = g.op("Add", pos.position_ids, g.constant(OPT_POSITION_OFFSET, np.int64))
        rows = config.max_positions + OPT_POSITION_OFFSET
        x = g.op("Add", x, embedding(g, table_rows, "embed_positions", rows, config.dim))
        for layer in range(config.n_layers):
            with g.scope(f"layers.{layer}"):
                x = _decoder_layer(g, config, layer, x, mask, kv_cache)
        with g.scope("final_layer_norm"):
            x = layer_norm(g, x, config.dim, config.norm_eps, config.norm_form, "final_norm_weight")
    lm_head(g, x, "model.decoder.embed_tokens.weight", config.dim, config.vocab_size, config.tie_word_embeddings)


def _decoder_layer(g, config, layer, x, mask, kv_cache) -> str:
    with g.scope("self_attn_layer_norm"):
        h = layer_norm(g, x, config.dim, config.norm_eps, config.norm_form, "norm_weight")
    with g.scope("self_attn"):
        attention = _attention(g, config, layer, h, mask, kv_cache)
    x = g.op("Add", x, attention)
    with g.scope("final_layer_norm"):
        h = layer_norm(g, x, config.dim, config.norm_eps, config.norm_form, "norm_weight")
    h = linear(g, h, "fc1", config.dim, config.hidden_dim, bias=True)
    h = ACTIVATION_BUILDERS[config.activation](g, h)
    return g.op("Add", x, linear(g, h, "fc2", config.hidden_dim, config.dim, bias=True))


def _attention(g, config, layer, h, mask, kv_cache) -> str:
    """q = Mul(q_proj(h), head_dim ** -0.5), so the scores are not divided afterwards."""
    d, hd = config.dim, config.head_dim
    q = g.op("Mul", linear(g, h, "q_proj", d, d, bias=True), g.constant(hd**-0.5))
    q = split_heads(g, q, config.n_heads, hd)
    k = split_heads(g, linear(g, h, "k_proj", d, d, bias=True), config.n_heads, hd)
    v = split_heads(g, linear(g, h, "v_proj", d, d, bias=True), config.n_heads, hd)
    if kv_cache:
        k = append_to_cache(g, f"past_key_values.{layer}.key", k, f"present.{layer}.key")
        v = append_to_cache(g, f"past_key_values.{layer}.value", v, f"present.{layer}.value")
    out = attend(g, q, k, v, hd, mask, divide_scores=False, mask_by_where=False)
    return linear(g, merge_heads(g, out, d), "out_proj", d, d, bias=True)
