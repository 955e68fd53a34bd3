#!/usr/bin/env bash
# Compares llmc (execution plan via `llmc bench`, and the package made by `llmc compile`) with
# ONNX Runtime 1.30 on bert-base, interleaving the engines round by round so that a noisy,
# shared machine affects all of them alike. Prints medians (of per-round medians) and ratios.
#
# Needs: testdata/models/bert-base (make models), bench/ort/node_modules (make ort-deps).
# Usage: bench/compare.sh [ROUNDS] [ITERS]
# llmc runs at its default precision, bf16x6 (AMX-BF16 tiles at float32-class accuracy where
# the CPU has them, the float32 kernels elsewhere), and with --precision fp32 (float32 FMA
# kernels). BF16X3=1 adds the opt-in bf16x3 GEMMs (~1e-5 relative error).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
ITERS=${2:-10}
MODEL=testdata/models/bert-base/model.onnx
[ -f "$MODEL" ] || { echo "missing $MODEL: run make models" >&2; exit 2; }
[ -d bench/ort/node_modules/onnxruntime-node ] || { echo "missing ONNX Runtime: run make ort-deps" >&2; exit 2; }
go build -o bin/llmc ./cmd/llmc
# Recompiled every time (a few seconds), so the package always matches this llmc.
bin/llmc compile "$MODEL" -o tools/benchcompiled/bertbase --package bertbase >/dev/null
go build -tags llmcbench -o bin/benchcompiled ./tools/benchcompiled
median() { python3 -c 'import sys,statistics; print("%.1f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
field() { python3 -c 'import sys,json; print(json.loads(sys.stdin.read().strip().splitlines()[-1])[sys.argv[1]])' "$1"; }
printf "%-12s %7s %8s %8s %8s %8s %8s %8s %8s %8s %8s %8s\n" "config" "ORT ms" "plan ms" "comp ms" "plan/ORT" "comp/ORT" "fp32 ms" "f/ORT" "cf/ORT" "bf16x3" "b3/ORT" "cb3/ORT"
# CONFIGS="1 128 1;1 128 2" selects configurations (batch seq threads; separated by ;).
if [ -n "${CONFIGS:-}" ]; then
	IFS=';' read -ra cfgs <<<"$CONFIGS"
else
	cfgs=("1 128 1" "1 128 2" "8 128 1" "8 128 2" "1 16 1")
fi
for cfg in "${cfgs[@]}"; do
	set -- $cfg
	b=$1 s=$2 t=$3
	ort=() plan=() comp=() planf=() compf=() planbf=() compbf=()
	for r in $(seq "$ROUNDS"); do
		ort+=("$( (cd bench/ort && node run.mjs bench "../../$MODEL" --batch "$b" --seq "$s" --threads "$t" --iters "$ITERS" --opt all --json) | field median_ms)")
		plan+=("$(bin/llmc bench "$MODEL" --batch "$b" --seq "$s" --threads "$t" --iters "$ITERS" --json | python3 -c 'import sys,json; print(json.load(sys.stdin)["median_ms"])')")
		comp+=("$(bin/benchcompiled --batch "$b" --seq "$s" --threads "$t" --iters "$ITERS" | field median_ms)")
		planf+=("$(bin/llmc bench "$MODEL" --batch "$b" --seq "$s" --threads "$t" --iters "$ITERS" --precision fp32 --json | python3 -c 'import sys,json; print(json.load(sys.stdin)["median_ms"])')")
		compf+=("$(bin/benchcompiled --batch "$b" --seq "$s" --threads "$t" --iters "$ITERS" --precision fp32 | field median_ms)")
		if [ -n "${BF16X3:-}" ]; then
			planbf+=("$(bin/llmc bench "$MODEL" --batch "$b" --seq "$s" --threads "$t" --iters "$ITERS" --precision bf16x3 --json | python3 -c 'import sys,json; print(json.load(sys.stdin)["median_ms"])')")
			compbf+=("$(bin/benchcompiled --batch "$b" --seq "$s" --threads "$t" --iters "$ITERS" --precision bf16x3 | field median_ms)")
		fi
	done
	o=$(median "${ort[@]}") p=$(median "${plan[@]}") c=$(median "${comp[@]}") pf=$(median "${planf[@]}") cf=$(median "${compf[@]}")
	pb=- rpb=- rcb=-
	if [ -n "${BF16X3:-}" ]; then
		pb=$(median "${planbf[@]}") cb=$(median "${compbf[@]}")
		rpb=$(python3 -c "print('%.2f' % ($pb/$o))") rcb=$(python3 -c "print('%.2f' % ($cb/$o))")
	fi
	r() { python3 -c "print('%.2f' % ($1/$2))"; }
	printf "%-12s %7s %8s %8s %8s %8s %8s %8s %8s %8s %8s %8s\n" "b${b} s${s} t${t}" "$o" "$p" "$c" \
		"$(r "$p" "$o")" "$(r "$c" "$o")" "$pf" "$(r "$pf" "$o")" "$(r "$cf" "$o")" "$pb" "$rpb" "$rcb"
done
