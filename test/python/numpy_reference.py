"""Float64 NumPy forward passes of the llama, gpt2 and opt graphs, written from the model
definitions (not from the graph builder) and fed with the ONNX file's own initializers."""

import math

import numpy as np
import onnx
from onnx import numpy_helper

OPT_POSITION_OFFSET = 2


def load_weights(path) -> dict:
    """All initializers of an ONNX file (external data included) as float64 arrays."""
    model = onnx.load(str(path))
    return {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}


def forward(config, weights: dict, ids) -> np.ndarray:
    """Logits [seq, vocab] for one sequence of token ids."""
    return {"llama": _llama, "gpt2": _gpt2, "opt": _opt}[config.arch](config, weights, np.asarray(ids))


def _rms_norm(x, weight, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * weight


def _layer_norm(x, weight, bias, eps):
    centered = x - x.mean(-1, keepdims=True)
    return centered / np.sqrt((centered**2).mean(-1, keepdims=True) + eps) * weight + bias


def _causal_attention(q, k, v, scale):
    """q, k, v: [heads, seq, hd] -> [seq, heads * hd]."""
    seq = q.shape[1]
    scores = np.einsum("hqd,hkd->hqk", q, k) * scale
    scores = np.where(np.tril(np.ones((seq, seq), bool)), scores, -np.inf)
    probs = np.exp(scores - scores.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    return np.einsum("hqk,hkd->qhd", probs, v).reshape(seq, -1)


def _heads(x, n_heads):
    """[seq, n * hd] -> [n, seq, hd]."""
    return x.reshape(x.shape[0], n_heads, -1).transpose(1, 0, 2)


def _rope(x, theta, layout):
    """Rotates x [heads, seq, hd] by position: pairs (i, i + hd/2) for 'half-split',
    (2i, 2i + 1) for 'interleaved'; frequency theta^(-2i/hd) for pair i."""
    hd = x.shape[-1]
    angles = np.arange(x.shape[1])[:, None] / theta ** (np.arange(0, hd, 2) / hd)
    cos, sin = np.cos(angles), np.sin(angles)
    if layout == "half-split":
        first, second = x[..., : hd // 2], x[..., hd // 2 :]
        return np.concatenate([first * cos - second * sin, second * cos + first * sin], -1)
    even, odd = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2], out[..., 1::2] = even * cos - odd * sin, even * sin + odd * cos
    return out


def _llama(c, w, ids):
    x = w["model.embed_tokens.weight"][ids]
    for layer in range(c.n_layers):
        p = f"model.layers.{layer}."
        h = _rms_norm(x, w[p + "input_layernorm.weight"], c.norm_eps)
        q = _rope(_heads(h @ w[p + "self_attn.q_proj.weight"], c.n_heads), c.rope_theta, c.rope_layout)
        k = _rope(_heads(h @ w[p + "self_attn.k_proj.weight"], c.n_kv_heads), c.rope_theta, c.rope_layout)
        v = _heads(h @ w[p + "self_attn.v_proj.weight"], c.n_kv_heads)
        group = c.n_heads // c.n_kv_heads  # query head i reads kv head i // group
        k, v = np.repeat(k, group, axis=0), np.repeat(v, group, axis=0)
        x = x + _causal_attention(q, k, v, 1 / math.sqrt(c.head_dim)) @ w[p + "self_attn.o_proj.weight"]
        h = _rms_norm(x, w[p + "post_attention_layernorm.weight"], c.norm_eps)
        gate = h @ w[p + "mlp.gate_proj.weight"]
        x = x + (gate / (1 + np.exp(-gate)) * (h @ w[p + "mlp.up_proj.weight"])) @ w[p + "mlp.down_proj.weight"]
    return _rms_norm(x, w["model.norm.weight"], c.norm_eps) @ w["lm_head.weight"]


def _activation(name, x):
    if name == "relu":
        return np.maximum(x, 0)
    if name == "gelu_erf":
        return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def _linear(w, module, x):
    return x @ w[module + ".weight"] + w[module + ".bias"]


def _gpt2(c, w, ids):
    x = w["transformer.wte.weight"][ids] + w["transformer.wpe.weight"][np.arange(len(ids))]
    for layer in range(c.n_layers):
        p = f"transformer.h.{layer}."
        h = _layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"], c.norm_eps)
        q, k, v = np.split(_linear(w, p + "attn.c_attn", h), 3, axis=-1)
        attended = _causal_attention(*(_heads(t, c.n_heads) for t in (q, k, v)), 1 / math.sqrt(c.head_dim))
        x = x + _linear(w, p + "attn.c_proj", attended)
        h = _layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"], c.norm_eps)
        x = x + _linear(w, p + "mlp.c_proj", _activation(c.activation, _linear(w, p + "mlp.c_fc", h)))
    x = _layer_norm(x, w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], c.norm_eps)
    return x @ w["lm_head.weight"]


def _opt(c, w, ids):
    positions = np.arange(len(ids)) + OPT_POSITION_OFFSET
    x = w["model.decoder.embed_tokens.weight"][ids] + w["model.decoder.embed_positions.weight"][positions]
    for layer in range(c.n_layers):
        p = f"model.decoder.layers.{layer}."
        h = _layer_norm(x, w[p + "self_attn_layer_norm.weight"], w[p + "self_attn_layer_norm.bias"], c.norm_eps)
        q, k, v = (_heads(_linear(w, p + f"self_attn.{n}_proj", h), c.n_heads) for n in "qkv")
        x = x + _linear(w, p + "self_attn.out_proj", _causal_attention(q, k, v, 1 / math.sqrt(c.head_dim)))
        h = _layer_norm(x, w[p + "final_layer_norm.weight"], w[p + "final_layer_norm.bias"], c.norm_eps)
        x = x + _linear(w, p + "fc2", _activation(c.activation, _linear(w, p + "fc1", h)))
    x = _layer_norm(x, w["model.decoder.final_layer_norm.weight"], w["model.decoder.final_layer_norm.bias"], c.norm_eps)
    return x @ w["lm_head.weight"]
