#!/usr/bin/env python3
"""cuda_bench.py - the GPU benchmarks of the CUDA kernels (runtime/include/awq_cuda.h) in one run,
summarized as markdown tables for the README.

How to run (on a machine with an NVIDIA GPU; an H100/H200 is what the numbers are about):

    cmake -G Ninja -B build && ninja -C build awq-cuda-kernel-bench awq-cuda-decode-bench
    python3 bench/cuda_bench.py [--build build] [--dtypes f16,bf16] [--json-out results.json]
                                [--quick] [--skip-kernels] [--skip-decode]
                                [--kernel-args "..."] [--decode-args "..."]

(The two drivers are built whenever nvcc is found, AWQ_ENABLE_CUDA; a standalone
`cmake -S bench -B build-bench -DAWQ_CUDA_ARCHITECTURES=90a-real` builds them too.)
Without a GPU both drivers exit with code 77 and this script prints "skipped: no GPU" and
exits 0.

What runs:
  * build/bench/cuda/awq-cuda-kernel-bench (bench/cuda/CudaKernelBench.cpp), once per dtype:
    W4 g128 (zero points) group matmul on K x N = 4096x4096, 4096x11008, 8192x8192,
    8192x28672. (a) M=1 bandwidth: (packed codes + scales + zeros + x + y) / kernel time, as
    GB/s and % of the peak DRAM bandwidth the driver reports. (b) speedup over cuBLAS on a
    dense f16/bf16 weight of the same shape for M = 1, 4, 16, 64, 256, 1024. Each timing is
    taken twice: "flush" (a > 2x L2 cudaMemsetAsync before each launch, CUDA events around the
    kernel) and "rotate" (a CUDA graph of back-to-back launches cycling through > 2x L2 of
    weight copies). A correctness check compares each W4 path with another one.
  * build/bench/cuda/awq-cuda-decode-bench (bench/cuda/CudaDecodeBench.cpp): decode tokens/s
    of a Llama-2-7B-shaped model (32 layers, random weights) at batch 1 and 16, W4 g128 vs
    dense FP16 through the same runtime (LM head dense in both), one CUDA graph per decode
    step after a 128-token prefill.
Pass extra driver options with --kernel-args / --decode-args (e.g. --decode-args "--layers 8").
--quick runs a small subset (two shapes, M = 1 and 16; 4 layers, 16 steps) to check the setup.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile

SKIPPED = 77
CHECK_FAILED = 3


def find_driver(build, name):
    """The driver under the build folder (top-level or standalone bench build)."""
    for relative in (os.path.join("bench", "cuda", name), os.path.join("cuda", name),
                     os.path.join("bin", name), name):
        path = os.path.join(build, relative)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    sys.exit(f"cuda_bench.py: {name} not found under {build} (build it: "
             f"ninja -C {build} {name}; it exists only when nvcc was found at configure time)")


def run_driver(command):
    """Runs a driver with its progress on stderr and tables on stdout; returns the exit code."""
    print("$ " + " ".join(shlex.quote(c) for c in command), file=sys.stderr, flush=True)
    completed = subprocess.run(command, stdout=subprocess.PIPE, text=True)
    sys.stderr.write(completed.stdout)  # the driver's own tables, for the log
    return completed.returncode


def fmt(value, spec="{:.2f}", missing="-"):
    return missing if value is None else spec.format(value)


def timing_us(row, key):
    t = row.get(key)
    return None if t is None else t["median_us"]


def gbps_cell(timing):
    if timing is None:
        return "-"
    cell = f"{timing['gbps']:.0f}"
    if timing.get("fraction_of_peak") is not None:
        cell += f" ({100 * timing['fraction_of_peak']:.0f}%)"
    return cell


def kernel_tables(result):
    dtype = result["dtype"]
    dense = result["dense_baseline"]
    peak = result.get("peak_gbps")
    lines = [f"### W4 g{result['group_size']} group matmul ({dtype}) on {result['device']}", ""]
    lines.append(f"M = 1 bandwidth: bytes = packed codes + scales + zeros + x + y; "
                 f"% of {fmt(peak, '{:.0f}')} GB/s peak ({result['peak_source']}).")
    lines.append("")
    lines.append(f"| K x N | W4 MB | W4 us (rotate) | W4 GB/s (rotate) | W4 GB/s (flush) | "
                 f"{dense} GB/s (rotate) | speedup (rotate) |")
    lines.append("| --- | --- | --- | --- | --- | --- | --- |")
    for row in result["rows"]:
        if row["m"] != 1 or "skipped" in row:
            continue
        lines.append(f"| {row['k']}x{row['n']} | {row['w4_bytes'] / 1e6:.1f} | "
                     f"{fmt(timing_us(row, 'w4_rotate'))} | {gbps_cell(row.get('w4_rotate'))} | "
                     f"{gbps_cell(row.get('w4_flush'))} | {gbps_cell(row.get('dense_rotate'))} | "
                     f"{fmt(row.get('speedup_rotate'), '{:.2f}x')} |")
    lines.append("")
    lines.append(f"Speedup over {dense} (dense time / W4 time; rotate method, flush in brackets):")
    lines.append("")
    ms = sorted({row["m"] for row in result["rows"]})
    lines.append("| K x N | " + " | ".join(f"M={m}" for m in ms) + " |")
    lines.append("| --- |" + " --- |" * len(ms))
    shapes = []
    for row in result["rows"]:
        if (row["k"], row["n"]) not in shapes:
            shapes.append((row["k"], row["n"]))
    for k, n in shapes:
        cells = []
        for m in ms:
            row = next((r for r in result["rows"] if (r["k"], r["n"], r["m"]) == (k, n, m)), None)
            if row is None or "skipped" in row:
                cells.append("-")
                continue
            cell = fmt(row.get("speedup_rotate"), "{:.2f}x")
            if row.get("speedup_flush") is not None:
                cell += f" ({row['speedup_flush']:.2f}x)"
            if row.get("check_rel_error") is not None and row["check_rel_error"] > 0.02:
                cell += " MISMATCH"
            cells.append(cell)
        lines.append(f"| {k}x{n} | " + " | ".join(cells) + " |")
    paths = sorted({row["path"] for row in result["rows"]})
    lines.append("")
    lines.append(f"W4 paths used: {', '.join(paths)}.")
    return lines


def decode_tables(result):
    model = result["model"]
    lines = [f"### Decode, {model['name']} ({model['layers']} layers, {result['dtype']}) on "
             f"{result['device']}", ""]
    lines.append(f"Prompt {result['prompt']} tokens prefilled, {result['steps']} decode steps "
                 f"timed "
                 f"(one CUDA graph per step); LM head {result['lm_head']}.")
    lines.append("")
    lines.append("| variant | batch | tokens/s | ms/step | approx GB/s | prefill tokens/s "
                 "| graph |")
    lines.append("| --- | --- | --- | --- | --- | --- | --- |")
    peak = result.get("peak_gbps")
    for run in result["runs"]:
        gbps = f"{run['approx_gbps']:.0f}"
        if peak:
            gbps += f" ({100 * run['approx_gbps'] / peak:.0f}%)"
        dense = "FP16" if result["dtype"] == "f16" else "BF16"
        variant = (dense if run["variant"] == "fp16" else
                   "W4 g%d" % result["w4_group_size"]
                   + (" (mma tiles)" if run["variant"] == "w4-mma-tiles" else ""))
        lines.append(f"| {variant} | {run['batch']} | {run['tokens_per_s']:.1f} | "
                     f"{run['ms_per_step']:.3f} | {gbps} | "
                     f"{fmt(run.get('prefill_tokens_per_s'), '{:.0f}')} | "
                     f"{'yes' if run['graph'] else 'no'} |")
    if result["ratios"]:
        lines.append("")
        dense = "FP16" if result["dtype"] == "f16" else "BF16"
        lines.append(f"| W4 variant | batch | W4 / {dense} tokens/s |")
        lines.append("| --- | --- | --- |")
        for ratio in result["ratios"]:
            lines.append(f"| {ratio.get('variant', 'w4')} | {ratio['batch']} | "
                         f"{ratio['w4_over_fp16']:.2f}x |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default="build", help="build folder (default: build)")
    parser.add_argument("--dtypes", default="f16,bf16",
                        help="kernel bench dtypes (default f16,bf16); "
                        "the decode bench uses the first")
    parser.add_argument("--skip-kernels", action="store_true")
    parser.add_argument("--skip-decode", action="store_true")
    parser.add_argument("--quick", action="store_true", help="a small, fast subset")
    parser.add_argument("--kernel-args", default="", help="extra awq-cuda-kernel-bench options")
    parser.add_argument("--decode-args", default="", help="extra awq-cuda-decode-bench options")
    parser.add_argument("--json-out", help="write every driver's JSON, combined, here")
    args = parser.parse_args()

    dtypes = [d for d in args.dtypes.split(",") if d]
    kernel_extra = shlex.split(args.kernel_args)
    decode_extra = shlex.split(args.decode_args)
    if args.quick:
        kernel_extra = ["--shapes", "4096x4096,4096x11008", "--ms", "1,16", "--target-ms", "10"] \
            + kernel_extra
        decode_extra = ["--layers", "4", "--steps", "16", "--prompt", "32"] + decode_extra

    combined = {"kernels": [], "decode": None}
    sections = []
    failures = []
    with tempfile.TemporaryDirectory() as scratch:
        jobs = []
        if not args.skip_kernels:
            driver = find_driver(args.build, "awq-cuda-kernel-bench")
            for dtype in dtypes:
                jobs.append(("kernels", [driver, "--dtype", dtype] + kernel_extra))
        if not args.skip_decode:
            driver = find_driver(args.build, "awq-cuda-decode-bench")
            jobs.append(("decode", [driver, "--dtype", dtypes[0] if dtypes else "f16"]
                         + decode_extra))
        for index, (kind, command) in enumerate(jobs):
            json_path = os.path.join(scratch, f"{kind}-{index}.json")
            code = run_driver(command + ["--json", json_path])
            if code == SKIPPED:
                print("skipped: no GPU (the CUDA benchmark drivers found no CUDA device; "
                      "run this on a machine with an NVIDIA GPU)")
                return 0
            if code not in (0, CHECK_FAILED) or not os.path.exists(json_path):
                failures.append(f"{os.path.basename(command[0])} exited with code {code}")
                continue
            if code == CHECK_FAILED:
                failures.append(f"{os.path.basename(command[0])}: a correctness check failed "
                                "(see MISMATCH / non-finite logits)")
            with open(json_path) as f:
                result = json.load(f)
            if kind == "kernels":
                combined["kernels"].append(result)
                sections.append(kernel_tables(result))
            else:
                combined["decode"] = result
                sections.append(decode_tables(result))

    for lines in sections:
        print("\n".join(lines))
        print()
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(combined, f, indent=1)
        print(f"JSON written to {args.json_out}")
    for failure in failures:
        print(f"cuda_bench.py: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
