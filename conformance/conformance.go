// Package conformance runs the ONNX backend test suite (model.onnx + test_data_set_N folders, as
// shipped by Debian's libonnx-testdata) through llmc's importer and a backend, and compares
// every output with the expected data using the ONNX backend tests' tolerances.
package conformance

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/llmc/llmc/backend/ref"
	"github.com/llmc/llmc/frontend/onnx"
	"github.com/llmc/llmc/ir"
)

// DefaultDataDir is where Debian's libonnx-testdata installs the suite.
const DefaultDataDir = "/usr/share/libonnx-testdata/data"

// Suites are the sub-folders of the data directory that make up the suite.
var Suites = []string{"node", "pytorch-converted", "pytorch-operator", "simple"}

// Status of one test.
type Status int

// Test outcomes.
const (
	Passed Status = iota
	Failed
	Skipped // op or dtype not supported (reason says which)
)

func (s Status) String() string { return [...]string{"pass", "FAIL", "skip"}[s] }

// Result of one test model.
type Result struct {
	Suite, Name string
	Status      Status
	Reason      string
	Duration    time.Duration
}

// RunFunc evaluates a graph on inputs (a backend).
type RunFunc func(g *ir.Graph, inputs map[string]ir.Datum) ([]ir.Datum, error)

// RefBackend runs graphs on the reference interpreter.
func RefBackend(g *ir.Graph, inputs map[string]ir.Datum) ([]ir.Datum, error) {
	return ref.Run(g, inputs, ref.Options{MaxMemory: 4 << 30})
}

// Options select and tune a run.
type Options struct {
	DataDir string         // default DefaultDataDir
	Filter  *regexp.Regexp // run only tests whose name matches
	Run     RunFunc        // default RefBackend
	RTol    float64        // default 1e-3
	ATol    float64        // default 1e-7
	Timeout time.Duration  // per test; default 2 minutes
	// Prepare, if set, transforms each imported model before running (e.g. an optimizer).
	Prepare func(m *ir.Model) error
}

// Run runs every selected test and returns the results sorted by suite and name.
func Run(opts Options) ([]Result, error) {
	if opts.DataDir == "" {
		opts.DataDir = DefaultDataDir
	}
	if opts.Run == nil {
		opts.Run = RefBackend
	}
	if opts.RTol == 0 {
		opts.RTol = 1e-3
	}
	if opts.ATol == 0 {
		opts.ATol = 1e-7
	}
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Minute
	}
	if _, err := os.Stat(opts.DataDir); err != nil {
		return nil, fmt.Errorf("conformance data not found at %s (install Debian's libonnx-testdata or pass --data): %v", opts.DataDir, err)
	}
	var results []Result
	for _, suite := range Suites {
		entries, err := os.ReadDir(filepath.Join(opts.DataDir, suite))
		if err != nil {
			continue
		}
		for _, e := range entries {
			if !e.IsDir() || (opts.Filter != nil && !opts.Filter.MatchString(e.Name())) {
				continue
			}
			results = append(results, runOne(opts, suite, e.Name()))
		}
	}
	sort.Slice(results, func(i, j int) bool {
		if results[i].Suite != results[j].Suite {
			return results[i].Suite < results[j].Suite
		}
		return results[i].Name < results[j].Name
	})
	return results, nil
}

func runOne(opts Options, suite, name string) Result {
	start := time.Now()
	r := Result{Suite: suite, Name: name}
	ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout)
	defer cancel()
	done := make(chan Result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- Result{Suite: suite, Name: name, Status: Failed, Reason: fmt.Sprintf("panic: %v", p)}
			}
		}()
		st, reason := check(opts, filepath.Join(opts.DataDir, suite, name))
		done <- Result{Suite: suite, Name: name, Status: st, Reason: reason}
	}()
	select {
	case res := <-done:
		r = res
	case <-ctx.Done():
		r.Status, r.Reason = Failed, fmt.Sprintf("timed out after %v", opts.Timeout)
	}
	r.Duration = time.Since(start)
	return r
}

func classify(err error) (Status, string) {
	if errors.Is(err, ir.ErrUnknownOp) || errors.Is(err, ref.ErrUnsupported) {
		return Skipped, err.Error()
	}
	return Failed, err.Error()
}

func check(opts Options, dir string) (Status, string) {
	m, err := onnx.Load(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return classify(fmt.Errorf("import: %w", err))
	}
	if opts.Prepare != nil {
		if err := opts.Prepare(m); err != nil {
			return classify(fmt.Errorf("prepare: %w", err))
		}
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		return Failed, "no test_data_set_* folders"
	}
	sort.Strings(sets)
	for _, set := range sets {
		ds, err := onnx.ReadTestDataSet(set, m.Graph)
		if err != nil {
			return Failed, fmt.Sprintf("reading %s: %v", filepath.Base(set), err)
		}
		got, err := opts.Run(m.Graph, ds.Inputs)
		if err != nil {
			return classify(fmt.Errorf("%s: %w", filepath.Base(set), err))
		}
		for i, want := range ds.Outputs {
			if want == nil {
				continue
			}
			if i >= len(got) {
				return Failed, fmt.Sprintf("%s: output %d missing", filepath.Base(set), i)
			}
			if msg := Compare(got[i], want, opts.RTol, opts.ATol); msg != "" {
				if op := nondeterministicOp(m.Graph); op != "" {
					return Skipped, fmt.Sprintf("%s is nondeterministic: the expected outputs are one generator's random draws (got: %s)", op, msg)
				}
				return Failed, fmt.Sprintf("%s: output %d (%s): %s", filepath.Base(set), i, m.Graph.Outputs[i].Name, msg)
			}
		}
	}
	return Passed, ""
}

// Compare checks got against want: same kind, dtype and shape, and every element within
// atol + rtol*|want| (NaN matches NaN, infinities must match exactly). It returns "" when equal
// and otherwise a description of the first difference.
func Compare(got, want ir.Datum, rtol, atol float64) string {
	switch w := want.(type) {
	case *ir.Tensor:
		g, ok := got.(*ir.Tensor)
		if !ok {
			return fmt.Sprintf("got %T, want a tensor", got)
		}
		return compareTensor(g, w, rtol, atol)
	case *ir.Sequence:
		g, ok := got.(*ir.Sequence)
		if !ok {
			return fmt.Sprintf("got %T, want a sequence", got)
		}
		if len(g.Items) != len(w.Items) {
			return fmt.Sprintf("sequence has %d items, want %d", len(g.Items), len(w.Items))
		}
		for i := range w.Items {
			if msg := compareTensor(g.Items[i], w.Items[i], rtol, atol); msg != "" {
				return fmt.Sprintf("item %d: %s", i, msg)
			}
		}
		return ""
	case *ir.Optional:
		g, ok := got.(*ir.Optional)
		if !ok {
			return fmt.Sprintf("got %T, want an optional", got)
		}
		if (g.Value == nil) != (w.Value == nil) {
			return fmt.Sprintf("optional presence differs: got %v, want %v", g.Value != nil, w.Value != nil)
		}
		if w.Value == nil {
			return ""
		}
		return Compare(g.Value, w.Value, rtol, atol)
	}
	return fmt.Sprintf("cannot compare %T", want)
}

func compareTensor(g, w *ir.Tensor, rtol, atol float64) string {
	if g.DType != w.DType {
		return fmt.Sprintf("element type %s, want %s", g.DType, w.DType)
	}
	if fmt.Sprint(g.Shape) != fmt.Sprint(w.Shape) {
		return fmt.Sprintf("shape %v, want %v", g.Shape, w.Shape)
	}
	if w.DType == ir.String {
		for i := range w.Strings {
			if string(g.Strings[i]) != string(w.Strings[i]) {
				return fmt.Sprintf("element %d is %q, want %q", i, g.Strings[i], w.Strings[i])
			}
		}
		return ""
	}
	if !w.DType.IsFloat() {
		if string(g.Raw) != string(w.Raw) {
			for i := 0; i < w.Len(); i++ {
				if g.Float64At(i) != w.Float64At(i) {
					return fmt.Sprintf("element %d is %v, want %v", i, g.Float64At(i), w.Float64At(i))
				}
			}
			return "data differs"
		}
		return ""
	}
	maxAbs, maxRel := 0.0, 0.0
	bad := -1
	for i := 0; i < w.Len(); i++ {
		a, b := g.Float64At(i), w.Float64At(i)
		if math.IsNaN(a) && math.IsNaN(b) {
			continue
		}
		if math.IsInf(b, 0) || math.IsInf(a, 0) {
			if a != b && bad < 0 {
				bad = i
			}
			continue
		}
		d := math.Abs(a - b)
		if math.IsNaN(d) {
			if bad < 0 {
				bad = i
			}
			continue
		}
		maxAbs = max(maxAbs, d)
		if b != 0 {
			maxRel = max(maxRel, d/math.Abs(b))
		}
		if d > atol+rtol*math.Abs(b) && bad < 0 {
			bad = i
		}
	}
	if bad >= 0 {
		return fmt.Sprintf("element %d is %v, want %v (max abs err %.3g, max rel err %.3g)", bad, g.Float64At(bad), w.Float64At(bad), maxAbs, maxRel)
	}
	return ""
}

// Summary counts results per suite.
type Summary struct {
	Passed, Failed, Skipped int
}

// Summarize counts results per suite and in total (key "").
func Summarize(rs []Result) map[string]*Summary {
	out := map[string]*Summary{"": {}}
	for _, r := range rs {
		s := out[r.Suite]
		if s == nil {
			s = &Summary{}
			out[r.Suite] = s
		}
		for _, x := range []*Summary{s, out[""]} {
			switch r.Status {
			case Passed:
				x.Passed++
			case Failed:
				x.Failed++
			case Skipped:
				x.Skipped++
			}
		}
	}
	return out
}

// ReadExpected reads a list of "suite/name" lines (comments with #) that must pass.
func ReadExpected(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	return out, nil
}

// WriteExpected writes the passing tests as an expectations file.
func WriteExpected(path string, rs []Result) error {
	var b strings.Builder
	b.WriteString("# ONNX conformance tests that must pass (suite/name). Generated by\n")
	b.WriteString("# `llmc conformance -write-expected`; the list only grows.\n")
	for _, r := range rs {
		if r.Status == Passed {
			fmt.Fprintf(&b, "%s/%s\n", r.Suite, r.Name)
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// ErrorStats returns the largest absolute and relative element differences between two numeric
// tensors of equal shape (NaN pairs are skipped); ok is false when they are not comparable.
func ErrorStats(got, want ir.Datum) (maxAbs, maxRel float64, ok bool) {
	g, ok1 := got.(*ir.Tensor)
	w, ok2 := want.(*ir.Tensor)
	if !ok1 || !ok2 || g.DType != w.DType || g.DType == ir.String || g.Len() != w.Len() {
		return 0, 0, false
	}
	for i := 0; i < w.Len(); i++ {
		a, b := g.Float64At(i), w.Float64At(i)
		if math.IsNaN(a) && math.IsNaN(b) || a == b {
			continue
		}
		d := math.Abs(a - b)
		maxAbs = max(maxAbs, d)
		if b != 0 {
			maxRel = max(maxRel, d/math.Abs(b))
		}
	}
	return maxAbs, maxRel, true
}

// nondeterministicOp names a random op in g, if any.
func nondeterministicOp(g *ir.Graph) string {
	found := ""
	g.Walk(func(h *ir.Graph) {
		for _, n := range h.Nodes {
			if s := n.Schema(); s != nil && s.Flags&ir.Nondeterministic != 0 && found == "" {
				found = n.QualifiedOp()
			}
		}
	})
	return found
}
