#!/usr/bin/env bash
# Cross-checks llmc's -O2 output graphs in ONNX Runtime (see bench/README.md).
#
# For each committed BERT, the tanh-GELU and pre-LN idiom models (and bert-base / bert-base-opset17
# when `make models` made them):
#   1. bin/llmc opt -O2 MODEL -> OPT.onnx (fused com.microsoft ops)
#   2. bin/llmc run OPT.onnx on llmc's reference interpreter -> llmc outputs
#   3. ORT (graph optimizations disabled) on OPT.onnx vs llmc's outputs and vs PyTorch's outputs
#   4. ORT on the original MODEL vs PyTorch's outputs (sanity baseline)
# Prints a table and exits 1 on any mismatch or ORT error (ORT's messages are printed verbatim).
#
# Usage: bench/crosscheck.sh [MODEL_DIR...]   (run from anywhere; default: all models above)
# Env:   LLMC=path/to/llmc (default bin/llmc), LLMC_BACKEND=ref|cpu (default ref),
#        ATOL / RTOL (default 1e-4 / 1e-3), KEEP=1 keeps the temp dir.
set -u -o pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
llmc=${LLMC:-bin/llmc}
backend=${LLMC_BACKEND:-ref}
atol=${ATOL:-1e-4}
rtol=${RTOL:-1e-3}
runner=bench/ort/run.mjs

[ -x "$llmc" ] || { echo "crosscheck: $llmc not found; build it: go build -o bin/llmc ./cmd/llmc" >&2; exit 2; }
command -v node >/dev/null || { echo "crosscheck: node not found (Node.js >= 18 needed)" >&2; exit 2; }
[ -d bench/ort/node_modules/onnxruntime-node ] || {
  echo "crosscheck: onnxruntime-node is not installed; run: (cd bench/ort && npm ci --ignore-scripts)" >&2; exit 2; }

if [ $# -gt 0 ]; then
  models=("$@")
else
  models=()
  for m in bert-tiny-opset14 bert-tiny-opset17 bert-mini-opset14-s7 bert-mini-opset17-s7 idioms/tanh-gelu idioms/pre-ln idioms/ort-optimized bert-base bert-base-opset17; do
    d=testdata/models/$m
    case $m in
      bert-base*) [ -f "$d/model.onnx" ] || { echo "note: $d not present (make models), skipped"; continue; } ;;
    esac
    models+=("$d")
  done
fi

tmp=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then echo "temp dir: $tmp"; else trap 'rm -rf "$tmp"' EXIT; fi

nodes() { "$llmc" inspect "$1" --json 2>/dev/null | sed -n 's/^  "nodes": \([0-9]*\),*$/\1/p'; }

# ort_check TAG MODEL INPUTS EXPECTED: sets $result to the max abs error ("FAIL <err>" on a
# mismatch, ORT-ERROR when ORT refused or failed); failures are counted and their details kept.
failures=0
ort_check() {
  local tag=$1 model=$2 inputs=$3 expected=$4 log=$tmp/$1.log out rc abs
  out=$(node "$runner" crosscheck "$model" "$inputs" "$expected" --atol "$atol" --rtol "$rtol" --json 2>"$log")
  rc=$?
  if [ $rc -eq 0 ] || [ $rc -eq 1 ]; then
    abs=$(printf '%s' "$out" | sed -n 's/.*"max_abs":\([^,]*\),.*/\1/p' | head -1)
    abs=$(printf '%.2e' "$abs" 2>/dev/null || printf '%s' "$abs")
    if [ $rc -eq 0 ]; then result=$abs; else result="FAIL $abs"; echo "$out" >>"$log"; fi
  else
    result=ORT-ERROR
  fi
  [ $rc -eq 0 ] || { failures=$((failures + 1)); errors+=("[$tag] exit $rc: $(cat "$log")"); }
}

errors=()
rows=()
for d in "${models[@]}"; do
  name=$(basename "$d")
  model=$d/model.onnx
  data=$d/test_data_set_0
  if [ ! -f "$model" ] || [ ! -d "$data" ]; then
    echo "crosscheck: $model or $data missing" >&2; failures=$((failures + 1)); rows+=("$name|-|-|MISSING|MISSING|MISSING"); continue
  fi
  opt=$tmp/$name.opt.onnx
  llmc_out=$tmp/$name.llmc
  mkdir -p "$llmc_out"
  if ! "$llmc" opt "$model" -o "$opt" -O2 >"$tmp/$name.opt.log" 2>&1; then
    errors+=("[$name llmc opt] $(cat "$tmp/$name.opt.log")"); failures=$((failures + 1))
    rows+=("$name|$(nodes "$model")|OPT-ERROR|-|-|-"); continue
  fi
  before=$(nodes "$model"); after=$(nodes "$opt")
  if ! "$llmc" run "$opt" --backend "$backend" --inputs "$data" --out "$llmc_out" >"$tmp/$name.run.log" 2>&1; then
    errors+=("[$name llmc run] $(cat "$tmp/$name.run.log")"); failures=$((failures + 1))
    vs_llmc=LLMC-ERROR
  else
    ort_check "$name.opt-vs-llmc" "$opt" "$data" "$llmc_out"; vs_llmc=$result
  fi
  ort_check "$name.opt-vs-pytorch" "$opt" "$data" "$data"; vs_torch=$result
  ort_check "$name.orig-vs-pytorch" "$model" "$data" "$data"; base=$result
  rows+=("$name|$before|$after|$vs_llmc|$vs_torch|$base")
done

{
  echo "model|nodes before|nodes after -O2|ORT(opt) vs llmc|ORT(opt) vs PyTorch|ORT(orig) vs PyTorch"
  printf '%s\n' "${rows[@]}"
} | column -t -s '|' 2>/dev/null || printf '%s\n' "${rows[@]}"
echo "(max abs error; tolerance atol $atol + rtol $rtol*|expected|; ORT graph optimizations disabled; llmc backend $backend)"

if [ ${#errors[@]} -gt 0 ]; then
  echo
  echo "errors:"
  printf '%s\n\n' "${errors[@]}"
fi
if [ $failures -gt 0 ]; then echo "crosscheck: $failures check(s) failed"; exit 1; fi
echo "crosscheck: all checks passed"
