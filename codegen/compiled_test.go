package codegen

import (
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

// conformanceSample picks ONNX backend tests for every op the lowering has fast kernels for
// (single-node models and PyTorch's converted models that use only tensors), and a few ops that
// run as reference steps.
func conformanceSample(t *testing.T) []compiledCase {
	dir := conformance.DefaultDataDir
	if _, err := os.Stat(dir); err != nil {
		t.Skip("libonnx-testdata not installed (apt-get install libonnx-testdata)")
	}
	// ops without fast kernels (reference steps), control flow included
	refOps := map[string]bool{"Sin": true, "Cos": true, "Floor": true, "ArgMax": true, "Pad": true, "If": true, "Loop": true, "Scan": true}
	var out []compiledCase
	perOp := map[string]int{}
	for _, suite := range []string{"node", "pytorch-operator", "pytorch-converted"} {
		entries, _ := os.ReadDir(filepath.Join(dir, suite))
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		for _, name := range names {
			d := filepath.Join(dir, suite, name)
			m, err := onnx.Load(filepath.Join(d, "model.onnx"))
			if err != nil || len(m.Graph.Nodes) == 0 {
				continue
			}
			ok, key := true, ""
			for _, n := range m.Graph.Nodes {
				if !lower.HasKernel(n.Domain, n.Op) && !refOps[n.Op] {
					ok = false
				}
				key += n.QualifiedOp() + ","
			}
			for _, v := range append(append([]*ir.Value{}, m.Graph.Inputs...), m.Graph.Outputs...) {
				if v.Type.Kind != ir.KindTensor || v.Type.DType == ir.String {
					ok = false
				}
			}
			if !ok || perOp[key] >= 6 || strings.Contains(name, "expanded") {
				continue
			}
			if c, ok := loadCase(t, suite+"/"+name, d, 1e-4); ok {
				perOp[key]++
				out = append(out, c)
			}
		}
	}
	return out
}

// TestCompiledMatchesInterpreter compiles every committed model (the BERTs, the transformer
// idioms, the HF-style BERT/DistilBERT/RoBERTa exports at opsets 13, 14 and 17) and a sample of
// over 100 ONNX backend tests covering every op the lowering has a kernel for into packages of
// one fresh module, builds and runs them with the go tool (what `llmc run --backend compiled`
// does), and compares each output with the reference interpreter's, and the committed models'
// with PyTorch's recorded outputs.
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
	sample := conformanceSample(t)
	require.GreaterOrEqual(t, len(sample), 100, "conformance sample")
	covered := map[string]bool{}
	for _, c := range sample {
		for _, n := range c.Graph.Nodes {
			covered[n.QualifiedOp()] = true
		}
	}
	t.Logf("%d committed models, %d conformance tests over %d ops", len(cases), len(sample), len(covered))
	cases = append(cases, sample...)
	all := make([]Case, len(cases))
	for i, c := range cases {
		all[i] = c.Case
	}
	for _, prec := range []cpu.Precision{cpu.FP32, cpu.DefaultPrecision} {
		res, err := RunCompiled(all, RunOptions{Precision: prec, Threads: 2})
		require.NoError(t, err)
		for i, c := range cases {
			r := res[i]
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
