#!/usr/bin/env bash
# Compares two llmc revisions on bert-base, interleaved round by round with ONNX Runtime: `llmc
# bench` (the execution plan) and the compiled package (tools/benchcompiled) of each, at int8x6
# and fp32. A regression check for refactors: run it with the revision before the change.
#
# Needs: testdata/models/bert-base (make models), bench/ort/node_modules (make ort-deps).
# Usage: bench/compare_revs.sh OLD_REV [ROUNDS] [ITERS]      (CONFIGS="1 128 1;1 128 2" as compare.sh)
# Prints one line per run: "cfg=b1s128t1 round=1 ENGINE median_ms min_ms", ENGINE being ort,
# old|new plan|comp - precision.
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=${1:?usage: bench/compare_revs.sh OLD_REV [ROUNDS] [ITERS]}
ROUNDS=${2:-4}
ITERS=${3:-10}
MODEL=testdata/models/bert-base/model.onnx
[ -f "$MODEL" ] || { echo "missing $MODEL: run make models" >&2; exit 2; }
[ -d bench/ort/node_modules/onnxruntime-node ] || { echo "missing ONNX Runtime: run make ort-deps" >&2; exit 2; }
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
work=$(mktemp -d)
trap 'git worktree remove --force "$work/old" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach "$work/old" "$OLD" >/dev/null
mkdir -p "$work/old/testdata/models" && ln -s "$PWD/testdata/models/bert-base" "$work/old/testdata/models/bert-base"
for side in old new; do
	dir=$PWD
	[ $side = old ] && dir=$work/old
	(cd "$dir" && go build -o "$work/$side-llmc" ./cmd/llmc &&
		"$work/$side-llmc" compile "$MODEL" -o tools/benchcompiled/bertbase --package bertbase >/dev/null &&
		go build -tags llmcbench -o "$work/$side-benchcompiled" ./tools/benchcompiled)
done
. bench/lib.sh
if [ -n "${CONFIGS:-}" ]; then IFS=';' read -ra cfgs <<<"$CONFIGS"; else cfgs=("1 128 1" "1 128 2"); fi
for cfg in "${cfgs[@]}"; do
	set -- $cfg
	b=$1 s=$2 t=$3 tag="cfg=b${1}s${2}t${3}"
	for r in $(seq "$ROUNDS"); do
		echo "$tag round=$r ort $( (cd bench/ort && node run.mjs bench "../../$MODEL" --batch "$b" --seq "$s" --threads "$t" --iters "$ITERS" --opt all --json) | mm)"
		for prec in int8x6 fp32; do
			for side in old new; do
				echo "$tag round=$r $side-plan-$prec $("$work/$side-llmc" bench "$MODEL" --batch "$b" --seq "$s" --threads "$t" --iters "$ITERS" --json --precision "$prec" | mm)"
				echo "$tag round=$r $side-comp-$prec $("$work/$side-benchcompiled" --batch "$b" --seq "$s" --threads "$t" --iters "$ITERS" --precision "$prec" | mm)"
			done
		done
	done
done
