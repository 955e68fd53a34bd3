package cpu

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/llmc/llmc/internal/freelist"
)

// maxRank is the largest tensor rank the broadcasting, reduction and layout
// kernels accept.
const maxRank = 8

// bcShape is an N-ary numpy broadcast (up to three operands) reduced to its
// simplest equivalent iteration space: dims of size 1 dropped and adjacent
// dims merged wherever every operand reads them as one contiguous (or one
// broadcast) run. The output is contiguous over dims; operand k's element at
// output index (i_0, ..., i_{rank-1}) is at sum_d i_d*str[k][d]. The innermost
// stride of every operand is 0 (broadcast) or 1 (contiguous).
type bcShape struct {
	rank int
	nop  int
	size int // output elements
	dims [maxRank]int
	str  [3][maxRank]int
}

// init sets s to the broadcast of nop operand shapes (in[0..nop-1]) to out,
// panicking with fn's name if a shape does not broadcast to out. No slice is
// retained.
func (s *bcShape) init(fn string, out []int, nop int, in0, in1, in2 []int) {
	r := len(out)
	if r > maxRank {
		panic(fmt.Sprintf("cpu.%s: rank %d > %d", fn, r, maxRank))
	}
	*s = bcShape{nop: nop}
	size := 1
	for _, d := range out {
		if d < 0 {
			panic(fmt.Sprintf("cpu.%s: negative dim in output shape %s", fn, dimsStr(out)))
		}
		size *= d
	}
	s.size = size
	var full [3][maxRank]int // operand strides along every output dim
	for k := 0; k < nop; k++ {
		in := in0
		switch k {
		case 1:
			in = in1
		case 2:
			in = in2
		}
		if len(in) > r {
			panic(fmt.Sprintf("cpu.%s: operand %d has rank %d > output rank %d", fn, k, len(in), r))
		}
		st := 1
		for j := len(in) - 1; j >= 0; j-- {
			i := r - len(in) + j
			switch d := in[j]; {
			case d == out[i]:
				if d != 1 {
					full[k][i] = st
				}
			case d == 1:
			default:
				panic(fmt.Sprintf("cpu.%s: operand %d shape %s does not broadcast to %s", fn, k, dimsStr(in), dimsStr(out)))
			}
			st *= in[j]
		}
	}
	if size == 0 {
		return
	}
	n := 0
	for i := 0; i < r; i++ {
		if out[i] == 1 {
			continue
		}
		if n > 0 {
			p := n - 1
			merge := true
			for k := 0; k < nop; k++ {
				if s.str[k][p] != full[k][i]*out[i] {
					merge = false
					break
				}
			}
			if merge {
				s.dims[p] *= out[i]
				for k := 0; k < nop; k++ {
					s.str[k][p] = full[k][i]
				}
				continue
			}
		}
		s.dims[n] = out[i]
		for k := 0; k < nop; k++ {
			s.str[k][n] = full[k][i]
		}
		n++
	}
	if n == 0 { // a single element
		s.dims[0] = 1
		n = 1
	}
	s.rank = n
}

// need returns how many elements operand k must have (its highest offset + 1).
func (s *bcShape) need(k int) int {
	if s.size == 0 {
		return 0
	}
	m := 0
	for d := 0; d < s.rank; d++ {
		m += (s.dims[d] - 1) * s.str[k][d]
	}
	return m + 1
}

// inner returns the innermost stride (0 or 1) of operand k.
func (s *bcShape) inner(k int) int { return s.str[k][s.rank-1] }

// bcIter walks the output elements [lo, hi) of a bcShape in row-major order
// as runs along the innermost dim: each call of next yields the output offset
// of a run, its length, and (in off) the operands' offsets at its start.
// The shape is passed to each call rather than kept (a kept pointer would make
// every shape escape to the heap).
type bcIter struct {
	pos, end int
	idx      [maxRank]int
	cur      [3]int // operand offsets at pos
	off      [3]int // operand offsets of the run returned by next
}

func (it *bcIter) start(s *bcShape, lo, hi int) {
	it.pos, it.end = lo, hi
	it.cur = [3]int{}
	rem := lo
	for d := s.rank - 1; d >= 0; d-- {
		i := rem % s.dims[d]
		rem /= s.dims[d]
		it.idx[d] = i
		for k := 0; k < s.nop; k++ {
			it.cur[k] += i * s.str[k][d]
		}
	}
}

// next returns the next run (output offset o, length n), with the operand
// offsets in it.off; ok is false when the range is exhausted.
func (it *bcIter) next(s *bcShape) (o, n int, ok bool) {
	if it.pos >= it.end {
		return 0, 0, false
	}
	last := s.rank - 1
	o = it.pos
	n = min(s.dims[last]-it.idx[last], it.end-it.pos)
	it.off = it.cur
	it.pos += n
	it.idx[last] += n
	for k := 0; k < s.nop; k++ {
		it.cur[k] += n * s.str[k][last]
	}
	for d := last; d > 0 && it.idx[d] == s.dims[d]; d-- {
		it.idx[d] = 0
		it.idx[d-1]++
		for k := 0; k < s.nop; k++ {
			it.cur[k] += s.str[k][d-1] - s.dims[d]*s.str[k][d]
		}
	}
	return o, n, true
}

// nextRows is next, except that at the start of a row it returns as many
// whole rows (rows >= 1, each n long) as remain in the second-innermost dim
// and the range; row r of operand k starts at it.off[k] + r*s.str[k][rank-2].
func (it *bcIter) nextRows(s *bcShape) (o, n, rows int, ok bool) {
	last := s.rank - 1
	if last == 0 || it.idx[last] != 0 || it.end-it.pos < 2*s.dims[last] {
		o, n, ok = it.next(s)
		return o, n, 1, ok
	}
	n = s.dims[last]
	rows = min(s.dims[last-1]-it.idx[last-1], (it.end-it.pos)/n)
	o = it.pos
	it.off = it.cur
	it.pos += rows * n
	it.idx[last-1] += rows
	for k := 0; k < s.nop; k++ {
		it.cur[k] += rows * s.str[k][last-1]
	}
	for d := last - 1; d > 0 && it.idx[d] == s.dims[d]; d-- {
		it.idx[d] = 0
		it.idx[d-1]++
		for k := 0; k < s.nop; k++ {
			it.cur[k] += s.str[k][d-1] - s.dims[d]*s.str[k][d]
		}
	}
	return o, n, rows, true
}

// BinaryOp extensions for the broadcasting kernels (OpAdd..OpDiv are in ops.go).
const (
	// OpMax is max(a, b); NaN if either is NaN; max(-0, +0) = +0.
	OpMax BinaryOp = iota + OpDiv + 1
	// OpMin is min(a, b); NaN if either is NaN; min(-0, +0) = -0.
	OpMin
	// OpPow is a^b, float32(math.Pow(float64(a), float64(b))).
	OpPow
)

func maxF32(a, b float32) float32 {
	switch {
	case a > b:
		return a
	case b > a:
		return b
	case a != a || b != b:
		return float32(math.NaN())
	case math.Signbit(float64(a)):
		return b // equal: only the sign of a zero can differ
	}
	return a
}

func minF32(a, b float32) float32 {
	switch {
	case a < b:
		return a
	case b < a:
		return b
	case a != a || b != b:
		return float32(math.NaN())
	case math.Signbit(float64(a)):
		return a
	}
	return b
}

func powF32(a, b float32) float32 { return float32(math.Pow(float64(a), float64(b))) }

// binaryScalar returns a op b.
func binaryScalar(op BinaryOp, a, b float32) float32 {
	switch op {
	case OpAdd:
		return a + b
	case OpSub:
		return a - b
	case OpMul:
		return a * b
	case OpDiv:
		return a / b
	case OpMax:
		return maxF32(a, b)
	case OpMin:
		return minF32(a, b)
	case OpPow:
		return powF32(a, b)
	}
	panic(fmt.Sprintf("cpu: unknown BinaryOp %d", op))
}

// binaryVec sets d[i] = a[i] op b[i] (a, b at least len(d) long).
func binaryVec(op BinaryOp, d, a, b []float32) {
	n := len(d)
	a, b = a[:n], b[:n]
	switch op {
	case OpAdd, OpSub, OpMul, OpDiv:
		active.binary(op)(d, a, b)
	case OpMax:
		for i := range d {
			d[i] = maxF32(a[i], b[i])
		}
	case OpMin:
		for i := range d {
			d[i] = minF32(a[i], b[i])
		}
	case OpPow:
		for i := range d {
			d[i] = powF32(a[i], b[i])
		}
	default:
		panic(fmt.Sprintf("cpu: unknown BinaryOp %d", op))
	}
}

// binaryVecScalar sets d[i] = a[i] op s.
func binaryVecScalar(op BinaryOp, d, a []float32, s float32) {
	a = a[:len(d)]
	switch op {
	case OpAdd:
		active.addScalar(d, a, s)
	case OpSub:
		active.addScalar(d, a, -s) // a - s == a + (-s) exactly
	case OpMul:
		active.mulScalar(d, a, s)
	case OpDiv:
		for i := range d {
			d[i] = a[i] / s
		}
	case OpMax:
		for i := range d {
			d[i] = maxF32(a[i], s)
		}
	case OpMin:
		for i := range d {
			d[i] = minF32(a[i], s)
		}
	case OpPow:
		powScalar(d, a, s)
	default:
		panic(fmt.Sprintf("cpu: unknown BinaryOp %d", op))
	}
}

// binaryScalarVec sets d[i] = s op b[i].
func binaryScalarVec(op BinaryOp, d []float32, s float32, b []float32) {
	b = b[:len(d)]
	switch op {
	case OpAdd:
		active.addScalar(d, b, s)
	case OpMul:
		active.mulScalar(d, b, s)
	case OpSub:
		for i := range d {
			d[i] = s - b[i]
		}
	case OpDiv:
		for i := range d {
			d[i] = s / b[i]
		}
	case OpMax:
		for i := range d {
			d[i] = maxF32(s, b[i])
		}
	case OpMin:
		for i := range d {
			d[i] = minF32(s, b[i])
		}
	case OpPow:
		for i := range d {
			d[i] = powF32(s, b[i])
		}
	default:
		panic(fmt.Sprintf("cpu: unknown BinaryOp %d", op))
	}
}

// binaryRun computes one run: d[i] = a[i*sa] op b[i*sb], sa and sb 0 or 1.
func binaryRun(op BinaryOp, d, a []float32, sa int, b []float32, sb int) {
	switch {
	case sa == 1 && sb == 1:
		binaryVec(op, d, a, b)
	case sa == 1:
		binaryVecScalar(op, d, a, b[0])
	case sb == 1:
		binaryScalarVec(op, d, a[0], b)
	default:
		v := binaryScalar(op, a[0], b[0])
		for i := range d {
			d[i] = v
		}
	}
}

// bcBlock is the granularity (in elements) at which broadcast work is split
// over threads, so chunk boundaries fall on cache lines of the output.
const bcBlock = 64

// bcParallelMin is the output size from which the broadcasting kernels use
// the pool.
const bcParallelMin = 1 << 15

// BroadcastBinary applies op with numpy broadcasting: shapes are right-aligned,
// each dim of as and bs equal to out's or 1 (rank <= 8), and for every output
// index i (row-major, i_a and i_b its projections onto a's and b's shapes,
// 0 along their size-1 dims):
//
//	dst[i] = a[i_a] op b[i_b]
//
// OpAdd..OpDiv are IEEE float32 operations, OpMax/OpMin propagate NaN, OpPow is
// float32(math.Pow(float64(x), float64(y))). Adjacent dims that broadcast alike
// are merged and the innermost runs go to the vector kernels (elementwise,
// scalar or row broadcast). Large outputs are split over p's threads (p may be
// nil). dst may alias a or b only where it is the same shape as that operand.
func BroadcastBinary(p *Pool, op BinaryOp, dst []float32, out []int, a []float32, as []int, b []float32, bs []int) {
	if op < OpAdd || op > OpPow {
		panic(fmt.Sprintf("cpu.BroadcastBinary: unknown BinaryOp %d", op))
	}
	t := bbTasks.Get()
	t.s.init("BroadcastBinary", out, 2, as, bs, nil)
	checkLen("BroadcastBinary dst", t.s.size, dst)
	checkLen("BroadcastBinary a", t.s.need(0), a)
	checkLen("BroadcastBinary b", t.s.need(1), b)
	if t.s.size > 0 {
		t.op, t.dst, t.a, t.b = op, dst, a, b
		bcRun(p, t.s.size, t)
	}
	t.dst, t.a, t.b = nil, nil, nil
	bbTasks.Put(t)
}

// bcRun runs t over blocks of bcBlock output elements, on the pool when the
// output is large.
func bcRun(p *Pool, size int, t Task) {
	blocks := (size + bcBlock - 1) / bcBlock
	if p == nil || p.Threads() == 1 || size < bcParallelMin {
		t.Run(0, blocks)
		return
	}
	p.RunTask(blocks, 4*p.Threads(), t)
}

type bbTask struct {
	op        BinaryOp
	dst, a, b []float32
	s         bcShape
}

var bbTasks = freelist.List[bbTask]{New: func() *bbTask { return new(bbTask) }}

// Run implements Task over output blocks [lo, hi).
func (t *bbTask) Run(lo, hi int) {
	s := &t.s
	var it bcIter
	it.start(s, lo*bcBlock, min(hi*bcBlock, s.size))
	sa, sb := s.inner(0), s.inner(1)
	var ra, rb int // row strides
	if s.rank > 1 {
		ra, rb = s.str[0][s.rank-2], s.str[1][s.rank-2]
	}
	for {
		o, n, rows, ok := it.nextRows(s)
		if !ok {
			return
		}
		oa, ob := it.off[0], it.off[1]
		for r := 0; r < rows; r++ {
			binaryRun(t.op, t.dst[o:o+n], t.a[oa:], sa, t.b[ob:], sb)
			o += n
			oa += ra
			ob += rb
		}
	}
}

// Expand copies src (shape in) to dst (shape out) with numpy broadcasting
// (ONNX Expand once out is known; in right-aligned, each dim equal to out's
// or 1). Elements are elemSize bytes; for every output index i, with i_in its
// projection onto in (0 along size-1 dims):
//
//	dst[i*elemSize : (i+1)*elemSize] = src[i_in*elemSize : (i_in+1)*elemSize]
func Expand(dst, src []byte, elemSize int, out, in []int) {
	if elemSize <= 0 {
		panic(fmt.Sprintf("cpu.Expand: element size %d", elemSize))
	}
	var s bcShape
	s.init("Expand", out, 1, in, nil, nil)
	checkLenB("Expand dst", s.size*elemSize, dst)
	checkLenB("Expand src", s.need(0)*elemSize, src)
	if s.size == 0 {
		return
	}
	var it bcIter
	it.start(&s, 0, s.size)
	si := s.inner(0)
	for {
		o, n, ok := it.next(&s)
		if !ok {
			return
		}
		d := dst[o*elemSize : (o+n)*elemSize]
		x := src[it.off[0]*elemSize:]
		if si == 1 {
			copy(d, x[:n*elemSize])
		} else {
			fillElem(d, x[:elemSize])
		}
	}
}

// fillElem fills d (a whole number of elements) with copies of the element e.
func fillElem(d, e []byte) {
	switch len(e) {
	case 1:
		v := e[0]
		for i := range d {
			d[i] = v
		}
		return
	case 2:
		fillT(asElems[[2]byte](d), *(*[2]byte)(e))
		return
	case 4:
		fillT(asElems[[4]byte](d), *(*[4]byte)(e))
		return
	case 8:
		fillT(asElems[[8]byte](d), *(*[8]byte)(e))
		return
	}
	if len(d) == 0 {
		return
	}
	k := copy(d, e)
	for k < len(d) {
		k += copy(d[k:], d[:k])
	}
}

func fillT[E any](d []E, v E) {
	for i := range d {
		d[i] = v
	}
}

// asElems views b as a slice of E (a byte array type, so alignment never
// matters); trailing bytes that do not fill an element are left out.
func asElems[E any](b []byte) []E {
	var z E
	sz := int(unsafe.Sizeof(z))
	if len(b) < sz {
		return nil
	}
	return unsafe.Slice((*E)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/sz)
}

// dimsStr formats a shape for a panic message; unlike handing the slice to
// fmt, it does not make the shape escape to the heap on every call.
func dimsStr(s []int) string {
	b := make([]byte, 0, 32)
	b = append(b, '[')
	for i, d := range s {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, int64(d), 10)
	}
	return string(append(b, ']'))
}

func checkLenB(what string, n int, xs ...[]byte) {
	for _, x := range xs {
		if len(x) < n {
			panic(fmt.Sprintf("cpu.%s: slice of length %d, need %d", what, len(x), n))
		}
	}
}

// Where selects with numpy broadcasting of cond, x and y to out (each shape
// right-aligned, dims equal to out's or 1): elements are elemSize bytes, and
// for every output index i (i_c, i_x, i_y its projections onto cs, xs, ys),
//
//	dst[i] = x[i_x] if cond[i_c] else y[i_y]
func Where(dst []byte, elemSize int, out []int, cond []bool, cs []int, x []byte, xs []int, y []byte, ys []int) {
	var s bcShape
	s.init("Where", out, 3, cs, xs, ys)
	checkLenB("Where dst", s.size*elemSize, dst)
	if len(cond) < s.need(0) {
		panic(fmt.Sprintf("cpu.Where cond: slice of length %d, need %d", len(cond), s.need(0)))
	}
	checkLenB("Where x", s.need(1)*elemSize, x)
	checkLenB("Where y", s.need(2)*elemSize, y)
	if s.size == 0 {
		return
	}
	switch elemSize {
	case 1:
		whereT(&s, asElems[[1]byte](dst), cond, asElems[[1]byte](x), asElems[[1]byte](y))
	case 2:
		whereT(&s, asElems[[2]byte](dst), cond, asElems[[2]byte](x), asElems[[2]byte](y))
	case 4:
		whereT(&s, asElems[[4]byte](dst), cond, asElems[[4]byte](x), asElems[[4]byte](y))
	case 8:
		whereT(&s, asElems[[8]byte](dst), cond, asElems[[8]byte](x), asElems[[8]byte](y))
	default:
		if elemSize <= 0 {
			panic(fmt.Sprintf("cpu.Where: element size %d", elemSize))
		}
		var it bcIter
		it.start(&s, 0, s.size)
		sc, sx, sy := s.inner(0), s.inner(1), s.inner(2)
		for {
			o, n, ok := it.next(&s)
			if !ok {
				return
			}
			for i := 0; i < n; i++ {
				d := dst[(o+i)*elemSize : (o+i+1)*elemSize]
				if cond[it.off[0]+i*sc] {
					copy(d, x[(it.off[1]+i*sx)*elemSize:])
				} else {
					copy(d, y[(it.off[2]+i*sy)*elemSize:])
				}
			}
		}
	}
}

func whereT[E any](s *bcShape, dst []E, cond []bool, x, y []E) {
	var it bcIter
	it.start(s, 0, s.size)
	sc, sx, sy := s.inner(0), s.inner(1), s.inner(2)
	for {
		o, n, ok := it.next(s)
		if !ok {
			return
		}
		d := dst[o : o+n]
		c, xv, yv := cond[it.off[0]:], x[it.off[1]:], y[it.off[2]:]
		switch {
		case sc == 0:
			src, st := yv, sy
			if c[0] {
				src, st = xv, sx
			}
			if st == 1 {
				copy(d, src[:n])
			} else {
				fillT(d, src[0])
			}
		case sx == 1 && sy == 1:
			c, xv, yv = c[:n], xv[:n], yv[:n]
			for i := range d {
				if c[i] {
					d[i] = xv[i]
				} else {
					d[i] = yv[i]
				}
			}
		default:
			c = c[:n]
			for i := range d {
				if c[i] {
					d[i] = xv[i*sx]
				} else {
					d[i] = yv[i*sy]
				}
			}
		}
	}
}

// Scratch buffers of float32 for kernels that need temporary rows.
var f32Scratch = freelist.List[[]float32]{
	New:  func() *[]float32 { return new([]float32) },
	Keep: func(x *[]float32) bool { return cap(*x) <= 1<<22 },
}

// getScratch returns a scratch buffer of n floats (contents undefined); give
// it back with f32Scratch.Put.
func getScratch(n int) *[]float32 {
	p := f32Scratch.Get()
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	*p = (*p)[:n]
	return p
}

// zeroBuf is a shared, never-written buffer of zeros (nil LayerNorm beta).
var (
	zeroBuf   atomic.Pointer[[]float32]
	zeroBufMu sync.Mutex
)

// zerosF32 returns n zeros from a shared read-only buffer.
func zerosF32(n int) []float32 {
	if z := zeroBuf.Load(); z != nil && len(*z) >= n {
		return (*z)[:n]
	}
	zeroBufMu.Lock()
	defer zeroBufMu.Unlock()
	if z := zeroBuf.Load(); z != nil && len(*z) >= n {
		return (*z)[:n]
	}
	m := n
	if z := zeroBuf.Load(); z != nil {
		m = max(n, 2*len(*z))
	}
	z := make([]float32, m)
	zeroBuf.Store(&z)
	return z[:n]
}
