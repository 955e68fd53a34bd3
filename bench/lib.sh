# Shared by bench/compare.sh and bench/compare_revs.sh (sourced).
# mm reads an engine's JSON (llmc bench: all of its output; the others: the last line) and
# prints "median_ms min_ms".
mm() { python3 -c '
import sys, json
out = sys.stdin.read().strip()
try:
    d = json.loads(out)
except ValueError:
    d = json.loads(out.splitlines()[-1])
print(d["median_ms"], d["min_ms"])'; }
