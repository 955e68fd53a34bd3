package passes

import (
	"fmt"
	"strings"

	"github.com/llmc/llmc/ir"
)

// Pipelines are data: the pass names each optimization level runs, in order. There is no -O3:
// it ran exactly -O2's passes, and a level should mean more optimization, not a synonym.
var Pipelines = map[int][]string{
	0: {},
	1: {"infer", "fold", "shape", "simplify", "fold", "cse", "dce"},
	2: {"infer", "fold", "shape", "simplify", "fold", "cse", "dce",
		"fuse", "fuse-matmul", "simplify", "cse", "dce", "infer"},
}

// MaxLevel is the highest optimization level.
const MaxLevel = 2

// Ordering constraints every pipeline must satisfy: the first pass must run (at least once)
// before the first run of the second. TestPipelineConstraints checks them.
var Constraints = [][2]string{
	{"infer", "shape"},      // symbolic shape values read the inferred types
	{"fold", "shape"},       // Constant nodes must be constants for shape tracking
	{"shape", "simplify"},   // no-op Reshape detection needs the resolved targets
	{"simplify", "fuse"},    // fusion patterns assume Div-by-constant became Mul, Identity removed
	{"fold", "fuse"},        // patterns read constants, not Constant nodes
	{"fuse", "fuse-matmul"}, // absorbs MatMuls into the contrib ops fuse creates
}

// CheckConstraints reports the first violated ordering constraint of a pass list.
func CheckConstraints(names []string) error {
	first := map[string]int{}
	for i, n := range names {
		if _, ok := first[n]; !ok {
			first[n] = i
		}
	}
	for _, c := range Constraints {
		a, okA := first[c[0]]
		b, okB := first[c[1]]
		if okB && (!okA || a > b) {
			return fmt.Errorf("pass %s must run before %s", c[0], c[1])
		}
	}
	return nil
}

// Optimize runs the pipeline of the given level (0-MaxLevel) on m.
func Optimize(m *ir.Model, level int, opts Options) (*Report, error) {
	names, ok := Pipelines[level]
	if !ok {
		return nil, fmt.Errorf("no optimization level %d (use 0-%d)", level, MaxLevel)
	}
	return RunNamed(m, names, opts)
}

// RunNamed runs the named passes (e.g. from --passes a,b,c) on m.
func RunNamed(m *ir.Model, names []string, opts Options) (*Report, error) {
	ps, err := Lookup(names...)
	if err != nil {
		return nil, err
	}
	return RunPasses(m, ps, opts)
}

// ParseList splits a comma-separated pass list.
func ParseList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
