package conformance_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/conformance"
	"github.com/llmc/llmc/ir"
	"github.com/llmc/llmc/passes"
)

// TestExpectedPasses runs the ONNX backend suite through the importer and the reference
// interpreter, as imported (O0) and after the -O2 optimizer, and fails if any test listed in
// testdata/expected_pass.txt does not pass. The list only grows.
func TestExpectedPasses(t *testing.T) {
	if _, err := os.Stat(conformance.DefaultDataDir); err != nil {
		t.Skip("libonnx-testdata not installed (apt-get install libonnx-testdata)")
	}
	expected, err := conformance.ReadExpected("testdata/expected_pass.txt")
	require.NoError(t, err)
	require.Greater(t, len(expected), 700)
	type run struct {
		level int
		cpu   bool
	}
	for _, r := range []run{{0, false}, {2, false}, {0, true}, {2, true}} {
		level := r.level
		opts := conformance.Options{}
		if r.cpu {
			opts.Run = conformance.CPUBackend
		}
		if level > 0 {
			lv := level
			opts.Prepare = func(m *ir.Model) error {
				_, err := passes.Optimize(m, lv, passes.Options{VerifyEach: true})
				return err
			}
		}
		results, err := conformance.Run(opts)
		require.NoError(t, err)
		byName := map[string]conformance.Result{}
		for _, x := range results {
			byName[x.Suite+"/"+x.Name] = x
		}
		for _, name := range expected {
			res, ok := byName[name]
			if !ok {
				t.Errorf("O%d: expected test %s was not found in the suite", level, name)
				continue
			}
			// the CPU backend may decline a model (skipped), never get it wrong
			if res.Status == conformance.Failed || (!r.cpu && res.Status != conformance.Passed) {
				t.Errorf("O%d cpu=%v: %s: %s: %s", level, r.cpu, name, res.Status, res.Reason)
			}
		}
		s := conformance.Summarize(results)[""]
		t.Logf("O%d cpu=%v: %d passed, %d failed, %d skipped", level, r.cpu, s.Passed, s.Failed, s.Skipped)
	}
}

func TestCompare(t *testing.T) {
	a := ir.FromFloat32s([]int64{3}, []float32{1, 2, 3})
	b := ir.FromFloat32s([]int64{3}, []float32{1, 2, 3.0001})
	require.Equal(t, "", conformance.Compare(a, b, 1e-3, 1e-7))
	c := ir.FromFloat32s([]int64{3}, []float32{1, 2, 3.1})
	require.Contains(t, conformance.Compare(a, c, 1e-3, 1e-7), "element 2")
	require.Contains(t, conformance.Compare(a, ir.FromFloat32s([]int64{1, 3}, []float32{1, 2, 3}), 1e-3, 1e-7), "shape")
	require.Contains(t, conformance.Compare(a, ir.FromInt64s([]int64{3}, []int64{1, 2, 3}), 1e-3, 1e-7), "element type")
}
