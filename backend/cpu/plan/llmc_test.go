package plan

import (
	"fmt"
	"github.com/llmc/llmc/backend/cpu"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/backend/ref"
	"github.com/llmc/llmc/ir"
)

// randConsts renders n normal(0, scale) values as a textual-IR constant's element list; the
// rounding to 5 decimals is what the plan and the reference interpreter both see.
func randConsts(rng *rand.Rand, n int, scale float64) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%.5f", scale*rng.NormFloat64())
	}
	return b.String()
}

// randTensor returns a float32 tensor of normal(0, 1) values.
func randTensor(rng *rand.Rand, dims ...int64) *ir.Tensor {
	t := ir.MustTensor(ir.Float32, dims...)
	for i := range t.Float32s() {
		t.Float32s()[i] = float32(rng.NormFloat64())
	}
	return t
}

// llmc's fused MatMul ops run on the packed GEMM with their epilogue (and, for
// MatMulSkipLayerNormalization, the in-place normalization), and agree with the reference
// interpreter, which runs their function bodies. Ragged sizes: K=37, N=45 are not multiples of
// any tile.
func TestLLMCMatMulOps(t *testing.T) {
	const k, n = 37, 45
	rng := rand.New(rand.NewSource(5))
	// W's scale keeps the GELU arguments near [-3, 3], where its exact and tanh forms differ
	src := fmt.Sprintf(`model opsets{"": 17, "com.microsoft": 1, "llmc": 1}
graph g(%%x: f32[b,s,%[1]d], %%r: f32[b,s,%[2]d]) -> (%%y0, %%y1, %%y2, %%y3, %%y4, %%s4) {
  %%w: f32[%[1]d,%[2]d] = const [%[3]s]
  %%bias: f32[%[2]d] = const [%[4]s]
  %%gamma: f32[%[2]d] = const [%[5]s]
  %%beta: f32[%[2]d] = const [%[6]s]
  %%y0: f32[b,s,%[2]d] = llmc::MatMulBias(%%x, %%w, %%bias)
  %%y1: f32[b,s,%[2]d] = llmc::MatMulBiasGelu(%%x, %%w, %%bias)
  %%y2: f32[b,s,%[2]d] = llmc::MatMulFastGelu(%%x, %%w, %%bias)
  %%y3: f32[b,s,%[2]d] = llmc::MatMulSkipLayerNormalization(%%x, %%w, %%r, %%gamma, %%beta, %%bias) {epsilon=1e-05}
  %%y4: f32[b,s,%[2]d], %%s4: f32[b,s,%[2]d] = llmc::MatMulSkipLayerNormalizationSum(%%x, %%w, %%r, %%gamma, %%beta, %%bias) {epsilon=1e-05}
}
`, k, n, randConsts(rng, k*n, 0.25), randConsts(rng, n, 1), randConsts(rng, n, 1), randConsts(rng, n, 1))
	m, err := ir.ParseModel(src)
	require.NoError(t, err)
	// 21 rows run on the float32 kernels at every precision, 87 (ragged) on AMX at the AMX
	// precisions where the CPU has it; int8x6 and bf16x6 are held to the float32 tolerance.
	for _, bs := range [][2]int64{{3, 7}, {3, 29}} {
		in := map[string]*ir.Tensor{"x": randTensor(rng, bs[0], bs[1], k), "r": randTensor(rng, bs[0], bs[1], n)}
		want, err := ref.Run(m.Graph, map[string]ir.Datum{"x": in["x"], "r": in["r"]}, ref.Options{})
		require.NoError(t, err)
		for _, c := range []struct {
			prec cpu.Precision
			tol  float64
		}{{cpu.FP32, 2e-5}, {cpu.INT8x6, 2e-5}, {cpu.BF16x6, 2e-5}, {cpu.BF16x3, 2e-3}} {
			for _, threads := range []int{1, 2} {
				model, err := New(m.Graph, Options{Threads: threads, Precision: c.prec})
				require.NoError(t, err)
				got, err := model.Run(in)
				require.NoError(t, err)
				for i := range want {
					// tighter than requireClose's 1e-3 relative: FP32 kernels are within a few ulp here
					w := want[i].(*ir.Tensor)
					require.Equal(t, w.Shape, got[i].Shape)
					for j := 0; j < w.Len(); j++ {
						a, b := got[i].Float64At(j), w.Float64At(j)
						require.LessOrEqual(t, math.Abs(a-b), c.tol*(1+math.Abs(b)), "%v %s (in effect %s) threads %d output %d element %d: %v, want %v", bs, c.prec, model.Precision(), threads, i, j, a, b)
					}
				}
				p, err := model.PlanFor(in)
				require.NoError(t, err)
				st := p.Stats()
				for kind := range st.Kernels {
					require.False(t, strings.HasPrefix(kind, "ref:"), "%v", st.Kernels)
				}
				require.Equal(t, map[string]int{"sgemm+Bias": 1, "sgemm+BiasGelu": 1, "sgemm+FastGelu": 1, "sgemm+SkipLayerNorm": 2}, st.Kernels)
			}
		}
	}
}

// com.microsoft FusedMatMul (from ONNX Runtime's optimizer or llmc's transpose-into-matmul):
// batched activations with each transpose flag and alpha, and a constant transposed weight, on
// the CPU GEMMs, agreeing with the reference interpreter.
func TestFusedMatMul(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	src := fmt.Sprintf(`model opsets{"": 17, "com.microsoft": 1}
graph g(%%q: f32[2,3,5,4], %%k: f32[2,3,5,4], %%x: f32[6,7]) -> (%%s, %%u, %%z) {
  %%w: f32[9,7] = const [%s]
  %%s: f32[2,3,5,5] = com.microsoft::FusedMatMul(%%q, %%k) {alpha=0.5, transB=1}
  %%u: f32[2,3,4,4] = com.microsoft::FusedMatMul(%%q, %%k) {transA=1}
  %%z: f32[6,9] = com.microsoft::FusedMatMul(%%x, %%w) {alpha=2.0, transB=1}
}
`, randConsts(rng, 63, 1))
	m, err := ir.ParseModel(src)
	require.NoError(t, err)
	in := map[string]*ir.Tensor{"q": randTensor(rng, 2, 3, 5, 4), "k": randTensor(rng, 2, 3, 5, 4), "x": randTensor(rng, 6, 7)}
	want, err := ref.Run(m.Graph, map[string]ir.Datum{"q": in["q"], "k": in["k"], "x": in["x"]}, ref.Options{})
	require.NoError(t, err)
	for _, threads := range []int{1, 2} {
		model, err := New(m.Graph, Options{Threads: threads})
		require.NoError(t, err)
		got, err := model.Run(in)
		require.NoError(t, err)
		for i := range want {
			requireClose(t, got[i], want[i].(*ir.Tensor), 1e-5, fmt.Sprintf("threads %d output %d", threads, i))
		}
		p, err := model.PlanFor(in)
		require.NoError(t, err)
		require.Equal(t, map[string]int{"sgemm-batched": 2, "sgemm": 1}, p.Stats().Kernels)
	}
}

// EmbedLayerNormalization as ONNX Runtime's optimizer writes it, with the mask input and the
// mask_index output (the count of ones per sequence), runs on the CPU kernel.
func TestEmbedLayerNormWithMask(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	vals := func(n int) string { return randConsts(rng, n, 1) }
	src := fmt.Sprintf(`model opsets{"": 17, "com.microsoft": 1}
graph g(%%ids: i32[2,5], %%seg: i32[2,5], %%mask: i32[2,5]) -> (%%y, %%mi, %%sum) {
  %%word: f32[7,4] = const [%s]
  %%pos: f32[6,4] = const [%s]
  %%segt: f32[2,4] = const [%s]
  %%gamma: f32[4] = const [%s]
  %%beta: f32[4] = const [%s]
  %%y: f32[2,5,4], %%mi: i32[2], %%sum: f32[2,5,4] = com.microsoft::EmbedLayerNormalization(%%ids, %%seg, %%word, %%pos, %%segt, %%gamma, %%beta, %%mask) {epsilon=1e-05}
}
`, vals(28), vals(24), vals(8), vals(4), vals(4))
	m, err := ir.ParseModel(src)
	require.NoError(t, err)
	in := map[string]*ir.Tensor{
		"ids":  ir.FromInt32s([]int64{2, 5}, []int32{1, 6, 0, 3, 2, 5, 5, 4, 0, 1}),
		"seg":  ir.FromInt32s([]int64{2, 5}, []int32{0, 0, 1, 1, 1, 0, 1, 0, 1, 0}),
		"mask": ir.FromInt32s([]int64{2, 5}, []int32{1, 1, 1, 0, 0, 1, 1, 1, 1, 1}),
	}
	ds := map[string]ir.Datum{}
	for k, v := range in {
		ds[k] = v
	}
	want, err := ref.Run(m.Graph, ds, ref.Options{})
	require.NoError(t, err)
	require.Equal(t, []int32{3, 5}, want[1].(*ir.Tensor).Int32s())
	model, err := New(m.Graph, Options{Threads: 2})
	require.NoError(t, err)
	got, err := model.Run(in)
	require.NoError(t, err)
	requireClose(t, got[0], want[0].(*ir.Tensor), 1e-5, "output")
	require.Equal(t, want[1].(*ir.Tensor).Int32s(), got[1].Int32s(), "mask_index")
	requireClose(t, got[2], want[2].(*ir.Tensor), 1e-6, "embedding_sum")
	p, err := model.PlanFor(in)
	require.NoError(t, err)
	require.Equal(t, map[string]int{"embedlayernorm": 1}, p.Stats().Kernels)
}

// Attention with ONNX Runtime's other mask_index forms: [B] end positions, [2B] ends and starts,
// and the [B, 1] dummy; all on the CPU kernel, agreeing with the reference interpreter.
func TestAttentionMaskIndexForms(t *testing.T) {
	rng := rand.New(rand.NewSource(12))
	vals := func(n int) string { return randConsts(rng, n, 0.5) }
	for _, c := range []struct {
		shape string
		mask  *ir.Tensor
	}{
		{"[2]", ir.FromInt32s([]int64{2}, []int32{3, 5})},
		{"[4]", ir.FromInt32s([]int64{4}, []int32{4, 5, 1, 2})},
		{"[2,1]", ir.FromInt32s([]int64{2, 1}, []int32{1, 1})},
	} {
		src := fmt.Sprintf(`model opsets{"": 17, "com.microsoft": 1}
graph g(%%x: f32[2,5,8], %%mask: i32%s) -> (%%y) {
  %%w: f32[8,24] = const [%s]
  %%bias: f32[24] = const [%s]
  %%y: f32[2,5,8] = com.microsoft::Attention(%%x, %%w, %%bias, %%mask) {num_heads=2}
}
`, c.shape, vals(8*24), vals(24))
		m, err := ir.ParseModel(src)
		require.NoError(t, err)
		x := randTensor(rng, 2, 5, 8)
		want, err := ref.Run(m.Graph, map[string]ir.Datum{"x": x, "mask": c.mask}, ref.Options{})
		require.NoError(t, err)
		model, err := New(m.Graph, Options{Threads: 2})
		require.NoError(t, err)
		in := map[string]*ir.Tensor{"x": x, "mask": c.mask}
		got, err := model.Run(in)
		require.NoError(t, err)
		requireClose(t, got[0], want[0].(*ir.Tensor), 1e-5, "mask "+c.shape)
		p, err := model.PlanFor(in)
		require.NoError(t, err)
		require.Equal(t, map[string]int{"attention.qkv": 1, "attention.core": 1}, p.Stats().Kernels, c.shape)
	}
}

// com.microsoft FusedGemm with Tanh and Relu on the packed GEMM; another activation goes to the
// reference hook; all agree with the interpreter.
func TestFusedGemm(t *testing.T) {
	src := `model opsets{"": 17, "com.microsoft": 1}
graph g(%x: f32[3,4]) -> (%a, %b, %c) {
  %w: f32[4,2] = const [0.5, -1.0, 0.25, 2.0, 1.5, 0.1, -0.7, 0.3]
  %bias: f32[2] = const [0.1, -0.2]
  %a: f32[3,2] = com.microsoft::FusedGemm(%x, %w, %bias) {activation="Tanh", alpha=0.5}
  %b: f32[3,2] = com.microsoft::FusedGemm(%x, %w, %bias) {activation="Relu", beta=2.0}
  %c: f32[3,2] = com.microsoft::FusedGemm(%x, %w, %bias) {activation="LeakyRelu", activation_alpha=0.1}
}
`
	m, err := ir.ParseModel(src)
	require.NoError(t, err)
	x := ir.FromFloat32s([]int64{3, 4}, []float32{1, -2, 0.5, 3, -1, 0.25, 2, -0.5, 0.3, 0.7, -1.5, 1})
	want, err := ref.Run(m.Graph, map[string]ir.Datum{"x": x}, ref.Options{})
	require.NoError(t, err)
	model, err := New(m.Graph, Options{Threads: 1})
	require.NoError(t, err)
	in := map[string]*ir.Tensor{"x": x}
	got, err := model.Run(in)
	require.NoError(t, err)
	for i := range want {
		requireClose(t, got[i], want[i].(*ir.Tensor), 1e-6, fmt.Sprintf("output %d", i))
	}
	p, err := model.PlanFor(in)
	require.NoError(t, err)
	require.Equal(t, map[string]int{"sgemm": 2, "ref:FusedGemm": 1}, p.Stats().Kernels)
}
