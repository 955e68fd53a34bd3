package passes

import (
	"fmt"
	"math/rand"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/backend/ref"
	onnx "github.com/llmc/llmc/frontend/onnx"
	"github.com/llmc/llmc/ir"
)

// RoBERTa's token types: a zero buffer sliced to the sequence length, expanded to the batch by a
// target that the export computes as Where(Equal(Concat(batch, seq), [-1, -1]), 1s, Concat(…)).
// The mask is known to be all false (dims are never negative), so the Where is its last input.
const robertaTokenTypes = `model opsets{"": 14}
graph g(%ids: i64[batch,seq]) -> (%y) {
  %tt: i64[1,16] = const [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
  %i0: i64[] = const [0]
  %i1: i64[] = const [1]
  %ax: i64[1] = const [0]
  %one: i64[1] = const [1]
  %two: i64[1] = const [2]
  %m1: i64[] = const [-1]
  %s: i64[2] = Shape(%ids)
  %b: i64[] = Gather(%s, %i0) {axis=0}
  %q: i64[] = Gather(%s, %i1) {axis=0}
  %uq: i64[1] = Unsqueeze(%q, %ax)
  %sl: ? = Slice(%tt, %ax, %uq, %one, %one)
  %ub: i64[1] = Unsqueeze(%b, %ax)
  %cat: i64[2] = Concat(%ub, %uq) {axis=0}
  %ones: ? = ConstantOfShape(%two) {value=tensor<i64[1]>[1]}
  %neg: ? = Mul(%ones, %m1)
  %eq: ? = Equal(%cat, %neg)
  %w: ? = Where(%eq, %ones, %cat)
  %e: ? = Expand(%sl, %w)
  %y: ? = Add(%e, %ids)
}
`

func TestShapeFoldsMaskedExpandTarget(t *testing.T) {
	checkPasses(t, robertaTokenTypes, []string{"infer", "fold", "shape", "dce"},
		"%sl: i64[1,seq] = Slice(", "%e: i64[batch,seq] = Expand(%sl, %cat)", "NOT Where(", "NOT Equal(", "NOT ConstantOfShape(")
}

// The types ResolveShapes gives at -O0 are those -O2 arrives at, without touching a node.
func TestResolveShapesRoBERTaTokenTypes(t *testing.T) {
	m, err := ir.ParseModel(robertaTokenTypes)
	require.NoError(t, err)
	before := ir.FormatModel(m)
	require.NoError(t, ResolveShapes(m.Graph))
	require.Equal(t, len(strings.Split(before, "\n")), len(strings.Split(ir.FormatModel(m), "\n")))
	types := map[string]string{}
	for _, n := range m.Graph.Nodes {
		types[n.Outputs[0].Name] = n.Outputs[0].Type.String()
	}
	require.Equal(t, "i64[1,seq]", types["sl"])
	require.Equal(t, "i64[batch,seq]", types["e"])
	require.Equal(t, "i64[batch,seq]", types["y"])
}

// A Slice to a symbolic end along an axis of size 1 is not refined: min(end, 1) broadcasts
// against anything, so a run would not fail where the assumption end <= 1 breaks.
func TestRefineSlicesLeavesSizeOneAxes(t *testing.T) {
	m, err := ir.ParseModel(`model opsets{"": 14}
graph g(%ids: i64[batch,seq]) -> (%y) {
  %buf: i64[4,1] = const [0, 1, 2, 3]
  %i1: i64[] = const [1]
  %ax0: i64[1] = const [0]
  %ax1: i64[1] = const [1]
  %s: i64[2] = Shape(%ids)
  %q: i64[] = Gather(%s, %i1) {axis=0}
  %uq: i64[1] = Unsqueeze(%q, %ax0)
  %y: ? = Slice(%buf, %ax0, %uq, %ax1)
}
`)
	require.NoError(t, err)
	require.NoError(t, ResolveShapes(m.Graph))
	require.Equal(t, "i64[4,?]", m.Graph.Outputs[0].Type.String())
}

// resolveShapesModels are the committed exports the lowering must see fully typed at -O0.
func resolveShapesModels(t *testing.T) []string {
	var paths []string
	for _, pat := range []string{"bert-tiny-opset14/model.onnx", "idioms/*/model.onnx", "hf/*/model.onnx"} {
		p, err := filepath.Glob(filepath.Join(modelsDir, pat))
		require.NoError(t, err)
		paths = append(paths, p...)
	}
	require.Greater(t, len(paths), 10)
	return paths
}

// TestResolveShapesModels checks that after ResolveShapes on an unoptimized export no value has
// an unknown dim (listing any that remain), that no node changed, and that the types hold: every
// value of a reference run, with batch and sequence bound to different sizes, has its type's
// shape.
func TestResolveShapesModels(t *testing.T) {
	for _, path := range resolveShapesModels(t) {
		name, _ := filepath.Rel(modelsDir, filepath.Dir(path))
		t.Run(filepath.ToSlash(name), func(t *testing.T) {
			t.Parallel()
			m, err := onnx.Load(path)
			require.NoError(t, err)
			nodes := len(m.Graph.Nodes)
			require.NoError(t, ResolveShapes(m.Graph))
			require.Equal(t, nodes, len(m.Graph.Nodes))
			var unknown []string
			var values []*ir.Value
			for _, n := range m.Graph.Nodes {
				for _, v := range n.Outputs {
					if v == nil {
						continue
					}
					values = append(values, v)
					if hasUnknownDim(v.Type) {
						unknown = append(unknown, fmt.Sprintf("%s: %s (%s)", v.Name, v.Type, n.Op))
					}
				}
			}
			if len(unknown) > 0 {
				t.Fatalf("%d values with unknown dims after ResolveShapes, first: %s", len(unknown), strings.Join(unknown[:min(len(unknown), 10)], "; "))
			}

			bind := map[string]int64{}
			in := map[string]ir.Datum{}
			rng := rand.New(rand.NewSource(1))
			for _, v := range m.Graph.Inputs {
				var dims []int64
				for _, d := range v.Type.Shape {
					if d.IsSymbolic() {
						if _, ok := bind[d.Param]; !ok {
							bind[d.Param] = int64(2 + 3*len(bind)) // 2, 5, 8, ...
						}
						dims = append(dims, bind[d.Param])
					} else {
						dims = append(dims, d.Value)
					}
				}
				tt := ir.MustTensor(v.Type.DType, dims...)
				require.Equal(t, ir.Int64, v.Type.DType, v.Name)
				for i := range tt.Int64s() {
					tt.Int64s()[i] = int64(rng.Intn(2))
				}
				in[v.Name] = tt
			}
			outs := m.Graph.Outputs
			m.Graph.Outputs = append(append([]*ir.Value{}, outs...), values...)
			got, err := ref.Run(m.Graph, in, ref.Options{})
			require.NoError(t, err)
			for i, v := range m.Graph.Outputs {
				run, ok := got[i].(*ir.Tensor)
				if !ok || !v.Type.Ranked {
					continue
				}
				want := make([]int64, len(v.Type.Shape))
				for k, d := range v.Type.Shape {
					coef, syms, _ := d.Factors() // a symbol, or a product of them (batch*sequence)
					for _, s := range syms {
						coef *= bind[s]
					}
					want[k] = coef
				}
				require.Equal(t, want, run.Shape, "%s: %s with %v", v.Name, v.Type, bind)
			}
		})
	}
}

func hasUnknownDim(t ir.Type) bool {
	if t.Kind != ir.KindTensor || !t.Ranked {
		return true
	}
	for _, d := range t.Shape {
		if d.IsUnknown() {
			return true
		}
	}
	return false
}
