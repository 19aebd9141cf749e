"""The C API of a compiled model library (runtime/include/awq_model.h), called
through ctypes: keeping a KV cache inside the library between runs
(awq_model_carry_output) gives the same logits, bit for bit, as passing the
cache out and back in, and its misuse fails with one clear message. For a
CPU library and for a --target=cuda one (on the CUDA emulator).

Both ways run the same graph on the same inputs, one thread, in the same order,
so the logits must be identical, not merely close."""

import ctypes
import subprocess

import numpy as np
import pytest
from conftest import built_tool

from awq_model_api import AWQ_F32, AWQ_I64, Tensor, TensorInfo, load_library
from awqmodels import RandomWeights, export_model, preset_config

class Library:
    """One instance of a model library, with numpy in and out."""

    def __init__(self, path):
        self.lib = load_library(path)
        self.model = ctypes.c_void_p()
        assert self.lib.awq_model_create(1, ctypes.byref(self.model)) == 0, self.error()
        self.inputs = [self._info(self.lib.awq_model_input_info, i)
                       for i in range(self.lib.awq_model_num_inputs(self.model))]
        self.outputs = [self._info(self.lib.awq_model_output_info, i)
                        for i in range(self.lib.awq_model_num_outputs(self.model))]

    def close(self):
        self.lib.awq_model_destroy(self.model)

    def error(self):
        return self.lib.awq_model_last_error().decode()

    def _info(self, function, index):
        info = TensorInfo()
        assert function(self.model, index, ctypes.byref(info)) == 0, self.error()
        return info.name.decode()

    def carry(self, output_name, input_name):
        return self.lib.awq_model_carry_output(self.model, self.outputs.index(output_name),
                                               self.inputs.index(input_name))

    def run(self, feeds):
        """Runs on `feeds` (name -> array; a missing name gets an empty descriptor)
        and returns name -> array, or None for an output without data."""
        arrays = [np.ascontiguousarray(feeds[name]) if name in feeds else None for name in self.inputs]
        inputs = (Tensor * len(self.inputs))()
        for tensor, array in zip(inputs, arrays):
            if array is None:
                continue  # data NULL, rank 0: what a caller passes for a kept input
            tensor.data = array.ctypes.data
            tensor.dtype = AWQ_F32 if array.dtype == np.float32 else AWQ_I64
            tensor.rank = array.ndim
            tensor.shape[:array.ndim] = array.shape
        outputs = (Tensor * len(self.outputs))()
        status = self.lib.awq_model_run(self.model, inputs, len(inputs), outputs, len(outputs))
        if status != 0:
            raise RuntimeError(self.error())
        results = {}
        for name, tensor in zip(self.outputs, outputs):
            shape = tuple(tensor.shape[:tensor.rank])
            assert tensor.dtype == AWQ_F32, name
            if not tensor.data:
                results[name] = ("kept", shape)
                continue
            count = int(np.prod(shape))
            buffer = (ctypes.c_float * count).from_address(tensor.data) if count else []
            results[name] = np.array(buffer, dtype=np.float32).reshape(shape)
        return results


# The host backend, and the device backend (--target=cuda: tensors in device
# memory, the kept cache appended in place there) on the CUDA emulator, which
# runs it on the CPU; skipped where awq was built without the CUDA toolkit.
TARGETS = {"cpu": [], "cuda-emulator": ["--target=cuda", "--cuda-runtime=emulator"]}


@pytest.fixture(scope="module", params=list(TARGETS))
def kv_library(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("model_api")
    config = preset_config("tiny-llama", n_layers=2)
    model = export_model(config, RandomWeights(config, seed=0), folder / "kv.onnx", kv_cache=True)
    library = folder / f"kv-{request.param}.so"
    command = [built_tool("awq-compile"), str(model), "--no-quantize", "-o", str(library), "--quiet",
               *TARGETS[request.param]]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0 and "built without CUDA" in result.stderr:
        pytest.skip("awq-compile was built without the CUDA toolkit (no --target=cuda)")
    assert result.returncode == 0, result.stderr
    return library, config


def cache_pairs(library):
    """(present output, past input) name pairs."""
    return [(name, name.replace("present.", "past_key_values.", 1))
            for name in library.outputs if name.startswith("present.")]


def empty_cache(library, config):
    head_dim = config.dim // config.n_heads
    return {past: np.zeros((1, config.n_kv_heads, 0, head_dim), np.float32)
            for _, past in cache_pairs(library)}


STEPS = [[5, 17, 42, 7], [368], [139], [165, 9]]  # a prefill, then decode steps


def logits_passing_the_cache(library, config):
    cache, logits = empty_cache(library, config), []
    for ids in STEPS:
        results = library.run({"input_ids": np.array([ids], np.int64), **cache})
        cache = {past: results[present] for present, past in cache_pairs(library)}
        logits.append(results["logits"])
    return logits


@pytest.fixture(scope="module")
def expected_logits(kv_library):
    """The logits of STEPS with the cache passed out and back in by the caller."""
    path, config = kv_library
    library = Library(path)
    logits = logits_passing_the_cache(library, config)
    library.close()
    return logits


def library_keeping_its_cache(path):
    """A new instance with every present.* output paired with its past_key_values.* input."""
    library = Library(path)
    for present, past in cache_pairs(library):
        assert library.carry(present, past) == 0, library.error()
    return library


def test_kept_cache_gives_the_same_logits(kv_library, expected_logits):
    path, config = kv_library
    expected = expected_logits
    library = library_keeping_its_cache(path)
    for sequence in range(2):  # the second time after awq_model_reset_carried
        length = 0
        for step, ids in enumerate(STEPS):
            # Only the first run reads the caller's cache; later ones get none at all.
            feeds = {"input_ids": np.array([ids], np.int64)}
            if step == 0:
                feeds.update(empty_cache(library, config))
            results = library.run(feeds)
            length += len(ids)
            np.testing.assert_array_equal(results["logits"], expected[step])
            for present, _ in cache_pairs(library):
                kind, shape = results[present]
                assert kind == "kept" and shape[2] == length, (present, results[present])
        library.lib.awq_model_reset_carried(library.model)
    library.close()


def test_failed_run_keeps_the_cache(kv_library, expected_logits):
    path, config = kv_library
    expected = expected_logits
    library = library_keeping_its_cache(path)
    library.run({"input_ids": np.array([STEPS[0]], np.int64), **empty_cache(library, config)})
    with pytest.raises(RuntimeError, match="input 'input_ids' must have rank 2, got 1"):
        library.run({"input_ids": np.array(STEPS[1], np.int64)})
    results = library.run({"input_ids": np.array([STEPS[1]], np.int64)})
    np.testing.assert_array_equal(results["logits"], expected[1])
    library.close()


def test_carry_errors(kv_library):
    path, _ = kv_library
    library = Library(path)
    (present, past), (other_present, other_past) = cache_pairs(library)[:2]
    assert library.carry(present, past) == 0
    assert library.carry(present, other_past) != 0
    assert library.error() == (f"awq_model_carry_output: output '{present}' already feeds input '{past}'")
    assert library.carry(other_present, past) != 0
    assert library.error() == (f"awq_model_carry_output: input '{past}' is already fed by output '{present}'")
    assert library.carry("logits", other_past) != 0
    assert library.error() == (f"awq_model_carry_output: output 'logits' has rank 3 but input "
                               f"'{other_past}' has rank 4")
    assert library.carry(other_present, "input_ids") != 0
    assert library.error() == (f"awq_model_carry_output: output '{other_present}' is f32 but input "
                               "'input_ids' is i64")
    assert library.lib.awq_model_carry_output(library.model, len(library.outputs), 0) != 0
    assert library.error() == (f"awq_model_carry_output: output index {len(library.outputs)} out of range "
                               f"({len(library.outputs)} outputs)")
    assert library.lib.awq_model_carry_output(library.model, 0, -1) != 0
    assert library.error() == f"awq_model_carry_output: input index -1 out of range ({len(library.inputs)} inputs)"
    assert library.lib.awq_model_carry_output(None, 0, 0) != 0
    assert library.error() == "awq_model_carry_output: the model is NULL"
    library.close()


def test_decode_steps_run_as_cuda_graphs(kv_library, expected_logits, monkeypatch, capfd):
    """A --target=cuda library launches each decode step (a run reading the kept
    cache) as a CUDA graph (runtime/cuda/model/DecodeStepGraph.h), and gets the
    same logits bit for bit: the graph holds the same kernels in the same order."""
    path, config = kv_library
    if path.name != "kv-cuda-emulator.so":
        pytest.skip("CUDA graphs are a --target=cuda library's")
    for graphs, expected_how in [("1", "CUDA graph"), ("0", "eager (graphs off: AWQ_CUDA_GRAPHS=0)")]:
        monkeypatch.setenv("AWQ_CUDA_GRAPHS", graphs)
        monkeypatch.setenv("AWQ_CUDA_LOG_GRAPHS", "1")
        library = library_keeping_its_cache(path)
        for step, ids in enumerate(STEPS):
            feeds = {"input_ids": np.array([ids], np.int64)}
            if step == 0:
                feeds.update(empty_cache(library, config))
            np.testing.assert_array_equal(library.run(feeds)["logits"], expected_logits[step])
        library.close()
        runs = [line for line in capfd.readouterr().err.splitlines() if line.startswith("awq-cuda: run")]
        assert runs[0] == ("awq-cuda: run 1: eager (graphs off: AWQ_CUDA_GRAPHS=0)" if graphs == "0"
                           else "awq-cuda: run 1: eager (reads no kept cache)"), runs
        assert len(runs) == len(STEPS) and all(expected_how in run for run in runs[1:]), runs


def test_cuda_graph_setting_is_checked(kv_library, monkeypatch):
    path, _ = kv_library
    if path.name != "kv-cuda-emulator.so":
        pytest.skip("AWQ_CUDA_GRAPHS is read by a --target=cuda library")
    monkeypatch.setenv("AWQ_CUDA_GRAPHS", "yes")
    with pytest.raises(AssertionError, match="AWQ_CUDA_GRAPHS must be 0 or 1, not 'yes'"):
        Library(path)
