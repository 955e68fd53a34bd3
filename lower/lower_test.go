package lower

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/backend/cpu"
	_ "github.com/llmc/llmc/backend/ref" // the reference steps' evaluation hooks
	"github.com/llmc/llmc/frontend/onnx"
	"github.com/llmc/llmc/ir"
	"github.com/llmc/llmc/passes"
)

func TestExpr(t *testing.T) {
	b, s := Sym("batch"), Sym("sequence")
	e := Product(b, s, Const(768)).Add(Product(b, s).Scale(4)).Add(Const(3))
	require.Equal(t, "batch*sequence*772 + 3", e.String())
	v, err := e.Eval(func(x string) (int64, bool) { return map[string]int64{"batch": 2, "sequence": 5}[x], true })
	require.NoError(t, err)
	require.Equal(t, int64(2*5*772+3), v)
	require.True(t, e.Sub(Const(3)).Sub(Product(b, s, Const(772))).Equal(Const(0)))
	q, ok := Product(b, Const(12)).DivExact(4)
	require.True(t, ok)
	require.True(t, q.Equal(Product(b, Const(3))))
	_, ok = Product(b, Const(6)).DivExact(4)
	require.False(t, ok)
	require.Equal(t, "-batch + 7", Const(7).Sub(b).String())
	_, err = b.Eval(func(string) (int64, bool) { return 0, false })
	require.ErrorContains(t, err, `dim "batch" is not bound`)
	_, err = Product(b, b, b).Eval(func(string) (int64, bool) { return 1 << 40, true })
	require.ErrorContains(t, err, "overflows")
	require.Equal(t, []string{"batch", "sequence"}, e.Syms())
}

// transformerOps must lower to fast kernels (not the reference step) whenever their types and
// attributes are the usual ones: the ops of BERT, DistilBERT and RoBERTa exports and of what
// llmc's optimizer makes of them, and what backward graphs add.
var transformerOps = []string{
	"MatMul", "Gemm", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Erf", "Tanh", "Exp", "Log", "Relu", "Sigmoid", "Neg",
	"Reciprocal", "Abs", "Max", "Min", "Clip", "Softmax", "LogSoftmax", "LayerNormalization", "ReduceMean", "ReduceSum",
	"ReduceMax", "ReduceSumSquare", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Transpose", "Gather", "Cast",
	"Concat", "Slice", "Split", "Expand", "Where", "Equal", "Less", "Greater", "Not", "And", "Or", "CumSum", "Shape", "Size",
	"Dropout", "Constant",
	"com.microsoft::Attention", "com.microsoft::SkipLayerNormalization", "com.microsoft::EmbedLayerNormalization",
	"com.microsoft::BiasGelu", "com.microsoft::FastGelu", "com.microsoft::Gelu", "com.microsoft::FusedMatMul",
	"com.microsoft::FusedGemm",
}

// TestOpTableComplete states, for every op in the table, how it lowers: fast kernels (with the
// reference step for types and attributes they do not cover), the reference step alone, or
// not at all (with the reason). Transformer ops and llmc's own ops must have fast kernels.
func TestOpTableComplete(t *testing.T) {
	var kernel, refOnly, none []string
	for _, s := range ir.Ops() {
		switch {
		case HasKernel(s.Domain, s.Name):
			kernel = append(kernel, s.Key())
		case s.Eval != nil:
			refOnly = append(refOnly, s.Key())
		default:
			require.NotEmpty(t, s.NoEval, "%s has neither a lowering nor a reference implementation, nor a reason", s.Key())
			none = append(none, s.Key()+" ("+s.NoEval+")")
		}
	}
	for _, op := range transformerOps {
		domain, name := "", op
		if i := strings.Index(op, "::"); i >= 0 {
			domain, name = op[:i], op[i+2:]
		}
		require.NotNil(t, ir.LookupOp(domain, name), op)
		require.True(t, HasKernel(domain, name), "%s has no fast kernel", op)
	}
	for _, s := range ir.Ops() {
		if s.Domain == ir.LLMCDomain {
			require.True(t, HasKernel(s.Domain, s.Name), "llmc's %s has no fast kernel", s.Name)
		}
	}
	t.Logf("%d ops lower to fast kernels (and the reference step where they do not fit), %d to the reference step only, %d not at all", len(kernel), len(refOnly), len(none))
	t.Logf("no lowering: %s", strings.Join(none, "; "))
}

// kinds lowers g and returns its kernel-kind histogram.
func kinds(t *testing.T, g *ir.Graph) map[string]int {
	t.Helper()
	s, err := Lower(g, Options{})
	require.NoError(t, err)
	return s.Kinds()
}

func f32(dims ...ir.Dim) ir.Type { return ir.TensorType(ir.Float32, ir.Shape(dims)) }

// TestBackwardGraphKernels: what backward graphs need lowers to fast kernels: activation x
// activation MatMuls (batched, broadcast, transposed as FusedMatMul writes them), LayerNorm with
// its Mean/InvStdDev outputs, reductions over any axes, and broadcasting binary ops.
func TestBackwardGraphKernels(t *testing.T) {
	B, S := ir.Sym("batch"), ir.Sym("sequence")
	b := ir.NewBuilder("bwd", map[string]int64{"": 17, "com.microsoft": 1})
	x := b.Input("x", f32(B, S, ir.D(64)))
	dy := b.Input("dy", f32(B, S, ir.D(32)))
	q := b.Input("q", f32(B, ir.D(4), S, ir.D(16)))
	k := b.Input("k", f32(ir.D(1), ir.D(4), S, ir.D(16)))
	// weight gradient: x^T·dy summed over the batch, as FusedMatMul(transA) then ReduceSum
	xt := b.OpD("com.microsoft", "FusedMatMul", 1, []*ir.Value{x, dy}, ir.AInt("transA", 1))[0]
	dw := b.Op("ReduceSum", []*ir.Value{xt, b.Const("axes", ir.FromInt64s([]int64{1}, []int64{0}))}, ir.AInt("keepdims", 0))
	// attention scores with a broadcast batch dim and a transposed operand
	sc := b.OpD("com.microsoft", "FusedMatMul", 1, []*ir.Value{q, k}, ir.AInt("transB", 1), ir.AFloat("alpha", 0.25))[0]
	ln := b.OpN("LayerNormalization", 3, []*ir.Value{x, b.Const("g", ir.MustTensor(ir.Float32, 64)), b.Const("be", ir.MustTensor(ir.Float32, 64))}, ir.AInt("axis", -1))
	mid := b.Op("ReduceMean", []*ir.Value{x}, ir.AInts("axes", 1), ir.AInt("keepdims", 1))
	bc := b.Op("Mul", []*ir.Value{x, mid})                                                  // [B,S,64] * [B,1,64]
	db := b.Op("Sub", []*ir.Value{b.Const("row", ir.MustTensor(ir.Float32, 1, 1, 64)), bc}) // row - x
	b.Output(dw, sc, ln[0], ln[1], ln[2], db)
	got := kinds(t, b.MustGraph())
	for k := range got {
		require.False(t, strings.HasPrefix(k, "ref:"), "%v", got)
	}
	require.Equal(t, 2, got["sgemm-batched"], "%v", got)
	require.Equal(t, 2, got["reduce"], "%v", got)
	require.Equal(t, 1, got["layernorm"], "%v", got)
	require.Equal(t, 2, got["broadcast"], "%v", got)
}

// TestShapeArithmeticRunsAtBind: Shape → Gather → Unsqueeze → Concat chains and what reads only
// them run once per bound shape; Range sizes follow the symbolic dims.
func TestShapeArithmeticRunsAtBind(t *testing.T) {
	m, err := onnx.Load("../testdata/models/hf/distilbert-opset14/model.onnx")
	require.NoError(t, err)
	require.NoError(t, passes.ResolveShapes(m.Graph)) // -O0: as exported
	s, err := Lower(m.Graph, Options{})
	require.NoError(t, err)
	require.Equal(t, []string{"batch", "sequence"}, s.Dims)
	bind := s.BindSteps()
	require.NotEmpty(t, bind)
	for _, st := range bind {
		for _, v := range st.Writes {
			require.Equal(t, StorageBind, v.Root().Storage, "%s", v)
		}
	}
	var rng *Value
	for _, v := range s.Values {
		if v.IR != nil && strings.HasSuffix(v.Name, "Range_output_0") {
			rng = v
		}
	}
	require.NotNil(t, rng)
	require.Equal(t, "[sequence]", fmt.Sprint(rng.Shape))
	require.Equal(t, StorageBind, rng.Storage, "position ids are made once per shape")
	lay, err := s.Bind([]int64{2, 8}, 0)
	require.NoError(t, err)
	require.Greater(t, lay.BindSize, int64(0))
	require.Greater(t, lay.ArenaBytes, int64(0))
	require.LessOrEqual(t, lay.ArenaBytes, lay.IntermediateBytes()+64*int64(len(s.Slots)))
}

// TestLifetimes: buffers whose lives overlap never share bytes (checked on every committed BERT
// at two shapes), views share their base's, and outputs live to the end.
func TestLifetimes(t *testing.T) {
	paths, _ := filepath.Glob("../testdata/models/*/model.onnx")
	more, _ := filepath.Glob("../testdata/models/hf/*/model.onnx")
	for _, p := range append(paths, more...) {
		if strings.Contains(p, "bert-base") {
			continue
		}
		m, err := onnx.Load(p)
		require.NoError(t, err)
		_, err = passes.Optimize(m, 2, passes.Options{})
		require.NoError(t, err)
		s, err := Lower(m.Graph, Options{})
		require.NoError(t, err, p)
		for _, v := range s.Outputs {
			if r := v.Root(); r.Storage == StorageArena {
				require.Equal(t, len(s.Steps), s.Slots[r.Slot].Last, "output %s", v.Name)
			}
		}
		for _, dims := range [][]int64{{1, 7}, {3, 33}} {
			lay, err := s.Bind(dims, 0)
			require.NoError(t, err)
			for i, a := range s.Slots {
				for j, b := range s.Slots[:i] {
					if a.First <= b.Last && b.First <= a.Last {
						lo, hi := max(lay.Offsets[i], lay.Offsets[j]), min(lay.Offsets[i]+lay.SlotBytes[i], lay.Offsets[j]+lay.SlotBytes[j])
						require.GreaterOrEqual(t, lo, hi, "%s: slots %d (%s) and %d (%s) overlap", p, i, a.Value.Name, j, b.Value.Name)
					}
				}
				require.Zero(t, lay.Offsets[i]%64)
			}
		}
	}
}

// TestDataDependentSizes: a size that depends on the input data is reported as such, naming the
// value, and Specialize says so too.
func TestDataDependentSizes(t *testing.T) {
	b := ir.NewBuilder("nz", map[string]int64{"": 17})
	x := b.Input("x", f32(ir.Sym("n")))
	nz := b.Op("NonZero", []*ir.Value{x})
	b.Output(b.Op("Neg", []*ir.Value{b.Op("Cast", []*ir.Value{nz}, ir.AInt("to", int64(ir.Float32)))}))
	g := b.MustGraph()
	_, err := Lower(g, Options{})
	require.True(t, errors.Is(err, ErrUnresolved), "%v", err)
	require.ErrorContains(t, err, "NonZero")
	_, _, err = Specialize(g, map[string]ir.Type{"x": f32(ir.D(4))})
	require.True(t, errors.Is(err, ErrUnresolved), "%v", err)
}

// TestSpecializeLowersPerShape: a graph whose sizes the symbolic lowering cannot follow (here:
// a Slice dropping the first and last of a symbolic dim, sequence-2) lowers once its input
// shapes are known; a Reshape to [-1, 4] of [b, s, 4] has the product dim b*s.
func TestSpecializeLowersPerShape(t *testing.T) {
	b := ir.NewBuilder("flat", map[string]int64{"": 17})
	x := b.Input("x", f32(ir.Sym("b"), ir.Sym("s"), ir.D(4)))
	i64 := func(v int64) *ir.Value { return b.Const(fmt.Sprint("c", v), ir.FromInt64s([]int64{1}, []int64{v})) }
	sl := b.Op("Slice", []*ir.Value{x, i64(1), i64(-1), i64(1)})
	r := b.Op("Reshape", []*ir.Value{x, b.Const("shape", ir.FromInt64s([]int64{2}, []int64{-1, 4}))})
	b.Output(b.Op("Relu", []*ir.Value{sl}), r)
	g := b.MustGraph()
	require.NoError(t, ir.InferTypes(g))
	require.Equal(t, "f32[b*s,4]", r.Type.String())
	_, err := Lower(g, Options{})
	require.True(t, errors.Is(err, ErrUnresolved), "%v", err)
	types, known, err := Specialize(g, map[string]ir.Type{"x": f32(ir.D(2), ir.D(3), ir.D(4))})
	require.NoError(t, err)
	s, err := Lower(g, Options{Types: types, Known: known})
	require.NoError(t, err)
	require.Empty(t, s.Dims)
	require.Equal(t, map[string]int{"Relu": 1, "slice": 1}, s.Kinds())
	require.Equal(t, "[2 1 4]", fmt.Sprint(s.Outputs[0].Shape))
	require.Equal(t, "[6 4]", fmt.Sprint(s.Outputs[1].Shape))
}

// TestEveryOpLowersOrSaysWhy lowers a one-node graph of every op the reference interpreter runs
// with simple float inputs, checking that the lowering either succeeds or returns a wrapped
// ErrUnresolved / ErrUnsupported, and never panics.
func TestEveryOpLowersOrSaysWhy(t *testing.T) {
	var failed []string
	tried := 0
	for _, s := range ir.Ops() {
		if s.Eval == nil || s.MinIn > 2 || s.Flags&ir.HasSubgraphs != 0 || len(s.OptionalIn) > 0 {
			continue
		}
		b := ir.NewBuilder("one", map[string]int64{"": 17, "com.microsoft": 1, "llmc": 1, s.Domain: s.Since})
		var ins []*ir.Value
		for i := 0; i < max(s.MinIn, 1) && (s.MaxIn < 0 || i < s.MaxIn); i++ {
			ins = append(ins, b.Input(fmt.Sprintf("x%d", i), f32(ir.D(2), ir.D(3))))
		}
		n := &ir.Node{Name: "n", Op: s.Name, Domain: s.Domain, Inputs: ins}
		for i := 0; i < max(s.MinOut, 1); i++ {
			n.Outputs = append(n.Outputs, &ir.Value{Name: fmt.Sprintf("y%d", i), Def: n})
		}
		g := b.G()
		g.Nodes = append(g.Nodes, n)
		g.Outputs = n.Outputs
		if ir.InferTypes(g) != nil {
			continue // attributes the op requires are missing: not a graph
		}
		tried++
		_, err := Lower(g, Options{})
		if err != nil && !errors.Is(err, ErrUnresolved) && !errors.Is(err, ErrUnsupported) {
			failed = append(failed, s.Key()+": "+err.Error())
		}
	}
	sort.Strings(failed)
	require.Empty(t, failed)
	require.Greater(t, tried, 100)
	t.Logf("%d ops lowered as one-node graphs", tried)
}

// TestAttentionScratchSize: the attention steps' scratch is the size backend/cpu's kernels use.
func TestAttentionScratchSize(t *testing.T) {
	m, err := onnx.Load("../testdata/models/bert-tiny-opset14/model.onnx")
	require.NoError(t, err)
	_, err = passes.Optimize(m, 2, passes.Options{})
	require.NoError(t, err)
	s, err := Lower(m.Graph, Options{})
	require.NoError(t, err)
	n := 0
	for _, st := range s.Steps {
		k, ok := st.Kernel.(*AttentionCore)
		if !ok {
			continue
		}
		n++
		for _, dims := range [][]int64{{1, 7}, {3, 128}} {
			got, err := s.Eval(k.Scratch.Bytes(), dims)
			require.NoError(t, err)
			require.Equal(t, int64(4*cpu.AttentionScratch(int(dims[0]), int(dims[1]), k.Hidden, k.Heads)), got)
		}
	}
	require.Equal(t, 2, n)
}
