#!/usr/bin/env python3
"""model_decode_graphs.py - a --target=cuda library's decode steps with CUDA graphs on
and off, on a GPU, through the model C API alone (ctypes: no awq-run, so no LLVM on
the GPU machine).

For each library: greedy decoding from fixed prompt ids with the KV cache kept on
the device (awq_model_carry_output), once with AWQ_CUDA_GRAPHS=1 and once with 0,
alternated over --rounds. Prints the generated ids, whether the logits of every step
are bit-identical with graphs on and off, each run's median decode step time, and
AWQ_CUDA_LOG_GRAPHS's lines for the first run (how each step ran).

    python3 bench/cuda/model_decode_graphs.py LIB.so [LIB.so ...] [--prompt "5 17 42 7"]
        [--steps 40] [--rounds 3]

Exit 0 when every library's logits match between the two settings, 1 otherwise.
"""
import argparse
import ctypes
import os
import statistics
import sys
import time

import numpy as np

# The C API's ctypes bindings, shared with the tests.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "utils",
                                "models"))
from awq_model_api import AWQ_F32, AWQ_I64, Tensor, TensorInfo, load_library  # noqa: E402

class Model:
    """One instance of a model library keeping its present.* outputs as past_key_values.*."""

    def __init__(self, lib):
        self.lib = lib
        self.handle = ctypes.c_void_p()
        if lib.awq_model_create(1, ctypes.byref(self.handle)) != 0:
            raise RuntimeError(self.error())
        self.inputs = [self._info(lib.awq_model_input_info, i)
                       for i in range(lib.awq_model_num_inputs(self.handle))]
        self.outputs = [self._info(lib.awq_model_output_info, i)[0]
                        for i in range(lib.awq_model_num_outputs(self.handle))]
        names = [name for name, _ in self.inputs]
        for index, name in enumerate(self.outputs):
            if name.startswith("present."):
                past = names.index(name.replace("present.", "past_key_values.", 1))
                if lib.awq_model_carry_output(self.handle, index, past) != 0:
                    raise RuntimeError(self.error())

    def error(self):
        return self.lib.awq_model_last_error().decode()

    def _info(self, function, index):
        info = TensorInfo()
        if function(self.handle, index, ctypes.byref(info)) != 0:
            raise RuntimeError(self.error())
        return info.name.decode(), list(info.shape[:info.rank])

    def run(self, feeds):
        """Runs on name -> array feeds (kept inputs left out); returns the logits."""
        inputs = (Tensor * len(self.inputs))()
        arrays = []
        for tensor, (name, _) in zip(inputs, self.inputs):
            if name not in feeds:
                continue
            array = np.ascontiguousarray(feeds[name])
            arrays.append(array)
            tensor.data = array.ctypes.data
            tensor.dtype = AWQ_F32 if array.dtype == np.float32 else AWQ_I64
            tensor.rank = array.ndim
            tensor.shape[:array.ndim] = array.shape
        outputs = (Tensor * len(self.outputs))()
        if self.lib.awq_model_run(self.handle, inputs, len(inputs), outputs, len(outputs)) != 0:
            raise RuntimeError(self.error())
        logits = outputs[self.outputs.index("logits")]
        shape = tuple(logits.shape[:logits.rank])
        count = int(np.prod(shape))
        return np.array((ctypes.c_float * count).from_address(logits.data)).reshape(shape)

    def close(self):
        self.lib.awq_model_destroy(self.handle)


def generate(lib, prompt, steps, graphs):
    """Greedy ids, every step's logits and each decode step's seconds, graphs on or off.
    AWQ_CUDA_GRAPHS is read when the instance is created."""
    os.environ["AWQ_CUDA_GRAPHS"] = "1" if graphs else "0"
    model = Model(lib)
    empty = {}
    for name, shape in model.inputs:
        if name.startswith("past_key_values."):  # [batch, kv heads, 0, head dim]
            empty[name] = np.zeros([1, shape[1], 0, shape[3]], np.float32)
    ids, all_logits, seconds = [], [], []
    logits = model.run({"input_ids": np.array([prompt], np.int64), **empty})
    for _ in range(steps):
        all_logits.append(logits[0, -1].copy())
        ids.append(int(np.argmax(logits[0, -1])))
        start = time.perf_counter()
        logits = model.run({"input_ids": np.array([[ids[-1]]], np.int64)})
        seconds.append(time.perf_counter() - start)
    model.close()
    return ids, all_logits, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("libraries", nargs="+")
    parser.add_argument("--prompt", default="5 17 42 7", help="prompt token ids")
    parser.add_argument("--steps", type=int, default=40, help="decode steps (default 40)")
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds (default 3)")
    args = parser.parse_args()
    prompt = [int(token) for token in args.prompt.split()]
    failed = False
    for path in args.libraries:
        lib = load_library(path)
        times = {True: [], False: []}
        for round_index in range(args.rounds):
            os.environ["AWQ_CUDA_LOG_GRAPHS"] = "1" if round_index == 0 else "0"
            runs = {graphs: generate(lib, prompt, args.steps, graphs) for graphs in (True, False)}
            for graphs, (_, _, seconds) in runs.items():
                times[graphs].append(statistics.median(seconds[1:]))
            if round_index == 0:
                sys.stderr.flush()
                (ids_on, logits_on, _), (ids_off, logits_off, _) = runs[True], runs[False]
                same = ids_on == ids_off and all(np.array_equal(a, b)
                                                 for a, b in zip(logits_on, logits_off))
                failed |= not same
                print(f"{os.path.basename(path)}: ids {' '.join(map(str, ids_on))}")
                print(f"{os.path.basename(path)}: logits of all {args.steps} steps "
                      f"{'bit-identical' if same else 'DIFFER'} with graphs on and off")
        on, off = statistics.median(times[True]), statistics.median(times[False])
        print(f"{os.path.basename(path)}: decode step (host clock, median of {args.rounds} "
              f"rounds' medians): graphs {on * 1e6:.1f} us, eager {off * 1e6:.1f} us, "
              f"eager / graphs {off / on:.2f}x")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
