package cpu

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
	run := func(lo, hi int) {
		bp := packBBufs.Get().(*[]float32)
		var pb PackedB
		for g := lo; g < hi; g++ {
			bi, h := g/heads, g%heads
			packBInto(nil, &pb, transB, k, n, b[sb.off(bi, h):], ldb, *bp)
			*bp = pb.data[:0]
			ao, co := sa.off(bi, h), sc.off(bi, h)
			sgemmBlock(transA, m, alpha, a[ao:], lda, &pb, beta, c[co:], ldc, nil, 0, m, 0, pb.panels)
		}
		packBBufs.Put(bp)
	}
	if p == nil || groups == 1 {
		run(0, groups)
		return
	}
	p.Parallel(groups, run)
}
