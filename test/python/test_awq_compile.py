"""awq-compile (tools/awq-compile): libraries compiled from the fixture models give the
executor's outputs, through awq-run's loading of .so files (the same tool runs both),
and a compiled W4 stories260K scores the executor's quantized perplexity."""

import subprocess

import numpy as np
import pytest
from conftest import built_tool, empty_cache, ort_session, prefill_and_decode_feeds

from test_awq_run import (  # noqa: F401 (fixtures)
    SYNTHETIC_MODELS,
    awq_run,
    parse_scores,
    run,
    run_on_tensors,
    stories,
    synthetic,
)

# An fp32 library calls the same runtime node entries as the executor on the
# same raised graph (awq-compile fuses attention and rotary embeddings, so the
# executor's pipeline does too), one thread, in the same order: the outputs are the same bits.
# With 4-bit weights the library's prepacked kernels sum in another order than the
# executor's reference group matmul: with f32 activations that is rounding only
# (measured at most 1.2e-5 on logits of magnitude ~3-4, so 1e-4 absolute).
F32_ACTIVATION_TOLERANCE = 1e-4
# int8 activations add the per-block activation quantization, bounded in
# awq_runtime.h by absmax(block)/254 per input. The fixtures' outlier channels
# (10-50x the others, as in real LLMs) make a block's absmax large next to its
# other inputs, so the logits move by a mean of up to 1.6% and a max of up to
# 14% of their largest magnitude (measured over these models). The test allows
# 3% mean and 25% max: a wrong zero point, scale or tile moves the mean by far
# more (> 20%). stories260K's perplexity below measures the real-model effect.
INT8_MEAN_FRACTION, INT8_MAX_FRACTION = 0.03, 0.25

W4_PIPELINE = "awq-pipeline{bits=4 group-size=32}"


@pytest.fixture(scope="session")
def awq_compile():
    return built_tool("awq-compile")


def compile_model(awq_compile, model, output, *options):
    command = [awq_compile, str(model), "-o", str(output), "--quiet", *map(str, options)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stderr}"
    assert output.exists()
    return output


def runtime_mlir(awq_compile, model, *options):
    """The fp32 library's runtime IR (--emit=runtime-mlir): one call per node."""
    result = subprocess.run([awq_compile, str(model), "--no-quantize", "--emit=runtime-mlir", "-o", "-",
                             "--quiet", *options], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_fp32_library_equals_executor(awq_run, awq_compile, synthetic, tmp_path):
    path, config = synthetic
    library = compile_model(awq_compile, path, tmp_path / "model.so", "--no-quantize")
    for index, feeds in enumerate(prefill_and_decode_feeds(path, config)):
        expected = run_on_tensors(awq_run, path, feeds, tmp_path / f"exec{index}", FUSED_PIPELINE)
        ours = run_on_tensors(awq_run, library, feeds, tmp_path / f"so{index}")
        assert sorted(ours) == sorted(expected)
        for name, value in expected.items():
            np.testing.assert_array_equal(ours[name], value, err_msg=name)


# Fused attention sums q.k in another order than the MatMul and exponentiates
# scores one row at a time (sum in double) instead of the Softmax's: rounding
# only. Measured at most 3.5e-6 on these fixtures' logits (magnitude ~4), so
# 2e-5: a wrong scale (1/sqrt(D) for 1), mask or kv head moves logits by > 1e-2.
FUSED_ATTENTION_TOLERANCE = 2e-5
FUSED_PIPELINE = ("convert-onnx-to-awq,awq-fuse-attention,awq-fuse-rotary-embedding,awq-fuse-residual-norm,"
                  "awq-fuse-kv-cache,awq-fuse-head-transposes")


def test_fused_attention_matches_generic_ops(awq_run, awq_compile, synthetic, tmp_path):
    """Every layer's attention fuses (one awq.attention node per layer, no Softmax
    left), and the fused graph gives the generic ops' outputs up to rounding, with
    and without a KV cache."""
    path, config = synthetic
    ir = runtime_mlir(awq_compile, path)
    assert ir.count("call @awq_node_awq_attention(") == config.n_layers
    assert "call @awq_node_onnx_Softmax(" not in ir
    for index, feeds in enumerate(prefill_and_decode_feeds(path, config)):
        generic = run_on_tensors(awq_run, path, feeds, tmp_path / f"generic{index}", "convert-onnx-to-awq")
        fused = run_on_tensors(awq_run, path, feeds, tmp_path / f"fused{index}", FUSED_PIPELINE)
        assert sorted(fused) == sorted(generic)
        for name, value in generic.items():
            np.testing.assert_allclose(fused[name], value, rtol=0, atol=FUSED_ATTENTION_TOLERANCE, err_msg=name)


def assert_same_bits_as_generic(awq_run, path, config, pipeline, tmp_path):
    """The executor's outputs after `pipeline` equal the generic ops' bit for bit,
    for a prefill and a decode step."""
    for index, feeds in enumerate(prefill_and_decode_feeds(path, config)):
        generic = run_on_tensors(awq_run, path, feeds, tmp_path / f"generic{index}", "convert-onnx-to-awq")
        fused = run_on_tensors(awq_run, path, feeds, tmp_path / f"fused{index}", pipeline)
        assert sorted(fused) == sorted(generic)
        for name, value in generic.items():
            np.testing.assert_array_equal(fused[name], value, err_msg=name)


def test_fused_rotary_embedding_is_bit_exact(awq_run, awq_compile, synthetic, tmp_path):
    """Llama's rotary embeddings of q and k fuse (two awq.rotary_embedding per
    layer, no Neg of rotate_half left; GPT-2 and OPT learn their positions and
    have none), and the fused op rounds as the Mul, Mul and Add it replaces: the
    outputs are the same bits, with and without a KV cache, in both layouts."""
    path, config = synthetic
    ir = runtime_mlir(awq_compile, path)
    rotary_layers = config.n_layers if config.arch == "llama" else 0
    assert ir.count("call @awq_node_awq_rotary_embedding(") == 2 * rotary_layers
    assert "call @awq_node_onnx_Neg(" not in ir
    assert_same_bits_as_generic(awq_run, path, config, "convert-onnx-to-awq,awq-fuse-rotary-embedding",
                                tmp_path)


def test_fused_residual_norm_is_bit_exact(awq_run, awq_compile, synthetic, tmp_path):
    """Each block's two residual Adds fuse into the norm that follows them (the
    attention output's into the MLP's norm, the MLP output's into the next
    block's or the final norm): no norm of an Add is left, and the fused op
    rounds the sum as the Add did, so the outputs are the same bits, with and
    without a KV cache."""
    path, config = synthetic
    ir = runtime_mlir(awq_compile, path)
    norm = "rms_norm" if config.arch == "llama" else "layer_norm"
    assert ir.count(f"call @awq_node_awq_add_{norm}(") == 2 * config.n_layers
    unfused = runtime_mlir(awq_compile, path, "--fuse-residual-norm=false")
    assert "awq_node_awq_add_" not in unfused
    # Each fused pair leaves one node call fewer.
    assert (unfused.count("call @awq_node_") - ir.count("call @awq_node_")
            == 2 * config.n_layers)
    assert_same_bits_as_generic(awq_run, path, config, "convert-onnx-to-awq,awq-fuse-residual-norm",
                                tmp_path)


@pytest.mark.parametrize("activations", ["f32", "int8"])
def test_w4_library_matches_quantized_executor(awq_run, awq_compile, synthetic, activations, tmp_path):
    path, config = synthetic
    library = compile_model(awq_compile, path, tmp_path / "model.so", "--group-size=32",
                            f"--activations={activations}")
    for index, feeds in enumerate(prefill_and_decode_feeds(path, config)):
        expected = run_on_tensors(awq_run, path, feeds, tmp_path / f"exec{index}", W4_PIPELINE)
        ours = run_on_tensors(awq_run, library, feeds, tmp_path / f"so{index}")
        for name, value in expected.items():
            if activations == "f32":
                np.testing.assert_allclose(ours[name], value, rtol=0, atol=F32_ACTIVATION_TOLERANCE, err_msg=name)
                continue
            difference, scale = np.abs(ours[name] - value), np.abs(value).max()
            assert difference.mean() <= INT8_MEAN_FRACTION * scale, (name, difference.mean(), scale)
            assert difference.max() <= INT8_MAX_FRACTION * scale, (name, difference.max(), scale)


def test_weights_side_file(awq_run, awq_compile, tmp_path):
    """--weights-file keeps the weights out of the library; the library maps the file
    (found next to it) and gives the same outputs as the embedded form."""
    path, config = synthetic_model(tmp_path, "llama-gqa-half-split")
    embedded = compile_model(awq_compile, path, tmp_path / "embedded.so")
    side = compile_model(awq_compile, path, tmp_path / "side.so", "--weights-file=side.weights")
    assert (tmp_path / "side.weights").stat().st_size > 0
    assert side.stat().st_size < embedded.stat().st_size
    feeds = prefill_and_decode_feeds(path, config)[0]
    a = run_on_tensors(awq_run, embedded, feeds, tmp_path / "a")
    b = run_on_tensors(awq_run, side, feeds, tmp_path / "b")
    np.testing.assert_array_equal(a["logits"], b["logits"])
    (tmp_path / "side.weights").unlink()
    result = subprocess.run([awq_run, side, "--input=input_ids=" + str(tmp_path / "a" / "input_ids.npy"),
                             f"--output-dir={tmp_path / 'c'}"], capture_output=True, text=True)
    assert result.returncode == 1
    assert "cannot open the weights file" in result.stderr and "side.weights" in result.stderr


def synthetic_model(tmp_path, name):
    from awqmodels import RandomWeights, export_model, preset_config

    preset, overrides, kv_cache = SYNTHETIC_MODELS[name]
    config = preset_config(preset, **overrides)
    path = tmp_path / f"{name}.onnx"
    export_model(config, RandomWeights(config, seed=0), path, kv_cache=kv_cache)
    return path, config


@pytest.mark.parametrize("activations,nll_tolerance", [("f32", 1e-4), ("int8", 5e-3)])
def test_stories_w4_library_perplexity(awq_run, awq_compile, stories, activations, nll_tolerance, tmp_path):
    """Compiled W4g32 (RTN) stories260K scores the executor's quantized run: equal to
    float32 rounding with f32 activations (mean NLL to 1e-4, as the oracle test), and
    within 5e-3 with int8 activations (measured ~1e-3)."""
    library = compile_model(awq_compile, stories["model"], tmp_path / "stories.so", "--group-size=32",
                            f"--activations={activations}")
    common = ["--perplexity", stories["text"], "--tokenizer", stories["tokenizer"], "--documents=blank-line",
              "--first=20"]
    _, executor_nll, _ = parse_scores(run(awq_run, stories["model"], *common, pipeline=W4_PIPELINE))
    tokens, library_nll, _ = parse_scores(run(awq_run, library, *common))
    assert tokens > 1000
    assert abs(library_nll - executor_nll) < nll_tolerance, (library_nll, executor_nll)


def test_fused_head_transposes_are_bit_exact(awq_run, awq_compile, synthetic, tmp_path):
    """The transposes around attention go into the ops (query and result of every
    layer's attention; with a KV cache the key and value updates too, and Llama's
    rotary embeddings move to [B, S, H, D]), and the outputs keep their bits: the
    ops read and write the same values in another order."""
    path, config = synthetic
    ir = runtime_mlir(awq_compile, path)
    kept = runtime_mlir(awq_compile, path, "--fuse-head-transposes=false")
    assert "head_layout" not in kept and "bshd" not in kept
    assert ir.count("call @awq_node_awq_attention(") == config.n_layers
    assert ir.count("call @awq_node_onnx_Transpose(") < kept.count("call @awq_node_onnx_Transpose(")
    # q's and the result's per layer; k's and v's where a cache takes them.
    kv_cache = path.stem.endswith("-kv")
    removed = (4 if kv_cache else 2) * config.n_layers
    assert (kept.count("call @awq_node_onnx_Transpose(") - ir.count("call @awq_node_onnx_Transpose(")
            == removed)
    if config.arch == "llama" and kv_cache:
        # cos and sin reshaped once for every layer, their per-layer Unsqueezes gone.
        assert kept.count("call @awq_node_") - ir.count("call @awq_node_") == removed + 2 * config.n_layers - 2
    # The same bits as the fused pipeline without it, for a prefill and a decode
    # step, and a 24-token prefill (attention's blocked path, from 16 queries).
    long_prefill = {"input_ids": np.random.default_rng(2).integers(0, config.vocab_size, (1, 24), dtype=np.int64),
                    **empty_cache(ort_session(path), 1)}
    for index, feeds in enumerate(prefill_and_decode_feeds(path, config) + [long_prefill]):
        before = run_on_tensors(awq_run, path, feeds, tmp_path / f"before{index}",
                                FUSED_PIPELINE.replace(",awq-fuse-head-transposes", ""))
        after = run_on_tensors(awq_run, path, feeds, tmp_path / f"after{index}", FUSED_PIPELINE)
        assert sorted(after) == sorted(before)
        for name, value in before.items():
            np.testing.assert_array_equal(after[name], value, err_msg=name)


@pytest.mark.parametrize("name", ["llama-gqa-half-split-kv", "gpt2-kv", "opt-kv"])
def test_kv_cache_grows_in_place(awq_run, awq_compile, name, tmp_path):
    """Each layer's KV cache is appended in place (awq.kv_cache_append, one per key
    and value), in memory the library grows by doubling: 60 generated tokens cross
    two growths (16, 32 and 64 rows), and the tokens equal those of the library
    that concatenates (--fuse-kv-cache=false) and of the cache passed out and in."""
    path, config = synthetic_model(tmp_path, name)
    ir = runtime_mlir(awq_compile, path)
    assert ir.count("call @awq_node_awq_kv_cache_append(") == 2 * config.n_layers
    library = compile_model(awq_compile, path, tmp_path / "model.so", "--no-quantize")
    concatenating = compile_model(awq_compile, path, tmp_path / "concat.so", "--no-quantize",
                                  "--fuse-kv-cache=false")
    common = ["--generate", "5 17 42 7", "--tokenizer", "token-ids", "--max-tokens=60", "--print-ids"]
    kept = run(awq_run, library, *common)
    assert kept.count(" ") > 60, kept
    assert run(awq_run, concatenating, *common) == kept
    assert run(awq_run, library, *common, "--copy-kv-cache") == kept


@pytest.mark.parametrize("name", ["llama-gqa-half-split-kv", "gpt2-kv", "opt-kv"])
def test_library_keeps_kv_cache(awq_run, awq_compile, name, tmp_path):
    """awq-run lets a compiled library keep its KV cache between decode steps
    (awq_model_carry_output): greedy generation gives the same tokens as passing the
    cache out and back in (--copy-kv-cache) and as recomputing the whole sequence at
    every step (--no-kv-cache), and as the executor."""
    path, _ = synthetic_model(tmp_path, name)
    library = compile_model(awq_compile, path, tmp_path / "model.so", "--no-quantize")
    common = ["--generate", "5 17 42 7", "--tokenizer", "token-ids", "--max-tokens=12", "--print-ids"]
    kept = run(awq_run, library, *common)
    assert kept.count(" ") > 12, kept  # twelve new ids were printed
    assert run(awq_run, library, *common, "--copy-kv-cache") == kept
    assert run(awq_run, library, *common, "--no-kv-cache") == kept
    assert run(awq_run, path, *common, pipeline="convert-onnx-to-awq") == kept
