package cpu_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/backend/cpu"
	"github.com/llmc/llmc/ir"
)

var reduceOps = []struct {
	op   cpu.ReduceOp
	name string
}{
	{cpu.ReduceSum, "ReduceSum"}, {cpu.ReduceMean, "ReduceMean"}, {cpu.ReduceMax, "ReduceMax"},
	{cpu.ReduceMin, "ReduceMin"}, {cpu.ReduceProd, "ReduceProd"}, {cpu.ReduceSumSquare, "ReduceSumSquare"},
	{cpu.ReduceL1, "ReduceL1"}, {cpu.ReduceL2, "ReduceL2"}, {cpu.ReduceLogSum, "ReduceLogSum"},
	{cpu.ReduceLogSumExp, "ReduceLogSumExp"},
}

// reduceData returns test data suited to op: positive for LogSum (its sum
// must be positive), near 1 for Prod (no under/overflow), else in [-2, 2).
func reduceData(r *rand.Rand, op cpu.ReduceOp, n int) []float32 {
	switch op {
	case cpu.ReduceLogSum:
		return randF32(r, n, 0.1, 1, false)
	case cpu.ReduceProd:
		return randF32(r, n, 0.8, 1.25, false)
	}
	return randF32(r, n, -2, 2, false)
}

// TestReduce checks Reduce against the reference interpreter's ReduceX
// (opset 18, axes as an input, keepdims=0) on random shapes of rank 1-6 with
// ragged, size-1 and size-0 dims and random non-empty axis sets, on every
// kernel path, with and without a pool, the output's slack NaN-poisoned.
// Max and Min must match exactly; the sums (float32 here, compensated
// float64 in ref) within 2e-6+4u*sqrt(count) relative plus 4e-7*count
// absolute (Prod:
// 2.5e-7*count relative).
func TestReduce(t *testing.T) {
	pool := cpu.NewPool(3)
	defer pool.Close()
	r := rand.New(rand.NewPCG(21, 22))
	type tc struct {
		op          cpu.ReduceOp
		shape, axes []int
		x, want     []float32
		count       int
	}
	var cases []tc
	for iter := 0; iter < 150; iter++ {
		shape := randDims(r, 1+r.IntN(6), true)
		if iter%15 == 0 { // big enough for the pool
			shape = []int{1 + r.IntN(40), 33, 2 + r.IntN(60)}
		}
		var axes []int
		for len(axes) == 0 {
			for i := range shape {
				if r.IntN(2) == 0 {
					axes = append(axes, i)
				}
			}
		}
		count := 1
		for _, a := range axes {
			count *= shape[a]
		}
		for _, o := range reduceOps {
			x := reduceData(r, o.op, prod(shape))
			want := refEval(t, o.name, 1, []*ir.Tensor{ir.FromFloat32s(i64s(shape), x), ir.FromInt64s([]int64{int64(len(axes))}, i64s(axes))}, ir.AInt("keepdims", 0))[0]
			cases = append(cases, tc{o.op, shape, axes, x, want.Float32s(), count})
		}
	}
	eachPath(t, func(t *testing.T) {
		for _, c := range cases {
			for _, p := range []*cpu.Pool{nil, pool} {
				dst, check := guardF32(len(c.want))
				cpu.Reduce(p, c.op, dst, c.x, c.shape, c.axes)
				check(t)
				switch c.op {
				case cpu.ReduceMax, cpu.ReduceMin:
					sameF32(t, c.want, dst, "op %d shape %v axes %v", c.op, c.shape, c.axes)
				default:
					rtol := 2e-6 + 2.4e-7*math.Sqrt(float64(c.count)) // float32 rounding, random-walk growth
					if c.op == cpu.ReduceProd {
						rtol = 2.5e-7 * float64(c.count) // relative error of a product: ~count roundings
					}
					closeF32(t, c.want, dst, rtol, 4e-7*float64(c.count), "op %d shape %v axes %v", c.op, c.shape, c.axes)
				}
			}
		}
	})
}

// TestReduceSpecial checks the special values against the reference
// interpreter: NaN in Max/Min/LogSumExp rows, all -Inf and +Inf rows in
// LogSumExp, and empty reductions (a reduced dim of size 0) for every op;
// plus empty axes (each element reduced alone) against naive values.
func TestReduceSpecial(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	x := []float32{
		1, nan, 3, -1, // NaN in the row
		-inf, -inf, -inf, -inf, // all -Inf
		2, inf, -inf, 0, // +Inf present
		0.5, -0.25, 4, 1, // plain
	}
	eachPath(t, func(t *testing.T) {
		for _, o := range reduceOps {
			for _, axes := range [][]int{{1}, {0}, {0, 1}} {
				want := refEval(t, o.name, 1, []*ir.Tensor{ir.FromFloat32s([]int64{4, 4}, x), ir.FromInt64s([]int64{int64(len(axes))}, i64s(axes))}, ir.AInt("keepdims", 0))[0]
				dst, check := guardF32(len(want.Float32s()))
				cpu.Reduce(nil, o.op, dst, x, []int{4, 4}, axes)
				check(t)
				closeF32(t, want.Float32s(), dst, 1e-6, 1e-6, "%s axes %v", o.name, axes)
			}
			// Empty reductions: [3, 0, 2] over axis 1 gives 6 identities.
			want := refEval(t, o.name, 1, []*ir.Tensor{ir.FromFloat32s([]int64{3, 0, 2}, nil), ir.FromInt64s([]int64{1}, []int64{1})}, ir.AInt("keepdims", 0))[0]
			dst, check := guardF32(6)
			cpu.Reduce(nil, o.op, dst, nil, []int{3, 0, 2}, []int{1})
			check(t)
			sameF32(t, want.Float32s(), dst, "%s empty", o.name)
			// Empty output: nothing written.
			dst, check = guardF32(0)
			cpu.Reduce(nil, o.op, dst, nil, []int{0, 5}, []int{1})
			check(t)
		}
		// Empty axes: every element is its own reduction.
		v := []float32{-2, 0.5, 3}
		dst := make([]float32, 3)
		cpu.Reduce(nil, cpu.ReduceSumSquare, dst, v, []int{3}, nil)
		require.Equal(t, []float32{4, 0.25, 9}, dst)
		cpu.Reduce(nil, cpu.ReduceL1, dst, v, []int{3}, nil)
		require.Equal(t, []float32{2, 0.5, 3}, dst)
	})
}

// TestReduceAllocs checks that Reduce allocates nothing once warm, serially
// and on a pool, for the three fast shapes (last axis, leading axis, middle)
// and LogSumExp (which needs scratch).
func TestReduceAllocs(t *testing.T) {
	pool := cpu.NewPool(2)
	defer pool.Close()
	shape := []int{16, 64, 48}
	x := make([]float32, prod(shape))
	dst := make([]float32, prod(shape))
	for _, p := range []*cpu.Pool{nil, pool} {
		for _, axes := range [][]int{{2}, {0}, {1}, {0, 2}} {
			for _, op := range []cpu.ReduceOp{cpu.ReduceSum, cpu.ReduceLogSumExp, cpu.ReduceSumSquare} {
				n := testing.AllocsPerRun(10, func() { cpu.Reduce(p, op, dst, x, shape, axes) })
				require.Zero(t, n, "axes %v op %d", axes, op)
			}
		}
	}
}
