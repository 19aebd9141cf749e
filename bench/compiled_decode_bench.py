#!/usr/bin/env python3
"""Compiled libraries (awq-compile) against onnxruntime: decode and prefill tokens/s,
compile time and library size.

    python3 bench/compiled_decode_bench.py [--threads N] [--models stories260k,llama-125m]

For each model (generated with a KV cache as in bench/executor_vs_onnxruntime.py) the
script, in one run on one machine:
  1. compiles an FP32 library (awq-compile --no-quantize) and a W4 library
     (round-to-nearest, --group-size, int8 activations: the fast kernels), timing
     awq-compile and measuring the .so, and the same W4 library with the graph's
     own attention ops (--fuse-attention=false) and with its own rotary embedding
     ops (--fuse-rotary-embedding=false) and residual Adds (--fuse-residual-norm=false)
     for comparison;
  2. exports the same W4 model (awq-opt --awq-pipeline, then awq-translate
     --export-onnx) as ONNX with com.microsoft::MatMulNBits (accuracy_level 4, the
     same int8-activation arithmetic);
  3. times, alternating engines for --rounds rounds: awq-run --bench on both
     libraries (the W4 one also with --copy-kv-cache: the cache passed through
     awq-run at every step instead of kept in the library; and unfused), onnxruntime on the FP32 ONNX file and on the MatMulNBits export
     (the same protocol: untimed warm-up, median of --repeats runs of a random
     --prompt-token prefill and --decode single-token steps feeding the cache back).
Every figure is the median over rounds; ratios are against onnxruntime FP32 of the
same round, so a change in the machine's load hits all engines alike.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from executor_vs_onnxruntime import generate_models, run_engine  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for every engine")
    parser.add_argument("--prompt", type=int, default=128, help="prefill tokens")
    parser.add_argument("--decode", type=int, default=32, help="decoded tokens per run")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per engine process (median)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of all engines (median)")
    parser.add_argument("--models", default="stories260k,llama-125m", help="stories260k and/or llama-125m")
    parser.add_argument("--group-size", type=int, default=0,
                        help="W4 group size (default: 32 for stories260k, whose dims are 64 and 172; 128 otherwise)")
    parser.add_argument("--build", type=Path, default=REPO / "build", help="build folder with bin/")
    parser.add_argument("--workdir", type=Path, help="where models are generated (default: a temporary folder)")
    return parser.parse_args()


def timed(command):
    start = time.perf_counter()
    result = subprocess.run(list(map(str, command)), capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"{' '.join(map(str, command))} failed:\n{result.stderr}")
    return time.perf_counter() - start


def prepare(name, model, args, tools, workdir):
    """Compiles and exports `model`; returns {engine: command prefix} and compile facts."""
    group = args.group_size or (32 if name == "stories260k" else 128)
    fp32_so, w4_so = workdir / f"{name}-fp32.so", workdir / f"{name}-w4.so"
    facts = {
        "fp32 compile s": timed([tools["awq-compile"], model, "-o", fp32_so, "--no-quantize", "--quiet"]),
        "w4 compile s": timed([tools["awq-compile"], model, "-o", w4_so, f"--group-size={group}", "--quiet"]),
    }
    w4_generic_so = workdir / f"{name}-w4-generic-attention.so"
    timed([tools["awq-compile"], model, "-o", w4_generic_so, f"--group-size={group}", "--fuse-attention=false",
           "--quiet"])
    w4_generic_rotary_so = workdir / f"{name}-w4-generic-rotary.so"
    timed([tools["awq-compile"], model, "-o", w4_generic_rotary_so, f"--group-size={group}",
           "--fuse-rotary-embedding=false", "--quiet"])
    w4_generic_norm_so = workdir / f"{name}-w4-generic-residual-norm.so"
    timed([tools["awq-compile"], model, "-o", w4_generic_norm_so, f"--group-size={group}",
           "--fuse-residual-norm=false", "--quiet"])
    facts["fp32 .so MB"] = fp32_so.stat().st_size / 1e6
    facts["w4 .so MB"] = w4_so.stat().st_size / 1e6
    quantized = workdir / f"{name}-w4.mlirbc"
    exported = workdir / f"{name}-w4-matmulnbits.onnx"
    timed([tools["awq-opt"], model, f"--awq-pipeline=bits=4 group-size={group}", "--emit-bytecode", "-o", quantized])
    timed([tools["awq-translate"], "--export-onnx", quantized, "-o", exported, "--accuracy-level=4",
           "--external-data-min-bytes=1048576"])
    bench = [f"--bench-prompt={args.prompt}", f"--bench-decode={args.decode}", f"--bench-repeats={args.repeats}",
             f"--threads={args.threads}"]
    ort = [sys.executable, REPO / "bench" / "executor_vs_onnxruntime.py", f"--threads={args.threads}",
           f"--prompt={args.prompt}", f"--decode={args.decode}", f"--repeats={args.repeats}", "--ort-worker"]
    engines = {
        "onnxruntime FP32": ort + [model],
        "onnxruntime MatMulNBits (W4, acc. level 4)": ort + [exported],
        "awq .so FP32": [tools["awq-run"], fp32_so, "--bench", *bench],
        f"awq .so W4 g{group} (int8 act.)": [tools["awq-run"], w4_so, "--bench", *bench],
        # The same library with the KV cache passed out and back in at every step
        # instead of kept inside it (awq_model_carry_output).
        f"awq .so W4 g{group}, cache copied (--copy-kv-cache)": [tools["awq-run"], w4_so, "--bench", *bench,
                                                                 "--copy-kv-cache"],
        # The same W4 library with MatMul / Softmax / MatMul for attention
        # instead of awq.attention.
        f"awq .so W4 g{group}, generic attention (--fuse-attention=false)": [tools["awq-run"], w4_generic_so,
                                                                             "--bench", *bench],
        # ... and with rotate_half's Slice / Neg / Concat and Mul / Mul / Add
        # instead of awq.rotary_embedding.
        f"awq .so W4 g{group}, generic rotary embedding (--fuse-rotary-embedding=false)": [
            tools["awq-run"], w4_generic_rotary_so, "--bench", *bench],
        # ... and with each residual Add apart from the norm after it.
        f"awq .so W4 g{group}, generic residual norm (--fuse-residual-norm=false)": [
            tools["awq-run"], w4_generic_norm_so, "--bench", *bench],
    }
    return engines, facts


def main():
    args = parse_args()
    tools = {tool: args.build / "bin" / tool for tool in ("awq-compile", "awq-opt", "awq-translate", "awq-run")}
    for tool, path in tools.items():
        if not path.exists():
            raise SystemExit(f"{path} not found: build it (ninja -C {args.build} {tool})")
    with tempfile.TemporaryDirectory() as temporary:
        workdir = args.workdir or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        models = generate_models(args.models.split(","), workdir)
        for name, model in models.items():
            engines, facts = prepare(name, model, args, tools, workdir)
            rates = {engine: {"prefill": [], "decode": []} for engine in engines}
            for _ in range(args.rounds):
                for engine, command in engines.items():
                    result, _ = run_engine(list(map(str, command)))
                    for phase in ("prefill", "decode"):
                        rates[engine][phase].append(result[phase])
            print(f"\n## {name} ({args.threads} threads, prompt {args.prompt}, decode {args.decode}, "
                  f"median of {args.rounds} rounds x {args.repeats} runs)\n")
            print("| engine | prefill tok/s | decode tok/s | decode vs onnxruntime FP32 |")
            print("| --- | --- | --- | --- |")
            baseline = statistics.median(rates["onnxruntime FP32"]["decode"])
            for engine in engines:
                prefill = statistics.median(rates[engine]["prefill"])
                decode = statistics.median(rates[engine]["decode"])
                print(f"| {engine} | {prefill:.1f} | {decode:.1f} | {decode / baseline:.2f}x |")
            print()
            for fact, value in facts.items():
                print(f"- {fact}: {value:.2f}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
