package ref

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/ir"
)

// TestEveryOpHasEvaluation: every op in the table has a reference implementation or says why
// not (the op table is the spine: a missing hook is a defect).
func TestEveryOpHasEvaluation(t *testing.T) {
	ops := ir.Ops()
	require.Greater(t, len(ops), 150)
	for _, s := range ops {
		require.NotNil(t, s.Infer, s.Key())
		require.NotEmpty(t, s.Doc, s.Key())
		require.NotEmpty(t, s.Category, s.Key())
		if s.Eval == nil {
			require.NotEmpty(t, s.NoEval, "%s has neither an evaluation hook nor a NoEval reason", s.Key())
		}
	}
}

func TestMemoryCapRefusesAbsurdSizes(t *testing.T) {
	b := ir.NewBuilder("g", nil)
	shape := b.Const("shape", ir.FromInt64s([]int64{2}, []int64{1 << 30, 1 << 30}))
	y := b.Op("ConstantOfShape", []*ir.Value{shape})
	b.Output(y)
	g := b.MustGraph()
	_, err := Run(g, map[string]ir.Datum{}, Options{MaxMemory: 1 << 30})
	require.ErrorIs(t, err, ErrMemoryLimit)
	require.Contains(t, err.Error(), "ConstantOfShape")
}

func TestCheckInputs(t *testing.T) {
	b := ir.NewBuilder("g", nil)
	x := b.Input("x", ir.TensorType(ir.Float32, ir.Shape{ir.Sym("n"), ir.D(2)}))
	y := b.Input("y", ir.TensorType(ir.Float32, ir.Shape{ir.Sym("n"), ir.D(2)}))
	b.Output(b.Op("Add", []*ir.Value{x, y}))
	g := b.MustGraph()
	f := func(n int64) *ir.Tensor { return ir.MustTensor(ir.Float32, n, 2) }
	_, err := Run(g, map[string]ir.Datum{"x": f(3), "y": f(3)}, Options{})
	require.NoError(t, err)
	_, err = Run(g, map[string]ir.Datum{"x": f(3), "y": f(4)}, Options{})
	require.ErrorContains(t, err, `bound n to 3`)
	_, err = Run(g, map[string]ir.Datum{"x": f(3)}, Options{})
	require.ErrorContains(t, err, `input "y"`)
	_, err = Run(g, map[string]ir.Datum{"x": f(3), "y": f(3), "z": f(3)}, Options{})
	require.ErrorContains(t, err, `"z" is not an input`)
	_, err = Run(g, map[string]ir.Datum{"x": ir.MustTensor(ir.Int64, 3, 2), "y": f(3)}, Options{})
	require.ErrorContains(t, err, "element type")
	_, err = Run(g, map[string]ir.Datum{"x": ir.MustTensor(ir.Float32, 3, 3), "y": f(3)}, Options{})
	require.ErrorContains(t, err, "dim 1 is 3, want 2")
}
