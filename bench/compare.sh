#!/usr/bin/env bash
# Compares llmc (execution plan via `llmc bench`, and the package made by `llmc compile`) with
# ONNX Runtime 1.30 on bert-base, interleaving the engines round by round so that a noisy,
# shared machine affects all of them alike. Prints medians (of per-round medians) and ratios.
#
# Needs: testdata/models/bert-base (make models), bench/ort/node_modules (make ort-deps).
# Usage: bench/compare.sh [ROUNDS] [ITERS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
ITERS=${2:-10}
MODEL=testdata/models/bert-base/model.onnx
[ -f "$MODEL" ] || { echo "missing $MODEL: run make models" >&2; exit 2; }
[ -d bench/ort/node_modules/onnxruntime-node ] || { echo "missing ONNX Runtime: run make ort-deps" >&2; exit 2; }
go build -o bin/llmc ./cmd/llmc
if [ ! -f tools/benchcompiled/bertbase/model.go ] || [ "$MODEL" -nt tools/benchcompiled/bertbase/model.go ]; then
	bin/llmc compile "$MODEL" -o tools/benchcompiled/bertbase --package bertbase >/dev/null
fi
go build -tags llmcbench -o bin/benchcompiled ./tools/benchcompiled
median() { python3 -c 'import sys,statistics; print("%.1f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
field() { python3 -c 'import sys,json; print(json.loads(sys.stdin.read().strip().splitlines()[-1])[sys.argv[1]])' "$1"; }
printf "%-16s %10s %10s %10s %12s %12s\n" "config" "ORT ms" "plan ms" "compiled ms" "plan/ORT" "compiled/ORT"
# CONFIGS="1 128 1;1 128 2" selects configurations (batch seq threads; separated by ;).
if [ -n "${CONFIGS:-}" ]; then
	IFS=';' read -ra cfgs <<<"$CONFIGS"
else
	cfgs=("1 128 1" "1 128 2" "8 128 1" "8 128 2" "1 16 1")
fi
for cfg in "${cfgs[@]}"; do
	set -- $cfg
	b=$1 s=$2 t=$3
	ort=() plan=() comp=()
	for r in $(seq "$ROUNDS"); do
		ort+=("$( (cd bench/ort && node run.mjs bench "../../$MODEL" --batch "$b" --seq "$s" --threads "$t" --iters "$ITERS" --opt all --json) | field median_ms)")
		plan+=("$(bin/llmc bench "$MODEL" --batch "$b" --seq "$s" --threads "$t" --iters "$ITERS" --json | python3 -c 'import sys,json; print(json.load(sys.stdin)["median_ms"])')")
		comp+=("$(bin/benchcompiled --batch "$b" --seq "$s" --threads "$t" --iters "$ITERS" | field median_ms)")
	done
	o=$(median "${ort[@]}") p=$(median "${plan[@]}") c=$(median "${comp[@]}")
	printf "%-16s %10s %10s %10s %12s %12s\n" "b${b} s${s} t${t}" "$o" "$p" "$c" \
		"$(python3 -c "print('%.2f' % ($p/$o))")" "$(python3 -c "print('%.2f' % ($c/$o))")"
done
