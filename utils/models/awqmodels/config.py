"""ModelConfig: the shape and flavour of a decoder-only transformer, plus named presets."""

from dataclasses import dataclass

ARCHS = ("llama", "gpt2", "opt")
ROPE_LAYOUTS = ("half-split", "interleaved")
NORM_FORMS = ("op", "decomposed")
ACTIVATIONS = ("gelu_tanh", "gelu_erf", "relu")

# Per-architecture defaults that follow the real models: GPT-2 uses the tanh GELU
# ("gelu_new"), OPT uses ReLU; both tie the LM head to the token embedding.
ARCH_ACTIVATION = {"gpt2": "gelu_tanh", "opt": "relu"}

# OPT's learned position table has two extra leading rows (a fairseq legacy): the
# token at position p reads row p + 2.
OPT_POSITION_OFFSET = 2


@dataclass(frozen=True)
class ModelConfig:
    arch: str
    dim: int
    n_layers: int
    n_heads: int
    hidden_dim: int
    vocab_size: int
    max_positions: int
    n_kv_heads: int | None = None  # None: same as n_heads (no GQA)
    norm_eps: float = 1e-5  # Llama 2, GPT-2 and OPT all use 1e-5
    rope_layout: str = "half-split"  # llama only
    rope_theta: float = 10000.0  # llama only
    norm_form: str = "op"  # gpt2/opt only: LayerNormalization op or its decomposition
    activation: str | None = None  # gpt2/opt only; None: the architecture's default
    tie_word_embeddings: bool | None = None  # None: False for llama, True for gpt2/opt

    def __post_init__(self):
        if self.arch not in ARCHS:
            raise ValueError(f"arch must be one of {ARCHS}, got {self.arch!r}")
        defaults = {
            "n_kv_heads": self.n_heads,
            "activation": ARCH_ACTIVATION.get(self.arch),
            "tie_word_embeddings": self.arch != "llama",
        }
        for field, default in defaults.items():
            if getattr(self, field) is None:
                object.__setattr__(self, field, default)
        self._validate()

    def _validate(self):
        if self.dim % self.n_heads:
            raise ValueError(f"dim {self.dim} is not a multiple of n_heads {self.n_heads}")
        if self.n_heads % self.n_kv_heads:
            raise ValueError(f"n_heads {self.n_heads} is not a multiple of n_kv_heads {self.n_kv_heads}")
        if self.head_dim % 2:
            raise ValueError(f"head_dim {self.head_dim} must be even for rotary embeddings")
        if self.rope_layout not in ROPE_LAYOUTS:
            raise ValueError(f"rope_layout must be one of {ROPE_LAYOUTS}")
        if self.norm_form not in NORM_FORMS:
            raise ValueError(f"norm_form must be one of {NORM_FORMS}")
        if self.arch == "llama":
            if self.activation is not None:
                raise ValueError("llama always uses SwiGLU; activation applies to gpt2/opt")
        else:
            if self.activation not in ACTIVATIONS:
                raise ValueError(f"activation must be one of {ACTIVATIONS}")
            if self.n_kv_heads != self.n_heads:
                raise ValueError(f"{self.arch} has no grouped-query attention")

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads

    def num_parameters(self) -> int:
        """Parameters as the model defines them (a tied LM head is counted once)."""
        d, h, kv = self.dim, self.hidden_dim, self.n_kv_heads * self.head_dim
        embedding = self.vocab_size * d
        head = 0 if self.tie_word_embeddings else self.vocab_size * d
        if self.arch == "llama":
            per_layer = d * (d + 2 * kv) + d * d + 3 * d * h + 2 * d
            return embedding + head + self.n_layers * per_layer + d
        attention = 4 * d * d + 4 * d
        mlp = 2 * d * h + h + d
        positions = (self.max_positions + OPT_POSITION_OFFSET if self.arch == "opt" else self.max_positions) * d
        return embedding + head + positions + self.n_layers * (attention + mlp + 4 * d) + 2 * d


# Presets hold only the fields they set, so an override (say n_heads) still lets the
# other defaults (n_kv_heads = n_heads) follow it.
PRESETS = {
    "tiny-llama": dict(
        arch="llama", dim=64, n_layers=2, n_heads=8, n_kv_heads=4, hidden_dim=172, vocab_size=512, max_positions=256
    ),
    "llama-125m": dict(
        arch="llama", dim=768, n_layers=12, n_heads=12, hidden_dim=2048, vocab_size=32000, max_positions=2048
    ),
    "llama2-7b": dict(
        arch="llama", dim=4096, n_layers=32, n_heads=32, hidden_dim=11008, vocab_size=32000, max_positions=4096
    ),
    "tiny-gpt2": dict(arch="gpt2", dim=64, n_layers=2, n_heads=4, hidden_dim=256, vocab_size=512, max_positions=256),
    "gpt2-124m": dict(
        arch="gpt2", dim=768, n_layers=12, n_heads=12, hidden_dim=3072, vocab_size=50257, max_positions=1024
    ),
    "tiny-opt": dict(arch="opt", dim=64, n_layers=2, n_heads=4, hidden_dim=256, vocab_size=512, max_positions=256),
    "opt-125m": dict(
        arch="opt", dim=768, n_layers=12, n_heads=12, hidden_dim=3072, vocab_size=50272, max_positions=2048
    ),
}


def preset_config(name: str, **overrides) -> ModelConfig:
    return ModelConfig(**{**PRESETS[name], **overrides})
