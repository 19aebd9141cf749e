#!/usr/bin/env bash
# gpu-check.sh - every GPU check of the CUDA target in one run, for a machine with an
# NVIDIA GPU (the H100/H200 lent to development sessions): the GPU unit tests, the same
# under compute-sanitizer, and the kernel and decode benchmarks.
#
#   scripts/gpu-check.sh BUILD OUT [STEPS]
#
# scripts/gpu-pack.sh makes BUILD (and a tarball of it to carry) on a machine with the
# build dependencies. BUILD holds already built binaries laid out as in a build folder
# (test/unit/cuda/AWQCudaTests, bench/cuda/awq-cuda-{kernel,decode}-bench) and, where the
# GPU machine lacks them, shared libraries under BUILD/lib (OpenBLAS for the CPU reference
# the tests compare with). OUT receives logs.tar.gz (one log per step), summary.txt and
# the benchmarks' JSON. STEPS is a
# comma-separated subset of: tests,memcheck,racecheck,initcheck,cublas-racecheck,
# cublas-initcheck,kernels,lanes,lanes-f32,decode,decode-profile,paths,profile,
# model-graphs,models,models-memcheck
# (default: all but the models steps). The models steps run libraries compiled here with
# awq-compile --target=cuda: BUILD/bin/awq-run (its libraries in BUILD/lib) on
# BUILD/models/*-cuda.so, with ids.npy, tok512.bin and text.txt beside them; raw outputs
# land in OUT/models/NAME/ for comparison with the CPU libraries on the machine that
# compiled them. Each step has its own time limit, so one slow step cannot eat the others;
# the summary at the end says which passed.
set -u
build=$(cd "${1:?usage: gpu-check.sh BUILD OUT [STEPS]}" && pwd)
out=${2:?usage: gpu-check.sh BUILD OUT [STEPS]}
steps=${3:-tests,memcheck,racecheck,initcheck,cublas-racecheck,cublas-initcheck,kernels,lanes,decode,paths,profile}
mkdir -p "$out"
logs=$(mktemp -d)
# The logs come back even when an outer time limit stops the run.
trap 'tar czf "$out/logs.tar.gz" -C "$logs" .' EXIT
trap 'exit 143' TERM
here=$(cd "$(dirname "$0")/.." && pwd)

# cuBLAS: the toolkit's, else the one in the Python environment's nvidia wheels.
cublas_dirs=$(find /usr/local/cuda/lib64 /usr/local/cuda/targets /usr/lib /opt -name 'libcublas.so.13' \
  -printf '%h\n' 2>/dev/null | sort -u | tr '\n' ':')
export LD_LIBRARY_PATH="$build/lib:${cublas_dirs}${LD_LIBRARY_PATH:-}"

tests=$build/test/unit/cuda/AWQCudaTests
summary=()
step() { # name limit_seconds command...
  local name=$1 limit=$2; shift 2
  [[ ",$steps," == *",$name,"* ]] || return 0
  echo "=== $name (limit ${limit}s): $*" >&2
  local start=$SECONDS
  timeout "$limit" "$@" > "$logs/$name.log" 2>&1
  local rc=$?
  summary+=("$name: exit $rc in $((SECONDS - start)) s")
  tail -n 25 "$logs/$name.log" >&2
}

nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem,driver_version \
  --format=csv > "$logs/device.txt" 2>&1
cat "$logs/device.txt" >&2
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH" >&2

step tests 180 "$tests" --gtest_filter='Gpu*'
# The same commands as test/Cuda/compute-sanitizer.test (which says why cuBLAS's
# kernels are excluded), then the two exclusions' evidence without them: racecheck on
# the test whose dequantize + cuBLAS path runs a split-K GEMM, initcheck on the fused
# gate/up, whose SiLU kernel reads cuBLAS's outputs past 64 rows.
step memcheck 240 compute-sanitizer --tool memcheck --error-exitcode 1 "$tests" \
  --gtest_filter='Gpu*:-GpuStreamCapture.UpdateRefuses*'
step racecheck 240 compute-sanitizer --tool racecheck --error-exitcode 1 "$tests" \
  --gtest_filter='GpuGroupMatmul*:GpuDecoderOps.Attention*:-GpuGroupMatmul.LargeActivations*'
step initcheck 240 compute-sanitizer --tool initcheck --error-exitcode 1 --check-api-memory-access no \
  "$tests" --gtest_filter='Gpu*:-GpuGroupMatmul.FusedGateUp*:GpuStreamCapture.UpdateRefuses*'
step cublas-racecheck 120 compute-sanitizer --tool racecheck --error-exitcode 1 "$tests" \
  --gtest_filter='GpuGroupMatmul.LargeActivations*'
step cublas-initcheck 120 compute-sanitizer --tool initcheck --error-exitcode 1 "$tests" \
  --gtest_filter='GpuGroupMatmul.FusedGateUp*'
step kernels 240 python3 "$here/bench/cuda_bench.py" --build "$build" --skip-decode \
  --json-out "$out/kernels.json"
# The GEMV's kernels (GroupGemv.cu: staged chunks, chunks, words, and chunk
# pairs, the 4-bit default) at every M they serve.
lanes() {
  local bench=$build/bench/cuda/awq-cuda-kernel-bench
  for mapping in staged chunks words chunk-pairs; do
    echo "## AWQ_CUDA_GEMV_LANES=$mapping"
    AWQ_CUDA_GEMV_LANES=$mapping "$bench" --path 1 --ms 1,2,3,4 --methods rotate --no-check
  done
}
[[ ",$steps," == *",lanes,"* ]] && { export -f lanes; export build; step lanes 200 bash -c lanes; }
# The same with f32 x and y (awq_cuda_group_matmul_f32, what f32 compiled
# models call): staged x against walks that read it through the L1.
lanes_f32() {
  local bench=$build/bench/cuda/awq-cuda-kernel-bench
  for mapping in default staged chunks chunk-pairs; do
    echo "## AWQ_CUDA_GEMV_LANES=$mapping, f32 activations"
    AWQ_CUDA_GEMV_LANES=$([[ $mapping == default ]] || echo "$mapping") \
      "$bench" --ms 1,2,3,4 --methods rotate --f32-activations
  done
}
[[ ",$steps," == *",lanes-f32,"* ]] && { export -f lanes_f32; export build; step lanes-f32 200 bash -c lanes_f32; }
step decode 300 python3 "$here/bench/cuda_bench.py" --build "$build" --skip-kernels \
  --dtypes f16 --decode-args "--variants w4,w4-mma-tiles,fp16" --json-out "$out/decode.json"
# One decode step kernel by kernel (Nsight Compute, 2 layers): where the time
# between the GEMVs goes.
step decode-profile 300 python3 "$here/bench/cuda/decode_breakdown.py" --build "$build" \
  --variants w4,w4-mma-tiles,fp16 --batch 1,16
# Each W4 path forced at every M where it applies: where the dispatch thresholds should lie.
paths() {
  local bench=$build/bench/cuda/awq-cuda-kernel-bench
  "$bench" --path 1 --ms 1,2,4 --methods rotate --shapes 4096x4096,8192x28672 --no-check
  "$bench" --path 2 --ms 1,4,16,64,256,1024 --methods rotate --shapes 4096x4096,8192x28672 --no-check
  "$bench" --path 3 --ms 1,4,16,64,256,1024 --methods rotate --shapes 4096x4096,8192x28672 --no-check
  "$bench" --path 4 --ms 1,2,4,8,16,32,64 --methods rotate --no-check
}
[[ ",$steps," == *",paths,"* ]] && { export -f paths; export build; step paths 200 bash -c paths; }

# Nsight Compute on one launch of each W4 kernel at a shape it serves: where the time goes
# (DRAM throughput, issue-slot use, stall reasons). Clocks as ncu locks them (base), so
# read the percentages, not the times.
profile() {
  local bench=$build/bench/cuda/awq-cuda-kernel-bench
  local sections="--section SpeedOfLight --section MemoryWorkloadAnalysis --section ComputeWorkloadAnalysis --section WarpStateStats --section Occupancy --section LaunchStats"
  ncu $sections -k regex:groupMatmulMma -c 1 "$bench" --shapes 8192x28672 --ms 1 --path 4 --methods flush --no-check --target-ms 1
  ncu $sections -k regex:groupMatmulMma -c 1 "$bench" --shapes 8192x28672 --ms 16 --path 4 --methods flush --no-check --target-ms 1
  AWQ_CUDA_GEMV_LANES=chunks ncu $sections -k regex:groupGemvKernel -c 1 "$bench" --shapes 8192x28672 --ms 1 --methods flush --no-check --target-ms 1
  AWQ_CUDA_GEMV_LANES=chunk-pairs ncu $sections -k regex:groupGemvPairKernel -c 1 "$bench" --shapes 8192x28672 --ms 1 --methods flush --no-check --target-ms 1
  AWQ_CUDA_GEMV_LANES=words ncu $sections -k regex:groupGemvKernel -c 1 "$bench" --shapes 8192x28672 --ms 4 --methods flush --no-check --target-ms 1
  ncu $sections -k regex:groupGemmTensorCore -c 1 "$bench" --shapes 8192x28672 --ms 16 --path 2 --methods flush --no-check --target-ms 1
}
[[ ",$steps," == *",profile,"* ]] && { export -f profile; export build; step profile 240 bash -c profile; }

# Compiled models on the GPU through awq-run: outputs on fixed token ids (every library
# but the KV-cache and stories ones), perplexity (stories*: the protocol of
# scripts/main-job.sh), greedy generation with a KV cache (*kv*), and --bench;
# midkv-w4-cuda.so: decode with the KV cache kept on the device (with and without
# CUDA graphs) vs copied.
# *-mma-cuda.so are the W4 models compiled with --cuda-weight-layout=mma-tiles;
# *-generic-attention-cuda.so with --fuse-attention=false --fuse-rotary-embedding=false --fuse-residual-norm=false
# (attention as MatMul / Softmax / MatMul device forms rather than awq.attention's
# kernel, RoPE as Slice / Neg / Concat / Mul / Add, residual Add and norm apart): same ids and
# perplexity within rounding expected, and their --bench lines time the fusion;
# graph-ops-cuda.so runs Reduce*/Clip/Min/Max/Sum/Gemm/Dropout on its own inputs.
# AWQ_CUDA_LOG_HOST_OPS=1: every node whose float data crossed to the host is named.
models() {
  local run=$build/bin/awq-run dir=$build/models
  export AWQ_CUDA_LOG_HOST_OPS=1
  for so in "$dir"/*-cuda.so; do
    local name; name=$(basename "$so" .so)
    echo "--- $name"
    case $name in
      graph-ops*)
        "$run" "$so" --input x="$dir/graph-ops-in/x.npy" --input w="$dir/graph-ops-in/w.npy" \
          --input long="$dir/graph-ops-in/long.npy" --output-dir "$out/models/$name"
        echo "exit $?"
        continue ;;
      stories*) "$run" "$so" --perplexity "$dir/text.txt" --tokenizer "$dir/tok512.bin" \
                  --documents=blank-line --first 120 --window 512 ;;
      midkv*)
        # Decode with the KV cache kept in GPU memory (the default: decode steps
        # launched as CUDA graphs), kept without graphs (AWQ_CUDA_GRAPHS=0), and
        # passed through the host at every step (--copy-kv-cache), alternated twice.
        for round in 1 2; do
          for mode in kept kept-no-graphs --copy-kv-cache; do
            echo "kv cache: $mode (round $round)"
            AWQ_CUDA_GRAPHS=$([[ $mode == kept-no-graphs ]] && echo 0 || echo 1) \
              "$run" "$so" --bench --bench-prompt=1024 --bench-decode=64 --bench-repeats=3 \
              $([[ $mode == --copy-kv-cache ]] && echo "$mode")
          done
        done ;;
      *kv*) # how each run ran (eager or a CUDA graph) goes to the log
        AWQ_CUDA_LOG_GRAPHS=1 "$run" "$so" --generate "5 17 42 7" --tokenizer token-ids \
          --max-tokens 12 --print-ids ;;
      *) "$run" "$so" --input input_ids="$dir/ids.npy" --output-dir "$out/models/$name" ;;
    esac
    echo "exit $?"
    "$run" "$so" --bench --bench-prompt=16 --bench-decode=16 --bench-repeats=3
  done
}
models_memcheck() {
  for name in llama-w4-cuda gpt2-w4-cuda; do
    [[ -f $build/models/$name.so ]] || { echo "$name: not packed (AWQ_GPU_PACK_MODELS)"; continue; }
    compute-sanitizer --tool memcheck --error-exitcode 1 "$build/bin/awq-run" \
      "$build/models/$name.so" --input input_ids="$build/models/ids.npy"
    echo "$name: exit $?"
  done
}
# A compiled model's decode steps as CUDA graphs and eagerly, through the model
# C API alone (no awq-run): same ids and logits, step times, how each step ran;
# then the graphs under memcheck.
model_graphs() {
  local libraries=("$build"/models/*kv*-cuda.so)
  python3 "$here/bench/cuda/model_decode_graphs.py" "${libraries[@]}" --steps 40 --rounds 3 || return
  AWQ_CUDA_LOG_GRAPHS=1 compute-sanitizer --tool memcheck --error-exitcode 1 python3 \
    "$here/bench/cuda/model_decode_graphs.py" "${libraries[0]}" --steps 20 --rounds 1
}
[[ ",$steps," == *",model-graphs,"* ]] && { export -f model_graphs; export build here; step model-graphs 300 bash -c model_graphs; }
if [[ ",$steps," == *",models,"* || ",$steps," == *",models-memcheck,"* ]]; then
  export -f models models_memcheck; export build out
  step models 240 bash -c models
  step models-memcheck 240 bash -c models_memcheck
fi

printf '%s\n' "${summary[@]}" | tee "$out/summary.txt" >&2
