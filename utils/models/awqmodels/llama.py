"""The Llama (LlamaForCausalLM) graph: RMSNorm, RoPE, GQA attention, SwiGLU MLP."""

from .activations import silu_gate
from .attention import additive_mask, append_to_cache, attend, merge_heads, positions, repeat_kv, split_heads
from .config import ModelConfig
from .graph_builder import GraphBuilder
from .linear import embedding, lm_head, linear
from .norms import rms_norm
from .rope import apply_rotary, rotary_cos_sin


def build_llama(g: GraphBuilder, config: ModelConfig, kv_cache: bool) -> None:
    """Nodes from graph input 'input_ids' (and 'past_key_values.{i}.key/value') to the
    graph outputs 'logits' (and 'present.{i}.key/value')."""
    with g.scope("model"):
        x = embedding(g, "input_ids", "embed_tokens", config.vocab_size, config.dim)
        pos = positions(g, "input_ids", "past_key_values.0.key" if kv_cache else None)
        mask = additive_mask(g, pos.causal)
        with g.scope("rotary_emb"):
            cos, sin = rotary_cos_sin(g, pos.position_ids, config.head_dim, config.rope_theta, config.rope_layout)
        for layer in range(config.n_layers):
            with g.scope(f"layers.{layer}"):
                x = _decoder_layer(g, config, layer, x, mask, cos, sin, kv_cache)
        with g.scope("norm"):
            x = rms_norm(g, x, config.dim, config.norm_eps, "final_norm_weight")
    lm_head(g, x, "model.embed_tokens.weight", config.dim, config.vocab_size, config.tie_word_embeddings)


def _decoder_layer(g, config, layer, x, mask, cos, sin, kv_cache) -> str:
    with g.scope("input_layernorm"):
        h = rms_norm(g, x, config.dim, config.norm_eps, "norm_weight")
    with g.scope("self_attn"):
        attention = _self_attention(g, config, layer, h, mask, cos, sin, kv_cache)
    x = g.op("Add", x, attention)
    with g.scope("post_attention_layernorm"):
        h = rms_norm(g, x, config.dim, config.norm_eps, "norm_weight")
    with g.scope("mlp"):
        gate = linear(g, h, "gate_proj", config.dim, config.hidden_dim)
        up = linear(g, h, "up_proj", config.dim, config.hidden_dim)
        with g.scope("act_fn"):
            activated = silu_gate(g, gate, up)
        mlp = linear(g, activated, "down_proj", config.hidden_dim, config.dim)
    return g.op("Add", x, mlp)


def _self_attention(g, config, layer, h, mask, cos, sin, kv_cache) -> str:
    hd, n_kv = config.head_dim, config.n_kv_heads
    q = split_heads(g, linear(g, h, "q_proj", config.dim, config.dim), config.n_heads, hd)
    k = split_heads(g, linear(g, h, "k_proj", config.dim, n_kv * hd), n_kv, hd)
    v = split_heads(g, linear(g, h, "v_proj", config.dim, n_kv * hd), n_kv, hd)
    q, k = apply_rotary(g, q, k, cos, sin, hd, config.rope_layout)
    if kv_cache:  # the cache holds the n_kv_heads keys after RoPE, before repeat_kv
        k = append_to_cache(g, f"past_key_values.{layer}.key", k, f"present.{layer}.key")
        v = append_to_cache(g, f"past_key_values.{layer}.value", v, f"present.{layer}.value")
    n_rep = config.n_heads // n_kv
    if n_rep > 1:
        k, v = repeat_kv(g, k, n_rep, n_kv, hd), repeat_kv(g, v, n_rep, n_kv, hd)
    out = attend(g, q, k, v, hd, mask, divide_scores=True, mask_by_where=False)
    return linear(g, merge_heads(g, out, config.dim), "o_proj", config.dim, config.dim)
