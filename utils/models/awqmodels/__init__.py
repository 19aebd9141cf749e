"""Builders of decoder-only transformer ONNX graphs shaped like torch.onnx.export's output."""

from .config import PRESETS, ModelConfig, preset_config
from .export import export_model
from .llama2c import Llama2cWeights
from .random_weights import RandomWeights

__all__ = ["PRESETS", "ModelConfig", "preset_config", "export_model", "Llama2cWeights", "RandomWeights"]
