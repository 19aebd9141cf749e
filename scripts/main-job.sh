#!/usr/bin/env bash
# main-job.sh: the end-to-end job on the default model, stories260K (a real
# 260K-parameter Llama from $AWQ_SHARED_DIR, default ../shared):
#   1. convert the llama2.c checkpoint to ONNX, as torch's exporter lays it out
#   2. import it into MLIR and raise it to awq ops          (awq-translate, awq-opt)
#   3. quantize it to W4 g32 with AWQ, calibrating on TinyStories stories
#      [200, 264), and with plain round-to-nearest for comparison (awq-opt --awq-pipeline)
#   4. measure the perplexity of FP32, RTN and AWQ on stories [0, 120), the
#      protocol of shared/docs/accuracy-baseline.md                 (awq-run)
# Without the shared folder it runs steps 1-3 on a synthetic tiny Llama with
# random calibration tokens. Outputs go to $AWQ_WORK_DIR (default build/main-job).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${AWQ_BUILD_DIR:-build}
WORK=${AWQ_WORK_DIR:-$BUILD_DIR/main-job}
SHARED=${AWQ_SHARED_DIR:-../shared}
PYTHON=python3
[[ -x .venv/bin/python ]] && PYTHON=.venv/bin/python
BIN=$BUILD_DIR/bin
for tool in awq-translate awq-opt awq-run; do
  [[ -x $BIN/$tool ]] || { echo "main-job: $BIN/$tool is missing; run scripts/setup.sh first" >&2; exit 1; }
done
mkdir -p "$WORK"
QUANT="bits=4 group-size=32"

MODEL=$SHARED/models/stories260K/stories260K.bin
TOKENIZER=$SHARED/models/stories260K/tok512.bin
TEXT=$SHARED/data/tinystories/validation_prefix.txt
if [[ -f $MODEL && -f $TOKENIZER && -f $TEXT ]]; then
  echo "==> 1. stories260K -> ONNX"
  "$PYTHON" utils/models/llama2c_to_onnx.py "$MODEL" "$WORK/model.onnx"
  CALIBRATION="data=$TEXT tokenizer=$TOKENIZER skip=200 samples=64 seq-len=512"
else
  echo "==> 1. stories260K not found under $SHARED (set AWQ_SHARED_DIR); using a synthetic tiny Llama"
  "$PYTHON" utils/models/make_synthetic.py --preset tiny-llama -o "$WORK/model.onnx"
  "$PYTHON" -c "import random; r = random.Random(0); print('\n\n'.join(' '.join(str(r.randrange(512)) for _ in range(64)) for _ in range(8)))" > "$WORK/calibration-ids.txt"
  CALIBRATION="data=$WORK/calibration-ids.txt tokenizer=token-ids samples=8 seq-len=64"
  TEXT=
fi

echo "==> 2. import and raise: awq-translate --import-onnx, awq-opt --convert-onnx-to-awq"
"$BIN/awq-translate" --import-onnx "$WORK/model.onnx" -o "$WORK/model.onnx.mlir"
"$BIN/awq-opt" --convert-onnx-to-awq "$WORK/model.onnx.mlir" -o "$WORK/model.awq.mlir"
echo "    $(grep -c 'onnx.node' "$WORK/model.onnx.mlir") ONNX nodes -> $(grep -c '= awq.linear ' "$WORK/model.awq.mlir") awq.linear, $(grep -c '= awq.rms_norm ' "$WORK/model.awq.mlir") awq.rms_norm, $(grep -c '= awq.silu ' "$WORK/model.awq.mlir") awq.silu"

echo "==> 3. quantize W4 g32: AWQ (calibrate, fold scales, quantize) and RTN"
start=$(date +%s%N)
"$BIN/awq-opt" "$WORK/model.onnx" --awq-pipeline="$CALIBRATION $QUANT" \
  --emit-bytecode -o "$WORK/model.awq-w4g32.mlirbc" 2> "$WORK/calibrate.log"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "    AWQ took $((elapsed_ms / 1000)).$(printf %03d $((elapsed_ms % 1000))) s wall; $(grep -c 'best alpha' "$WORK/calibrate.log") scaling groups searched (log: $WORK/calibrate.log)"
"$BIN/awq-opt" "$WORK/model.onnx" --awq-pipeline="$QUANT" \
  --emit-bytecode -o "$WORK/model.rtn-w4g32.mlirbc" 2> /dev/null

if [[ -n $TEXT ]]; then
  echo "==> 4. perplexity on TinyStories validation stories [0, 120), one story at a time"
  perplexity() {
    "$BIN/awq-run" "$1" --perplexity "$TEXT" --tokenizer "$TOKENIZER" \
      --documents=blank-line --first 120 --window 512 2> /dev/null | sed -n 's/.*perplexity \([0-9.]*\).*/\1/p'
  }
  printf "    %-6s %s\n" FP32 "$(perplexity "$WORK/model.onnx")"
  printf "    %-6s %s   (reference RTN 4.5311)\n" RTN "$(perplexity "$WORK/model.rtn-w4g32.mlirbc")"
  printf "    %-6s %s   (reference best AWQ 4.4926)\n" AWQ "$(perplexity "$WORK/model.awq-w4g32.mlirbc")"
fi
echo "main-job: done; the IR of each step is in $WORK"
