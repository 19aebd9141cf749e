#!/usr/bin/env python3
"""decode_breakdown.py - where one decode step's GPU time goes, kernel by kernel.

Runs awq-cuda-decode-bench under Nsight Compute (ncu) with two decode steps and
no warm-up, takes the kernels of the second step (those after the first
advanceDecodeStep, the kernel that ends every step), and prints per kernel:
launches, summed duration and DRAM bytes, with the step's total. ncu runs each
kernel alone with the caches flushed before it (its default cache control) and
at the GPU's own clocks (--clock-control none), so the sum is the step with
the launch gaps and the overlap of a CUDA graph taken out: a floor for what the
graph replay measures, by kernel.

    python3 bench/cuda/decode_breakdown.py --build BUILD [--variants w4,fp16]
        [--batch 1] [--layers 2] [--prompt 128] [--csv-dir DIR]

Needs ncu on PATH and a GPU whose counters it can read. Exit 0, or 1 on error.
"""
import argparse
import csv
import io
import os
import re
import subprocess
import sys
from collections import OrderedDict

STEP_END = "advanceDecodeStep"
METRICS = ["gpu__time_duration.sum", "dram__bytes_read.sum", "dram__bytes_write.sum"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", required=True, help="build folder holding bench/cuda/")
    parser.add_argument("--variants", default="w4,fp16",
                        help="decode-bench variants, comma-separated (default w4,fp16)")
    parser.add_argument("--batch", default="1", help="batch sizes, comma-separated (default 1)")
    parser.add_argument("--layers", type=int, default=2, help="decoder layers (default 2)")
    parser.add_argument("--prompt", type=int, default=128,
                        help="prompt tokens before the steps (default 128)")
    parser.add_argument("--dtype", default="f16", help="f16 or bf16 (default f16)")
    parser.add_argument("--csv-dir", help="also keep ncu's raw CSV here")
    return parser.parse_args()


def short_name(kernel):
    """The kernel's function name with its template arguments, without parameters,
    "void " or the runtime's namespaces (ncu prints "<unnamed>" or
    "(anonymous namespace)" for an anonymous one)."""
    name = kernel[5:] if kernel.startswith("void ") else kernel
    for namespace in ("(anonymous namespace)::", "<unnamed>::", "awq::cuda::", "awq::"):
        name = name.replace(namespace, "")
    name = name.split("(")[0]
    return name if len(name) <= 90 else name[:87] + "..."


def profile(bench, variant, batch, args):
    command = ["ncu", "--clock-control", "none", "--csv", "--print-units", "base",
               "--metrics", ",".join(METRICS), bench, "--layers", str(args.layers),
               "--batch", str(batch), "--prompt", str(args.prompt), "--steps", "2",
               "--warmup", "0", "--variants", variant, "--dtype", args.dtype]
    print("$ " + " ".join(command), file=sys.stderr, flush=True)
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
        raise SystemExit(f"decode_breakdown: ncu failed on {variant} batch {batch} "
                         f"(exit {result.returncode})")
    text = result.stdout
    start = text.find('"ID"')
    if start < 0:
        raise SystemExit(f"decode_breakdown: no kernels in ncu's output for {variant}")
    if args.csv_dir:
        os.makedirs(args.csv_dir, exist_ok=True)
        with open(os.path.join(args.csv_dir, f"ncu-{variant}-b{batch}.csv"), "w") as out:
            out.write(text[start:])
    return parse_ncu_csv(text[start:])


def parse_ncu_csv(text):
    """ncu --csv rows (one per kernel and metric) as [{name, metrics}] in launch order."""
    kernels = OrderedDict()  # ID -> {name, metrics}
    for row in csv.DictReader(io.StringIO(text)):
        entry = kernels.setdefault(row["ID"], {"name": row["Kernel Name"], "metrics": {}})
        value = row["Metric Value"].replace(",", "")
        try:
            entry["metrics"][row["Metric Name"]] = float(value)
        except ValueError:
            pass
    return list(kernels.values())


def second_step(kernels, variant):
    ends = [i for i, k in enumerate(kernels) if STEP_END in k["name"]]
    if len(ends) < 2:
        raise SystemExit(f"decode_breakdown: {variant}: expected two decode steps ending in "
                         f"{STEP_END}, found {len(ends)} (was the step captured?)")
    return kernels[ends[-2] + 1:ends[-1] + 1]


def report(step, variant, batch, layers):
    rows = OrderedDict()
    for kernel in step:
        row = rows.setdefault(short_name(kernel["name"]), [0, 0.0, 0.0])
        row[0] += 1
        row[1] += kernel["metrics"].get("gpu__time_duration.sum", 0.0) * 1e-3  # ns -> us
        row[2] += (kernel["metrics"].get("dram__bytes_read.sum", 0.0) +
                   kernel["metrics"].get("dram__bytes_write.sum", 0.0))
    total_us = sum(r[1] for r in rows.values())
    total_bytes = sum(r[2] for r in rows.values())
    print(f"\n### {variant}, batch {batch}, {layers} layers: one decode step, "
          f"{len(step)} kernels, {total_us:.1f} us summed, {total_bytes / 1e6:.1f} MB DRAM")
    print("| kernel | launches | us | % of step | DRAM MB | GB/s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, (count, us, dram) in sorted(rows.items(), key=lambda item: -item[1][1]):
        rate = dram / (us * 1e3) if us > 0 else 0.0
        print(f"| {name} | {count} | {us:.1f} | {100 * us / total_us:.1f}% | "
              f"{dram / 1e6:.2f} | {rate:.0f} |")


def main():
    args = parse_args()
    bench = os.path.join(args.build, "bench", "cuda", "awq-cuda-decode-bench")
    if not os.access(bench, os.X_OK):
        raise SystemExit(f"decode_breakdown: {bench} is not an executable (build it first)")
    for variant in args.variants.split(","):
        for batch in (int(b) for b in args.batch.split(",")):
            report(second_step(profile(bench, variant, batch, args), variant), variant, batch,
                   args.layers)
    print("\nncu: each kernel alone, caches flushed before it, GPU clocks not locked; "
          "launch gaps and graph overlap excluded.")


if __name__ == "__main__":
    main()
