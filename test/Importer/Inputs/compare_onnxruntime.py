"""Runs two ONNX models in onnxruntime on the same random inputs and checks
that every output is bit-identical.

Usage: compare_onnxruntime.py ORIGINAL.onnx EXPORTED.onnx
Prints `identical outputs: N` on success; exits 1 naming the first mismatch.
"""
import sys

import numpy as np
import onnxruntime as ort

# Symbolic and unknown dimensions get this size.
DYNAMIC_DIM = 3


def random_inputs(session, rng):
    feeds = {}
    for arg in session.get_inputs():
        shape = [d if isinstance(d, int) else DYNAMIC_DIM for d in arg.shape]
        dtype = {"tensor(float)": np.float32, "tensor(float16)": np.float16,
                 "tensor(int64)": np.int64, "tensor(int32)": np.int32}[arg.type]
        feeds[arg.name] = rng.standard_normal(shape).astype(dtype)
    return feeds


def main():
    original, exported = (ort.InferenceSession(path, providers=["CPUExecutionProvider"])
                          for path in sys.argv[1:3])
    feeds = random_inputs(original, np.random.default_rng(0))
    expected = original.run(None, feeds)
    actual = exported.run(None, feeds)
    names = [o.name for o in original.get_outputs()]
    if names != [o.name for o in exported.get_outputs()]:
        sys.exit(f"output names differ: {names} vs {[o.name for o in exported.get_outputs()]}")
    for name, want, got in zip(names, expected, actual):
        if want.shape != got.shape or not np.array_equal(want, got):
            sys.exit(f"output '{name}' differs")
    print(f"identical outputs: {len(names)}")


if __name__ == "__main__":
    main()
