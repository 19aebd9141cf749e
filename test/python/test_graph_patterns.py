"""The node sequences utils/models/README.md documents, which pattern-matching passes rely on."""

import numpy as np
import onnx
import pytest
from awqmodels import ModelConfig, RandomWeights, export_model
from onnx import numpy_helper

SHAPE = dict(dim=32, n_layers=1, hidden_dim=48, vocab_size=50, max_positions=16)


def build(tmp_path, opset=17, kv_cache=False, **fields) -> onnx.ModelProto:
    config = ModelConfig(**SHAPE, **fields)
    path = export_model(config, RandomWeights(config), tmp_path / "m.onnx", opset=opset, kv_cache=kv_cache)
    return onnx.load(str(path))


def ops_in(model, scope: str) -> list:
    """Op types of the nodes whose names start with `scope`, in graph order, Constants left out."""
    return [n.op_type for n in model.graph.node if n.name.startswith(scope) and n.op_type != "Constant"]


def matmul_weights(model) -> dict:
    """Initializer name -> shape for every MatMul whose right operand is an initializer."""
    shapes = {t.name: tuple(t.dims) for t in model.graph.initializer}
    return {n.input[1]: shapes[n.input[1]] for n in model.graph.node if n.op_type == "MatMul" and n.input[1] in shapes}


def test_llama_constructs(tmp_path):
    model = build(tmp_path, arch="llama", n_heads=4, n_kv_heads=2)
    layer = "/model/layers.0/"
    rms_norm = ["Cast", "Pow", "ReduceMean", "Add", "Sqrt", "Div", "Mul", "Cast", "Mul"]
    assert ops_in(model, layer + "input_layernorm/") == rms_norm
    assert ops_in(model, "/model/norm/") == rms_norm
    assert ops_in(model, layer + "mlp/act_fn/") == ["Sigmoid", "Mul", "Mul"]
    assert ops_in(model, layer + "Add") == ["Add", "Add"]  # the residuals, at layer scope
    assert ops_in(model, "/model/rotary_emb/") == ["Unsqueeze", "Cast", "MatMul", "Transpose", "Concat", "Cos", "Sin"]
    attention = ops_in(model, layer + "self_attn/")
    assert _contains(attention, ["Unsqueeze", "Expand", "Reshape", "Unsqueeze", "Expand", "Reshape"])  # repeat_kv
    assert _contains(attention, ["Transpose", "MatMul", "Div", "Add", "Softmax", "MatMul"])
    assert _contains(attention, ["Slice", "Slice", "Neg", "Concat"])  # rotate_half
    d, kv, hidden = 32, 16, 48
    prefix = "model.layers.0."
    assert matmul_weights(model) == {
        prefix + "self_attn.q_proj.weight": (d, d),
        prefix + "self_attn.k_proj.weight": (d, kv),
        prefix + "self_attn.v_proj.weight": (d, kv),
        prefix + "self_attn.o_proj.weight": (d, d),
        prefix + "mlp.gate_proj.weight": (d, hidden),
        prefix + "mlp.up_proj.weight": (d, hidden),
        prefix + "mlp.down_proj.weight": (hidden, d),
        "lm_head.weight": (d, 50),
    }


def test_llama_interleaved_rope_and_opset18_reduce_mean(tmp_path):
    model = build(tmp_path, opset=18, arch="llama", n_heads=4, rope_layout="interleaved")
    rotary = ops_in(model, "/model/rotary_emb/")
    assert rotary == ["Unsqueeze", "Cast", "MatMul", "Transpose", "Unsqueeze", "Concat", "Reshape", "Cos", "Sin"]
    rotate_pairs = ["Slice", "Slice", "Neg", "Unsqueeze", "Unsqueeze", "Concat", "Reshape"]
    assert _contains(ops_in(model, "/model/layers.0/self_attn/"), rotate_pairs)
    assert "Expand" not in ops_in(model, "/model/")  # no GQA: no repeat_kv
    reduce_mean = next(n for n in model.graph.node if n.op_type == "ReduceMean")
    assert len(reduce_mean.input) == 2 and "axes" not in [a.name for a in reduce_mean.attribute]


def test_gpt2_constructs(tmp_path):
    model = build(tmp_path, arch="gpt2", n_heads=4)
    layer = "/transformer/h.0/"
    assert ops_in(model, layer + "ln_1/") == ["LayerNormalization"]
    assert ops_in(model, layer + "mlp/act/") == ["Mul", "Pow", "Mul", "Add", "Mul", "Tanh", "Add", "Mul"]
    attention = ops_in(model, layer + "attn/")
    assert attention[:3] == ["MatMul", "Add", "Split"]  # fused QKV
    assert _contains(attention, ["Transpose", "MatMul", "Div", "Where", "Softmax", "MatMul"])
    assert ops_in(model, "/transformer/wpe/") == ["Gather"]
    assert matmul_weights(model)["transformer.h.0.attn.c_attn.weight"] == (32, 96)


def test_gpt2_decomposed_layer_norm_and_erf_gelu(tmp_path):
    model = build(tmp_path, opset=13, arch="gpt2", n_heads=4, norm_form="decomposed", activation="gelu_erf")
    layer_norm = ["ReduceMean", "Sub", "Pow", "ReduceMean", "Add", "Sqrt", "Div", "Mul", "Add"]
    assert ops_in(model, "/transformer/h.0/ln_1/") == layer_norm
    assert ops_in(model, "/transformer/h.0/mlp/act/") == ["Div", "Erf", "Add", "Mul", "Mul"]


def test_opt_constructs(tmp_path):
    model = build(tmp_path, arch="opt", n_heads=4)
    attention = ops_in(model, "/model/decoder/layers.0/self_attn/")
    assert attention[:3] == ["MatMul", "Add", "Mul"]  # q_proj with bias, then * head_dim**-0.5
    assert _contains(attention, ["Transpose", "MatMul", "Add", "Softmax", "MatMul"])
    assert "Div" not in attention
    assert ops_in(model, "/model/decoder/layers.0/Relu") == ["Relu"]
    table = next(t for t in model.graph.initializer if t.name == "model.decoder.embed_positions.weight")
    assert tuple(table.dims) == (16 + 2, 32)


@pytest.mark.parametrize("arch", ["llama", "gpt2", "opt"])
def test_kv_cache_interface(tmp_path, arch):
    model = build(tmp_path, kv_cache=True, arch=arch, n_heads=4)
    dims = {v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim] for v in model.graph.input}
    dims.update({v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim] for v in model.graph.output})
    assert dims["input_ids"] == ["batch", "sequence"]
    assert dims["past_key_values.0.value"] == ["batch", 4, "past_sequence", 8]
    assert dims["present.0.key"] == ["batch", 4, "total_sequence", 8]
    assert dims["logits"] == ["batch", "sequence", 50]
    concat = next(n for n in model.graph.node if n.output[0] == "present.0.key")
    assert concat.op_type == "Concat" and concat.input[0] == "past_key_values.0.key"


def test_initializers_are_float32_parameters_only(tmp_path):
    model = build(tmp_path, arch="llama", n_heads=4)
    for tensor in model.graph.initializer:
        assert tensor.data_type == onnx.TensorProto.FLOAT
        assert tensor.name.startswith(("model.", "lm_head.")), tensor.name
        assert np.isfinite(numpy_helper.to_array(tensor)).all()


def _contains(ops: list, sequence: list) -> bool:
    """True when `sequence` occurs in `ops` in order, other ops allowed in between."""
    remaining = iter(ops)
    return all(op in remaining for op in sequence)
