package plan

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/backend/cpu"
	"github.com/llmc/llmc/frontend/onnx"
	"github.com/llmc/llmc/ir"
	"github.com/llmc/llmc/passes"
)

func tensors(t *testing.T, in map[string]ir.Datum) map[string]*ir.Tensor {
	out := map[string]*ir.Tensor{}
	for k, d := range in {
		tt, ok := d.(*ir.Tensor)
		require.True(t, ok)
		out[k] = tt
	}
	return out
}

// TestCommittedModels runs every committed BERT (and the tanh-GELU, pre-LN and ORT-optimized
// idiom models) on the CPU plan, as imported (-O0: reference fallbacks for most ops) and
// optimized (-O2: fused kernels), against PyTorch's outputs.
func TestCommittedModels(t *testing.T) {
	paths, _ := filepath.Glob("../../../testdata/models/bert-*/model.onnx")
	require.NotEmpty(t, paths)
	paths = append(paths, "../../../testdata/models/idioms/tanh-gelu/model.onnx", "../../../testdata/models/idioms/pre-ln/model.onnx",
		"../../../testdata/models/idioms/ort-optimized/model.onnx")
	for _, path := range paths {
		name := filepath.Base(filepath.Dir(path))
		if name == "bert-base" || name == "bert-base-opset17" {
			continue
		}
		for _, level := range []int{0, 2} {
			m, err := onnx.Load(path)
			require.NoError(t, err)
			_, err = passes.Optimize(m, level, passes.Options{})
			require.NoError(t, err)
			ds, err := onnx.ReadTestDataSet(filepath.Join(filepath.Dir(path), "test_data_set_0"), m.Graph)
			require.NoError(t, err)
			for _, threads := range []int{1, 2} {
				prec := cpu.FP32
				if threads == 2 {
					prec = cpu.INT8x6 // the default: AMX where available (reported), FP32 otherwise
				}
				model, err := New(m.Graph, Options{Threads: threads, Precision: prec})
				require.NoError(t, err)
				got, err := model.Run(tensors(t, ds.Inputs))
				require.NoError(t, err, "%s -O%d", name, level)
				for i, want := range ds.Outputs {
					requireClose(t, got[i], want.(*ir.Tensor), 1e-4, fmt.Sprintf("%s -O%d threads %d %s output %d", name, level, threads, model.Precision(), i))
				}
				p, err := model.PlanFor(tensors(t, ds.Inputs))
				require.NoError(t, err)
				st := p.Stats()
				require.LessOrEqual(t, st.ArenaBytes, st.IntermediateBytes+64*int64(st.Steps))
				if level == 2 {
					for _, op := range []string{"Attention", "SkipLayerNormalization", "EmbedLayerNormalization", "BiasGelu", "FastGelu", "FusedGemm"} {
						require.Zero(t, st.Kernels["ref:"+op], "fused ops must run on CPU kernels: %v", st.Kernels)
					}
					require.Greater(t, st.Kernels["attention.core"], 0, "%v", st.Kernels)
					for k := range st.Kernels {
						require.False(t, strings.HasPrefix(k, "ref:MatMul"), "llmc's fused MatMul ops must run on CPU kernels: %v", st.Kernels)
					}
					require.Greater(t, st.Kernels["sgemm+SkipLayerNorm"], 0, "%v", st.Kernels)
				}
			}
		}
	}
}

// requireClose checks |got - want| <= atol + 1e-3·|want| elementwise (the conformance package's
// rule; not imported here because it depends on this package).
func requireClose(t *testing.T, got, want *ir.Tensor, atol float64, what string) {
	t.Helper()
	require.Equal(t, want.DType, got.DType, what)
	require.Equal(t, want.Shape, got.Shape, what)
	for i := 0; i < want.Len(); i++ {
		a, b := got.Float64At(i), want.Float64At(i)
		require.LessOrEqual(t, math.Abs(a-b), atol+1e-3*math.Abs(b), "%s: element %d is %v, want %v", what, i, a, b)
	}
}

func TestUnknownPrecision(t *testing.T) {
	_, err := New(&ir.Graph{}, Options{Precision: cpu.Precision(9)})
	require.ErrorContains(t, err, "unknown precision Precision(9)")
}

func TestPlanRefusesAbsurdSizes(t *testing.T) {
	b := ir.NewBuilder("g", nil)
	x := b.Input("x", ir.TensorType(ir.Int64, ir.Shape{ir.D(2)}))
	y := b.Op("ConstantOfShape", []*ir.Value{x})
	b.Output(b.Op("Neg", []*ir.Value{y}))
	g := b.MustGraph()
	m, err := New(g, Options{Threads: 1, MaxMemory: 1 << 30})
	require.NoError(t, err)
	_, err = m.Run(map[string]*ir.Tensor{"x": ir.FromInt64s([]int64{2}, []int64{1 << 30, 1 << 30})})
	require.Error(t, err)
	require.Contains(t, err.Error(), "memory limit")
}
