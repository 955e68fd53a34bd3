package cpu_test

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/backend/cpu"
	"github.com/llmc/llmc/backend/ref"
	"github.com/llmc/llmc/ir"
)

// Helpers shared by the external tests of the kernels in broadcast.go,
// reduce.go, norm.go, move.go, unary_more.go and typed.go: expected values
// come from the reference interpreter (backend/ref) or from naive loops
// written here, never from the code under test.

// eachPath runs fn once per kernel path this machine supports.
func eachPath(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	for _, p := range cpu.Paths() {
		t.Run(p, func(t *testing.T) {
			restore, err := cpu.SetPath(p)
			require.NoError(t, err)
			defer restore()
			fn(t)
		})
	}
}

// refEval evaluates one ONNX node (default domain, opset 18) on ins with the
// reference interpreter and returns its outputs.
func refEval(t *testing.T, op string, nout int, ins []*ir.Tensor, attrs ...ir.Attr) []*ir.Tensor {
	t.Helper()
	b := ir.NewBuilder("t", map[string]int64{"": 18})
	vals := make([]*ir.Value, len(ins))
	datums := make([]ir.Datum, len(ins))
	for i, x := range ins {
		if x == nil {
			continue
		}
		vals[i] = b.Input(fmt.Sprintf("in%d", i), x.Type())
		datums[i] = x
	}
	outs := b.OpN(op, nout, vals, attrs...)
	b.Output(outs...)
	g, err := b.Graph()
	require.NoError(t, err, "building %s", op)
	res, err := ref.EvalNode(g, g.Nodes[0], datums, ref.Options{})
	require.NoError(t, err, "evaluating %s", op)
	ts := make([]*ir.Tensor, len(res))
	for i, d := range res {
		ts[i] = d.(*ir.Tensor)
	}
	return ts
}

func i64s(xs []int) []int64 {
	r := make([]int64, len(xs))
	for i, x := range xs {
		r[i] = int64(x)
	}
	return r
}

func prod(xs []int) int {
	n := 1
	for _, x := range xs {
		n *= x
	}
	return n
}

// guardF32 returns a slice of n floats inside a NaN-filled buffer, and a
// check that the NaNs around it are intact.
func guardF32(n int) ([]float32, func(t *testing.T)) {
	const g = 19
	buf := make([]float32, n+2*g)
	for i := range buf {
		buf[i] = float32(math.NaN())
	}
	return buf[g : g+n : g+n], func(t *testing.T) {
		t.Helper()
		for i := 0; i < g; i++ {
			require.True(t, buf[i] != buf[i], "write before the start at %d", i-g)
			require.True(t, buf[g+n+i] != buf[g+n+i], "write past the end at +%d", i)
		}
	}
}

// guardBytes is guardF32 for bytes, with 0xA5 as the poison.
func guardBytes(n int) ([]byte, func(t *testing.T)) {
	const g = 37
	buf := make([]byte, n+2*g)
	for i := range buf {
		buf[i] = 0xA5
	}
	return buf[g : g+n : g+n], func(t *testing.T) {
		t.Helper()
		for i := 0; i < g; i++ {
			require.Equal(t, byte(0xA5), buf[i], "write before the start at %d", i-g)
			require.Equal(t, byte(0xA5), buf[g+n+i], "write past the end at +%d", i)
		}
	}
}

// randDims returns a random shape of the given rank with dims drawn from a
// list including 0, 1 and ragged sizes, at most 1<<16 elements.
func randDims(r *rand.Rand, rank int, allowZero bool) []int {
	sizes := []int{1, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33}
	s := make([]int, rank)
	for {
		for i := range s {
			s[i] = sizes[r.IntN(len(sizes))]
			if allowZero && r.IntN(25) == 0 {
				s[i] = 0
			}
		}
		if prod(s) <= 1<<16 {
			return s
		}
	}
}

// randOperand derives an operand shape that broadcasts to out: a suffix of
// out with some dims replaced by 1.
func randOperand(r *rand.Rand, out []int) []int {
	k := len(out) - r.IntN(len(out)+1)
	if r.IntN(3) > 0 {
		k = len(out) // mostly full rank
	}
	s := append([]int{}, out[len(out)-k:]...)
	for i := range s {
		if r.IntN(3) == 0 {
			s[i] = 1
		}
	}
	return s
}

// broadcastOf returns the numpy broadcast of shapes (each a broadcast of
// the same out, so they agree).
func broadcastOf(shapes ...[]int) []int {
	r := 0
	for _, s := range shapes {
		r = max(r, len(s))
	}
	out := make([]int, r)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		for i, d := range s {
			if j := r - len(s) + i; d != 1 {
				out[j] = d
			}
		}
	}
	return out
}

// randF32 fills n floats in [lo, hi), with a few special values mixed in
// when special is set.
func randF32(r *rand.Rand, n int, lo, hi float32, special bool) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = lo + (hi-lo)*r.Float32()
		if special && r.IntN(20) == 0 {
			x[i] = []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1, -1, 2}[r.IntN(8)]
		}
	}
	return x
}

// sameF32 requires got == want bit for bit, except that any NaN matches any NaN.
func sameF32(t *testing.T, want, got []float32, msg string, args ...any) {
	t.Helper()
	require.Equal(t, len(want), len(got))
	for i := range want {
		w, g := want[i], got[i]
		if w != w && g != g {
			continue
		}
		if math.Float32bits(w) != math.Float32bits(g) {
			require.Failf(t, "mismatch", "%s: index %d: want %v (%#x) got %v (%#x)", fmt.Sprintf(msg, args...), i, w, math.Float32bits(w), g, math.Float32bits(g))
		}
	}
}

// closeF32 requires |got-want| <= atol + rtol*|want| (NaN matches NaN, an
// infinity itself).
func closeF32(t *testing.T, want, got []float32, rtol, atol float64, msg string, args ...any) {
	t.Helper()
	require.Equal(t, len(want), len(got))
	for i := range want {
		w, g := float64(want[i]), float64(got[i])
		if math.IsNaN(w) && math.IsNaN(g) || math.IsInf(w, 0) && w == g {
			continue
		}
		if !(math.Abs(w-g) <= atol+rtol*math.Abs(w)) {
			require.Failf(t, "mismatch", "%s: index %d: want %v got %v", fmt.Sprintf(msg, args...), i, w, g)
		}
	}
}

var binaryOps = []struct {
	op   cpu.BinaryOp
	name string
}{
	{cpu.OpAdd, "Add"}, {cpu.OpSub, "Sub"}, {cpu.OpMul, "Mul"}, {cpu.OpDiv, "Div"},
	{cpu.OpMax, "Max"}, {cpu.OpMin, "Min"}, {cpu.OpPow, "Pow"},
}

// TestBroadcastBinary checks BroadcastBinary bit for bit against the reference
// interpreter's Add/Sub/Mul/Div/Max/Min/Pow (float64, rounded once, which
// for these ops equals the float32 result) on random broadcast shapes of rank
// 0-6 with ragged, size-1 and size-0 dims, special values (NaN, +-Inf, +-0)
// in the data, on every kernel path, with and without a pool, with the
// output's slack NaN-poisoned.
func TestBroadcastBinary(t *testing.T) {
	pool := cpu.NewPool(3)
	defer pool.Close()
	r := rand.New(rand.NewPCG(1, 2))
	type tc struct {
		out, as, bs []int
		a, b        []float32
		want        [][]float32 // per op
	}
	var cases []tc
	for iter := 0; iter < 200; iter++ {
		full := randDims(r, r.IntN(7), true)
		if iter%10 == 0 { // big enough for the pool
			full = []int{3, 1 + r.IntN(40), 37, 33}
		}
		c := tc{as: randOperand(r, full), bs: randOperand(r, full)}
		c.out = broadcastOf(c.as, c.bs)
		c.a = randF32(r, prod(c.as), -3, 3, true)
		c.b = randF32(r, prod(c.bs), -3, 3, true)
		for _, o := range binaryOps {
			want := refEval(t, o.name, 1, []*ir.Tensor{ir.FromFloat32s(i64s(c.as), c.a), ir.FromFloat32s(i64s(c.bs), c.b)})[0]
			require.Equal(t, i64s(c.out), want.Shape)
			c.want = append(c.want, want.Float32s())
		}
		cases = append(cases, c)
	}
	eachPath(t, func(t *testing.T) {
		for _, c := range cases {
			for k, o := range binaryOps {
				for _, p := range []*cpu.Pool{nil, pool} {
					dst, check := guardF32(prod(c.out))
					cpu.BroadcastBinary(p, o.op, dst, c.out, c.a, c.as, c.b, c.bs)
					check(t)
					sameF32(t, c.want[k], dst, "%s %v %v", o.name, c.as, c.bs)
				}
			}
		}
	})
}

// TestBroadcastBinaryCases checks the shapes the transformer graphs use
// (bias rows, attention masks, per-row scales, scalars, in-place) against
// naive loops written here.
func TestBroadcastBinaryCases(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cases := []struct{ out, as, bs []int }{
		{[]int{2, 5, 24}, []int{2, 5, 24}, []int{24}},             // bias row
		{[]int{2, 3, 5, 5}, []int{2, 3, 5, 5}, []int{2, 1, 1, 5}}, // attention mask
		{[]int{2, 5, 24}, []int{2, 5, 24}, []int{2, 5, 1}},        // per-row scale
		{[]int{2, 5, 24}, []int{}, []int{2, 5, 24}},               // scalar a
		{[]int{2, 5, 24}, []int{2, 5, 24}, []int{1}},              // scalar b
		{[]int{4, 6}, []int{4, 1}, []int{1, 6}},                   // outer product
		{[]int{3, 1, 4}, []int{3, 1, 1}, []int{1, 1, 4}},
		{[]int{7}, []int{7}, []int{7}},
	}
	eachPath(t, func(t *testing.T) {
		for _, c := range cases {
			a := randF32(r, prod(c.as), -2, 2, false)
			b := randF32(r, prod(c.bs), 0.5, 2, false)
			for _, o := range binaryOps {
				dst, check := guardF32(prod(c.out))
				cpu.BroadcastBinary(nil, o.op, dst, c.out, a, c.as, b, c.bs)
				check(t)
				want := naiveBroadcast(c.out, c.as, c.bs, func(i, j int) float32 {
					x, y := a[i], b[j]
					switch o.op {
					case cpu.OpAdd:
						return x + y
					case cpu.OpSub:
						return x - y
					case cpu.OpMul:
						return x * y
					case cpu.OpDiv:
						return x / y
					case cpu.OpMax:
						return float32(math.Max(float64(x), float64(y)))
					case cpu.OpMin:
						return float32(math.Min(float64(x), float64(y)))
					}
					return float32(math.Pow(float64(x), float64(y)))
				})
				sameF32(t, want, dst, "%s %v", o.name, c)
			}
		}
		// In place: dst is a.
		a := randF32(r, 2*5*24, -2, 2, false)
		b := randF32(r, 24, -2, 2, false)
		want := make([]float32, len(a))
		for i := range a {
			want[i] = a[i] * b[i%24]
		}
		cpu.BroadcastBinary(nil, cpu.OpMul, a, []int{2, 5, 24}, a, []int{2, 5, 24}, b, []int{24})
		sameF32(t, want, a, "in place")
	})
}

// naiveBroadcast evaluates f(i_a, i_b) at every output index by explicit
// index arithmetic.
func naiveBroadcast(out, as, bs []int, f func(i, j int) float32) []float32 {
	n := prod(out)
	res := make([]float32, n)
	idx := make([]int, len(out))
	for k := 0; k < n; k++ {
		rem := k
		for d := len(out) - 1; d >= 0; d-- {
			idx[d] = rem % out[d]
			rem /= out[d]
		}
		res[k] = f(flatIndex(idx, as), flatIndex(idx, bs))
	}
	return res
}

// flatIndex is the row-major index into shape s (right-aligned to idx,
// size-1 dims read at 0).
func flatIndex(idx, s []int) int {
	off := 0
	for i, d := range s {
		j := len(idx) - len(s) + i
		v := idx[j]
		if d == 1 {
			v = 0
		}
		off = off*d + v
	}
	return off
}

// TestRowBroadcastNewOps checks RowBroadcast with OpMax/OpMin/OpPow against
// math.Max/Min/Pow.
func TestRowBroadcastNewOps(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	m, n := 3, 21
	a := randF32(r, m*n, -2, 2, true)
	row := randF32(r, n, -2, 2, true)
	for _, op := range []cpu.BinaryOp{cpu.OpMax, cpu.OpMin, cpu.OpPow} {
		dst, check := guardF32(m * n)
		cpu.RowBroadcast(op, dst, a, m, n, row)
		check(t)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				x, y := float64(a[i*n+j]), float64(row[j])
				var w float64
				switch {
				case op == cpu.OpPow:
					w = math.Pow(x, y)
				case math.IsNaN(x) || math.IsNaN(y):
					w = math.NaN()
				case op == cpu.OpMax:
					w = math.Max(x, y)
				default:
					w = math.Min(x, y)
				}
				sameF32(t, []float32{float32(w)}, dst[i*n+j:i*n+j+1], "op %d", op)
			}
		}
	}
}

// TestExpandWhere checks Expand and Where against the reference
// interpreter's Expand and Where for element sizes 1, 2, 4 and 8 (and Where
// for 3-byte elements against a naive loop) on random broadcast shapes.
func TestExpandWhere(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	dts := []ir.DType{ir.Uint8, ir.Int16, ir.Float32, ir.Int64}
	for iter := 0; iter < 200; iter++ {
		full := randDims(r, r.IntN(6), true)
		dt := dts[iter%len(dts)]
		es := dt.Size()
		// Expand.
		in := randOperand(r, full)
		out := broadcastOf(in, full)
		x := ir.MustTensor(dt, i64s(in)...)
		fillRand(r, x.Raw)
		want := refEval(t, "Expand", 1, []*ir.Tensor{x, ir.FromInt64s([]int64{int64(len(full))}, i64s(full))})[0]
		require.Equal(t, i64s(out), want.Shape)
		dst, check := guardBytes(prod(out) * es)
		cpu.Expand(dst, x.Raw, es, out, in)
		check(t)
		require.Equal(t, want.Raw, dst, "Expand %v -> %v", in, out)

		// Where.
		cs, xs, ys := randOperand(r, full), randOperand(r, full), randOperand(r, full)
		out = broadcastOf(cs, xs, ys)
		cond := make([]bool, prod(cs))
		for i := range cond {
			cond[i] = r.IntN(2) == 0
		}
		xt, yt := ir.MustTensor(dt, i64s(xs)...), ir.MustTensor(dt, i64s(ys)...)
		fillRand(r, xt.Raw)
		fillRand(r, yt.Raw)
		want = refEval(t, "Where", 1, []*ir.Tensor{ir.FromBools(i64s(cs), cond), xt, yt})[0]
		require.Equal(t, i64s(out), want.Shape)
		dst, check = guardBytes(prod(out) * es)
		cpu.Where(dst, es, out, cond, cs, xt.Raw, xs, yt.Raw, ys)
		check(t)
		require.Equal(t, want.Raw, dst, "Where %v %v %v", cs, xs, ys)

		// Where with 3-byte elements, against a naive loop.
		x3, y3 := make([]byte, 3*prod(xs)), make([]byte, 3*prod(ys))
		fillRand(r, x3)
		fillRand(r, y3)
		dst, check = guardBytes(prod(out) * 3)
		cpu.Where(dst, 3, out, cond, cs, x3, xs, y3, ys)
		check(t)
		n := prod(out)
		idx := make([]int, len(out))
		for k := 0; k < n; k++ {
			rem := k
			for d := len(out) - 1; d >= 0; d-- {
				idx[d] = rem % out[d]
				rem /= out[d]
			}
			src, j := y3, flatIndex(idx, ys)
			if cond[flatIndex(idx, cs)] {
				src, j = x3, flatIndex(idx, xs)
			}
			if !bytes.Equal(src[3*j:3*j+3], dst[3*k:3*k+3]) {
				require.Failf(t, "Where 3-byte", "%v %v %v: element %d", cs, xs, ys, k)
			}
		}
	}
}

func fillRand(r *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(r.Uint32())
	}
}

// TestBroadcastAllocs checks that the broadcasting kernels allocate nothing
// once warm (shape slices must not escape).
func TestBroadcastAllocs(t *testing.T) {
	pool := cpu.NewPool(2)
	defer pool.Close()
	out, as, bs := []int{4, 64, 256}, []int{4, 64, 256}, []int{4, 1, 256}
	a, b, dst := make([]float32, prod(as)), make([]float32, prod(bs)), make([]float32, prod(out))
	xb, db := make([]byte, 4*prod(bs)), make([]byte, 4*prod(out))
	cond := make([]bool, prod(out))
	for _, p := range []*cpu.Pool{nil, pool} {
		n := testing.AllocsPerRun(20, func() {
			cpu.BroadcastBinary(p, cpu.OpAdd, dst, out, a, as, b, bs)
			cpu.BroadcastBinary(p, cpu.OpMax, dst, out, a, as, b, bs)
		})
		require.Zero(t, n, "BroadcastBinary")
	}
	n := testing.AllocsPerRun(20, func() {
		cpu.Expand(db, xb, 4, out, bs)
		cpu.Where(db, 4, out, cond, out, db, out, xb, bs)
	})
	require.Zero(t, n, "Expand/Where")
}
