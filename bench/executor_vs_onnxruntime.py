#!/usr/bin/env python3
"""Tokens/s and peak memory of awq-run's FP32 executor against onnxruntime (CPU).

    python3 bench/executor_vs_onnxruntime.py [--threads N] [--models stories260k,llama-125m]

Both engines run the same ONNX file (with a KV cache), on the same machine, in the
same run of this script, with the same thread count, each in its own subprocess so
that its peak RSS (ru_maxrss) is its own. Prefill: one forward pass over a prompt of
random token ids. Decode: after an untimed prefill of that prompt, tokens are fed one
at a time and the cache outputs are fed back. Figures are medians over --repeats
runs after one warm-up run, the protocol awq-run --bench also follows. awq-run runs
the graph twice: as imported, and raised by --pipeline=convert-onnx-to-awq (linears,
norms, activations as awq ops), the counterpart of the graph optimizations that
onnxruntime applies by default. The engines
then alternate for --rounds rounds and each figure is the median over rounds, so a
change in the machine's load hits both alike. The models
are generated into a temporary folder: stories260K converted from
$AWQ_SHARED_DIR (default <repo>/../shared) and a random-weight Llama of 134M
parameters (make_synthetic.py --preset llama-125m, external data).
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "utils" / "models"
RESULT = re.compile(r"^(prefill|decode): (\d+) tokens in \S+ ms, (\S+) tokens/s", re.M)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for both engines")
    parser.add_argument("--prompt", type=int, default=128, help="prefill tokens")
    parser.add_argument("--decode", type=int, default=32, help="decoded tokens per run")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per engine process (median)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of both engines (median)")
    parser.add_argument("--models", default="stories260k,llama-125m", help="comma-separated: stories260k, llama-125m")
    default_binary = Path(os.environ.get("AWQ_BINARY_DIR", REPO / "build-run")) / "bin" / "awq-run"
    parser.add_argument("--awq-run", type=Path, default=default_binary, help="the awq-run binary")
    parser.add_argument("--workdir", type=Path, help="where models are generated (default: a temporary folder)")
    parser.add_argument("--ort-worker", type=Path, help=argparse.SUPPRESS)  # internal: time onnxruntime on this model
    return parser.parse_args()


def ort_worker(args):
    """Runs in its own process: times onnxruntime and prints awq-run --bench's lines."""
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(args.ort_worker), options, providers=["CPUExecutionProvider"])
    vocab = session.get_outputs()[0].shape[-1]
    rng = np.random.default_rng(0)
    prompt = rng.integers(0, vocab, (1, args.prompt), dtype=np.int64)
    decoded = rng.integers(0, vocab, (1, args.decode), dtype=np.int64)
    outputs = [o.name for o in session.get_outputs()]
    empty = {}
    for value in session.get_inputs():
        if value.name.startswith("past_key_values."):
            empty[value.name] = np.zeros((1, value.shape[1], 0, value.shape[3]), np.float32)

    def run(ids, cache):
        results = dict(zip(outputs, session.run(None, {"input_ids": ids, **cache})))
        return {name.replace("present.", "past_key_values."): v for name, v in results.items() if name != "logits"}

    prefill_times, decode_times = [], []
    for repeat in range(args.repeats + 1):
        start = time.perf_counter()
        run(prompt, empty)
        prefill = time.perf_counter() - start
        cache = run(prompt, empty)
        start = time.perf_counter()
        for i in range(args.decode):
            cache = run(decoded[:, i : i + 1], cache)
        decode = time.perf_counter() - start
        if repeat:  # the first run warms up
            prefill_times.append(prefill)
            decode_times.append(decode)
    prefill, decode = statistics.median(prefill_times), statistics.median(decode_times)
    print(f"prefill: {args.prompt} tokens in {prefill * 1e3:.3f} ms, {args.prompt / prefill:.1f} tokens/s")
    print(f"decode: {args.decode} tokens in {decode * 1e3:.3f} ms, {args.decode / decode:.1f} tokens/s (KV cache)")


def run_engine(command):
    """Runs one engine's benchmark; returns {phase: tokens/s} and peak RSS in MiB."""
    with tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True)
        stdout = process.stdout.read()
        # wait4 rather than wait: it returns the child's own rusage.
        _, status, usage = os.wait4(process.pid, 0)
        if os.waitstatus_to_exitcode(status):
            stderr.seek(0)
            raise SystemExit(f"{' '.join(map(str, command))} failed:\n{stderr.read()}")
    rates = {phase: float(rate) for phase, _, rate in RESULT.findall(stdout)}
    return rates, usage.ru_maxrss / 1024  # Linux reports KiB


def generate_models(names, workdir):
    """Writes the requested models (with a KV cache) into workdir; returns {name: path}."""
    paths = {}
    if "stories260k" in names:
        shared = Path(os.environ.get("AWQ_SHARED_DIR", REPO.parent / "shared"))
        checkpoint = shared / "models/stories260K/stories260K.bin"
        if not checkpoint.exists():
            raise SystemExit(f"{checkpoint} not found: set AWQ_SHARED_DIR, or leave stories260k out of --models")
        paths["stories260k"] = workdir / "stories260K.onnx"
        command = [sys.executable, MODELS / "llama2c_to_onnx.py", checkpoint, paths["stories260k"], "--kv-cache"]
        subprocess.run(command, check=True, capture_output=True)
    if "llama-125m" in names:
        paths["llama-125m"] = workdir / "llama-125m.onnx"
        command = [sys.executable, MODELS / "make_synthetic.py", "--preset", "llama-125m", "-o",
                   paths["llama-125m"], "--kv-cache", "--external-data"]
        subprocess.run(command, check=True, capture_output=True)
    return paths


def main():
    args = parse_args()
    if args.ort_worker:
        return ort_worker(args)
    if not args.awq_run.exists():
        raise SystemExit(f"{args.awq_run} not found: build it (ninja awq-run) or pass --awq-run")
    names = args.models.split(",")
    with tempfile.TemporaryDirectory() as temporary:
        workdir = args.workdir or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        models = generate_models(names, workdir)
        threads = [f"--threads={args.threads}"]
        rows = []
        for name, path in models.items():
            ours = [f"--bench-prompt={args.prompt}", f"--bench-decode={args.decode}", f"--bench-repeats={args.repeats}"]
            theirs = [f"--ort-worker={path}", f"--prompt={args.prompt}", f"--decode={args.decode}",
                      f"--repeats={args.repeats}"]
            commands = {
                "imported": [args.awq_run, path, "--bench", *ours, *threads],
                "raised": [args.awq_run, path, "--bench", "--pipeline=convert-onnx-to-awq", *ours, *threads],
                "onnxruntime": [sys.executable, __file__, *theirs, *threads],
            }
            runs = {engine: [] for engine in commands}
            for _ in range(args.rounds):
                for engine, command in commands.items():
                    runs[engine].append(run_engine(command))
            for phase in ("prefill", "decode"):
                rows.append((name, f"{phase} tok/s", *(statistics.median(r[phase] for r, _ in runs[engine])
                                                       for engine in commands)))
            rows.append((name, "peak RSS MiB", *(max(rss for _, rss in runs[engine]) for engine in commands)))
    print(f"threads {args.threads}, prompt {args.prompt} tokens, decode {args.decode} tokens, "
          f"median of {args.repeats} runs x {args.rounds} rounds, load average {os.getloadavg()[0]:.1f}")
    print(f"{'model':<12} {'measure':<14} {'awq-run':>10} {'raised':>10} {'onnxruntime':>12} "
          f"{'ratio':>7} {'raised ratio':>13}")
    for model, measure_name, imported, raised, theirs in rows:
        print(f"{model:<12} {measure_name:<14} {imported:>10.1f} {raised:>10.1f} {theirs:>12.1f} "
              f"{imported / theirs:>7.2f} {raised / theirs:>13.2f}")


if __name__ == "__main__":
    main()
