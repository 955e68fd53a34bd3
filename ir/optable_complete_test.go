package ir_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	_ "github.com/llmc/llmc/backend/ref" // registers the Eval hooks
	"github.com/llmc/llmc/ir"
)

// transformerOps are the ops of BERT, DistilBERT, RoBERTa and GPT-style exports at opsets 11-17
// and of what llmc's optimizer makes of them: each must have a Cost hook or be marked
// memory-bound. Every op of the llmc domain is required as well (see requiresCost).
var transformerOps = []string{
	// products and their fused forms
	"MatMul", "Gemm", "Einsum",
	"com.microsoft::FusedMatMul", "com.microsoft::FusedGemm", "com.microsoft::Attention",
	"llmc::MatMulBias", "llmc::MatMulBiasGelu", "llmc::MatMulFastGelu",
	"llmc::MatMulSkipLayerNormalization", "llmc::MatMulSkipLayerNormalizationSum",
	// normalizations, fused and decomposed
	"LayerNormalization", "SimplifiedLayerNormalization",
	"com.microsoft::SkipLayerNormalization", "com.microsoft::SkipSimplifiedLayerNormalization",
	"com.microsoft::EmbedLayerNormalization", "com.microsoft::BiasAdd",
	"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceSumSquare",
	"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
	"Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Reciprocal",
	// activations
	"Gelu", "com.microsoft::Gelu", "com.microsoft::BiasGelu", "com.microsoft::FastGelu", "com.microsoft::QuickGelu",
	"Erf", "Tanh", "Exp", "Log", "Relu", "Sigmoid", "Neg", "Abs",
	"Softmax", "LogSoftmax",
	// masks and positions
	"Where", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or",
	"CumSum", "Max", "Min", "Sum", "Mean", "Clip", "Dropout", "ArgMax", "Range", "Trilu",
	// data movement
	"Reshape", "Transpose", "Gather", "GatherElements", "Concat", "Slice", "Expand", "Cast", "CastLike",
	"Identity", "Squeeze", "Unsqueeze", "Shape", "Size", "Flatten", "Split", "Tile", "Pad",
	"Constant", "ConstantOfShape",
}

// requiresCost reports whether the table must give s a cost hook or a memory-bound mark.
func requiresCost(s *ir.OpSchema, listed map[string]bool) bool {
	return listed[s.Key()] || s.Domain == ir.LLMCDomain
}

// checkCostCoverage returns the problems with the cost coverage of schemas: a required op
// missing from the table, or without Cost and not memory-bound; a memory-bound op without the
// Cost hook that reports its bytes.
func checkCostCoverage(schemas []*ir.OpSchema, required []string) []string {
	listed := map[string]bool{}
	for _, k := range required {
		listed[k] = true
	}
	seen := map[string]bool{}
	var problems []string
	for _, s := range schemas {
		seen[s.Key()] = true
		if s.MemoryBound && s.Cost == nil {
			problems = append(problems, s.Key()+": memory-bound but no Cost hook for its bytes")
		}
		if requiresCost(s, listed) && s.Cost == nil && !s.MemoryBound {
			problems = append(problems, s.Key()+": transformer op without a Cost hook or memory-bound mark")
		}
	}
	for _, k := range required {
		if !seen[k] {
			problems = append(problems, k+": transformer op missing from the op table")
		}
	}
	return problems
}

// TestOpTableComplete checks every op's hooks:
//   - Infer: required for every op.
//   - Eval (registered by backend/ref) or a NoEval reason: required for every op, not both.
//   - Cost or MemoryBound: required for the transformer ops (transformerOps and the llmc
//     domain); counted for the rest. A memory-bound op must still have a Cost hook (its bytes).
//   - Grad or NoGrad: not required yet (the autodiff issue fills Grad), counted; never both.
func TestOpTableComplete(t *testing.T) {
	ops := ir.Ops()
	for _, s := range ops {
		k := s.Key()
		if s.Infer == nil {
			t.Errorf("%s: no inference hook", k)
		}
		if s.Eval == nil && s.NoEval == "" {
			t.Errorf("%s: no Eval hook (backend/ref) and no NoEval reason", k)
		}
		if s.Eval != nil && s.NoEval != "" {
			t.Errorf("%s: has an Eval hook and NoEval %q", k, s.NoEval)
		}
		if s.Grad != nil && s.NoGrad != "" {
			t.Errorf("%s: has a Grad hook and NoGrad %q", k, s.NoGrad)
		}
	}
	for _, p := range checkCostCoverage(ops, transformerOps) {
		t.Error(p)
	}

	var cost, memBound, noCost, grad, noGrad, neither, noEval int
	var uncosted, ungraded []string
	for _, s := range ops {
		switch {
		case s.MemoryBound:
			memBound++
		case s.Cost != nil:
			cost++
		default:
			noCost++
			uncosted = append(uncosted, s.Key())
		}
		switch {
		case s.Grad != nil:
			grad++
		case s.NoGrad != "":
			noGrad++
		default:
			neither++
			ungraded = append(ungraded, s.Key())
		}
		if s.NoEval != "" {
			noEval++
		}
	}
	sort.Strings(uncosted)
	t.Logf("%d ops: %d evaluated, %d with a NoEval reason", len(ops), len(ops)-noEval, noEval)
	t.Logf("cost: %d with a Cost hook, %d memory-bound, %d without (not required): %s",
		cost, memBound, noCost, strings.Join(uncosted, " "))
	t.Logf("gradient: %d with Grad, %d with NoGrad, %d with neither (filled by the autodiff issue)", grad, noGrad, neither)
}

// TestOpTableCompleteDetectsMissingCost shows the coverage check fails when a transformer op
// loses its cost hook.
func TestOpTableCompleteDetectsMissingCost(t *testing.T) {
	var ops []*ir.OpSchema
	for _, s := range ir.Ops() {
		c := *s
		if s.Key() == "com.microsoft::SkipLayerNormalization" || s.Key() == "llmc::MatMulBias" {
			c.Cost = nil
		}
		ops = append(ops, &c)
	}
	got := checkCostCoverage(ops, transformerOps)
	if len(got) != 2 || !strings.HasPrefix(got[0], "com.microsoft::SkipLayerNormalization:") ||
		!strings.HasPrefix(got[1], "llmc::MatMulBias:") {
		t.Fatalf("coverage check found %q, want SkipLayerNormalization and MatMulBias", got)
	}
	if got := checkCostCoverage(ir.Ops(), append([]string{"NoSuchOp"}, transformerOps...)); len(got) != 1 {
		t.Fatalf("coverage check found %q, want the missing NoSuchOp", got)
	}
}

func f32(dims ...int64) ir.Type { return ir.TensorType(ir.Float32, ir.ConcreteShape(dims...)) }
func i32(dims ...int64) ir.Type { return ir.TensorType(ir.Int32, ir.ConcreteShape(dims...)) }

// opCost runs the Cost hook of op (domain::op) on a node with the given attributes and as many
// inputs as types (a type with Kind unknown is an absent input).
func opCost(t *testing.T, op string, attrs []ir.Attr, in, out []ir.Type) ir.Cost {
	t.Helper()
	domain, name, ok := strings.Cut(op, "::")
	if !ok {
		domain, name = "", op
	}
	s := ir.LookupOp(domain, name)
	if s == nil || s.Cost == nil {
		t.Fatalf("%s: no cost hook", op)
	}
	n := &ir.Node{Op: name, Domain: domain}
	for i, ty := range in {
		var v *ir.Value
		if ty.Kind != ir.KindUnknown {
			v = &ir.Value{Name: fmt.Sprint("in", i), Type: ty}
		}
		n.Inputs = append(n.Inputs, v)
	}
	for _, a := range attrs {
		n.SetAttr(a)
	}
	return s.Cost(n, in, out)
}

func TestCostFLOPs(t *testing.T) {
	absent := ir.Type{}
	for _, tc := range []struct {
		name    string
		op      string
		attrs   []ir.Attr
		in, out []ir.Type
		flops   int64
		bytes   int64 // checked when nonzero
	}{
		// 2*K per output element: 2*4 * 2*3*5
		{"matmul", "MatMul", nil, []ir.Type{f32(2, 3, 4), f32(4, 5)}, []ir.Type{f32(2, 3, 5)}, 240, 4 * (24 + 20 + 30)},
		// 2MNK + the bias add; alpha and beta of 1 are free
		{"gemm bias", "Gemm", nil, []ir.Type{f32(3, 4), f32(4, 5), f32(5)}, []ir.Type{f32(3, 5)}, 2*3*4*5 + 15, 4 * (12 + 20 + 5 + 15)},
		{"gemm scaled", "Gemm", []ir.Attr{ir.AFloat("alpha", 0.5), ir.AFloat("beta", 2)},
			[]ir.Type{f32(3, 4), f32(4, 5), f32(5)}, []ir.Type{f32(3, 5)}, 2*3*4*5 + 3*15, 0},
		{"gemm transA no bias", "Gemm", []ir.Attr{ir.AInt("transA", 1)}, []ir.Type{f32(4, 3), f32(4, 5)}, []ir.Type{f32(3, 5)}, 2 * 3 * 4 * 5, 0},
		{"fusedmatmul alpha", "com.microsoft::FusedMatMul", []ir.Attr{ir.AFloat("alpha", 0.125), ir.AInt("transB", 1)},
			[]ir.Type{f32(2, 3, 4), f32(2, 5, 4)}, []ir.Type{f32(2, 3, 5)}, 240 + 30, 0},
		{"fusedgemm relu", "com.microsoft::FusedGemm", []ir.Attr{ir.AString("activation", "Relu")},
			[]ir.Type{f32(3, 4), f32(4, 5), f32(5)}, []ir.Type{f32(3, 5)}, 2*3*4*5 + 15 + 15, 0},
		// max, subtract, exp, sum, divide per element
		{"softmax", "Softmax", []ir.Attr{ir.AInt("axis", -1)}, []ir.Type{f32(2, 3, 4)}, []ir.Type{f32(2, 3, 4)}, 5 * 24, 4 * 48},
		{"logsoftmax", "LogSoftmax", []ir.Attr{ir.AInt("axis", -1)}, []ir.Type{f32(2, 3, 4)}, []ir.Type{f32(2, 3, 4)}, 5*24 + 6, 0},
		// per row of n: 7n+4 with bias, 6n+4 without
		{"layernorm", "LayerNormalization", nil, []ir.Type{f32(2, 3, 4), f32(4), f32(4)}, []ir.Type{f32(2, 3, 4)}, 6 * (7*4 + 4), 4 * (24 + 4 + 4 + 24)},
		{"layernorm no bias", "LayerNormalization", nil, []ir.Type{f32(2, 3, 4), f32(4)}, []ir.Type{f32(2, 3, 4)}, 6 * (6*4 + 4), 0},
		{"layernorm axis 1", "LayerNormalization", []ir.Attr{ir.AInt("axis", 1)}, []ir.Type{f32(2, 3, 4), f32(3, 4), f32(3, 4)}, []ir.Type{f32(2, 3, 4)}, 2 * (7*12 + 4), 0},
		{"rmsnorm", "SimplifiedLayerNormalization", nil, []ir.Type{f32(2, 3, 4), f32(4)}, []ir.Type{f32(2, 3, 4)}, 6 * (4*4 + 3), 0},
		// input+skip+bias (2 per element) and LayerNorm with beta
		{"skiplayernorm", "com.microsoft::SkipLayerNormalization", nil,
			[]ir.Type{f32(2, 3, 8), f32(2, 3, 8), f32(8), f32(8), f32(8)}, []ir.Type{f32(2, 3, 8)}, 2*48 + 6*(7*8+4), 0},
		{"skiplayernorm no beta/bias", "com.microsoft::SkipLayerNormalization", nil,
			[]ir.Type{f32(2, 3, 8), f32(2, 3, 8), f32(8)}, []ir.Type{f32(2, 3, 8)}, 48 + 6*(6*8+4), 0},
		// word+position+segment (2 adds), LayerNorm, mask sum; bytes read the embedding rows only
		{"embedlayernorm", "com.microsoft::EmbedLayerNormalization", nil,
			[]ir.Type{i32(2, 3), i32(2, 3), f32(10, 4), f32(6, 4), f32(2, 4), f32(4), f32(4), i32(2, 3)},
			[]ir.Type{f32(2, 3, 4), i32(2)}, 2*24 + 6*(7*4+4) + 6, 4 * (6 + 6 + 4 + 4 + 6 + 3*24 + 24 + 2)},
		// B=2 S=3 H=8 heads=2: projection 2*B*S*8*24, bias B*S*24, QK^T and PV 2*B*S*S*8 each,
		// per score (B*heads*S*S = 36): scale, mask, softmax (5)
		{"attention", "com.microsoft::Attention", []ir.Attr{ir.AInt("num_heads", 2)},
			[]ir.Type{f32(2, 3, 8), f32(8, 24), f32(24), i32(2, 3)}, []ir.Type{f32(2, 3, 8)},
			2*2*3*8*24 + 2*3*24 + 2*(2*2*3*3*8) + 7*36, 0},
		{"attention causal no bias", "com.microsoft::Attention", []ir.Attr{ir.AInt("num_heads", 2), ir.AInt("unidirectional", 1)},
			[]ir.Type{f32(2, 3, 8), f32(8, 24)}, []ir.Type{f32(2, 3, 8)},
			2*2*3*8*24 + 2*(2*2*3*3*8) + 7*36, 0},
		// n reductions plus a divide per output
		{"reducemean", "ReduceMean", []ir.Attr{ir.AInts("axes", -1)}, []ir.Type{f32(2, 3, 4)}, []ir.Type{f32(2, 3, 1)}, 24 + 6, 0},
		{"reducesumsquare", "ReduceSumSquare", nil, []ir.Type{f32(2, 3, 4)}, []ir.Type{f32(1, 1, 1)}, 48, 0},
		{"gelu", "Gelu", nil, []ir.Type{f32(2, 3)}, []ir.Type{f32(2, 3)}, 5 * 6, 0},
		{"gelu tanh", "Gelu", []ir.Attr{ir.AString("approximate", "tanh")}, []ir.Type{f32(2, 3)}, []ir.Type{f32(2, 3)}, 8 * 6, 0},
		{"fastgelu bias", "com.microsoft::FastGelu", nil, []ir.Type{f32(2, 3), f32(3)}, []ir.Type{f32(2, 3)}, 9 * 6, 0},
		{"biasgelu", "com.microsoft::BiasGelu", nil, []ir.Type{f32(2, 3), f32(3)}, []ir.Type{f32(2, 3)}, 6 * 6, 0},
		{"sigmoid", "Sigmoid", nil, []ir.Type{f32(2, 3)}, []ir.Type{f32(2, 3)}, 4 * 6, 0},
		{"add broadcast", "Add", nil, []ir.Type{f32(2, 1), f32(1, 3)}, []ir.Type{f32(2, 3)}, 6, 4 * (2 + 3 + 6)},
		{"add output unknown", "Add", nil, []ir.Type{f32(2, 1), f32(1, 3)}, []ir.Type{{}}, 6, 4 * (2 + 3)},
		{"where", "Where", nil, []ir.Type{ir.TensorType(ir.Bool, ir.ConcreteShape(2, 3)), f32(2, 3), f32()}, []ir.Type{f32(2, 3)}, 6, 0},
		{"sum of 3", "Sum", nil, []ir.Type{f32(2, 3), f32(2, 3), f32(2, 3)}, []ir.Type{f32(2, 3)}, 2 * 6, 0},
		{"clip both", "Clip", nil, []ir.Type{f32(2, 3), f32(), f32()}, []ir.Type{f32(2, 3)}, 2 * 6, 0},
		{"clip max only", "Clip", nil, []ir.Type{f32(2, 3), absent, f32()}, []ir.Type{f32(2, 3)}, 6, 0},
		{"dropout inference", "Dropout", nil, []ir.Type{f32(2, 3)}, []ir.Type{f32(2, 3)}, 0, 4 * 12},
		{"cumsum", "CumSum", nil, []ir.Type{f32(2, 3), i32()}, []ir.Type{f32(2, 3)}, 6, 0},
		{"einsum bmm", "Einsum", []ir.Attr{ir.AString("equation", "bij,bjk->bik")}, []ir.Type{f32(2, 3, 4), f32(2, 4, 5)}, []ir.Type{f32(2, 3, 5)}, 240, 0},
		{"einsum transpose", "Einsum", []ir.Attr{ir.AString("equation", "ij->ji")}, []ir.Type{f32(2, 3)}, []ir.Type{f32(3, 2)}, 0, 0},
		// memory-bound: no FLOPs; Gather reads the gathered rows, not the table
		{"gather", "Gather", nil, []ir.Type{f32(1000, 4), ir.TensorType(ir.Int64, ir.ConcreteShape(2, 3))}, []ir.Type{f32(2, 3, 4)}, 0, 8*6 + 2*4*24},
		{"shape", "Shape", nil, []ir.Type{f32(2, 3)}, []ir.Type{ir.TensorType(ir.Int64, ir.ConcreteShape(2))}, 0, 16},
		{"transpose", "Transpose", nil, []ir.Type{f32(2, 3)}, []ir.Type{f32(3, 2)}, 0, 48},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := opCost(t, tc.op, tc.attrs, tc.in, tc.out)
			if c.FLOPs != tc.flops {
				t.Errorf("%s FLOPs = %d, want %d", tc.op, c.FLOPs, tc.flops)
			}
			if tc.bytes != 0 && c.Bytes != tc.bytes {
				t.Errorf("%s Bytes = %d, want %d", tc.op, c.Bytes, tc.bytes)
			}
		})
	}
}

// TestCostFusedIsSumOfParts checks that a fused op costs the FLOPs of the ops it replaces.
func TestCostFusedIsSumOfParts(t *testing.T) {
	a, w, y := f32(2, 3, 4), f32(4, 8), f32(2, 3, 8)
	vec := f32(8)
	matmul := opCost(t, "MatMul", nil, []ir.Type{a, w}, []ir.Type{y}).FLOPs
	skipLN := opCost(t, "com.microsoft::SkipLayerNormalization", nil, []ir.Type{y, y, vec, vec, vec}, []ir.Type{y}).FLOPs
	for _, tc := range []struct {
		fused string
		in    []ir.Type
		out   []ir.Type
		want  int64
	}{
		{"llmc::MatMulBias", []ir.Type{a, w, vec}, []ir.Type{y},
			matmul + opCost(t, "Add", nil, []ir.Type{y, vec}, []ir.Type{y}).FLOPs},
		{"llmc::MatMulBiasGelu", []ir.Type{a, w, vec}, []ir.Type{y},
			matmul + opCost(t, "com.microsoft::BiasGelu", nil, []ir.Type{y, vec}, []ir.Type{y}).FLOPs},
		{"llmc::MatMulFastGelu", []ir.Type{a, w, vec}, []ir.Type{y},
			matmul + opCost(t, "com.microsoft::FastGelu", nil, []ir.Type{y, vec}, []ir.Type{y}).FLOPs},
		{"llmc::MatMulSkipLayerNormalization", []ir.Type{a, w, y, vec, vec, vec}, []ir.Type{y}, matmul + skipLN},
		{"llmc::MatMulSkipLayerNormalizationSum", []ir.Type{a, w, y, vec, vec, vec}, []ir.Type{y, y}, matmul + skipLN},
	} {
		got := opCost(t, tc.fused, nil, tc.in, tc.out)
		if got.FLOPs != tc.want || got.FLOPs == 0 {
			t.Errorf("%s FLOPs = %d, want %d (the sum of its parts)", tc.fused, got.FLOPs, tc.want)
		}
	}
	// by hand: MatMul 2*4 * 48, SkipLayerNormalization 2*48 adds + 6 rows * (7*8+4)
	if got := opCost(t, "llmc::MatMulSkipLayerNormalization", nil, []ir.Type{a, w, y, vec, vec, vec}, []ir.Type{y}).FLOPs; got != 384+96+360 {
		t.Errorf("MatMulSkipLayerNormalization FLOPs = %d, want %d", got, 384+96+360)
	}
	// Gemm with a bias (alpha = beta = 1) is MatMulBias on 2-D operands.
	a2, y2 := f32(6, 4), f32(6, 8)
	gemm := opCost(t, "Gemm", nil, []ir.Type{a2, w, vec}, []ir.Type{y2}).FLOPs
	if mb := opCost(t, "llmc::MatMulBias", nil, []ir.Type{a2, w, vec}, []ir.Type{y2}).FLOPs; gemm != mb {
		t.Errorf("Gemm FLOPs %d != MatMulBias FLOPs %d", gemm, mb)
	}

	// LayerNormalization is the sum of its opset-11 decomposition; Gelu of its erf form.
	x, row, sc := f32(2, 3, 4), f32(2, 3, 1), f32()
	parts := []struct {
		op      string
		attrs   []ir.Attr
		in, out []ir.Type
	}{
		{"ReduceMean", []ir.Attr{ir.AInts("axes", -1)}, []ir.Type{x}, []ir.Type{row}},
		{"Sub", nil, []ir.Type{x, row}, []ir.Type{x}},
		{"Pow", nil, []ir.Type{x, sc}, []ir.Type{x}},
		{"ReduceMean", []ir.Attr{ir.AInts("axes", -1)}, []ir.Type{x}, []ir.Type{row}},
		{"Add", nil, []ir.Type{row, sc}, []ir.Type{row}},
		{"Sqrt", nil, []ir.Type{row}, []ir.Type{row}},
		{"Div", nil, []ir.Type{x, row}, []ir.Type{x}},
		{"Mul", nil, []ir.Type{x, f32(4)}, []ir.Type{x}},
		{"Add", nil, []ir.Type{x, f32(4)}, []ir.Type{x}},
	}
	var sum int64
	for _, p := range parts {
		sum += opCost(t, p.op, p.attrs, p.in, p.out).FLOPs
	}
	if ln := opCost(t, "LayerNormalization", nil, []ir.Type{x, f32(4), f32(4)}, []ir.Type{x}).FLOPs; ln != sum {
		t.Errorf("LayerNormalization FLOPs %d != its decomposition's %d", ln, sum)
	}
	sum = 0
	for _, p := range []struct {
		op string
		in []ir.Type
	}{{"Div", []ir.Type{x, sc}}, {"Erf", []ir.Type{x}}, {"Add", []ir.Type{x, sc}}, {"Mul", []ir.Type{x, x}}, {"Mul", []ir.Type{x, sc}}} {
		sum += opCost(t, p.op, nil, p.in, []ir.Type{x}).FLOPs
	}
	if g := opCost(t, "com.microsoft::Gelu", nil, []ir.Type{x}, []ir.Type{x}).FLOPs; g != sum {
		t.Errorf("Gelu FLOPs %d != its decomposition's %d", g, sum)
	}
}

// TestCostNeverPanics runs every Cost hook on partially known, unranked, mismatched and empty
// types and on nodes with odd attributes: no panics, no negative counts, zero FLOPs when nothing
// is known, and zero FLOPs always for memory-bound ops.
func TestCostNeverPanics(t *testing.T) {
	unknown := ir.Type{}
	unranked := ir.UnrankedTensor(ir.Float32)
	sym := ir.TensorType(ir.Float32, ir.Shape{ir.Sym("b"), ir.D(3), ir.UnknownDim()})
	seq := ir.Type{Kind: ir.KindSequence, Elem: &unranked}
	typeSets := [][]ir.Type{nil, {unknown}, {unranked}, {sym}, {seq}, {f32()}, {f32(0)}, {f32(4)},
		{f32(2, 3)}, {f32(2, 3, 4)}, {f32(2, 3, 4, 5)}, {f32(2, 3, 4, 5, 6)}, {f32(0, 3, 0)}, {i32(2, 3)},
		{ir.TensorType(ir.Bool, ir.ConcreteShape(2, 3))}}
	attrSets := [][]ir.Attr{nil,
		{ir.AInt("axis", 100), ir.AInts("axes", 7, -9), ir.AInt("num_heads", 0), ir.AInts("kernel_shape"),
			ir.AInts("qkv_hidden_sizes", 1), ir.AString("equation", "ab,bc->ac"), ir.AInt("num_groups", 0),
			ir.AInt("transA", 1), ir.AInt("transBatchA", 1), ir.AInt("p", 1), ir.AInt("size", -3)},
		{ir.AInt("axis", -100), ir.AInt("num_heads", 3), ir.AInts("kernel_shape", 2, 2), ir.AInts("qkv_hidden_sizes", 4, 4, 4),
			ir.AString("equation", "...ij,...jk"), ir.AInt("num_groups", 5), ir.AString("activation", "Sigmoid"),
			ir.AString("reduction", "add")},
	}
	for _, s := range ir.Ops() {
		if s.Cost == nil {
			continue
		}
		for _, attrs := range attrSets {
			for _, ts := range typeSets {
				for _, arity := range []int{0, 1, 2, 3, 5, 9} {
					in := make([]ir.Type, 0, arity)
					out := make([]ir.Type, 0, 2)
					for i := 0; i < arity && len(ts) > 0; i++ {
						in = append(in, ts[0])
					}
					if len(ts) > 0 {
						out = append(out, ts[0], ts[0])
					}
					for _, withInputs := range []bool{false, true} {
						n := &ir.Node{Op: s.Name, Domain: s.Domain}
						for _, a := range attrs {
							n.SetAttr(a)
						}
						if withInputs {
							for range in {
								n.Inputs = append(n.Inputs, &ir.Value{Name: "v"})
							}
						}
						var c ir.Cost
						func() {
							defer func() {
								if r := recover(); r != nil {
									t.Fatalf("%s Cost panics on in %v out %v attrs %v: %v", s.Key(), in, out, attrs, r)
								}
							}()
							c = s.Cost(n, in, out)
						}()
						if c.FLOPs < 0 || c.Bytes < 0 {
							t.Errorf("%s: negative cost %+v on in %v out %v", s.Key(), c, in, out)
						}
						if s.MemoryBound && c.FLOPs != 0 {
							t.Errorf("%s: memory-bound op reports %d FLOPs", s.Key(), c.FLOPs)
						}
						if len(ts) > 0 && !ts[0].Ranked && c.FLOPs != 0 {
							t.Errorf("%s: %d FLOPs with nothing known (in %v)", s.Key(), c.FLOPs, in)
						}
					}
				}
			}
		}
	}
}

// TestCostDropoutTraining: Dropout is free in inference and costs 4 per element when its
// training_mode input is a constant true.
func TestCostDropoutTraining(t *testing.T) {
	s := ir.MustOp("", "Dropout")
	x := &ir.Value{Name: "x", Type: f32(2, 3)}
	train := &ir.Value{Name: "t", Const: ir.FromBools(nil, []bool{true})}
	train.Type = train.Const.Type()
	n := &ir.Node{Op: "Dropout", Inputs: []*ir.Value{x, nil, train}}
	in := []ir.Type{x.Type, {}, train.Type}
	if got := s.Cost(n, in, []ir.Type{f32(2, 3)}).FLOPs; got != 4*6 {
		t.Errorf("training Dropout FLOPs = %d, want %d", got, 4*6)
	}
	n.Inputs[2] = &ir.Value{Name: "t", Type: train.Type}
	if got := s.Cost(n, in, []ir.Type{f32(2, 3)}).FLOPs; got != 0 {
		t.Errorf("Dropout with a non-constant training_mode FLOPs = %d, want 0", got)
	}
}
