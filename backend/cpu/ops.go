package cpu

import (
	"fmt"
	"math"

	"github.com/llmc/llmc/internal/freelist"
)

func checkLen(what string, n int, xs ...[]float32) {
	for _, x := range xs {
		if len(x) < n {
			panic(fmt.Sprintf("cpu.%s: slice of length %d, need %d", what, len(x), n))
		}
	}
}

// Exp sets dst[i] = exp(src[i]) for i < len(dst). dst and src may alias.
//
// Accuracy (max error vs float64 math, measured by TestAccuracy over a dense
// sweep): generic path <= 0.5 ulp (float64 libm, rounded); avx2 path 1.46 ulp
// (Cephes polynomial, Cody-Waite reduction). avx2 flushes results for
// x < -86.99 (below 2.4e-38) to 0 and returns +Inf above 88.72.
func Exp(dst, src []float32) { checkLen("Exp", len(dst), src); active.exp(dst, src) }

// Tanh sets dst[i] = tanh(src[i]) for i < len(dst).
// avx2: odd/even rational approximation, max error 4.5 ulp over [-10, 10].
func Tanh(dst, src []float32) { checkLen("Tanh", len(dst), src); active.tanh(dst, src) }

// Relu sets dst[i] = max(src[i], 0) for i < len(dst) (NaN stays NaN).
func Relu(dst, src []float32) {
	checkLen("Relu", len(dst), src)
	src = src[:len(dst)]
	for i, v := range src {
		if v < 0 {
			v = 0
		}
		dst[i] = v
	}
}

// Erf sets dst[i] = erf(src[i]) for i < len(dst).
// avx2: rational approximation for |x| < 1, 1-erfc(|x|) (Chebyshev-fitted
// erfc, fractional error < 1.2e-7) above; max error 3.2 ulp over [-5, 5].
func Erf(dst, src []float32) { checkLen("Erf", len(dst), src); active.erf(dst, src) }

// Gelu sets dst[i] = 0.5*x*(1+erf(x/sqrt(2))), x = src[i] (exact GELU).
// avx2 computes 0.5*x*erfc(-x/sqrt2) (no cancellation for x < 0): max error
// 8.3 ulp over [-10, 10] where |gelu| >= 1e-3 (the worst case is in the
// negative tail), absolute error < 1e-9 where |gelu| < 1e-3.
func Gelu(dst, src []float32) { checkLen("Gelu", len(dst), src); active.gelu(dst, src) }

// GeluTanh sets dst[i] = 0.5*x*(1+tanh(sqrt(2/pi)*(x+0.044715*x^3))), x = src[i].
// avx2 computes x/(1+exp(-2u)): max error 11.5 ulp where |result| >= 1e-3
// (negative tail, from float32 rounding of the exp argument), absolute error
// < 1e-9 below.
func GeluTanh(dst, src []float32) { checkLen("GeluTanh", len(dst), src); active.geluTanh(dst, src) }

// Add sets dst[i] = a[i] + b[i] for i < len(dst).
func Add(dst, a, b []float32) { checkLen("Add", len(dst), a, b); active.add(dst, a, b) }

// Sub sets dst[i] = a[i] - b[i] for i < len(dst).
func Sub(dst, a, b []float32) { checkLen("Sub", len(dst), a, b); active.sub(dst, a, b) }

// Mul sets dst[i] = a[i] * b[i] for i < len(dst).
func Mul(dst, a, b []float32) { checkLen("Mul", len(dst), a, b); active.mul(dst, a, b) }

// Div sets dst[i] = a[i] / b[i] for i < len(dst).
func Div(dst, a, b []float32) { checkLen("Div", len(dst), a, b); active.div(dst, a, b) }

// AddScalar sets dst[i] = a[i] + s for i < len(dst).
func AddScalar(dst, a []float32, s float32) {
	checkLen("AddScalar", len(dst), a)
	active.addScalar(dst, a, s)
}

// SubScalar sets dst[i] = a[i] - s for i < len(dst).
func SubScalar(dst, a []float32, s float32) {
	checkLen("SubScalar", len(dst), a)
	active.addScalar(dst, a, -s)
}

// MulScalar sets dst[i] = a[i] * s for i < len(dst).
func MulScalar(dst, a []float32, s float32) {
	checkLen("MulScalar", len(dst), a)
	active.mulScalar(dst, a, s)
}

// DivScalar sets dst[i] = a[i] / s for i < len(dst) (exact division).
func DivScalar(dst, a []float32, s float32) {
	checkLen("DivScalar", len(dst), a)
	a = a[:len(dst)]
	for i := range dst {
		dst[i] = a[i] / s
	}
}

// BinaryOp selects the operation of the row-broadcast and broadcasting
// kernels (OpMax, OpMin and OpPow are declared in broadcast.go).
type BinaryOp int

const (
	OpAdd BinaryOp = iota
	OpSub
	OpMul
	OpDiv
)

func (t *kernelTable) binary(op BinaryOp) func(dst, a, b []float32) {
	switch op {
	case OpAdd:
		return t.add
	case OpSub:
		return t.sub
	case OpMul:
		return t.mul
	case OpDiv:
		return t.div
	}
	panic("cpu: unknown BinaryOp")
}

// RowBroadcast applies op with a length-n vector broadcast over the rows of
// the m x n matrix a: dst[i*n+j] = a[i*n+j] op row[j] (any BinaryOp).
func RowBroadcast(op BinaryOp, dst, a []float32, m, n int, row []float32) {
	checkLen("RowBroadcast", m*n, dst, a)
	checkLen("RowBroadcast", n, row)
	if op < OpAdd || op > OpPow {
		panic("cpu: unknown BinaryOp")
	}
	for i := 0; i < m; i++ {
		binaryVec(op, dst[i*n:i*n+n], a[i*n:i*n+n], row[:n])
	}
}

// Sum returns sum_i x[i].
func Sum(x []float32) float32 { return active.sum(x) }

// Max returns max_i x[i] (-Inf for an empty slice; NaN if any x[i] is NaN).
func Max(x []float32) float32 { return active.max(x) }

// Mean returns sum_i x[i] / len(x).
func Mean(x []float32) float32 { return active.sum(x) / float32(len(x)) }

// SumRows sets dst[i] = sum_j x[i*n+j] for i < m.
func SumRows(dst, x []float32, m, n int) {
	checkLen("SumRows", m*n, x)
	for i := 0; i < m; i++ {
		dst[i] = active.sum(x[i*n : i*n+n])
	}
}

// MeanRows sets dst[i] = sum_j x[i*n+j] / n for i < m.
func MeanRows(dst, x []float32, m, n int) {
	SumRows(dst, x, m, n)
	inv := 1 / float32(n)
	for i := 0; i < m; i++ {
		dst[i] *= inv
	}
}

// MaxRows sets dst[i] = max_j x[i*n+j] for i < m.
func MaxRows(dst, x []float32, m, n int) {
	checkLen("MaxRows", m*n, x)
	for i := 0; i < m; i++ {
		dst[i] = active.max(x[i*n : i*n+n])
	}
}

// rowsParallel runs t over rows [0,m) on the pool when the work is big enough.
func rowsParallel(p *Pool, m, n int, t Task) {
	if p == nil || m*n < 1<<15 {
		t.Run(0, m)
		return
	}
	p.RunTask(m, 4*p.Threads(), t)
}

// Softmax computes a numerically stable softmax over each row of the m x n
// matrix src, with an optional additive mask row (length n, broadcast over
// rows, may be nil):
//
//	for i < m: t[j] = src[i*n+j] + mask[j]; mx = max_j t[j]
//	           dst[i*n+j] = exp(t[j]-mx) / sum_j exp(t[j]-mx)
//
// A row whose entries are all -Inf produces zeros. dst may alias src.
func Softmax(p *Pool, dst, src []float32, m, n int, mask []float32) {
	checkLen("Softmax", m*n, dst, src)
	if mask != nil {
		checkLen("Softmax mask", n, mask)
	}
	st := softmaxTasks.Get()
	*st = softmaxTask{dst: dst, src: src, n: n, mask: mask}
	rowsParallel(p, m, n, st)
	*st = softmaxTask{}
	softmaxTasks.Put(st)
}

type softmaxTask struct {
	dst, src, mask []float32
	n              int
}

var softmaxTasks = freelist.List[softmaxTask]{New: func() *softmaxTask { return new(softmaxTask) }}

// Run implements Task over rows [lo, hi).
func (st *softmaxTask) Run(lo, hi int) {
	dst, src, mask, n, t := st.dst, st.src, st.mask, st.n, active
	if t.softmax != nil && (n%8 == 0 || t.softmaxAnyN) {
		t.softmax(dst[lo*n:hi*n], src[lo*n:hi*n], mask, hi-lo, n)
		return
	}
	for i := lo; i < hi; i++ {
		d, s := dst[i*n:i*n+n], src[i*n:i*n+n]
		if mask != nil {
			t.add(d, s, mask[:n])
			s = d
		}
		mx := t.max(s)
		if math.IsInf(float64(mx), -1) {
			clear(d)
			continue
		}
		sum := t.expSub(d, s, mx)
		t.mulScalar(d, d, 1/sum)
	}
}

// LayerNorm normalises each row of the m x n matrix src:
//
//	mean = sum_j x[j]/n; var = sum_j (x[j]-mean)^2/n
//	dst[i*n+j] = (x[j]-mean)/sqrt(var+eps)*gamma[j] + beta[j]
//
// beta may be nil (no shift). dst may alias src.
func LayerNorm(p *Pool, dst, src []float32, m, n int, gamma, beta []float32, eps float32) {
	if beta == nil {
		beta = zerosF32(n) // no shift
	}
	SkipLayerNorm(p, dst, src, nil, nil, m, n, gamma, beta, eps)
}

// SkipLayerNorm is LayerNorm(x + skip + bias) fused into one pass over memory
// (ONNX Runtime SkipLayerNormalization semantics): for each row i,
//
//	t[j] = x[i*n+j] + skip[i*n+j] + bias[j]   (skip and bias may be nil)
//	dst[i*n+j] = LayerNorm(t)[j]
//
// The row sum t is formed in dst (so it stays in L1) and normalised in place.
// dst may alias x or skip.
func SkipLayerNorm(p *Pool, dst, x, skip, bias []float32, m, n int, gamma, beta []float32, eps float32) {
	checkLen("SkipLayerNorm", m*n, dst, x)
	checkLen("SkipLayerNorm gamma/beta", n, gamma, beta)
	if skip != nil {
		checkLen("SkipLayerNorm skip", m*n, skip)
	}
	if bias != nil {
		checkLen("SkipLayerNorm bias", n, bias)
	}
	lt := layerNormTasks.Get()
	*lt = layerNormTask{dst: dst, x: x, skip: skip, bias: bias, gamma: gamma, beta: beta, n: n, eps: eps}
	rowsParallel(p, m, n, lt)
	*lt = layerNormTask{}
	layerNormTasks.Put(lt)
}

type layerNormTask struct {
	dst, x, skip, bias, gamma, beta []float32
	n                               int
	eps                             float32
}

var layerNormTasks = freelist.List[layerNormTask]{New: func() *layerNormTask { return new(layerNormTask) }}

// Run implements Task over rows [lo, hi).
func (lt *layerNormTask) Run(lo, hi int) {
	dst, x, skip, bias, gamma, beta, n, eps, t := lt.dst, lt.x, lt.skip, lt.bias, lt.gamma, lt.beta, lt.n, lt.eps, active
	invN := 1 / float32(n)
	if t.layerNorm != nil && n%8 == 0 {
		switch {
		case skip == nil && bias == nil:
			t.layerNorm(dst[lo*n:hi*n], x[lo*n:hi*n], nil, nil, gamma, beta, hi-lo, n, eps)
		case skip != nil && bias != nil:
			t.layerNorm(dst[lo*n:hi*n], x[lo*n:hi*n], skip[lo*n:hi*n], bias, gamma, beta, hi-lo, n, eps)
		default:
			for i := lo; i < hi; i++ {
				d := dst[i*n : i*n+n]
				if skip != nil {
					t.add(d, x[i*n:i*n+n], skip[i*n:i*n+n])
				} else {
					t.add(d, x[i*n:i*n+n], bias[:n])
				}
				t.layerNorm(d, d, nil, nil, gamma, beta, 1, n, eps)
			}
		}
		return
	}
	for i := lo; i < hi; i++ {
		d, s := dst[i*n:i*n+n], x[i*n:i*n+n]
		switch {
		case skip != nil && bias != nil:
			t.add3(d, s, skip[i*n:i*n+n], bias[:n])
			s = d
		case skip != nil:
			t.add(d, s, skip[i*n:i*n+n])
			s = d
		case bias != nil:
			t.add(d, s, bias[:n])
			s = d
		}
		// One pass for mean and variance, shifted by the first
		// element for numerical stability.
		k := s[0]
		s1, s2 := t.moments(s, k)
		dm := s1 * invN
		mean := k + dm
		v := max(s2*invN-dm*dm, 0)
		rstd := float32(1 / math.Sqrt(float64(v+eps)))
		t.normAffine(d, s, gamma[:n], beta[:n], mean, rstd)
	}
}

// TransposeBSHD converts [b, s, h, d] to [b, h, s, d]:
//
//	dst[((bi*h+hi)*s+si)*d+di] = src[((bi*s+si)*h+hi)*d+di]
func TransposeBSHD(dst, src []float32, b, s, h, d int) {
	checkLen("TransposeBSHD", b*s*h*d, dst, src)
	for bi := 0; bi < b; bi++ {
		for si := 0; si < s; si++ {
			for hi := 0; hi < h; hi++ {
				o := ((bi*h+hi)*s + si) * d
				i := ((bi*s+si)*h + hi) * d
				copy(dst[o:o+d], src[i:i+d])
			}
		}
	}
}

// TransposeBHSD converts [b, h, s, d] to [b, s, h, d] (inverse of TransposeBSHD):
//
//	dst[((bi*s+si)*h+hi)*d+di] = src[((bi*h+hi)*s+si)*d+di]
func TransposeBHSD(dst, src []float32, b, s, h, d int) {
	checkLen("TransposeBHSD", b*s*h*d, dst, src)
	for bi := 0; bi < b; bi++ {
		for hi := 0; hi < h; hi++ {
			for si := 0; si < s; si++ {
				i := ((bi*h+hi)*s + si) * d
				o := ((bi*s+si)*h + hi) * d
				copy(dst[o:o+d], src[i:i+d])
			}
		}
	}
}
