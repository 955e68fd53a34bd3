package cpu

import (
	"fmt"
	"math"

	"github.com/llmc/llmc/internal/freelist"
)

// LayerNormStats is LayerNorm that also returns each row's statistics (ONNX
// LayerNormalization's optional outputs Mean and InvStdDev): for each row i of
// the m x n matrix src,
//
//	mean[i] = sum_j x[j]/n; var = sum_j (x[j]-mean[i])^2/n
//	invStd[i] = 1/sqrt(var+eps)
//	dst[i*n+j] = (x[j]-mean[i])*invStd[i]*gamma[j] + beta[j]
//
// computed in float32. mean and invStd may each be nil (not written); beta
// may be nil (no shift). With n == 0 the statistics are NaN (as the
// reference interpreter gives for an input without elements). dst may alias src.
func LayerNormStats(p *Pool, dst, src []float32, m, n int, gamma, beta []float32, eps float32, mean, invStd []float32) {
	if mean == nil && invStd == nil && n > 0 {
		LayerNorm(p, dst, src, m, n, gamma, beta, eps)
		return
	}
	checkLen("LayerNormStats", m*n, dst, src)
	checkLen("LayerNormStats gamma", n, gamma)
	if beta != nil {
		checkLen("LayerNormStats beta", n, beta)
	} else {
		beta = zerosF32(n)
	}
	if mean != nil {
		checkLen("LayerNormStats mean", m, mean)
	}
	if invStd != nil {
		checkLen("LayerNormStats invStd", m, invStd)
	}
	if n == 0 {
		nan := float32(math.NaN())
		for i := 0; i < m; i++ {
			if mean != nil {
				mean[i] = nan
			}
			if invStd != nil {
				invStd[i] = nan
			}
		}
		return
	}
	t := lnStatsTasks.Get()
	*t = lnStatsTask{dst: dst, src: src, gamma: gamma, beta: beta, mean: mean, invStd: invStd, n: n, eps: eps}
	rowsParallel(p, m, n, t)
	*t = lnStatsTask{}
	lnStatsTasks.Put(t)
}

type lnStatsTask struct {
	dst, src, gamma, beta, mean, invStd []float32
	n                                   int
	eps                                 float32
}

var lnStatsTasks = freelist.List[lnStatsTask]{New: func() *lnStatsTask { return new(lnStatsTask) }}

// Run implements Task over rows [lo, hi).
func (t *lnStatsTask) Run(lo, hi int) {
	n, tab := t.n, active
	invN := 1 / float32(n)
	gamma, beta := t.gamma[:n], t.beta[:n]
	for i := lo; i < hi; i++ {
		d, s := t.dst[i*n:i*n+n], t.src[i*n:i*n+n]
		// One pass for mean and variance, shifted by the first element.
		k := s[0]
		s1, s2 := tab.moments(s, k)
		dm := s1 * invN
		mu := k + dm
		v := max(s2*invN-dm*dm, 0)
		rstd := float32(1 / math.Sqrt(float64(v+t.eps)))
		tab.normAffine(d, s, gamma, beta, mu, rstd)
		if t.mean != nil {
			t.mean[i] = mu
		}
		if t.invStd != nil {
			t.invStd[i] = rstd
		}
	}
}

// LogSoftmax computes a numerically stable log-softmax over each row of the
// m x n matrix src:
//
//	for i < m: mx = max_j src[i*n+j]; s = sum_j exp(src[i*n+j]-mx)
//	           dst[i*n+j] = (src[i*n+j]-mx) - log(s)
//
// A row whose entries are all -Inf gives -Inf (the log of Softmax's zeros).
// dst may alias src.
func LogSoftmax(p *Pool, dst, src []float32, m, n int) {
	checkLen("LogSoftmax", m*n, dst, src)
	t := smAxisTasks.Get()
	*t = smAxisTask{dst: dst, src: src, n: n, inner: 1, log: true}
	rowsParallel(p, m, n, t)
	*t = smAxisTask{}
	smAxisTasks.Put(t)
}

// SoftmaxAxis computes softmax (log false) or log-softmax (log true) along an
// axis of length n with inner elements after it and outer before it (ONNX
// Softmax/LogSoftmax from opset 13): for o < outer, c < inner, with
// x[j] = src[(o*n+j)*inner+c],
//
//	mx = max_j x[j]; s = sum_j exp(x[j]-mx)
//	dst[(o*n+j)*inner+c] = exp(x[j]-mx)/s    (log: (x[j]-mx) - log(s))
//
// inner == 1 is exactly Softmax(p, dst, src, outer, n, nil) or LogSoftmax.
// For inner > 1 the columns are normalised together with the vector kernels
// (row by row over the axis). An all -Inf line gives 0 (log: -Inf); an
// empty tensor (any size 0) writes nothing. dst may alias src.
func SoftmaxAxis(p *Pool, dst, src []float32, outer, n, inner int, log bool) {
	if outer < 0 || n < 0 || inner < 0 {
		panic(fmt.Sprintf("cpu.SoftmaxAxis: negative size (outer %d, n %d, inner %d)", outer, n, inner))
	}
	switch {
	case outer == 0 || n == 0 || inner == 0:
		return
	case inner == 1 && log:
		LogSoftmax(p, dst, src, outer, n)
		return
	case inner == 1:
		Softmax(p, dst, src, outer, n, nil)
		return
	}
	checkLen("SoftmaxAxis", outer*n*inner, dst, src)
	t := smAxisTasks.Get()
	*t = smAxisTask{dst: dst, src: src, n: n, inner: inner, log: log}
	blocks := (inner + smColBlock - 1) / smColBlock
	units := outer * blocks
	if p == nil || p.Threads() == 1 || outer*n*inner < 1<<15 || units < 2 {
		t.Run(0, units)
	} else {
		p.RunTask(units, 4*p.Threads(), t)
	}
	*t = smAxisTask{}
	smAxisTasks.Put(t)
}

// smColBlock is the column block of SoftmaxAxis with inner > 1 (its running
// max and sum live on the stack).
const smColBlock = 256

type smAxisTask struct {
	dst, src []float32
	n, inner int
	log      bool
}

var smAxisTasks = freelist.List[smAxisTask]{New: func() *smAxisTask { return new(smAxisTask) }}

// Run implements Task: over rows [lo, hi) when inner == 1 (LogSoftmax), else
// over (outer, column block) units.
func (t *smAxisTask) Run(lo, hi int) {
	if t.inner == 1 {
		t.logRows(lo, hi)
		return
	}
	n, inner := t.n, t.inner
	blocks := (inner + smColBlock - 1) / smColBlock
	ts := getScratch(3 * smColBlock)
	defer f32Scratch.Put(ts)
	mxb, sb, eb := (*ts)[:smColBlock], (*ts)[smColBlock:2*smColBlock], (*ts)[2*smColBlock:]
	negInf32 := float32(math.Inf(-1))
	for u := lo; u < hi; u++ {
		o, c0 := u/blocks, (u%blocks)*smColBlock
		w := min(smColBlock, inner-c0)
		base := o*n*inner + c0
		mx, sum := mxb[:w], sb[:w]
		copy(mx, t.src[base:base+w])
		for j := 1; j < n; j++ {
			maxAccum(mx, t.src[base+j*inner:base+j*inner+w])
		}
		var dead [smColBlock]bool
		masked := false
		for c, v := range mx {
			if v == negInf32 {
				mx[c] = 0 // all -Inf: exp(x-0) = 0 throughout, fixed up below
				dead[c], masked = true, true
			}
		}
		clear(sum)
		for j := 0; j < n; j++ {
			x := t.src[base+j*inner : base+j*inner+w]
			d := t.dst[base+j*inner : base+j*inner+w]
			if t.log {
				e := eb[:w]
				active.sub(e, x, mx)
				active.exp(e, e)
				active.add(sum, sum, e)
			} else {
				active.sub(d, x, mx)
				active.exp(d, d)
				active.add(sum, sum, d)
			}
		}
		if t.log {
			for c, v := range sum {
				sum[c] = float32(math.Log(float64(v)))
			}
			for j := 0; j < n; j++ {
				x := t.src[base+j*inner : base+j*inner+w]
				d := t.dst[base+j*inner : base+j*inner+w]
				active.sub(d, x, mx)
				active.sub(d, d, sum)
			}
		} else {
			for c, v := range sum {
				sum[c] = 1 / v
			}
			for j := 0; j < n; j++ {
				d := t.dst[base+j*inner : base+j*inner+w]
				active.mul(d, d, sum)
			}
		}
		if masked {
			v := float32(0)
			if t.log {
				v = negInf32
			}
			for c := range mx {
				if dead[c] {
					for j := 0; j < n; j++ {
						t.dst[base+j*inner+c] = v
					}
				}
			}
		}
	}
}

// logRows is LogSoftmax over rows [lo, hi).
func (t *smAxisTask) logRows(lo, hi int) {
	n, tab := t.n, active
	ts := getScratch(unaryChunk)
	defer f32Scratch.Put(ts)
	e := *ts
	for i := lo; i < hi; i++ {
		s, d := t.src[i*n:i*n+n], t.dst[i*n:i*n+n]
		if n == 0 {
			continue
		}
		mx := tab.max(s)
		if math.IsInf(float64(mx), -1) {
			for j := range d {
				d[j] = mx
			}
			continue
		}
		var sum float32
		for lo := 0; lo < n; lo += unaryChunk {
			hi := min(lo+unaryChunk, n)
			sum += tab.expSub(e[:hi-lo], s[lo:hi], mx)
		}
		ls := float32(math.Log(float64(sum)))
		tab.addScalar(d, s, -mx)
		tab.addScalar(d, d, -ls)
	}
}
