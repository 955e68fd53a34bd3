package ir_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/backend/ref"
	"github.com/llmc/llmc/ir"
)

// shapeValueCases are small shape computations on %x: f32[batch,3,seq], %c: f32[2,3] and
// %z: f32[seq] with the value ShapeValueOf must give %y (ir.ShapeValue.String: elements in
// brackets, a scalar bare; "" when it is not a shape value at all). Every case is also run by the
// reference interpreter with the symbols bound, and every element the walker claims to know (a
// number or a symbol) must be what the run computes.
var shapeValueCases = []struct{ name, body, want string }{
	{"shape", `%y: ? = Shape(%x)`, "[batch,3,seq]"},
	{"shape-start", `%y: ? = Shape(%x) {start=1}`, "[3,seq]"},
	{"shape-last", `%y: ? = Shape(%x) {start=-1}`, "[seq]"},
	{"shape-end", `%y: ? = Shape(%x) {end=-1}`, "[batch,3]"},
	{"size-static", `%y: ? = Size(%c)`, "6"},
	{"size-symbol", `%y: ? = Size(%z)`, "seq"},
	{"size-product", `%y: ? = Size(%x)`, "3*batch*seq"},
	{"gather-scalar", `%s: ? = Shape(%x)
  %i: i64[] = const [2]
  %y: ? = Gather(%s, %i) {axis=0}`, "seq"},
	{"gather-vector", `%s: ? = Shape(%x)
  %i: i64[2] = const [-1, 0]
  %y: ? = Gather(%s, %i) {axis=0}`, "[seq,batch]"},
	{"unsqueeze-squeeze", `%s: ? = Shape(%x)
  %i: i64[] = const [0]
  %ax: i64[1] = const [0]
  %g: ? = Gather(%s, %i) {axis=0}
  %u: ? = Unsqueeze(%g, %ax)
  %y: ? = Squeeze(%u, %ax)`, "batch"},
	{"concat", `%s: ? = Shape(%x)
  %i0: i64[] = const [0]
  %i2: i64[] = const [2]
  %ax: i64[1] = const [0]
  %m: i64[1] = const [-1]
  %b: ? = Gather(%s, %i0) {axis=0}
  %q: ? = Gather(%s, %i2) {axis=0}
  %ub: ? = Unsqueeze(%b, %ax)
  %uq: ? = Unsqueeze(%q, %ax)
  %y: ? = Concat(%ub, %m, %uq) {axis=0}`, "[batch,-1,seq]"},
	{"slice-reverse", `%s: ? = Shape(%x)
  %st: i64[1] = const [2]
  %en: i64[1] = const [0]
  %ax: i64[1] = const [0]
  %sp: i64[1] = const [-1]
  %y: ? = Slice(%s, %st, %en, %ax, %sp)`, "[seq,3]"},
	{"slice-open-end", `%s: ? = Shape(%x)
  %st: i64[1] = const [-2]
  %en: i64[1] = const [9223372036854775807]
  %y: ? = Slice(%s, %st, %en)`, "[3,seq]"},
	{"constant-of-shape", `%n: i64[1] = const [3]
  %y: ? = ConstantOfShape(%n) {value=tensor<i64[1]>[7]}`, "[7,7,7]"},
	{"constant-of-shape-float", `%n: i64[1] = const [2]
  %y: ? = ConstantOfShape(%n)`, "[?,?]"}, // float zeros: not integer arithmetic
	{"roberta-where", `%s: ? = Shape(%x)
  %i0: i64[] = const [0]
  %i2: i64[] = const [2]
  %ax: i64[1] = const [0]
  %two: i64[1] = const [2]
  %neg: i64[2] = const [-1, -1]
  %b: ? = Gather(%s, %i0) {axis=0}
  %q: ? = Gather(%s, %i2) {axis=0}
  %ub: ? = Unsqueeze(%b, %ax)
  %uq: ? = Unsqueeze(%q, %ax)
  %cat: ? = Concat(%ub, %uq) {axis=0}
  %ones: ? = ConstantOfShape(%two) {value=tensor<i64[1]>[1]}
  %eq: ? = Equal(%cat, %neg)
  %y: ? = Where(%eq, %ones, %cat)`, "[batch,seq]"},
	{"not-equal", `%s: ? = Shape(%x)
  %k: i64[1] = const [3]
  %e: ? = Equal(%s, %k)
  %y: ? = Not(%e)`, "[?,0,?]"},
	{"add", `%s: ? = Shape(%x)
  %k: i64[1] = const [1]
  %y: ? = Add(%s, %k)`, "[?,4,?]"},
	{"add-zero", `%s: ? = Shape(%x)
  %k: i64[] = const [0]
  %y: ? = Add(%k, %s)`, "[batch,3,seq]"},
	{"sub-self", `%s: ? = Shape(%x)
  %y: ? = Sub(%s, %s)`, "[0,0,0]"},
	{"mul-zero-one", `%s: ? = Shape(%x)
  %k: i64[3] = const [0, 1, 1]
  %y: ? = Mul(%s, %k)`, "[0,3,seq]"},
	{"div-truncates", `%a: i64[4] = const [-7, 7, -7, 7]
  %b: i64[4] = const [2, 2, -2, -2]
  %y: ? = Div(%a, %b)`, "[-3,3,3,-3]"},
	{"div-one", `%s: ? = Shape(%x)
  %k: i64[1] = const [1]
  %y: ? = Div(%s, %k)`, "[batch,3,seq]"},
	{"max-min", `%s: ? = Shape(%x)
  %k: i64[3] = const [0, 5, -1]
  %y: ? = Max(%s, %k)`, "[batch,5,seq]"},
	{"min-negative", `%s: ? = Shape(%x)
  %k: i64[3] = const [-1, 2, 0]
  %y: ? = Min(%s, %k)`, "[-1,2,0]"},
	{"max-variadic", `%a: i64[1] = const [1]
  %b: i64[1] = const [5]
  %c3: i64[1] = const [3]
  %y: ? = Max(%a, %b, %c3)`, "[5]"},
	{"expand-scalar", `%k: i64[] = const [4]
  %n: i64[1] = const [3]
  %y: ? = Expand(%k, %n)`, "[4,4,4]"},
	{"expand-keep", `%s: ? = Shape(%x)
  %n: i64[1] = const [1]
  %y: ? = Expand(%s, %n)`, "[batch,3,seq]"},
	{"range", `%a: i64[] = const [0]
  %b: i64[] = const [5]
  %d: i64[] = const [2]
  %y: ? = Range(%a, %b, %d)`, "[0,2,4]"},
	{"cast-int32", `%s: ? = Shape(%x)
  %y: ? = Cast(%s) {to=6}`, "[batch,3,seq]"},
	{"cast-bool", `%k: i64[3] = const [0, 2, -1]
  %y: ? = Cast(%k) {to=9}`, "[0,1,1]"},
	{"cast-int8-wraps", `%k: i64[1] = const [300]
  %y: ? = Cast(%k) {to=3}`, "[44]"},
	{"reshape-scalar", `%s: ? = Shape(%z)
  %e: i64[0] = const []
  %y: ? = Reshape(%s, %e)`, "seq"},
	{"reshape-flat", `%s: ? = Shape(%x)
  %m: i64[1] = const [-1]
  %y: ? = Reshape(%s, %m)`, "[batch,3,seq]"},
	{"identity", `%s: ? = Shape(%x)
  %y: ? = Identity(%s)`, "[batch,3,seq]"},
	{"not-shape-value", `%y: ? = Relu(%x)`, ""},
}

func TestShapeValueOf(t *testing.T) {
	for _, tc := range shapeValueCases {
		t.Run(tc.name, func(t *testing.T) {
			src := "model opsets{\"\": 17}\ngraph g(%x: f32[batch,3,seq], %c: f32[2,3], %z: f32[seq]) -> (%y) {\n  " + tc.body + "\n}\n"
			m, err := ir.ParseModel(src)
			require.NoError(t, err)
			g := m.Graph
			require.NoError(t, ir.InferTypes(g))
			y := g.Outputs[0]
			sv, ok := ir.ShapeValueOf(y)
			got := ""
			if ok {
				got = sv.String()
			}
			require.Equal(t, tc.want, got, "value of %%y (type %s)", y.Type)
			if !ok {
				return
			}
			for _, bind := range []map[string]int64{{"batch": 2, "seq": 5}, {"batch": 3, "seq": 1}} {
				out, err := ref.Run(g, shapeValueInputs(g, bind), ref.Options{})
				require.NoError(t, err)
				run := out[0].(*ir.Tensor)
				require.Equal(t, sv.Scalar, len(run.Shape) == 0, "rank")
				require.Equal(t, len(sv.Elems), run.Len(), "length")
				for i, e := range sv.Elems {
					switch {
					case e.Known:
						require.Equal(t, e.N, run.Int64At(i), "element %d with %v", i, bind)
					case e.Sym != "":
						coef, syms, ok := e.Dim().Factors()
						require.True(t, ok)
						for _, s := range syms {
							coef *= bind[s]
						}
						require.Equal(t, coef, run.Int64At(i), "element %d with %v", i, bind)
					}
				}
			}
		})
	}
}

// shapeValueInputs makes zero inputs for g with its symbols bound.
func shapeValueInputs(g *ir.Graph, bind map[string]int64) map[string]ir.Datum {
	in := map[string]ir.Datum{}
	for _, v := range g.Inputs {
		var dims []int64
		for _, d := range v.Type.Shape {
			if d.IsSymbolic() {
				dims = append(dims, bind[d.Param])
			} else {
				dims = append(dims, d.Value)
			}
		}
		in[v.Name] = ir.MustTensor(v.Type.DType, dims...)
	}
	return in
}

func TestShapeValueHooks(t *testing.T) {
	for _, op := range strings.Fields("Constant Shape Size Identity Cast Squeeze Unsqueeze Reshape Concat Gather Slice ConstantOfShape Where Equal Not Add Sub Mul Div Max Min Expand Range") {
		require.NotNil(t, ir.MustOp("", op).ShapeValue, op)
	}
}

// A malformed graph with a cycle, and chains deeper than the walk's bound, end the walk.
func TestShapeValueGuards(t *testing.T) {
	a := &ir.Value{Name: "a", Type: ir.TensorType(ir.Int64, ir.Shape{ir.D(2)})}
	b := &ir.Value{Name: "b", Type: ir.TensorType(ir.Int64, ir.Shape{ir.D(2)})}
	na := &ir.Node{Op: "Identity", Inputs: []*ir.Value{b}, Outputs: []*ir.Value{a}}
	nb := &ir.Node{Op: "Identity", Inputs: []*ir.Value{a}, Outputs: []*ir.Value{b}}
	a.Def, b.Def = na, nb
	sv, ok := ir.ShapeValueOf(a)
	require.True(t, ok)
	require.Equal(t, "[?,?]", sv.String()) // the declared length

	x := &ir.Value{Name: "x", Type: ir.TensorType(ir.Float32, ir.Shape{ir.Sym("n")})}
	v := &ir.Value{Name: "s", Type: ir.TensorType(ir.Int64, ir.Shape{ir.D(1)})}
	v.Def = &ir.Node{Op: "Shape", Inputs: []*ir.Value{x}, Outputs: []*ir.Value{v}}
	for depth := 0; depth < 100; depth++ {
		w := &ir.Value{Name: fmt.Sprint("i", depth), Type: v.Type}
		w.Def = &ir.Node{Op: "Identity", Inputs: []*ir.Value{v}, Outputs: []*ir.Value{w}}
		v = w
	}
	sv, ok = ir.ShapeValueOf(v)
	require.True(t, ok)
	require.Equal(t, "[?]", sv.String())
	// an evaluator whose memo holds the values below reaches it
	e := ir.NewShapeValues()
	var chain []*ir.Value
	for w := v; w.Def != nil; w = w.Def.Inputs[0] {
		chain = append(chain, w)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		sv, ok = e.Of(chain[i])
	}
	require.True(t, ok)
	require.Equal(t, "[n]", sv.String())
}

// Range(0, d, 1) has d elements when d is a dim read from a shape: at -O0, with no pass run.
func TestRangeSymbolicLimit(t *testing.T) {
	for _, tc := range []struct{ start, delta, want string }{
		{"0", "1", "i64[seq]"},
		{"1", "1", "i64[?]"},
		{"0", "2", "i64[?]"},
	} {
		m, err := ir.ParseModel(`model opsets{"": 17}
graph g(%x: f32[batch,seq]) -> (%r) {
  %s: ? = Shape(%x)
  %i: i64[] = const [1]
  %a: i64[] = const [` + tc.start + `]
  %d: i64[] = const [` + tc.delta + `]
  %n: ? = Gather(%s, %i) {axis=0}
  %r: ? = Range(%a, %n, %d)
}
`)
		require.NoError(t, err)
		require.NoError(t, ir.InferTypes(m.Graph))
		require.Equal(t, tc.want, m.Graph.Outputs[0].Type.String(), "Range(%s, seq, %s)", tc.start, tc.delta)
	}
	// all three read from shapes of static dims (not folded at -O0): the exact length
	m, err := ir.ParseModel(`model opsets{"": 17}
graph g(%x: f32[2,7]) -> (%r) {
  %s: ? = Shape(%x)
  %i0: i64[] = const [0]
  %i1: i64[] = const [1]
  %a: ? = Gather(%s, %i0) {axis=0}
  %n: ? = Gather(%s, %i1) {axis=0}
  %r: ? = Range(%a, %n, %a)
}
`)
	require.NoError(t, err)
	require.NoError(t, ir.InferTypes(m.Graph))
	require.Equal(t, "i64[3]", m.Graph.Outputs[0].Type.String())
}
