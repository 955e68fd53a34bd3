package cpu

import (
	"fmt"
	"math"

	"github.com/llmc/llmc/internal/freelist"
)

// ReduceOp selects the reduction of Reduce (the ONNX ReduceX operators).
type ReduceOp int

const (
	ReduceSum       ReduceOp = iota // sum x
	ReduceMean                      // sum x / count (NaN for an empty reduction)
	ReduceMax                       // max x (-Inf for an empty reduction; NaN wins)
	ReduceMin                       // min x (+Inf for an empty reduction; NaN wins)
	ReduceProd                      // prod x (1 for an empty reduction)
	ReduceSumSquare                 // sum x*x
	ReduceL1                        // sum |x|
	ReduceL2                        // sqrt(sum x*x)
	ReduceLogSum                    // log(sum x) (-Inf for an empty reduction)
	ReduceLogSumExp                 // log(sum exp(x)), computed as m + log(sum exp(x-m)), m = max x
)

// redShape is a reduction reduced to its simplest form: dims of size 1 dropped
// and adjacent dims with the same reduced flag merged. sstr are the source's
// (contiguous) strides, dstr the destination's (0 along reduced dims).
type redShape struct {
	rank  int
	dims  [maxRank]int
	red   [maxRank]bool
	sstr  [maxRank]int
	dstr  [maxRank]int
	count int // source elements per output
	outN  int // output elements
	srcN  int // source elements
	split int // the dim chunks split (the outermost kept dim), -1 if none
	unit  int // elements of the split dim per chunk index
}

func (s *redShape) init(shape, axes []int) {
	r := len(shape)
	if r > maxRank {
		panic(fmt.Sprintf("cpu.Reduce: rank %d > %d", r, maxRank))
	}
	var red [maxRank]bool
	for i, a := range axes {
		if a < 0 || a >= r || (i > 0 && a <= axes[i-1]) {
			panic(fmt.Sprintf("cpu.Reduce: axes %s must be sorted, distinct and in [0, %d)", dimsStr(axes), r))
		}
		red[a] = true
	}
	*s = redShape{count: 1, outN: 1, srcN: 1, split: -1, unit: 1}
	for i, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("cpu.Reduce: negative dim in shape %s", dimsStr(shape)))
		}
		s.srcN *= d
		if red[i] {
			s.count *= d
		} else {
			s.outN *= d
		}
	}
	if s.srcN == 0 {
		return
	}
	n := 0
	for i, d := range shape {
		if d == 1 {
			continue
		}
		if n > 0 && s.red[n-1] == red[i] {
			s.dims[n-1] *= d
			continue
		}
		s.dims[n], s.red[n] = d, red[i]
		n++
	}
	if n == 0 { // one element
		s.dims[0], s.red[0], n = 1, true, 1
	}
	s.rank = n
	ss, ds := 1, 1
	for d := n - 1; d >= 0; d-- {
		s.sstr[d] = ss
		ss *= s.dims[d]
		if !s.red[d] {
			s.dstr[d] = ds
			ds *= s.dims[d]
		}
	}
	for d := 0; d < n; d++ {
		if !s.red[d] {
			s.split = d
			if d == n-1 {
				s.unit = 128 // columns: runs long enough for the vector kernels, edges on cache lines
			}
			break
		}
	}
}

// Reduce reduces src (row-major, shape) over axes (sorted, distinct, in
// [0, rank), rank <= 8) into dst, which holds the kept dims in row-major
// order (keepdims only changes the shape, not the layout). For every kept
// index o, with X the src elements whose kept coordinates are o and count
// their number:
//
//	ReduceSum: dst[o] = sum X           ReduceMean: dst[o] = sum X / count
//	ReduceMax: dst[o] = max X           ReduceMin:  dst[o] = min X
//	ReduceProd: dst[o] = prod X         ReduceSumSquare: dst[o] = sum x*x
//	ReduceL1: dst[o] = sum |x|          ReduceL2: dst[o] = sqrt(sum x*x)
//	ReduceLogSum: dst[o] = log(sum X)   ReduceLogSumExp: dst[o] = log(sum exp(x))
//
// As the reference interpreter: an empty reduction (a reduced dim of size 0)
// gives Sum 0, Mean NaN, Max -Inf, Min +Inf, Prod 1, SumSquare/L1/L2 0,
// LogSum and LogSumExp -Inf; Max and Min return NaN when any x is NaN;
// LogSumExp subtracts m = max X first (none when m is infinite). Empty axes
// reduce nothing (each output is its one element's reduction, x*x for
// SumSquare); ONNX's "empty axes reduce all" is the caller's to expand. Sums
// accumulate in float32 with the vector kernels (their order differs from a
// sequential loop). Rows of the last axis use the row reductions, leading and
// middle axes accumulate whole rows with the vector elementwise kernels; work
// is split over p's threads along the outermost kept dim (p may be nil).
func Reduce(p *Pool, op ReduceOp, dst, src []float32, shape []int, axes []int) {
	if op < ReduceSum || op > ReduceLogSumExp {
		panic(fmt.Sprintf("cpu.Reduce: unknown ReduceOp %d", op))
	}
	t := reduceTasks.Get()
	t.s.init(shape, axes)
	checkLen("Reduce dst", t.s.outN, dst)
	checkLen("Reduce src", t.s.srcN, src)
	switch {
	case t.s.outN == 0:
	case t.s.srcN == 0:
		v := reduceIdentity(op)
		for i := range dst[:t.s.outN] {
			dst[i] = reduceFinal(op, v, 0, 0)
		}
	default:
		t.op, t.dst, t.src = op, dst, src
		s := &t.s
		units := 1
		if s.split >= 0 {
			units = (s.dims[s.split] + s.unit - 1) / s.unit
		}
		if p == nil || p.Threads() == 1 || s.srcN < 1<<15 || units < 2 {
			t.Run(0, units)
		} else {
			p.RunTask(units, 4*p.Threads(), t)
		}
	}
	t.dst, t.src = nil, nil
	reduceTasks.Put(t)
}

func reduceIdentity(op ReduceOp) float32 {
	switch op {
	case ReduceMax, ReduceLogSumExp:
		return float32(math.Inf(-1)) // LogSumExp: the max pass
	case ReduceMin:
		return float32(math.Inf(1))
	case ReduceProd:
		return 1
	}
	return 0
}

// reduceFinal turns an accumulated value into the result; shift is
// LogSumExp's subtracted max.
func reduceFinal(op ReduceOp, v float32, count int, shift float32) float32 {
	switch op {
	case ReduceMean:
		return v / float32(count)
	case ReduceL2:
		return float32(math.Sqrt(float64(v)))
	case ReduceLogSum:
		return float32(math.Log(float64(v)))
	case ReduceLogSumExp:
		if v == float32(math.Inf(-1)) { // empty: the max pass's identity
			return v
		}
		return shift + float32(math.Log(float64(v)))
	}
	return v
}

type reduceTask struct {
	op       ReduceOp
	dst, src []float32
	s        redShape
}

var reduceTasks = freelist.List[reduceTask]{New: func() *reduceTask { return new(reduceTask) }}

// reduceWalk visits the runs along the innermost dim of a box of s: dims (s's
// with the split dim narrowed), starting at src offset so and dst offset do.
// f gets the run of src and the dst offset it reduces into.
func reduceWalk(s *redShape, dims *[maxRank]int, so, do int, src []float32, f func(x []float32, do int)) {
	last := s.rank - 1
	n := dims[last]
	var idx [maxRank]int
	for {
		f(src[so:so+n], do)
		d := last - 1
		for ; d >= 0; d-- {
			idx[d]++
			so += s.sstr[d]
			do += s.dstr[d]
			if idx[d] < dims[d] {
				break
			}
			so -= dims[d] * s.sstr[d]
			do -= dims[d] * s.dstr[d]
			idx[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

// Run implements Task over chunk indices [lo, hi) of the split dim.
func (t *reduceTask) Run(lo, hi int) {
	s := &t.s
	dims := s.dims
	so, dlo, dhi := 0, 0, 1
	if sp := s.split; sp >= 0 {
		a, b := lo*s.unit, min(hi*s.unit, s.dims[sp])
		dims[sp] = b - a
		so = a * s.sstr[sp]
		dlo, dhi = a*s.dstr[sp], b*s.dstr[sp] // contiguous: sp is the outermost kept dim
	}
	dst := t.dst
	op := t.op
	last := s.rank - 1
	redLast := s.red[last]
	acc := dst[:dhi]
	ts := getScratch(unaryChunk)
	defer f32Scratch.Put(ts)
	tmp := *ts
	init := reduceIdentity(op)
	for i := dlo; i < dhi; i++ {
		acc[i] = init
	}
	if op == ReduceLogSumExp {
		// Pass 1: the max into a scratch buffer (offset by dlo), pass 2: the
		// shifted exponentials' sum into dst.
		sh := getScratch(dhi - dlo)
		shift := *sh
		for i := range shift {
			shift[i] = init
		}
		mx := shift[:]
		reduceWalk(s, &dims, so, 0, t.src, func(x []float32, do int) {
			if redLast {
				mx[do] = maxCombine(mx[do], active.max(x))
			} else {
				maxAccum(mx[do:do+len(x)], x)
			}
		})
		for i := range shift {
			acc[dlo+i] = 0
		}
		reduceWalk(s, &dims, so, 0, t.src, func(x []float32, do int) {
			if redLast {
				if m := shift[do]; !math.IsInf(float64(m), 0) {
					acc[dlo+do] += expSumShifted(x, m, tmp)
				}
			} else {
				// Columns whose max is infinite get garbage here, replaced below.
				expAccum(acc[dlo+do:dlo+do+len(x)], x, shift[do:do+len(x)], tmp)
			}
		})
		for i := dlo; i < dhi; i++ {
			if m := shift[i-dlo]; math.IsInf(float64(m), 0) {
				acc[i] = m // all -Inf: log(0); +Inf present: log(Inf)
			} else {
				acc[i] = m + float32(math.Log(float64(acc[i])))
			}
		}
		f32Scratch.Put(sh)
		return
	}
	reduceWalk(s, &dims, so, dlo, t.src, func(x []float32, do int) {
		if redLast {
			acc[do] = reduceCombine(op, acc[do], x)
		} else {
			reduceAccum(op, acc[do:do+len(x)], x, tmp)
		}
	})
	switch op {
	case ReduceMean, ReduceL2, ReduceLogSum:
		for i := dlo; i < dhi; i++ {
			acc[i] = reduceFinal(op, acc[i], s.count, 0)
		}
	}
}

func maxCombine(a, b float32) float32 {
	if b > a || b != b {
		return b
	}
	return a
}

func minCombine(a, b float32) float32 {
	if b < a || b != b {
		return b
	}
	return a
}

// maxAccum sets d[i] = max(d[i], x[i]) (NaN sticks).
func maxAccum(d, x []float32) {
	x = x[:len(d)]
	for i, v := range x {
		if v > d[i] || v != v {
			d[i] = v
		}
	}
}

// reduceCombine folds the reduction of row x into the accumulator a.
func reduceCombine(op ReduceOp, a float32, x []float32) float32 {
	switch op {
	case ReduceSum, ReduceMean, ReduceLogSum:
		return a + active.sum(x)
	case ReduceSumSquare, ReduceL2:
		return a + active.sumSq(x, 0)
	case ReduceL1:
		var s0, s1, s2, s3 float32
		i := 0
		for ; i+4 <= len(x); i += 4 {
			s0 += abs32(x[i])
			s1 += abs32(x[i+1])
			s2 += abs32(x[i+2])
			s3 += abs32(x[i+3])
		}
		for ; i < len(x); i++ {
			s0 += abs32(x[i])
		}
		return a + ((s0 + s1) + (s2 + s3))
	case ReduceMax:
		return maxCombine(a, active.max(x))
	case ReduceMin:
		for _, v := range x {
			a = minCombine(a, v)
		}
		return a
	case ReduceProd:
		p0, p1, p2, p3 := a, float32(1), float32(1), float32(1)
		i := 0
		for ; i+4 <= len(x); i += 4 {
			p0 *= x[i]
			p1 *= x[i+1]
			p2 *= x[i+2]
			p3 *= x[i+3]
		}
		for ; i < len(x); i++ {
			p0 *= x[i]
		}
		return (p0 * p1) * (p2 * p3)
	}
	panic("cpu.Reduce: bad op")
}

// reduceAccum folds row x elementwise into the accumulators d.
func reduceAccum(op ReduceOp, d, x, tmp []float32) {
	x = x[:len(d)]
	switch op {
	case ReduceSum, ReduceMean, ReduceLogSum:
		active.add(d, d, x)
	case ReduceSumSquare, ReduceL2:
		for lo := 0; lo < len(d); lo += len(tmp) {
			hi := min(lo+len(tmp), len(d))
			sq := tmp[:hi-lo]
			active.mul(sq, x[lo:hi], x[lo:hi])
			active.add(d[lo:hi], d[lo:hi], sq)
		}
	case ReduceL1:
		for i, v := range x {
			d[i] += abs32(v)
		}
	case ReduceMax:
		maxAccum(d, x)
	case ReduceMin:
		for i, v := range x {
			if v < d[i] || v != v {
				d[i] = v
			}
		}
	case ReduceProd:
		active.mul(d, d, x)
	default:
		panic("cpu.Reduce: bad op")
	}
}

// expSumShifted returns sum exp(x[i]-m).
func expSumShifted(x []float32, m float32, tmp []float32) float32 {
	var s float32
	for lo := 0; lo < len(x); lo += len(tmp) {
		hi := min(lo+len(tmp), len(x))
		s += active.expSub(tmp[:hi-lo], x[lo:hi], m)
	}
	return s
}

// expAccum sets d[i] += exp(x[i]-m[i]).
func expAccum(d, x, m, tmp []float32) {
	for lo := 0; lo < len(d); lo += len(tmp) {
		hi := min(lo+len(tmp), len(d))
		e := tmp[:hi-lo]
		active.sub(e, x[lo:hi], m[lo:hi])
		active.exp(e, e)
		active.add(d[lo:hi], d[lo:hi], e)
	}
}
