package codegen

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/backend/cpu"
	"github.com/llmc/llmc/backend/ref"
	"github.com/llmc/llmc/conformance"
	"github.com/llmc/llmc/frontend/onnx"
	"github.com/llmc/llmc/ir"
	"github.com/llmc/llmc/lower"
	"github.com/llmc/llmc/passes"
)

// compiledCase is a model, its inputs and the reference interpreter's outputs on them.
type compiledCase struct {
	Case
	want     []ir.Datum // the reference interpreter's outputs
	recorded []ir.Datum // the test data's (PyTorch's, for the committed models)
	tol      float64
}

// loadCase imports dir/model.onnx with dir/test_data_set_0, takes the reference interpreter's
// outputs on the imported graph, and optimizes the graph at -O2 for compiling.
func loadCase(t *testing.T, name, dir string, tol float64) (compiledCase, bool) {
	m, err := onnx.Load(filepath.Join(dir, "model.onnx"))
	require.NoError(t, err, name)
	ds, err := onnx.ReadTestDataSet(filepath.Join(dir, "test_data_set_0"), m.Graph)
	require.NoError(t, err, name)
	ins := map[string]*ir.Tensor{}
	for k, d := range ds.Inputs {
		tt, ok := d.(*ir.Tensor)
		if !ok {
			return compiledCase{}, false
		}
		ins[k] = tt
	}
	want, err := ref.Run(m.Graph, ds.Inputs, ref.Options{})
	if err != nil {
		return compiledCase{}, false
	}
	_, err = passes.Optimize(m, 2, passes.Options{})
	require.NoError(t, err, name)
	return compiledCase{Case: Case{Name: name, Graph: m.Graph, Inputs: ins}, want: want, recorded: ds.Outputs, tol: tol}, true
}

// conformanceCases loads the ONNX backend tests whose inputs and outputs are tensors (of fixed-size
// elements) and whose ops are deterministic: every op family, and the lowering's every rule.
func conformanceCases(t *testing.T) []compiledCase {
	dir := conformance.DefaultDataDir
	if _, err := os.Stat(dir); err != nil {
		t.Skip("libonnx-testdata not installed (apt-get install libonnx-testdata)")
	}
	var out []compiledCase
	for _, suite := range conformance.Suites {
		entries, _ := os.ReadDir(filepath.Join(dir, suite))
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		for _, name := range names {
			d := filepath.Join(dir, suite, name)
			m, err := onnx.Load(filepath.Join(d, "model.onnx"))
			if err != nil {
				continue
			}
			ok := true
			for _, v := range append(append([]*ir.Value{}, m.Graph.Inputs...), m.Graph.Outputs...) {
				if v.Type.Kind != ir.KindTensor || v.Type.DType == ir.String {
					ok = false
				}
			}
			for _, n := range m.Graph.Nodes {
				if s := n.Schema(); s == nil || s.Flags&ir.Nondeterministic != 0 {
					ok = false
				}
			}
			if !ok {
				continue
			}
			if c, ok := loadCase(t, suite+"/"+name, d, 1e-5); ok {
				out = append(out, c)
			}
		}
	}
	return out
}

// TestCompiledMatchesInterpreter compiles every committed model (the BERTs, the transformer
// idioms, the HF-style BERT/DistilBERT/RoBERTa exports at opsets 13, 14 and 17) and every ONNX
// backend test with tensor inputs and outputs (about a thousand, every op family) into packages
// of one fresh module, builds and runs them with the go tool (what `llmc run --backend compiled`
// does), and compares each output with the reference interpreter's, and the committed models'
// with PyTorch's recorded outputs. A backend test may only fail to compile when a size depends
// on its input data or it holds sequences (lower.ErrUnresolved, lower.ErrUnsupported).
func TestCompiledMatchesInterpreter(t *testing.T) {
	goTool(t)
	var cases []compiledCase
	models, _ := filepath.Glob("../testdata/models/*/model.onnx")
	more, _ := filepath.Glob("../testdata/models/*/*/model.onnx")
	for _, p := range append(models, more...) {
		dir := filepath.Dir(p)
		rel, _ := filepath.Rel("../testdata/models", dir)
		if strings.HasPrefix(rel, "bert-base") {
			continue
		}
		c, ok := loadCase(t, rel, dir, 1e-4)
		require.True(t, ok, rel)
		cases = append(cases, c)
	}
	require.GreaterOrEqual(t, len(cases), 30)
	committed := len(cases)
	sample := conformanceCases(t)
	require.GreaterOrEqual(t, len(sample), 900, "conformance tests")
	covered := map[string]bool{}
	for _, c := range sample {
		for _, n := range c.Graph.Nodes {
			covered[n.QualifiedOp()] = true
		}
	}
	cases = append(cases, sample...)
	all := make([]Case, len(cases))
	for i, c := range cases {
		all[i] = c.Case
	}
	// the committed models at fp32 too; everything at the default precision (the float32
	// kernels where the CPU has no AMX)
	for _, prec := range []cpu.Precision{cpu.FP32, cpu.DefaultPrecision} {
		todo := all
		if prec == cpu.FP32 {
			todo = all[:committed]
		}
		res, err := RunCompiled(todo, RunOptions{Precision: prec, Threads: 2})
		require.NoError(t, err)
		refused := 0
		for i, c := range cases[:len(todo)] {
			r := res[i]
			if i >= committed && (errors.Is(r.Err, lower.ErrUnresolved) || errors.Is(r.Err, lower.ErrUnsupported)) {
				refused++
				t.Logf("%s: %v", c.Name, r.Err)
				continue
			}
			if !assertNoError(t, r.Err, "%s at %s", c.Name, prec) {
				continue
			}
			require.Len(t, r.Outputs, len(c.want), c.Name)
			for k, w := range c.want {
				if msg := conformance.Compare(r.Outputs[k], w, 1e-3, c.tol); msg != "" {
					t.Errorf("%s at %s: output %d (%s): %s", c.Name, prec, k, c.Graph.Outputs[k].Name, msg)
				}
			}
			if !strings.HasPrefix(c.Name, "node/") && !strings.HasPrefix(c.Name, "pytorch-") {
				for k, w := range c.recorded { // PyTorch's outputs
					if msg := conformance.Compare(r.Outputs[k], w, 1e-3, 1e-4); w != nil && msg != "" {
						t.Errorf("%s at %s: output %d (%s) vs PyTorch: %s", c.Name, prec, k, c.Graph.Outputs[k].Name, msg)
					}
				}
			}
		}
		if prec == cpu.DefaultPrecision {
			t.Logf("%d committed models and %d ONNX backend tests over %d ops compiled and matched; %d refused (data-dependent sizes, sequences)",
				committed, len(sample)-refused, len(covered), refused)
			require.Less(t, refused, 30)
		}
	}
}

func assertNoError(t *testing.T, err error, format string, args ...any) bool {
	t.Helper()
	if err != nil {
		t.Errorf(format+": %v", append(args, err)...)
		return false
	}
	return true
}
