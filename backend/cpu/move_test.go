package cpu_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/backend/cpu"
	"github.com/llmc/llmc/ir"
)

var moveDTypes = []ir.DType{ir.Uint8, ir.Int16, ir.Float32, ir.Int64}

// TestTransposeAny checks Transpose byte for byte against the reference
// interpreter's Transpose for element sizes 1, 2, 4 and 8 on random shapes of
// rank 0-6 (ragged, size-1 and size-0 dims) and random permutations, plus the
// transformer layouts and shapes whose rows widen to 16-byte elements, with
// the output's slack poisoned.
func TestTransposeAny(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	type tc struct {
		shape, perm []int
	}
	var cases []tc
	for iter := 0; iter < 300; iter++ {
		shape := randDims(r, r.IntN(7), true)
		cases = append(cases, tc{shape, r.Perm(len(shape))})
	}
	cases = append(cases,
		tc{[]int{2, 16, 3, 8}, []int{0, 2, 1, 3}}, // [b,s,h,d] -> [b,h,s,d]
		tc{[]int{2, 16, 3, 8}, []int{0, 2, 3, 1}}, // K^T per head
		tc{[]int{37, 45}, []int{1, 0}},            // ragged 2-D tiles
		tc{[]int{5, 3, 2}, []int{1, 0, 2}},        // rows of 2 elements widen
		tc{[]int{4, 6, 2, 2}, []int{1, 0, 2, 3}},  // rows of 4 elements widen
		tc{[]int{3, 4, 5, 3}, []int{2, 0, 1, 3}},  // rows of 3 elements stay rows
		tc{[]int{1, 1, 1}, []int{2, 1, 0}},        // one element
		tc{[]int{2, 3, 4, 5, 6}, []int{4, 3, 2, 1, 0}})
	for i, c := range cases {
		dt := moveDTypes[i%len(moveDTypes)]
		es := dt.Size()
		x := ir.MustTensor(dt, i64s(c.shape)...)
		fillRand(r, x.Raw)
		want := refEval(t, "Transpose", 1, []*ir.Tensor{x}, ir.AInts("perm", i64s(c.perm)...))[0]
		dst, check := guardBytes(len(x.Raw))
		cpu.Transpose(dst, x.Raw, es, c.shape, c.perm)
		check(t)
		require.Equal(t, want.Raw, dst, "shape %v perm %v size %d", c.shape, c.perm, es)
		// Unaligned buffers work too.
		src1 := append([]byte{0}, x.Raw...)[1:]
		dst1, check1 := guardBytes(len(x.Raw) + 1)
		cpu.Transpose(dst1[1:], src1, es, c.shape, c.perm)
		check1(t)
		require.Equal(t, want.Raw, dst1[1:], "unaligned shape %v perm %v size %d", c.shape, c.perm, es)
	}
}

// TestGather checks Gather and GatherI32 against the reference interpreter's
// Gather (data [outer, rows, inner], axis 1) for row sizes of 1, 2, 4, 8,
// 16 and odd byte counts, negative indices, and out-of-range indices (an
// error naming the index, nothing written).
func TestGather(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	for iter := 0; iter < 200; iter++ {
		dt := moveDTypes[iter%len(moveDTypes)]
		es := dt.Size()
		outer, rows, inner := r.IntN(4), 1+r.IntN(9), []int{1, 2, 3, 4, 0}[r.IntN(5)]
		k := r.IntN(7)
		x := ir.MustTensor(dt, int64(outer), int64(rows), int64(inner))
		fillRand(r, x.Raw)
		idx := make([]int64, k)
		idx32 := make([]int32, k)
		for i := range idx {
			idx[i] = int64(r.IntN(2*rows) - rows)
			idx32[i] = int32(idx[i])
		}
		want := refEval(t, "Gather", 1, []*ir.Tensor{x, ir.FromInt64s([]int64{int64(k)}, idx)}, ir.AInt("axis", 1))[0]
		dst, check := guardBytes(len(want.Raw))
		require.NoError(t, cpu.Gather(dst, x.Raw, outer, rows, inner*es, idx))
		check(t)
		require.Equal(t, want.Raw, dst, "outer %d rows %d inner %d idx %v", outer, rows, inner*es, idx)
		dst, check = guardBytes(len(want.Raw))
		require.NoError(t, cpu.GatherI32(dst, x.Raw, outer, rows, inner*es, idx32))
		check(t)
		require.Equal(t, want.Raw, dst)
	}
	// Out of range, both ends.
	src := make([]byte, 2*5*4)
	for _, bad := range []int64{5, -6, math.MaxInt64, math.MinInt64} {
		dst, check := guardBytes(2 * 3 * 4)
		before := append([]byte{}, dst...)
		err := cpu.Gather(dst, src, 2, 5, 4, []int64{0, bad, 1})
		require.Error(t, err)
		require.Contains(t, err.Error(), "index")
		require.True(t, strings.Contains(err.Error(), "[-5, 5)"), err.Error())
		require.Equal(t, before, dst, "nothing written")
		check(t)
	}
	require.Error(t, cpu.GatherI32(make([]byte, 4), src, 1, 5, 4, []int32{-6}))
}

// TestConcatSlice checks Concat against the reference interpreter's Concat
// (parts [outer, w_i, inner] along axis 1) and SliceCopy against its Slice
// (opset 18, starts/ends/axes/steps inputs, positive and negative steps,
// empty results) on random shapes of rank 1-5, byte for byte, slack poisoned.
func TestConcatSlice(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	for iter := 0; iter < 200; iter++ {
		dt := moveDTypes[iter%len(moveDTypes)]
		es := dt.Size()
		// Concat.
		outer, inner := r.IntN(4), 1+r.IntN(5)
		np := 1 + r.IntN(4)
		var ins []*ir.Tensor
		var parts [][]byte
		var widths []int
		total := 0
		for i := 0; i < np; i++ {
			w := r.IntN(4)
			x := ir.MustTensor(dt, int64(outer), int64(w), int64(inner))
			fillRand(r, x.Raw)
			ins = append(ins, x)
			parts = append(parts, x.Raw)
			widths = append(widths, w*inner*es)
			total += len(x.Raw)
		}
		want := refEval(t, "Concat", 1, ins, ir.AInt("axis", 1))[0]
		dst, check := guardBytes(total)
		cpu.Concat(dst, outer, parts, widths)
		check(t)
		require.Equal(t, want.Raw, dst, "Concat outer %d widths %v", outer, widths)

		// Slice.
		shape := randDims(r, 1+r.IntN(5), true)
		x := ir.MustTensor(dt, i64s(shape)...)
		fillRand(r, x.Raw)
		rank := len(shape)
		starts, steps, outShape := make([]int, rank), make([]int, rank), make([]int, rank)
		ends, axes := make([]int64, rank), make([]int64, rank)
		for d, n := range shape {
			axes[d] = int64(d)
			step := []int{1, 1, 2, 3, -1, -2}[r.IntN(6)]
			if n == 0 {
				starts[d], steps[d], outShape[d], ends[d] = 0, 1, 0, 0
				continue
			}
			start := r.IntN(n)
			// The most elements fitting from start with step, then fewer.
			most := 0
			for i := start; i >= 0 && i < n; i += step {
				most++
			}
			k := most - r.IntN(most+1)
			if r.IntN(2) == 0 {
				k = most
			}
			starts[d], steps[d], outShape[d] = start, step, k
			end := int64(start + k*step)
			if end < 0 {
				end = math.MinInt64 // "before the first element" for negative steps
			}
			ends[d] = end
		}
		vec := func(v []int64) *ir.Tensor { return ir.FromInt64s([]int64{int64(len(v))}, v) }
		want = refEval(t, "Slice", 1, []*ir.Tensor{x, vec(i64s(starts)), vec(ends), vec(axes), vec(i64s(steps))})[0]
		require.Equal(t, i64s(outShape), want.Shape, "shape %v starts %v steps %v", shape, starts, steps)
		dst, check = guardBytes(len(want.Raw))
		cpu.SliceCopy(dst, x.Raw, es, shape, starts, steps, outShape)
		check(t)
		require.Equal(t, want.Raw, dst, "Slice shape %v starts %v steps %v out %v", shape, starts, steps, outShape)
		// 3-byte elements against the 1-byte result of a widened slice: an
		// element of 3 bytes is 3 consecutive bytes of a [..., 3] uint8 tensor.
		if es == 1 && rank > 0 {
			s3 := append(append([]int{}, shape...), 3)
			x3 := ir.MustTensor(ir.Uint8, i64s(s3)...)
			fillRand(r, x3.Raw)
			w3 := refEval(t, "Slice", 1, []*ir.Tensor{x3, vec(i64s(starts)), vec(ends), vec(axes), vec(i64s(steps))})[0]
			dst, check = guardBytes(len(w3.Raw))
			cpu.SliceCopy(dst, x3.Raw, 3, shape, starts, steps, outShape)
			check(t)
			require.Equal(t, w3.Raw, dst, "3-byte Slice shape %v starts %v steps %v", shape, starts, steps)
		}
	}
	require.Panics(t, func() {
		cpu.SliceCopy(make([]byte, 8), make([]byte, 8), 1, []int{8}, []int{4}, []int{2}, []int{3})
	})
}

// TestMoveAllocs checks the layout kernels allocate nothing.
func TestMoveAllocs(t *testing.T) {
	shape, perm := []int{4, 16, 6, 8}, []int{0, 2, 3, 1}
	src, dst := make([]byte, 4*prod(shape)), make([]byte, 4*prod(shape))
	idx := []int64{3, -1, 0}
	parts, widths := [][]byte{src[:64], src[64:96]}, []int{32, 16}
	starts, steps, out := []int{1, 15, 0, 1}, []int{1, -2, 2, 3}, []int{3, 8, 3, 3}
	n := testing.AllocsPerRun(10, func() {
		cpu.Transpose(dst, src, 4, shape, perm)
		cpu.Transpose(dst, src, 4, shape, []int{0, 2, 1, 3})
		if err := cpu.Gather(dst, src, 4, 16, 48, idx); err != nil {
			panic(err)
		}
		cpu.Concat(dst, 2, parts, widths)
		cpu.SliceCopy(dst, src, 4, shape, starts, steps, out)
	})
	require.Zero(t, n)
}
