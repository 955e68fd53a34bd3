#!/usr/bin/env bash
# Compares llmc (execution plan via `llmc bench`, and the package made by `llmc compile`) with
# ONNX Runtime 1.30 on bert-base, interleaving the engines round by round so that a noisy,
# shared machine affects all of them alike. Prints medians (of per-round medians) and ratios.
#
# Needs: testdata/models/bert-base (make models), bench/ort/node_modules (make ort-deps).
# Usage: bench/compare.sh [ROUNDS] [ITERS]
# llmc runs at its default precision, int8x6 (AMX-INT8 tiles at float32-class accuracy where
# the CPU has them, the float32 kernels elsewhere), and with --precision fp32 (float32 FMA
# kernels). EXTRA=PRECISION adds a third llmc precision (bf16x6: AMX-BF16 tiles, float32-class
# value by value; bf16x3: ~1e-5 relative error) as the last three columns.
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
. bench/lib.sh
# agg KIND "median min" ...: the median of the medians (KIND=med) or the least minimum (KIND=min).
agg() { python3 -c '
import sys, statistics
runs = [tuple(map(float, a.split())) for a in sys.argv[2:]]
print("%.1f" % (statistics.median(r[0] for r in runs) if sys.argv[1] == "med" else min(r[1] for r in runs)))' "$@"; }
r() { python3 -c "print('%.2f' % ($1/$2))"; }
hdr="%-18s %7s %8s %8s %8s %8s %8s %8s %8s %8s %8s %8s\n"
printf "$hdr" "config" "ORT ms" "plan ms" "comp ms" "plan/ORT" "comp/ORT" "fp32 ms" "f/ORT" "cf/ORT" "${EXTRA:-extra}" "x/ORT" "cx/ORT"
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
	llmc() { bin/llmc bench "$MODEL" --batch "$b" --seq "$s" --threads "$t" --iters "$ITERS" --json "$@" | mm; }
	compiled() { bin/benchcompiled --batch "$b" --seq "$s" --threads "$t" --iters "$ITERS" "$@" | mm; }
	for _ in $(seq "$ROUNDS"); do
		ort+=("$( (cd bench/ort && node run.mjs bench "../../$MODEL" --batch "$b" --seq "$s" --threads "$t" --iters "$ITERS" --opt all --json) | mm)")
		plan+=("$(llmc)")
		comp+=("$(compiled)")
		planf+=("$(llmc --precision fp32)")
		compf+=("$(compiled --precision fp32)")
		if [ -n "${EXTRA:-}" ]; then
			planbf+=("$(llmc --precision "$EXTRA")")
			compbf+=("$(compiled --precision "$EXTRA")")
		fi
	done
	# One row of medians of the per-round medians, one of the best single runs (the machines'
	# noise comes in episodes that slow every engine for seconds; the minimum shows each
	# engine undisturbed).
	for kind in med min; do
		o=$(agg $kind "${ort[@]}") p=$(agg $kind "${plan[@]}") c=$(agg $kind "${comp[@]}")
		pf=$(agg $kind "${planf[@]}") cf=$(agg $kind "${compf[@]}")
		pb=- rpb=- rcb=-
		if [ -n "${EXTRA:-}" ]; then
			pb=$(agg $kind "${planbf[@]}") cb=$(agg $kind "${compbf[@]}")
			rpb=$(r "$pb" "$o") rcb=$(r "$cb" "$o")
		fi
		printf "$hdr" "b${b} s${s} t${t} $kind" "$o" "$p" "$c" \
			"$(r "$p" "$o")" "$(r "$c" "$o")" "$pf" "$(r "$pf" "$o")" "$(r "$cf" "$o")" "$pb" "$rpb" "$rcb"
	done
done
