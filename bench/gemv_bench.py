#!/usr/bin/env python3
"""gemv_bench.py - W4 g128 group matmul: awq's prepacked kernels vs onnxruntime MatMulNBits
vs FP32 BLAS, against the machine's measured memory bandwidth, in one run.

    python3 bench/gemv_bench.py [--driver build/bin/awq-gemv-bench] [--threads 2]
                                [--rounds 3] [--seconds 0.6] [--shapes 4096x4096,4096x11008]
                                [--ms 1,8,64] [--regimes hot,cold]

What runs:
  * awq-gemv-bench (bench/gemv_bench.cpp) times awq_group_matmul_prepacked with int8 and
    fp32 activations and cblas_sgemv / cblas_sgemm on FP32 weights of the same shape, and
    measures a STREAM-like triad (and a read-only sum) over 1 GiB of buffers.
  * This script times onnxruntime's com.microsoft MatMulNBits (bits 4, block_size 128,
    zero points, accuracy_level 4 = int8 compute and 0 = fp32 compute) on the CPU EP with
    the same thread count, through IO binding. Python's per-call overhead is measured on
    a trivial model and reported (it is included in the onnxruntime times).
  * Regimes: "hot" reuses one set of weights; "cold" rotates through > 256 MiB of weight
    copies (blob copies / FP32 copies in the driver, onnxruntime sessions here).
  * The driver and onnxruntime alternate for --rounds rounds so that background load
    affects both alike; a cell is the median over rounds of each round's median.
Ratios are onnxruntime time / awq time (> 1: awq is faster).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

BLOCK = 128
COLD_BYTES = 256 << 20


def find_driver():
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in ("../build/bin/awq-gemv-bench", "../build/bench/awq-gemv-bench",
                      "/tmp/build-bench/awq-gemv-bench"):
        path = os.path.normpath(os.path.join(here, candidate))
        if os.path.exists(path):
            return path
    sys.exit("awq-gemv-bench not found: build it and pass --driver")


def matmulnbits_model(k, n, accuracy_level, rng):
    """A one-node MatMulNBits model with random W4 weights, scales and zero points."""
    blocks = (k + BLOCK - 1) // BLOCK
    b = rng.integers(0, 256, size=(n, blocks, BLOCK // 2), dtype=np.uint8)
    scales = (0.01 + 0.01 * rng.random(n * blocks)).astype(np.float32)
    zeros = rng.integers(0, 256, size=(n, (blocks + 1) // 2), dtype=np.uint8)
    node = helper.make_node("MatMulNBits", ["A", "B", "scales", "zero_points"], ["Y"],
                            domain="com.microsoft", K=k, N=n, bits=4, block_size=BLOCK,
                            accuracy_level=accuracy_level)
    graph = helper.make_graph(
        [node], "matmulnbits",
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, ["M", k])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["M", n])],
        initializer=[numpy_helper.from_array(b, "B"), numpy_helper.from_array(scales, "scales"),
                     numpy_helper.from_array(zeros, "zero_points")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    return model.SerializeToString(), b.nbytes + scales.nbytes + zeros.nbytes


def identity_model():
    graph = helper.make_graph([helper.make_node("Identity", ["A"], ["Y"])], "identity",
                              [helper.make_tensor_value_info("A", TensorProto.FLOAT, [1, 1])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 1])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def session(model_bytes, threads):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


class OrtCase:
    """Sessions (one, or enough copies to exceed COLD_BYTES) bound to one input and output."""

    def __init__(self, k, n, m, accuracy_level, copies, threads, rng):
        x = rng.random((m, k), dtype=np.float32) * 2 - 1
        self.input = ort.OrtValue.ortvalue_from_numpy(x)
        self.output = ort.OrtValue.ortvalue_from_numpy(np.zeros((m, n), np.float32))
        self.bindings = []
        self.sessions = []
        for _ in range(copies):
            model, self.weight_bytes = matmulnbits_model(k, n, accuracy_level, rng)
            s = session(model, threads)
            binding = s.io_binding()
            binding.bind_ortvalue_input("A", self.input)
            binding.bind_ortvalue_output("Y", self.output)
            self.sessions.append(s)
            self.bindings.append(binding)
        for s, binding in zip(self.sessions, self.bindings):  # warm up every copy
            s.run_with_iobinding(binding)

    def time(self, seconds):
        samples, index = [], 0
        end = time.perf_counter() + seconds
        while True:
            start = time.perf_counter()
            self.sessions[index].run_with_iobinding(self.bindings[index])
            samples.append(time.perf_counter() - start)
            index = (index + 1) % len(self.sessions)
            if time.perf_counter() >= end:
                return samples


def ort_overhead_us(threads, seconds=0.3):
    s = session(identity_model(), threads)
    binding = s.io_binding()
    value = ort.OrtValue.ortvalue_from_numpy(np.zeros((1, 1), np.float32))
    binding.bind_ortvalue_input("A", value)
    binding.bind_ortvalue_output("Y", ort.OrtValue.ortvalue_from_numpy(np.zeros((1, 1), np.float32)))
    samples, end = [], time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        s.run_with_iobinding(binding)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def run_driver(driver, args):
    result = subprocess.run([driver] + [str(a) for a in args], check=True, capture_output=True,
                            text=True)
    return json.loads(result.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--driver", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=0.6,
                        help="time per implementation per round")
    parser.add_argument("--shapes", default="4096x4096,4096x11008", help="KxN list")
    parser.add_argument("--ms", default="1,8,64")
    parser.add_argument("--regimes", default="hot,cold")
    args = parser.parse_args()
    driver = args.driver or find_driver()
    rng = np.random.default_rng(0)

    bandwidth = [run_driver(driver, ["triad", "--threads", args.threads]) for _ in range(3)]
    triad = statistics.median(b["triad_gbs"] for b in bandwidth)
    read = statistics.median(b["read_gbs"] for b in bandwidth)
    overhead = ort_overhead_us(args.threads)
    print(f"onnxruntime {ort.__version__}, numpy {np.__version__}, threads {args.threads}, "
          f"cpu count {os.cpu_count()}, load average at start {os.getloadavg()[0]:.1f}")
    print(f"memory bandwidth (median of 3, best of 10 each): triad {triad:.1f} GB/s, "
          f"read-only {read:.1f} GB/s; onnxruntime python call overhead {overhead:.0f} us")

    rows = []
    for shape in args.shapes.split(","):
        k, n = (int(v) for v in shape.split("x"))
        for m in (int(v) for v in args.ms.split(",")):
            for regime in args.regimes.split(","):
                cells = {}  # name -> {"median": [...], "min": [...], "bytes": b}
                ort_cases = {}
                for level in (4, 0):
                    _, weight_bytes = matmulnbits_model(k, n, level, np.random.default_rng(1))
                    copies = COLD_BYTES // weight_bytes + 1 if regime == "cold" else 1
                    ort_cases[f"ort_acc{level}"] = OrtCase(k, n, m, level, copies, args.threads, rng)
                for _ in range(args.rounds):
                    report = run_driver(driver, ["matmul", "--k", k, "--n", n, "--m", m,
                                                 "--regime", regime, "--threads", args.threads,
                                                 "--seconds", args.seconds * 3])
                    for r in report["results"]:
                        cell = cells.setdefault(r["name"], {"median": [], "min": [],
                                                            "bytes": r["weight_bytes"]})
                        cell["median"].append(r["median_us"])
                        cell["min"].append(r["min_us"])
                    for name, case in ort_cases.items():
                        samples = case.time(args.seconds)
                        cell = cells.setdefault(name, {"median": [], "min": [],
                                                       "bytes": case.weight_bytes})
                        cell["median"].append(statistics.median(samples) * 1e6)
                        cell["min"].append(min(samples) * 1e6)
                del ort_cases
                summary = {name: (statistics.median(c["median"]), min(c["min"]), c["bytes"])
                           for name, c in cells.items()}
                rows.append((k, n, m, regime, summary, report["isa"]))
                print_rows([rows[-1]], triad)
    print("\nAll results")
    print_rows(rows, triad)


HEADER = ("| K x N | M | regime | impl | median us | min us | weight GB/s | % triad "
          "| ORT acc4 / this | ORT acc0 / this |")


def print_rows(rows, triad):
    print(HEADER)
    print("| --- " * 10 + "|")
    order = ["awq_int8", "awq_f32", "ort_acc4", "ort_acc0", "blas_sgemv", "blas_sgemm"]
    for k, n, m, regime, summary, isa in rows:
        for name in order:
            if name not in summary:
                continue
            median_us, min_us, weight_bytes = summary[name]
            gbs = weight_bytes / (median_us * 1e-6) / 1e9
            ratios = []
            for ref in ("ort_acc4", "ort_acc0"):
                ratios.append(f"{summary[ref][0] / median_us:.2f}x" if ref in summary else "-")
            label = f"{name} ({isa})" if name.startswith("awq") else name
            print(f"| {k}x{n} | {m} | {regime} | {label} | {median_us:.1f} | {min_us:.1f} | "
                  f"{gbs:.1f} | {100 * gbs / triad:.0f}% | {ratios[0]} | {ratios[1]} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
