"""The GPT-2 (GPT2LMHeadModel) graph: LayerNorm, learned positions, fused QKV, GELU MLP."""

from .activations import ACTIVATION_BUILDERS
from .attention import append_to_cache, attend, merge_heads, positions, split_heads
from .config import ModelConfig
from .graph_builder import GraphBuilder
from .linear import embedding, lm_head, linear
from .norms import layer_norm


def build_gpt2(g: GraphBuilder, config: ModelConfig, kv_cache: bool) -> None:
    """Nodes from 'input_ids' (and 'past_key_values.{i}.key/value') to 'logits' (and 'present.{i}.*')."""
    with g.scope("transformer"):
        pos = positions(g, "input_ids", "past_key_values.0.key" if kv_cache else None)
        tokens = embedding(g, "input_ids", "wte", config.vocab_size, config.dim)
        x = g.op("Add", tokens, embedding(g, pos.position_ids, "wpe", config.max_positions, config.dim))
        for layer in range(config.n_layers):
            with g.scope(f"h.{layer}"):
                x = _block(g, config, layer, x, pos.causal, kv_cache)
        with g.scope("ln_f"):
            x = layer_norm(g, x, config.dim, config.norm_eps, config.norm_form, "final_norm_weight")
    lm_head(g, x, "transformer.wte.weight", config.dim, config.vocab_size, config.tie_word_embeddings)


def _block(g, config, layer, x, causal, kv_cache) -> str:
    with g.scope("ln_1"):
        h = layer_norm(g, x, config.dim, config.norm_eps, config.norm_form, "norm_weight")
    with g.scope("attn"):
        attention = _attention(g, config, layer, h, causal, kv_cache)
    x = g.op("Add", attention, x)
    with g.scope("ln_2"):
        h = layer_norm(g, x, config.dim, config.norm_eps, config.norm_form, "norm_weight")
    with g.scope("mlp"):
        h = linear(g, h, "c_fc", config.dim, config.hidden_dim, bias=True)
        with g.scope("act"):
            h = ACTIVATION_BUILDERS[config.activation](g, h)
        mlp = linear(g, h, "c_proj", config.hidden_dim, config.dim, bias=True)
    return g.op("Add", x, mlp)


def _attention(g, config, layer, h, causal, kv_cache) -> str:
    """Fused QKV: one MatMul [d, 3d] + Add(bias) -> Split(-1, [d, d, d])."""
    d, hd = config.dim, config.head_dim
    qkv = linear(g, h, "c_attn", d, 3 * d, bias=True)
    q, k, v = (split_heads(g, t, config.n_heads, hd) for t in g.split_last_axis(qkv, [d, d, d]))
    if kv_cache:
        k = append_to_cache(g, f"past_key_values.{layer}.key", k, f"present.{layer}.key")
        v = append_to_cache(g, f"past_key_values.{layer}.value", v, f"present.{layer}.value")
    out = attend(g, q, k, v, hd, causal, divide_scores=True, mask_by_where=True)
    return linear(g, merge_heads(g, out, d), "c_proj", d, d, bias=True)
