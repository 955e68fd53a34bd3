package passes

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/backend/ref"
	"github.com/llmc/llmc/conformance"
	"github.com/llmc/llmc/ir"
)

// randomInputs makes inputs for g's declared types, binding every symbolic dim to a size.
func randomInputs(t *testing.T, g *ir.Graph, rng *rand.Rand, symSize int64) map[string]ir.Datum {
	in := map[string]ir.Datum{}
	for _, v := range g.Inputs {
		require.True(t, v.Type.Ranked, v.Name)
		var dims []int64
		for _, d := range v.Type.Shape {
			if d.IsConcrete() {
				dims = append(dims, d.Value)
			} else {
				dims = append(dims, symSize)
			}
		}
		tt := ir.MustTensor(v.Type.DType, dims...)
		switch v.Type.DType {
		case ir.Float32:
			for i := range tt.Float32s() {
				tt.Float32s()[i] = float32(rng.NormFloat64())
			}
		case ir.Int64:
			for i := range tt.Int64s() {
				tt.Int64s()[i] = int64(rng.Intn(2))
			}
		case ir.Bool:
			for i := range tt.Raw {
				tt.Raw[i] = byte(rng.Intn(2))
			}
		default:
			t.Fatalf("randomInputs: unsupported dtype %s", v.Type.DType)
		}
		in[v.Name] = tt
	}
	return in
}

// checkPasses parses src, runs the named passes with verification, checks that each CHECK
// substring appears in order in the printed result (and each CHECK-NOT does not appear), and
// checks the optimized graph computes the same outputs as the original on random inputs.
func checkPasses(t *testing.T, src string, passNames []string, checks ...string) *ir.Model {
	t.Helper()
	orig, err := ir.ParseModel(src)
	require.NoError(t, err)
	m, err := ir.ParseModel(src)
	require.NoError(t, err)
	_, err = RunNamed(m, passNames, Options{VerifyEach: true})
	require.NoError(t, err)
	out := ir.FormatModel(m)
	pos := 0
	for _, c := range checks {
		if strings.HasPrefix(c, "NOT ") {
			require.NotContains(t, out, c[4:], "result:\n%s", out)
			continue
		}
		i := strings.Index(out[pos:], c)
		require.GreaterOrEqual(t, i, 0, "CHECK %q not found (in order) in:\n%s", c, out)
		pos += i + len(c)
	}
	rng := rand.New(rand.NewSource(1))
	for trial := 0; trial < 3; trial++ {
		in := randomInputs(t, orig.Graph, rng, int64(2+trial))
		want, err := ref.Run(orig.Graph, in, ref.Options{})
		require.NoError(t, err)
		got, err := ref.Run(m.Graph, in, ref.Options{})
		require.NoError(t, err)
		require.Equal(t, len(want), len(got))
		for i := range want {
			require.Equal(t, "", conformance.Compare(got[i], want[i], 1e-4, 1e-5), "output %d", i)
		}
	}
	return m
}

func TestFoldConstantsAndShapes(t *testing.T) {
	checkPasses(t, `model opsets{"": 17}
graph g(%x: f32[2,3]) -> (%y) {
  %a: f32[3] = const [1.0, 2.0, 3.0]
  %b: f32[3] = const [0.5, 0.5, 0.5]
  %c: f32[3] = Mul(%a, %b)
  %s: i64[2] = Shape(%x)
  %y: f32[2,3] = Add(%x, %c)
  %k: f32[1] = Constant() {value=tensor<f32[1]>[4.0]}
}
`, []string{"fold"}, "%c: f32[3] = const [0.5, 1.0, 1.5]", "NOT Shape(", "NOT Constant(", "Add(%x, %c)")
}

func TestShapeChainsBecomeSymbolicReshapes(t *testing.T) {
	m := checkPasses(t, `model opsets{"": 17}
graph g(%x: f32[batch,seq,8]) -> (%y) {
  %i0: i64[] = const [0]
  %i1: i64[] = const [1]
  %ax: i64[1] = const [0]
  %h: i64[1] = const [2]
  %d: i64[1] = const [4]
  %s: i64[3] = Shape(%x)
  %g0: i64[] = Gather(%s, %i0) {axis=0}
  %g1: i64[] = Gather(%s, %i1) {axis=0}
  %u0: i64[1] = Unsqueeze(%g0, %ax)
  %u1: i64[1] = Unsqueeze(%g1, %ax)
  %t: i64[4] = Concat(%u0, %u1, %h, %d) {axis=0}
  %y: f32[batch,seq,2,4] = Reshape(%x, %t)
}
`, []string{"infer", "fold", "shape", "dce"}, "const [0, 0, 2, 4]", "NOT Shape(", "NOT Concat(", "%y: f32[batch,seq,2,4] = Reshape(")
	require.Len(t, m.Graph.Nodes, 1)
}

func TestShapeStaticValuesFold(t *testing.T) {
	checkPasses(t, `model opsets{"": 17}
graph g(%x: f32[2,6]) -> (%y) {
  %s: i64[2] = Shape(%x)
  %k1: i64[2] = const [3, 1]
  %k2: i64[2] = const [1, 3]
  %r1: i64[2] = Mul(%s, %k1)
  %r: i64[2] = Div(%r1, %k2)
  %y: f32[?,?] = Reshape(%x, %r)
}
`, []string{"infer", "fold", "shape", "dce"}, "const [6, 2]", "NOT Shape(", "%y: f32[6,2] = Reshape(%x")
}

func TestSimplifyRules(t *testing.T) {
	checkPasses(t, `model opsets{"": 17}
graph g(%x: f32[2,3], %m: f32[2,4]) -> (%y, %z) {
  %one: f32[] = const [1.0]
  %zero: f32[3] = const [0.0, 0.0, 0.0]
  %four: f32[] = const [4.0]
  %a: f32[2,3] = Identity(%x)
  %b: f32[2,3] = Mul(%a, %one)
  %c: f32[2,3] = Add(%zero, %b)
  %d: f32[2,3] = Div(%c, %four)
  %e: f32[2,3] = Dropout(%d)
  %f: f32[2,3] = Cast(%e) {to=1}
  %t1: f32[3,2] = Transpose(%f) {perm=[1, 0]}
  %t2: f32[2,3] = Transpose(%t1) {perm=[1, 0]}
  %y: f32[2,3] = Neg(%t2)
  %z: f32[3,4] = Gemm(%t1, %m) {transA=0}
}
`, []string{"simplify", "dce"}, "const [0.25]", "= Mul(%x,", "NOT Identity", "NOT Dropout", "NOT Cast", "NOT Div", "transA=1")
}

func TestCSE(t *testing.T) {
	m := checkPasses(t, `model opsets{"": 17}
graph g(%x: f32[4]) -> (%y) {
  %c1: f32[] = const [2.0]
  %c2: f32[] = const [2.0]
  %a: f32[4] = Mul(%x, %c1)
  %b: f32[4] = Mul(%x, %c2)
  %y: f32[4] = Add(%a, %b)
}
`, []string{"cse"}, "Add(%a, %a)")
	require.Len(t, m.Graph.Nodes, 2)
}

func TestDCEKeepsOutputsAndDropsDead(t *testing.T) {
	m := checkPasses(t, `model opsets{"": 17}
graph g(%x: f32[4]) -> (%y) {
  %unused: f32[4] = const [1.0, 2.0, 3.0, 4.0]
  %dead: f32[4] = Exp(%x)
  %y: f32[4] = Neg(%x)
}
`, []string{"dce"}, "NOT Exp", "NOT %unused")
	require.Len(t, m.Graph.Nodes, 1)
}

func TestFuseLayerNormAndSkip(t *testing.T) {
	checkPasses(t, `model opsets{"": 14}
graph g(%x: f32[b,s,4], %r: f32[b,s,4]) -> (%y) {
  %two: f32[] = const [2.0]
  %eps: f32[] = const [1e-05]
  %gamma: f32[4] = const [1.0, 0.5, 2.0, 1.5]
  %beta: f32[4] = const [0.0, 0.1, -0.1, 0.2]
  %bias: f32[4] = const [0.3, 0.2, 0.1, 0.0]
  %xb: f32[b,s,4] = Add(%bias, %x)
  %in: f32[b,s,4] = Add(%xb, %r)
  %m: f32[b,s,1] = ReduceMean(%in) {axes=[-1]}
  %d: f32[b,s,4] = Sub(%in, %m)
  %p: f32[b,s,4] = Pow(%d, %two)
  %v: f32[b,s,1] = ReduceMean(%p) {axes=[-1]}
  %ve: f32[b,s,1] = Add(%v, %eps)
  %sd: f32[b,s,1] = Sqrt(%ve)
  %n: f32[b,s,4] = Div(%d, %sd)
  %g: f32[b,s,4] = Mul(%n, %gamma)
  %y: f32[b,s,4] = Add(%g, %beta)
}
`, []string{"fuse", "dce"}, `com.microsoft::SkipLayerNormalization(%x, %r, %gamma, %beta, %bias) {epsilon=1e-05}`, "NOT ReduceMean")
}

func TestFuseGeluVariants(t *testing.T) {
	// erf form in the export's association, with the bias absorbed
	checkPasses(t, `model opsets{"": 17}
graph g(%x: f32[b,4]) -> (%y) {
  %bias: f32[4] = const [0.1, 0.2, 0.3, 0.4]
  %rs2: f32[] = const [0.70710677]
  %one: f32[] = const [1.0]
  %half: f32[] = const [0.5]
  %xb: f32[b,4] = Add(%x, %bias)
  %a: f32[b,4] = Mul(%xb, %rs2)
  %e: f32[b,4] = Erf(%a)
  %p: f32[b,4] = Add(%e, %one)
  %q: f32[b,4] = Mul(%xb, %p)
  %y: f32[b,4] = Mul(%q, %half)
}
`, []string{"fuse", "dce"}, "com.microsoft::BiasGelu(%x, %bias)", "NOT Erf")
	// tanh form
	checkPasses(t, `model opsets{"": 17}
graph g(%x: f32[b,4]) -> (%y) {
  %three: f32[] = const [3.0]
  %c1: f32[] = const [0.044715]
  %c2: f32[] = const [0.7978846]
  %one: f32[] = const [1.0]
  %half: f32[] = const [0.5]
  %x3: f32[b,4] = Pow(%x, %three)
  %t1: f32[b,4] = Mul(%c1, %x3)
  %t2: f32[b,4] = Add(%x, %t1)
  %t3: f32[b,4] = Mul(%t2, %c2)
  %th: f32[b,4] = Tanh(%t3)
  %p: f32[b,4] = Add(%one, %th)
  %hx: f32[b,4] = Mul(%half, %x)
  %y: f32[b,4] = Mul(%hx, %p)
}
`, []string{"fuse", "dce"}, "com.microsoft::FastGelu(%x)", "NOT Tanh")
}

func TestPipelineConstraints(t *testing.T) {
	for level, names := range Pipelines {
		require.NoError(t, CheckConstraints(names), "O%d", level)
		_, err := Lookup(names...)
		require.NoError(t, err, "O%d", level)
	}
	require.Error(t, CheckConstraints([]string{"fuse", "fold", "simplify"}))
	_, err := Lookup("no-such-pass")
	require.ErrorContains(t, err, "unknown pass")
}

func TestVerifyEachNamesTheBrokenPass(t *testing.T) {
	m, err := ir.ParseModel(`model opsets{"": 17}
graph g(%x: f32[4]) -> (%y) {
  %y: f32[4] = Neg(%x)
}
`)
	require.NoError(t, err)
	breaker := Pass{Name: "breaker", Run: func(c *Context, g *ir.Graph) error {
		g.Nodes[0].Inputs[0] = &ir.Value{Name: "ghost", Type: g.Inputs[0].Type}
		return nil
	}}
	_, err = RunPasses(m, []Pass{breaker}, Options{VerifyEach: true})
	require.ErrorContains(t, err, "after pass breaker")
}

func TestRulesAreComplete(t *testing.T) {
	for _, set := range [][]Rule{simplifyRules, fusionRules} {
		for _, r := range set {
			require.NotEmpty(t, r.Name)
			require.NotNil(t, r.Match, r.Name)
			require.NotNil(t, r.Rewrite, r.Name)
		}
	}
}
