#!/usr/bin/env bash
# gpu-pack.sh - builds here everything scripts/gpu-check.sh runs and lays it out for
# a GPU machine that has the NVIDIA driver and the CUDA toolkit's libraries but none
# of this project's build dependencies (the machines lent to development sessions:
# no MLIR/LLVM, ONNX, z3 or OpenMP runtime there; one call of the device tool should
# spend its minutes on the GPU, not on building).
#
#   scripts/gpu-pack.sh [BUILD] [OUT]          (defaults: build, build-gpu)
#
# BUILD is a configured and built top-level build with CUDA (awq-compile, awq-run,
# AWQCudaTests and the CUDA benchmarks; the script builds those targets first).
# OUT receives, as scripts/gpu-check.sh expects them:
#   test/unit/cuda/AWQCudaTests, bench/cuda/awq-cuda-{kernel,decode}-bench,
#   bin/awq-run, lib/ (the shared libraries above that a stock system lacks),
#   models/*-cuda.so compiled with awq-compile --target=cuda (tiny Llama FP32 and
#   W4, GPT-2 W4, OPT W4, Llama with a KV cache; stories260K FP32 and AWQ when
#   ../shared and the main job's output are there) with ids.npy, tok512.bin and
#   text.txt beside them,
# and tarballs (binaries stripped) for the device tool's carry, which takes
# 64 MiB a call: OUT.carry/pack.tar.xz (unit tests and benchmarks),
# OUT.models.carry/models.tar.xz (the models AWQ_GPU_PACK_MODELS names) and
# OUT.runner.carry/runner.tar.xz (awq-run and its libraries). On the GPU
# machine, from the repository root (carry OUT.carry, or OUT.models.carry):
#   tar xJf OUT.carry/pack.tar.xz && scripts/gpu-check.sh OUT "$OUT" [STEPS]
#   tar xJf OUT.models.carry/models.tar.xz && scripts/gpu-check.sh OUT "$OUT" model-graphs
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=${2:-build-gpu}
shared=${AWQ_SHARED_DIR:-../shared}
python=python3
[[ -x .venv/bin/python ]] && python=.venv/bin/python

[[ -f $build/build.ninja ]] || { echo "gpu-pack: $build is not a configured build (run scripts/setup.sh)" >&2; exit 1; }
echo "==> building the binaries in $build" >&2
ninja -C "$build" awq-compile awq-run AWQCudaTests awq-cuda-kernel-bench awq-cuda-decode-bench >&2 ||
  { echo "gpu-pack: the build failed (is nvcc found? the CUDA targets need it)" >&2; exit 1; }

[[ $out != /* ]] || { echo "gpu-pack: OUT must be relative to the repository root (it is unpacked there)" >&2; exit 2; }
pack=$out.carry/pack.tar.xz
rm -rf "$out" "$out.carry" "$out.models.carry" "$out.runner.carry"
mkdir -p "$out.carry"
mkdir -p "$out/test/unit/cuda" "$out/bench/cuda" "$out/bin" "$out/lib" "$out/models"
cp "$build/test/unit/cuda/AWQCudaTests" "$out/test/unit/cuda/"
cp "$build/bench/cuda/awq-cuda-kernel-bench" "$build/bench/cuda/awq-cuda-decode-bench" "$out/bench/cuda/"
cp "$build/bin/awq-run" "$out/bin/"
strip "$out/test/unit/cuda/AWQCudaTests" "$out"/bench/cuda/* "$out/bin/awq-run"

# The libraries the H100 machines lent to sessions lack (Ubuntu 24.04 with the
# CUDA toolkit: LLVM 22, z3, ONNX, LLVM's OpenMP; they do have OpenBLAS,
# libgfortran, protobuf 32 and libxml2). AWQ_GPU_PACK_LIBS adds patterns.
wanted="libLLVM|libz3|libonnx|libomp${AWQ_GPU_PACK_LIBS:+|$AWQ_GPU_PACK_LIBS}"
for binary in "$out/test/unit/cuda/AWQCudaTests" "$out"/bench/cuda/* "$out/bin/awq-run"; do
  ldd "$binary" | awk '$3 ~ /^\// {print $3}' | grep -E "/($wanted)[^/]*$" || true
done | sort -u | while read -r library; do
  cp -L "$library" "$out/lib/"
done

echo "==> compiling the models for --target=cuda" >&2
models=$out/models
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
synthetic() { "$python" utils/models/make_synthetic.py "$@" > /dev/null; }
compile() { "$build/bin/awq-compile" "$@" --target=cuda --quiet 2> /dev/null; }
synthetic --preset tiny-llama --layers 2 -o "$tmp/llama.onnx"
synthetic --preset tiny-gpt2 --layers 2 -o "$tmp/gpt2.onnx"
synthetic --preset tiny-opt --layers 2 -o "$tmp/opt.onnx"
synthetic --preset tiny-llama --layers 2 --kv-cache -o "$tmp/llamakv.onnx"
compile "$tmp/llama.onnx" --no-quantize -o "$models/llama-fp-cuda.so"
compile "$tmp/llama.onnx" --group-size=32 -o "$models/llama-w4-cuda.so"
compile "$tmp/gpt2.onnx" --group-size=32 -o "$models/gpt2-w4-cuda.so"
compile "$tmp/opt.onnx" --group-size=32 -o "$models/opt-w4-cuda.so"
compile "$tmp/llamakv.onnx" --group-size=32 -o "$models/llamakv-w4-cuda.so"
# The graph's own attention and rotary embedding ops (the device forms that ran
# on the H100) instead of awq.attention's and awq.rotary_embedding's: the
# generated ids must equal the fused library's (gpu-check's models step).
compile "$tmp/llamakv.onnx" --group-size=32 --fuse-attention=false --fuse-rotary-embedding=false --fuse-residual-norm=false \
  -o "$models/llamakv-w4-generic-attention-cuda.so"
# A KV cache big enough that moving it through the host shows (8 MiB per step at
# 1024 tokens): gpu-check's models step times it kept on the device and copied.
synthetic --arch llama --dim 512 --layers 2 --heads 8 --hidden 1376 --vocab 512 \
  --max-positions 2048 --kv-cache -o "$tmp/midkv.onnx"
compile "$tmp/midkv.onnx" --group-size=128 -o "$models/midkv-w4-cuda.so"
# The same without the fusions written after the H100 run (attention, rotary,
# residual norms, in-place cache, head transposes): the device forms that ran
# there. gpu-check's models step benches both, so the fusions get timed.
compile "$tmp/midkv.onnx" --group-size=128 --fuse-attention=false --fuse-rotary-embedding=false \
  --fuse-residual-norm=false -o "$models/midkv-w4-generic-attention-cuda.so"
# The same W4 models with the weights laid out for the mma.sync kernel.
compile "$tmp/llama.onnx" --group-size=32 --cuda-weight-layout=mma-tiles -o "$models/llama-w4-mma-cuda.so"
compile "$tmp/gpt2.onnx" --group-size=32 --cuda-weight-layout=mma-tiles -o "$models/gpt2-w4-mma-cuda.so"
compile "$tmp/llamakv.onnx" --group-size=32 --cuda-weight-layout=mma-tiles -o "$models/llamakv-w4-mma-cuda.so"
# The ONNX ops outside the transformer patterns (test/Cuda/graph-ops.test):
# compare OUT/models/graph-ops-cuda/ with a CPU library run here on
# $models/graph-ops-in/*.npy (test/Compiler/Inputs/graph_ops_model.py compare).
"$python" test/Compiler/Inputs/graph_ops_model.py make "$tmp/graph-ops.onnx" "$models/graph-ops-in" --nan
compile "$tmp/graph-ops.onnx" --no-quantize -o "$models/graph-ops-cuda.so"
"$python" -c "import numpy as np; np.save('$models/ids.npy', np.random.default_rng(0).integers(0, 256, (2, 24)).astype(np.int64))"
main_job=${AWQ_WORK_DIR:-$build/main-job}
if [[ -f $shared/models/stories260K/tok512.bin && -f $main_job/model.awq-w4g32.mlirbc ]]; then
  cp "$shared/models/stories260K/tok512.bin" "$models/"
  cp "$shared/data/tinystories/validation_prefix.txt" "$models/text.txt"
  compile "$main_job/model.onnx" --no-quantize -o "$models/stories-fp-cuda.so"
  compile "$main_job/model.awq-w4g32.mlirbc" -o "$models/stories-awq-cuda.so"
  compile "$main_job/model.awq-w4g32.mlirbc" --fuse-attention=false --fuse-rotary-embedding=false --fuse-residual-norm=false \
    -o "$models/stories-awq-generic-attention-cuda.so"
  compile "$main_job/model.awq-w4g32.mlirbc" --cuda-weight-layout=mma-tiles \
    -o "$models/stories-awq-mma-cuda.so"
else
  echo "gpu-pack: no stories260K models (needs $shared and scripts/main-job.sh's output in $main_job)" >&2
fi

strip --strip-unneeded "$models"/*.so # keeps the exported awq_model_* API
# Carries for the device tool, which takes 64 MiB a call: the kernels' (unit
# tests, benchmarks: gpu-check's steps up to profile, 25 MiB) and the models'
# (the model libraries AWQ_GPU_PACK_MODELS names, default the two KV-cache
# Llamas, with the OpenMP runtime they load: 30 MiB, for the model-graphs
# step). awq-run with the LLVM, z3 and ONNX libraries it loads (50 MiB packed)
# goes in a third, for the models steps, which it only fits beside no model.
models_pack=$out.models.carry/models.tar.xz
mkdir -p "$out.models.carry"
wanted_models=${AWQ_GPU_PACK_MODELS:-llamakv-w4-cuda midkv-w4-cuda}
model_files=("$models/ids.npy")
for name in $wanted_models; do
  [[ -f $models/$name.so ]] || { echo "gpu-pack: AWQ_GPU_PACK_MODELS: no $models/$name.so" >&2; exit 2; }
  model_files+=("$models/$name.so")
done
[[ $wanted_models == *graph-ops* ]] && model_files+=("$models/graph-ops-in")
[[ $wanted_models == *stories* ]] && model_files+=("$models/tok512.bin" "$models/text.txt")
# One xz stream with a dictionary spanning the libraries, so what they share is
# stored once (256 MiB of memory to unpack).
pack_xz() { # tarball paths...
  local tarball=$1; shift
  echo "==> packing $tarball" >&2
  tar cf - "$@" | xz -T1 --lzma2=preset=9,dict=256MiB > "$tarball"
  local size; size=$(stat -c %s "$tarball")
  echo "gpu-pack: $tarball: $((size / 1048576)) MiB (the device tool carries up to 64 MiB with the tracked files)" >&2
}
pack_xz "$pack" "$out/test" "$out/bench" "$out/lib/libomp.so.5"
pack_xz "$models_pack" "$out/lib/libomp.so.5" "${model_files[@]}"
mkdir -p "$out.runner.carry"
pack_xz "$out.runner.carry/runner.tar.xz" "$out/bin" "$out/lib"
