"""Synthetic llama/gpt2/opt graphs: onnxruntime against a float64 NumPy forward."""

import re
import subprocess
import sys

import numpy as np
import onnx
import pytest
from awqmodels import ModelConfig, RandomWeights, export_model, preset_config
from awqmodels.initializers import EXTERNAL_DATA_ALIGNMENT
from conftest import MODELS_DIR, decode_incrementally, ort_session
from numpy_reference import forward, load_weights

# Small models covering every option: GQA and both RoPE layouts, LayerNorm as op and
# decomposed, the three MLP activations, and the opsets where ReduceMean/Split change.
CASES = {
    "llama-gqa-halfsplit": (dict(arch="llama", n_heads=8, n_kv_heads=2), 17),
    "llama-interleaved-opset21": (dict(arch="llama", n_heads=4, rope_layout="interleaved"), 21),
    "gpt2-gelu-tanh": (dict(arch="gpt2", n_heads=4), 17),
    "gpt2-decomposed-gelu-erf-opset13": (dict(arch="gpt2", n_heads=4, norm_form="decomposed", activation="gelu_erf"), 13),
    "opt-relu-opset18": (dict(arch="opt", n_heads=4, norm_form="decomposed"), 18),
}
SHAPE = dict(dim=64, n_layers=2, hidden_dim=96, vocab_size=101, max_positions=64)

# float32 onnxruntime against float64 NumPy, on logits of magnitude <= 4: the largest
# error measured over all cases is 2.5e-5 (the outlier channels make some activations
# ~50x larger than the rest). 2e-4 leaves 8x for other CPUs' summation orders; a
# wrong construct moves logits far more (emitting the other RoPE layout: by ~3).
ATOL = 2e-4


def config_for(case):
    return ModelConfig(**SHAPE, **CASES[case][0])


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    return request.param


@pytest.fixture(scope="module")
def exported(case, tmp_path_factory):
    """(config, path of the graph without cache, path with cache, float64 weights)."""
    config, opset = config_for(case), CASES[case][1]
    directory = tmp_path_factory.mktemp(case)
    weights = RandomWeights(config, seed=1)
    plain = export_model(config, weights, directory / "model.onnx", opset=opset)
    cached = export_model(config, weights, directory / "model_kv.onnx", opset=opset, kv_cache=True)
    return config, plain, cached, load_weights(plain)


def token_ids(config, batch, seq, seed=2):
    return np.random.default_rng(seed).integers(0, config.vocab_size, (batch, seq), dtype=np.int64)


def reference_logits(config, weights, ids):
    return np.stack([forward(config, weights, row) for row in ids])


def test_full_forward_matches_numpy(exported):
    config, plain, _, weights = exported
    ids = token_ids(config, batch=2, seq=12)
    (logits,) = ort_session(plain).run(["logits"], {"input_ids": ids})
    np.testing.assert_allclose(logits, reference_logits(config, weights, ids), rtol=0, atol=ATOL)


def test_kv_cache_decoding_matches_numpy(exported):
    config, _, cached, weights = exported
    ids = token_ids(config, batch=2, seq=10)
    session = ort_session(cached)
    logits = decode_incrementally(session, ids, prefill=4)
    np.testing.assert_allclose(logits, reference_logits(config, weights, ids), rtol=0, atol=ATOL)

    outputs = session.run(None, {"input_ids": ids, **_cache_of_length(config, 3)})
    present_key = outputs[[o.name for o in session.get_outputs()].index("present.0.key")]
    assert present_key.shape == (2, config.n_kv_heads, 3 + 10, config.head_dim)


def _cache_of_length(config, length):
    shape = (2, config.n_kv_heads, length, config.head_dim)
    return {
        f"past_key_values.{layer}.{kind}": np.zeros(shape, np.float32)
        for layer in range(config.n_layers)
        for kind in ("key", "value")
    }


def test_lm_head_is_the_transposed_embedding_when_tied(exported):
    config, _, _, weights = exported
    embedding = {
        "llama": "model.embed_tokens.weight",
        "gpt2": "transformer.wte.weight",
        "opt": "model.decoder.embed_tokens.weight",
    }[config.arch]
    tied = np.array_equal(weights["lm_head.weight"], weights[embedding].T)
    assert tied == config.tie_word_embeddings


def test_norm_weights_have_outlier_channels(exported):
    """The same few channels of every per-layer norm weight are 10-50x the others."""
    config, _, _, weights = exported
    channels = RandomWeights(config, seed=1).outlier_channels
    per_layer_norm = re.compile(r".*\.(layers|h)\.\d+\.\w*(layernorm|layer_norm|ln_\d)\.weight")
    norms = [w for name, w in weights.items() if per_layer_norm.fullmatch(name)]
    assert len(norms) == 2 * config.n_layers
    for gamma in norms:
        ordinary = np.delete(np.abs(gamma), channels)
        assert np.abs(gamma[channels]).min() > 5 * ordinary.max()


def test_external_data_loads_and_matches_inline(tmp_path):
    config = config_for("llama-gqa-halfsplit")
    weights = RandomWeights(config, seed=3)
    inline = export_model(config, weights, tmp_path / "inline.onnx")
    external = export_model(config, weights, tmp_path / "external.onnx", external_data=True, external_threshold_bytes=4096)

    model = onnx.load(str(external), load_external_data=False)
    stored = [t for t in model.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL]
    small = [t for t in model.graph.initializer if t.data_location != onnx.TensorProto.EXTERNAL]
    assert stored and small and all(len(t.raw_data) < 4096 for t in small)
    for tensor in stored:
        entries = {e.key: e.value for e in tensor.external_data}
        assert entries["location"] == "external.onnx.data" and not tensor.raw_data
        assert int(entries["offset"]) % EXTERNAL_DATA_ALIGNMENT == 0
        assert int(entries["length"]) == 4 * np.prod(tensor.dims)

    ids = token_ids(config, batch=1, seq=8)
    expected = ort_session(inline).run(["logits"], {"input_ids": ids})[0]
    np.testing.assert_array_equal(ort_session(external).run(["logits"], {"input_ids": ids})[0], expected)
    onnx.checker.check_model(str(external))


def test_layer_normalization_op_needs_opset_17(tmp_path):
    config = config_for("gpt2-gelu-tanh")
    with pytest.raises(ValueError, match="opset >= 17"):
        export_model(config, RandomWeights(config), tmp_path / "m.onnx", opset=16)


@pytest.mark.parametrize(
    "preset, parameters",
    # Published parameter counts of the real models these presets copy the shapes of.
    [("llama2-7b", 6_738_415_616), ("gpt2-124m", 124_439_808), ("opt-125m", 125_239_296)],
)
def test_preset_shapes_match_published_parameter_counts(preset, parameters):
    assert preset_config(preset).num_parameters() == parameters


def test_make_synthetic_cli_writes_a_runnable_model(tmp_path):
    output = tmp_path / "cli.onnx"
    command = [sys.executable, str(MODELS_DIR / "make_synthetic.py"), "--preset", "tiny-opt", "--layers", "1"]
    subprocess.run(command + ["--kv-cache", "-o", str(output)], check=True, capture_output=True)
    session = ort_session(output)
    assert len([i for i in session.get_inputs() if i.name.startswith("past_key_values.")]) == 2
    assert "usage" in subprocess.run(command[:2] + ["--help"], check=True, capture_output=True, text=True).stdout
