"""RandomWeights: seeded per-tensor random parameters with LLM-like outlier channels."""

import zlib

import numpy as np

from .config import ModelConfig

# Real LLMs have a handful of hidden channels whose activations are 10-100x larger
# than the rest, at the same indices in every layer (the effect AWQ's per-channel
# scales exist for). We reproduce it by scaling those channels of every per-layer
# norm weight, so the inputs of q/k/v and gate/up (llama), c_attn and c_fc (gpt2),
# q/k/v and fc1 (opt) carry them.
OUTLIER_SCALE_RANGE = (10.0, 50.0)


def default_outlier_count(dim: int) -> int:
    """About 0.2% of the channels (8 of 4096), at least 2."""
    return max(2, dim // 512)


class RandomWeights:
    """Weight source: `tensor(name, shape, role)` returns a float32 array.

    Each tensor is drawn from its own generator, seeded by (seed, crc32(name)), so a
    tensor can be produced on its own, in any order, and produced again identically
    (a tied LM head regenerates the embedding instead of keeping it in memory).
    """

    def __init__(self, config: ModelConfig, seed: int = 0, outlier_count: int | None = None):
        self.seed = seed
        count = default_outlier_count(config.dim) if outlier_count is None else outlier_count
        rng = np.random.default_rng([seed, 0])
        self.outlier_channels = np.sort(rng.choice(config.dim, size=count, replace=False))
        self.outlier_scales = rng.uniform(*OUTLIER_SCALE_RANGE, size=count).astype(np.float32)

    def tensor(self, name: str, shape: tuple, role: str) -> np.ndarray:
        rng = np.random.default_rng([self.seed, zlib.crc32(name.encode())])
        values = rng.standard_normal(shape, dtype=np.float32)  # scaled in place: 7B tensors are large
        if role == "linear":  # [in, out]: unit-variance inputs give unit-variance outputs
            values *= np.float32(1 / np.sqrt(shape[0]))
        elif role == "embedding":  # [rows, dim]; also the tied LM head, so logits stay O(1)
            values *= np.float32(1 / np.sqrt(shape[1]))
        elif role == "bias":
            values *= np.float32(0.1)
        elif role in ("norm_weight", "final_norm_weight"):
            values = 1 + values * np.float32(0.1)
            if role == "norm_weight":  # per-layer norms: the outlier channels live here
                values[self.outlier_channels] *= self.outlier_scales
        else:
            raise ValueError(f"unknown weight role {role!r} for {name}")
        return values
