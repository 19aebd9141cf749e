"""export_model: builds the graph for a ModelConfig from a weight source and saves it."""

import dataclasses
import json
from pathlib import Path

import onnx
from onnx import TensorProto, helper

from .config import ModelConfig
from .gpt2 import build_gpt2
from .graph_builder import GraphBuilder
from .initializers import InitializerWriter
from .llama import build_llama
from .opt import build_opt

BUILDERS = {"llama": build_llama, "gpt2": build_gpt2, "opt": build_opt}

# 13: Split takes its sizes as an input; 21: the newest opset onnxruntime 1.2x runs.
MIN_OPSET, MAX_OPSET = 13, 21
LAYER_NORMALIZATION_OPSET = 17


def export_model(
    config: ModelConfig,
    weights,
    path,
    *,
    kv_cache: bool = False,
    opset: int = 17,
    external_data: bool = False,
    external_threshold_bytes: int = 1024,
) -> Path:
    """Writes the model to `path` and returns it.

    weights: an object with tensor(name, shape, role) -> float32 array (RandomWeights,
    Llama2cWeights). With external_data, tensors of at least external_threshold_bytes
    go to `<path>.data` beside the model, one at a time as the graph is built.
    The config is stored as JSON in the metadata property 'awq.config'.
    """
    path = Path(path)
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise ValueError(f"opset must be in [{MIN_OPSET}, {MAX_OPSET}], got {opset}")
    if config.arch != "llama" and config.norm_form == "op" and opset < LAYER_NORMALIZATION_OPSET:
        raise ValueError(f"LayerNormalization needs opset >= {LAYER_NORMALIZATION_OPSET}; use norm_form='decomposed'")

    data_path = path.with_name(path.name + ".data") if external_data else None
    initializers = InitializerWriter(data_path, external_threshold_bytes)
    graph_builder = GraphBuilder(opset, initializers, weights)
    try:
        BUILDERS[config.arch](graph_builder, config, kv_cache)
    finally:
        initializers.close()

    graph = helper.make_graph(
        graph_builder.nodes,
        f"{config.arch}_{config.n_layers}l_{config.dim}d",
        _graph_inputs(config, kv_cache),
        _graph_outputs(config, kv_cache),
        initializer=initializers.tensors,
    )
    opset_imports = [helper.make_opsetid("", opset)]
    model = helper.make_model(
        graph,
        opset_imports=opset_imports,
        ir_version=helper.find_min_ir_version_for(opset_imports),
        producer_name="awq utils/models",
    )
    metadata = {**dataclasses.asdict(config), "kv_cache": kv_cache}
    helper.set_model_props(model, {"awq.config": json.dumps(metadata)})
    onnx.save_model(model, path)
    return path


def _cache_shape(config: ModelConfig, sequence_dim: str) -> list:
    return ["batch", config.n_kv_heads, sequence_dim, config.head_dim]


def _graph_inputs(config: ModelConfig, kv_cache: bool) -> list:
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])]
    if kv_cache:
        for layer in range(config.n_layers):
            for kind in ("key", "value"):
                shape = _cache_shape(config, "past_sequence")
                inputs.append(helper.make_tensor_value_info(f"past_key_values.{layer}.{kind}", TensorProto.FLOAT, shape))
    return inputs


def _graph_outputs(config: ModelConfig, kv_cache: bool) -> list:
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "sequence", config.vocab_size])]
    if kv_cache:
        for layer in range(config.n_layers):
            for kind in ("key", "value"):
                shape = _cache_shape(config, "total_sequence")
                outputs.append(helper.make_tensor_value_info(f"present.{layer}.{kind}", TensorProto.FLOAT, shape))
    return outputs
