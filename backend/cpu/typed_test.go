package cpu_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/backend/cpu"
	"github.com/llmc/llmc/ir"
)

// toTensor builds a tensor of T's ONNX type.
func toTensor[T cpu.Numeric | bool](shape []int, v []T) *ir.Tensor {
	s := i64s(shape)
	switch x := any(v).(type) {
	case []int32:
		return ir.FromInt32s(s, x)
	case []int64:
		return ir.FromInt64s(s, x)
	case []float32:
		return ir.FromFloat32s(s, x)
	case []float64:
		return ir.FromFloat64s(s, x)
	case []bool:
		return ir.FromBools(s, x)
	}
	panic("toTensor")
}

// fromTensor reads a tensor's elements as []T (which must be its type).
func fromTensor[T cpu.Numeric | bool](t *ir.Tensor) []T {
	var z T
	switch any(z).(type) {
	case int32:
		return any(t.Int32s()).([]T)
	case int64:
		return any(t.Int64s()).([]T)
	case float32:
		return any(t.Float32s()).([]T)
	case float64:
		return any(t.Float64s()).([]T)
	case bool:
		return any(t.Bools()).([]T)
	}
	panic("fromTensor")
}

func dtypeOf[T cpu.Numeric | bool]() ir.DType {
	var z T
	switch any(z).(type) {
	case int32:
		return ir.Int32
	case int64:
		return ir.Int64
	case float32:
		return ir.Float32
	case float64:
		return ir.Float64
	}
	return ir.Bool
}

// randVals returns n values of T: integers across their whole range (wide
// true) or in [-6, 6], floats in [-4, 4) with special values mixed in.
func randVals[T cpu.Numeric](r *rand.Rand, n int, wide bool) []T {
	v := make([]T, n)
	var z T
	for i := range v {
		switch any(z).(type) {
		case int32:
			x := int32(r.IntN(13) - 6)
			if wide {
				x = int32(r.Uint32())
			}
			v[i] = T(x)
		case int64:
			x := int64(r.IntN(13) - 6)
			if wide {
				x = int64(r.Uint64())
			}
			v[i] = T(x)
		default:
			f := float64(8*r.Float32() - 4)
			if r.IntN(15) == 0 {
				f = []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 2, -1}[r.IntN(7)]
			}
			v[i] = T(f)
		}
	}
	return v
}

// sameVals requires equal slices (any NaN matching any NaN, zeros by sign).
func sameVals[T cpu.Numeric | bool](t *testing.T, want, got []T, msg string, args ...any) {
	t.Helper()
	require.Equal(t, len(want), len(got))
	for i := range want {
		w, g := any(want[i]), any(got[i])
		if fmt.Sprintf("%v", w) != fmt.Sprintf("%v", g) { // NaN prints as NaN, -0 as -0
			require.Failf(t, "mismatch", "%s: index %d: want %v got %v", fmt.Sprintf(msg, args...), i, w, g)
		}
	}
}

var cmpOps = []struct {
	op   cpu.CmpOp
	name string
}{
	{cpu.CmpEqual, "Equal"}, {cpu.CmpLess, "Less"}, {cpu.CmpLessOrEqual, "LessOrEqual"},
	{cpu.CmpGreater, "Greater"}, {cpu.CmpGreaterOrEqual, "GreaterOrEqual"},
}

// testTyped checks BinaryT, Compare and CumSum for one T against the
// reference interpreter on random broadcast shapes (exact, floats too except
// CumSum's sums within 1e-5 relative), integer division by zero (an error),
// and in-place CumSum.
func testTyped[T cpu.Numeric](t *testing.T, r *rand.Rand) {
	isF := dtypeOf[T]() == ir.Float32 || dtypeOf[T]() == ir.Float64
	for iter := 0; iter < 60; iter++ {
		full := randDims(r, r.IntN(5), true)
		as, bs := randOperand(r, full), randOperand(r, full)
		out := broadcastOf(as, bs)
		for _, o := range binaryOps {
			wide := !isF && o.op != cpu.OpDiv && o.op != cpu.OpPow && iter%2 == 0
			a, b := randVals[T](r, prod(as), wide), randVals[T](r, prod(bs), wide)
			if !isF && o.op == cpu.OpDiv {
				for i := range b {
					if b[i] == 0 {
						b[i] = 3
					}
				}
			}
			if !isF && o.op == cpu.OpPow && iter%3 == 0 {
				for i := range b {
					b[i] = T(r.IntN(70)) // wraps
				}
			}
			want := refEval(t, o.name, 1, []*ir.Tensor{toTensor(as, a), toTensor(bs, b)})[0]
			require.Equal(t, i64s(out), want.Shape)
			dst := make([]T, prod(out)+3)
			sentinel := dst[len(dst)-3:]
			for i := range sentinel {
				sentinel[i] = 77
			}
			require.NoError(t, cpu.BinaryT(o.op, dst[:prod(out)], out, a, as, b, bs))
			sameVals(t, fromTensor[T](want), dst[:prod(out)], "%s %v %v", o.name, as, bs)
			sameVals(t, []T{77, 77, 77}, sentinel, "slack")
		}
		a, b := randVals[T](r, prod(as), false), randVals[T](r, prod(bs), false)
		for _, o := range cmpOps {
			want := refEval(t, o.name, 1, []*ir.Tensor{toTensor(as, a), toTensor(bs, b)})[0]
			dst := make([]bool, prod(out))
			cpu.Compare(o.op, dst, out, a, as, b, bs)
			sameVals(t, want.Bools(), dst, "%s %v %v", o.name, as, bs)
		}
	}
	if !isF {
		err := cpu.BinaryT(cpu.OpDiv, make([]T, 3), []int{3}, []T{1, 2, 3}, []int{3}, []T{1, 0, 1}, []int{3})
		require.ErrorContains(t, err, "division by zero")
		err = cpu.BinaryT(cpu.OpDiv, make([]T, 3), []int{3}, []T{1, 2, 3}, []int{3}, []T{0}, []int{1})
		require.ErrorContains(t, err, "division by zero")
	}
	// CumSum.
	for iter := 0; iter < 40; iter++ {
		shape := randDims(r, 1+r.IntN(4), true)
		axis := r.IntN(len(shape))
		outer, inner := prod(shape[:axis]), prod(shape[axis+1:])
		x := randVals[T](r, prod(shape), false)
		if isF {
			for i := range x {
				if x[i] != x[i] || math.IsInf(float64(x[i]), 0) {
					x[i] = T(3) / 2
				}
			}
		}
		for _, excl := range []bool{false, true} {
			for _, rev := range []bool{false, true} {
				attrs := []ir.Attr{ir.AInt("exclusive", b2i(excl)), ir.AInt("reverse", b2i(rev))}
				want := fromTensor[T](refEval(t, "CumSum", 1, []*ir.Tensor{toTensor(shape, x), ir.FromInt64s(nil, []int64{int64(axis)})}, attrs...)[0])
				dst := make([]T, len(x))
				cpu.CumSum(dst, x, outer, shape[axis], inner, excl, rev)
				in := append([]T{}, x...)
				cpu.CumSum(in, in, outer, shape[axis], inner, excl, rev)
				if isF {
					for i := range want {
						require.InDelta(t, float64(want[i]), float64(dst[i]), 1e-5*(1+math.Abs(float64(want[i])))*float64(shape[axis]), "CumSum %v axis %d excl %v rev %v", shape, axis, excl, rev)
					}
					sameVals(t, dst, in, "in place")
				} else {
					sameVals(t, want, dst, "CumSum %v axis %d excl %v rev %v", shape, axis, excl, rev)
					sameVals(t, want, in, "CumSum in place %v axis %d excl %v rev %v", shape, axis, excl, rev)
				}
			}
		}
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// TestTyped runs testTyped for int32, int64, float32 and float64, and
// checks Logical and Not against the reference interpreter's And/Or/Xor/Not.
func TestTyped(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	t.Run("int32", func(t *testing.T) { testTyped[int32](t, r) })
	t.Run("int64", func(t *testing.T) { testTyped[int64](t, r) })
	t.Run("float32", func(t *testing.T) { testTyped[float32](t, r) })
	t.Run("float64", func(t *testing.T) { testTyped[float64](t, r) })
	for iter := 0; iter < 60; iter++ {
		full := randDims(r, r.IntN(5), true)
		as, bs := randOperand(r, full), randOperand(r, full)
		out := broadcastOf(as, bs)
		a, b := make([]bool, prod(as)), make([]bool, prod(bs))
		for i := range a {
			a[i] = r.IntN(2) == 0
		}
		for i := range b {
			b[i] = r.IntN(2) == 0
		}
		for k, name := range []string{"And", "Or", "Xor"} {
			want := refEval(t, name, 1, []*ir.Tensor{toTensor(as, a), toTensor(bs, b)})[0]
			dst := make([]bool, prod(out))
			cpu.Logical(cpu.LogicOp(k), dst, out, a, as, b, bs)
			sameVals(t, want.Bools(), dst, "%s %v %v", name, as, bs)
		}
		want := refEval(t, "Not", 1, []*ir.Tensor{toTensor(as, a)})[0]
		dst := make([]bool, len(a))
		cpu.Not(dst, a)
		sameVals(t, want.Bools(), dst, "Not")
	}
}

// testConvert checks Convert[D, S] against the reference interpreter's Cast
// on values that include NaN, infinities, fractions, and values beyond
// int32 and int64.
func testConvert[D, S cpu.Numeric](t *testing.T, src []S) {
	t.Helper()
	want := refEval(t, "Cast", 1, []*ir.Tensor{toTensor([]int{len(src)}, src)}, ir.AInt("to", int64(dtypeOf[D]())))[0]
	dst := make([]D, len(src))
	cpu.Convert(dst, src)
	sameVals(t, fromTensor[D](want), dst, "Cast %T -> %T", src, dst)
	// Bools.
	wb := refEval(t, "Cast", 1, []*ir.Tensor{toTensor([]int{len(src)}, src)}, ir.AInt("to", int64(ir.Bool)))[0]
	b := make([]bool, len(src))
	cpu.ConvertToBool(b, src)
	sameVals(t, wb.Bools(), b, "Cast %T -> bool", src)
	wd := refEval(t, "Cast", 1, []*ir.Tensor{toTensor([]int{len(b)}, b)}, ir.AInt("to", int64(dtypeOf[D]())))[0]
	dst2 := make([]D, len(b))
	cpu.ConvertFromBool(dst2, b)
	sameVals(t, fromTensor[D](wd), dst2, "Cast bool -> %T", dst2)
}

func testConvertFrom[S cpu.Numeric](t *testing.T, src []S) {
	testConvert[int32](t, src)
	testConvert[int64](t, src)
	testConvert[float32](t, src)
	testConvert[float64](t, src)
}

// TestConvert runs testConvert over every pair of int32, int64, float32
// and float64.
func TestConvert(t *testing.T) {
	f := []float64{0, math.Copysign(0, -1), 1.5, -1.5, 2.7, -2.7, 1e9, 3e9, -3e9, 5e18, 1e19, -1e19, 1e30,
		math.Inf(1), math.Inf(-1), math.NaN(), 16777217, 0.1, -0.9, 2147483647.5, -2147483648.9}
	f32 := make([]float32, len(f))
	for i, v := range f {
		f32[i] = float32(v)
	}
	testConvertFrom(t, f)
	testConvertFrom(t, f32)
	testConvertFrom(t, []int32{0, 1, -1, math.MaxInt32, math.MinInt32, 16777217, -16777217, 123456789})
	testConvertFrom(t, []int64{0, 1, -1, math.MaxInt64, math.MinInt64, 1 << 40, -(1 << 40) - 1, 1<<53 + 1, 9007199254740993, 3e9})
}

// TestTypedAllocs checks the typed kernels allocate nothing.
func TestTypedAllocs(t *testing.T) {
	out, as, bs := []int{4, 8, 16}, []int{4, 8, 16}, []int{1, 8, 1}
	a, b, d := make([]int64, 512), make([]int64, 8), make([]int64, 512)
	for i := range b {
		b[i] = 1
	}
	c := make([]bool, 512)
	n := testing.AllocsPerRun(10, func() {
		if err := cpu.BinaryT(cpu.OpDiv, d, out, a, as, b, bs); err != nil {
			panic(err)
		}
		cpu.Compare(cpu.CmpEqual, c, out, a, as, b, bs)
		cpu.Logical(cpu.LogicXor, c, out, c, out, c, []int{16})
		cpu.CumSum(d, a, 4, 8, 16, true, false)
		cpu.Convert(c2f, d)
	})
	require.Zero(t, n)
}

var c2f = make([]float32, 512)
