#!/usr/bin/env bash
# main-job.sh: the end-to-end job on the default model, stories260K (a real
# 260K-parameter Llama from $AWQ_SHARED_DIR, default ../shared):
#   1. convert the llama2.c checkpoint to ONNX, as torch's exporter lays it out
#   2. import the ONNX file into MLIR             (awq-translate --import-onnx)
#   3. raise it to awq transformer ops            (awq-opt --convert-onnx-to-awq)
# and print what each step produced. Without the shared folder it uses a
# synthetic Llama-shaped model instead. Outputs go to $AWQ_WORK_DIR (default
# build/main-job).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${AWQ_BUILD_DIR:-build}
WORK=${AWQ_WORK_DIR:-$BUILD_DIR/main-job}
SHARED=${AWQ_SHARED_DIR:-../shared}
PYTHON=python3
[[ -x .venv/bin/python ]] && PYTHON=.venv/bin/python
BIN=$BUILD_DIR/bin
for tool in awq-translate awq-opt; do
  [[ -x $BIN/$tool ]] || { echo "main-job: $BIN/$tool is missing; run scripts/setup.sh first" >&2; exit 1; }
done
mkdir -p "$WORK"

MODEL=$SHARED/models/stories260K/stories260K.bin
if [[ -f $MODEL ]]; then
  echo "==> 1. stories260K -> ONNX"
  "$PYTHON" utils/models/llama2c_to_onnx.py "$MODEL" "$WORK/model.onnx"
else
  echo "==> 1. $MODEL not found (set AWQ_SHARED_DIR); using a synthetic tiny Llama instead"
  "$PYTHON" utils/models/make_synthetic.py --preset tiny-llama -o "$WORK/model.onnx"
fi

echo "==> 2. import: awq-translate --import-onnx"
"$BIN/awq-translate" --import-onnx "$WORK/model.onnx" -o "$WORK/model.onnx.mlir"
echo "    $(grep -c 'onnx.node' "$WORK/model.onnx.mlir") ONNX nodes, $(grep -c 'onnx.initializer' "$WORK/model.onnx.mlir") initializers"

echo "==> 3. raise: awq-opt --convert-onnx-to-awq"
"$BIN/awq-opt" --convert-onnx-to-awq "$WORK/model.onnx.mlir" -o "$WORK/model.awq.mlir"
for op in awq.linear awq.rms_norm awq.layer_norm awq.silu awq.gelu; do
  count=$(grep -c "= $op " "$WORK/model.awq.mlir" || true)
  [[ $count -gt 0 ]] && echo "    $count x $op"
done
echo "main-job: done; the IR of each step is in $WORK"
