package cpu

import "github.com/llmc/llmc/internal/freelist"

// BatchStrides gives the element offset of matrix (bi, hi) in a batched GEMM
// operand: offset = bi*Batch + hi*Head. For attention over a [b, s, h*d]
// activation, a head's [s, d] matrix has leading dimension h*d, Batch = s*h*d
// and Head = d, so heads are read in place without being copied out.
type BatchStrides struct{ Batch, Head int }

func (s BatchStrides) off(bi, hi int) int { return bi*s.Batch + hi*s.Head }

// SgemmBatched runs batch*heads independent GEMMs. For every bi < batch,
// hi < heads, with X_g = x[sx.Batch*bi + sx.Head*hi:]:
//
//	C_g = alpha*op(A_g)*op(B_g) + beta*C_g     (m x n, inner dimension k)
//
// exactly as Sgemm does for one matrix. Typical attention use, [b,s,h*d]
// layouts, ld = h*d:
//
//	scores = Q*K^T: SgemmBatched(p, b, h, false, true, s, s, d, 1/sqrt(d),
//	    q, h*d, {s*h*d, d}, k, h*d, {s*h*d, d}, 0, scores, s, {h*s*s, s*s})
//	ctx = P*V:      SgemmBatched(p, b, h, false, false, s, d, s, 1,
//	    probs, s, {h*s*s, s*s}, v, h*d, {s*h*d, d}, 0, ctx, h*d, {s*h*d, d})
//
// The groups are distributed over the pool's threads.
func SgemmBatched(p *Pool, batch, heads int, transA, transB bool, m, n, k int, alpha float32,
	a []float32, lda int, sa BatchStrides, b []float32, ldb int, sb BatchStrides,
	beta float32, c []float32, ldc int, sc BatchStrides) {
	groups := batch * heads
	if groups <= 0 || m <= 0 || n <= 0 {
		return
	}
	if k <= 0 {
		for g := 0; g < groups; g++ {
			bi, hi := g/heads, g%heads
			scaleOnly(m, n, beta, c[sc.off(bi, hi):], ldc, nil)
		}
		return
	}
	t := batchedTasks.Get()
	*t = batchedTask{heads: heads, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
		a: a, lda: lda, sa: sa, b: b, ldb: ldb, sb: sb, beta: beta, c: c, ldc: ldc, sc: sc}
	if p == nil || groups == 1 {
		t.Run(0, groups)
	} else {
		p.RunTask(groups, groups, t) // one group per chunk, claimed dynamically
	}
	*t = batchedTask{}
	batchedTasks.Put(t)
}

// batchedTask runs groups [lo, hi) of a batched GEMM.
type batchedTask struct {
	heads          int
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	sa, sb, sc     BatchStrides
	pb             PackedB
}

var batchedTasks = freelist.List[batchedTask]{New: func() *batchedTask { return new(batchedTask) }}

// Run implements Task. Each chunk packs its own B operands (per-goroutine buffers).
func (t *batchedTask) Run(lo, hi int) {
	bp := packBBufs.Get()
	pb := packedBPool.Get()
	for g := lo; g < hi; g++ {
		bi, h := g/t.heads, g%t.heads
		packBInto(nil, pb, t.transB, t.k, t.n, t.b[t.sb.off(bi, h):], t.ldb, *bp)
		*bp = pb.data[:0]
		ao, co := t.sa.off(bi, h), t.sc.off(bi, h)
		sgemmBlock(t.transA, t.m, t.alpha, t.a[ao:], t.lda, pb, t.beta, t.c[co:], t.ldc, nil, 0, t.m, 0, pb.panels)
	}
	*pb = PackedB{}
	packedBPool.Put(pb)
	packBBufs.Put(bp)
}

var packedBPool = freelist.List[PackedB]{New: func() *PackedB { return new(PackedB) }}
