package cpu

import (
	"fmt"

	"github.com/llmc/llmc/internal/freelist"
)

// Blocking parameters. The B micro-panels (kc x 16 floats each, <= 16 KiB; the AVX-512
// kernel reads two at once, <= 32 KiB) stay in L1 while they are swept over the A block
// (mc x kc floats, <= 192 KiB), which stays in L2. kc = 256 measured ~15% faster than 512
// with the two-panel AVX-512 kernel on the bert-base shapes (interleaved runs).
const (
	gemmKCMax = 256
	gemmMC    = 192 // multiple of gemmMR
)

// Activation selects the activation function of an Epilogue.
type Activation int

const (
	ActNone     Activation = iota
	ActGELU                // 0.5*x*(1+erf(x/sqrt2))
	ActGELUTanh            // 0.5*x*(1+tanh(sqrt(2/pi)*(x+0.044715*x^3)))
)

// Epilogue describes operations fused into a GEMM. They are applied to each
// output tile right after its last K block is accumulated, while the tile is
// still in L1. For output element (i, j), in this order:
//
//	t := alpha*sum_p op(A)[i][p]*op(B)[p][j] + beta*C[i][j]
//	if Bias != nil      { t += Bias[j] }
//	if Scale != 0       { t *= Scale }
//	t = act(t)                               // Act
//	if Residual != nil  { t += Residual[i*LdResidual+j] }
//	C[i][j] = t
//
// A nil *Epilogue or the zero Epilogue means "plain GEMM".
type Epilogue struct {
	Bias       []float32 // length >= N, broadcast over rows
	Scale      float32   // 0 means no scaling
	Act        Activation
	Residual   []float32 // M x N matrix, row stride LdResidual
	LdResidual int       // 0 means N
}

func (e *Epilogue) active() bool {
	return e != nil && (e.Bias != nil || e.Scale != 0 || e.Act != ActNone || e.Residual != nil)
}

// PackedB is a K x N right-hand matrix packed into 16-column panels, split
// into K blocks, in the layout the SGEMM micro-kernels read. Pack constant
// weights once with PackB and reuse them with SgemmPacked. A PackedB is
// read-only after packing and may be used concurrently.
type PackedB struct {
	K, N   int
	kc     int // K block size (all blocks but the last)
	panels int // ceil(N/16)
	data   []float32
	amx    int         // AMX precision (a Precision: 2 BF16x3, 3 BF16x6, 4 INT8x6), 0: none
	bf16   *packedBF16 // the AMX-BF16 form (EnableAMX)
	i8     *packedI8   // the AMX-INT8 form (EnableAMX)
}

func kcFor(k int) int {
	nb := (k + gemmKCMax - 1) / gemmKCMax
	if nb < 1 {
		nb = 1
	}
	kc := (k + nb - 1) / nb
	return (kc + 3) &^ 3
}

// PackB packs op(B), a K x N matrix, where op(B)[p][j] = b[p*ldb+j] if
// !transB and b[j*ldb+p] if transB (B stored N x K, e.g. a [out, in] weight).
// The pool (may be nil) parallelises packing.
func PackB(p *Pool, transB bool, k, n int, b []float32, ldb int) *PackedB {
	pb := &PackedB{}
	packBInto(p, pb, transB, k, n, b, ldb, nil)
	return pb
}

func packedBSize(k, n int) int { return k * ((n + gemmNR - 1) / gemmNR) * gemmNR }

func packBInto(p *Pool, pb *PackedB, transB bool, k, n int, b []float32, ldb int, buf []float32) {
	if k <= 0 || n <= 0 {
		panic(fmt.Sprintf("cpu.PackB: bad shape k=%d n=%d", k, n))
	}
	if transB {
		checkMat("PackB B", b, n, k, ldb)
	} else {
		checkMat("PackB B", b, k, n, ldb)
	}
	pb.K, pb.N = k, n
	pb.kc = kcFor(k)
	pb.panels = (n + gemmNR - 1) / gemmNR
	size := packedBSize(k, n)
	if cap(buf) >= size {
		pb.data = buf[:size]
	} else {
		pb.data = make([]float32, size)
	}
	if p != nil && k*n >= 1<<16 {
		t := &packBTask{pb: pb, transB: transB, b: b, ldb: ldb}
		p.RunTask(pb.panels, p.Threads(), t)
	} else {
		packBPanels(pb, transB, b, ldb, 0, pb.panels)
	}
}

// packBTask packs B's column panels in parallel (weights, once: its allocation does not matter).
type packBTask struct {
	pb     *PackedB
	transB bool
	b      []float32
	ldb    int
}

func (t *packBTask) Run(lo, hi int) { packBPanels(t.pb, t.transB, t.b, t.ldb, lo, hi) }

// packBPanels packs column panels [lo, hi) of op(B) into pb.data.
func packBPanels(pb *PackedB, transB bool, b []float32, ldb int, lo, hi int) {
	k, n := pb.K, pb.N
	for jp := lo; jp < hi; jp++ {
		j0 := jp * gemmNR
		nr := min(gemmNR, n-j0)
		for p0 := 0; p0 < k; p0 += pb.kc {
			kc := min(pb.kc, k-p0)
			dst := pb.data[p0*pb.panels*gemmNR+jp*kc*gemmNR:]
			dst = dst[:kc*gemmNR]
			q0 := 0
			if transB && nr == gemmNR && kc >= 8 && active.packBT16 != nil {
				q0 = kc &^ 7
				active.packBT16(dst, b[j0*ldb+p0:], ldb, q0)
			}
			for q := q0; q < kc; q++ {
				d := dst[q*gemmNR : q*gemmNR+gemmNR]
				if transB {
					for j := 0; j < nr; j++ {
						d[j] = b[(j0+j)*ldb+p0+q]
					}
				} else {
					copy(d[:nr], b[(p0+q)*ldb+j0:(p0+q)*ldb+j0+nr])
				}
				for j := nr; j < gemmNR; j++ {
					d[j] = 0
				}
			}
		}
	}
}

// panelPair returns panels jp and jp+1 for K offset p0, contiguous in the packed layout.
func (pb *PackedB) panelPair(p0, jp int) []float32 {
	kc := min(pb.kc, pb.K-p0)
	off := p0*pb.panels*gemmNR + jp*kc*gemmNR
	return pb.data[off : off+2*kc*gemmNR]
}

// panel returns the packed kc x 16 micro-panel for K offset p0 and panel jp.
func (pb *PackedB) panel(p0, jp int) []float32 {
	kc := min(pb.kc, pb.K-p0)
	off := p0*pb.panels*gemmNR + jp*kc*gemmNR
	return pb.data[off : off+kc*gemmNR]
}

func checkMat(what string, x []float32, rows, cols, ld int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if ld < cols {
		panic(fmt.Sprintf("cpu: %s: leading dimension %d < columns %d", what, ld, cols))
	}
	if len(x) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("cpu: %s: slice length %d < (%d-1)*%d+%d", what, len(x), rows, ld, cols))
	}
}

// maxKeptScratch bounds the growable scratch buffers (packed B of an activation, AMX terms
// of A) the free lists keep between calls: larger ones, made for a rare very large GEMM,
// are left to the garbage collector. A bert-base layer at batch 8 x sequence 128 needs
// 19 MiB of A terms.
const maxKeptScratch = 64 << 20

var (
	packABufs = freelist.List[[]float32]{New: func() *[]float32 { s := make([]float32, gemmMC*gemmKCMax+2*gemmMR*2*gemmNR); return &s }}
	packBBufs = freelist.List[[]float32]{
		New:  func() *[]float32 { s := make([]float32, 0); return &s },
		Keep: func(s *[]float32) bool { return 4*cap(*s) <= maxKeptScratch },
	}
)

// Sgemm computes C = alpha*op(A)*op(B) + beta*C followed by the optional
// epilogue ep, with row-major A, B, C. As a plain loop:
//
//	for i < m, j < n:
//	    s := 0
//	    for p < k: s += opA(i,p) * opB(p,j)
//	    C[i*ldc+j] = alpha*s + beta*C[i*ldc+j]   // then ep, see Epilogue
//
// where opA(i,p) = a[i*lda+p] (or a[p*lda+i] if transA) and opB(p,j) =
// b[p*ldb+j] (or b[j*ldb+p] if transB). If beta == 0, C is not read (NaNs in
// C do not propagate). p may be nil (single thread).
func Sgemm(p *Pool, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int, ep *Epilogue) {
	if m <= 0 || n <= 0 {
		return
	}
	if k <= 0 {
		scaleOnly(m, n, beta, c, ldc, ep)
		return
	}
	bp := packBBufs.Get()
	var pb PackedB
	packBInto(p, &pb, transB, k, n, b, ldb, *bp)
	SgemmPacked(p, transA, m, alpha, a, lda, &pb, beta, c, ldc, ep)
	*bp = pb.data[:0]
	packBBufs.Put(bp)
}

func scaleOnly(m, n int, beta float32, c []float32, ldc int, ep *Epilogue) {
	checkMat("Sgemm C", c, m, n, ldc)
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
		} else if beta != 1 {
			active.mulScalar(row, row, beta)
		}
	}
	if ep.active() {
		applyEpilogue(ep, c, ldc, n, 0, m, 0, n)
	}
}

// SgemmPacked is Sgemm with B pre-packed by PackB (op(B) is pb.K x pb.N):
// C (m x pb.N) = alpha*op(A)*B + beta*C, then the epilogue.
func SgemmPacked(p *Pool, transA bool, m int, alpha float32, a []float32, lda int,
	pb *PackedB, beta float32, c []float32, ldc int, ep *Epilogue) {
	n, k := pb.N, pb.K
	if m <= 0 {
		return
	}
	if transA {
		checkMat("Sgemm A", a, k, m, lda)
	} else {
		checkMat("Sgemm A", a, m, k, lda)
	}
	checkMat("Sgemm C", c, m, n, ldc)
	if ep != nil {
		if ep.Bias != nil && len(ep.Bias) < n {
			panic("cpu: Sgemm epilogue bias shorter than N")
		}
		if ep.Residual != nil {
			ld := ep.LdResidual
			if ld == 0 {
				ld = n
			}
			checkMat("Sgemm residual", ep.Residual, m, n, ld)
		}
	}
	if pb.amx != 0 && !transA && beta == 0 && active.name == PathAVX512 && m >= pb.amxMinRows() &&
		(pb.amx == int(INT8x6) && sgemmAMXI8(p, m, alpha, a, lda, pb, c, ldc, ep) ||
			pb.amx != int(INT8x6) && sgemmAMX(p, m, alpha, a, lda, pb, c, ldc, ep)) {
		return
	}
	mp := (m + gemmMR - 1) / gemmMR
	np := pb.panels
	t := p.Threads()
	// Do not use more threads than there is work for (~2 MFLOP per thread).
	if w := m * n * k / (1 << 20); w < t {
		t = max(w, 1)
	}
	if t <= 1 {
		sgemmBlock(transA, m, alpha, a, lda, pb, beta, c, ldc, ep, 0, m, 0, np)
		return
	}
	if np >= 4*t || np >= mp {
		// Split the N panels; A is packed once, in parallel, into a buffer
		// shared by all threads (no redundant packing).
		mpad := mp * gemmMR
		bufp := packBBufs.Get()
		if cap(*bufp) < mpad*k {
			*bufp = make([]float32, mpad*k)
		}
		apre := (*bufp)[:mpad*k]
		task := gemmTasks.Get()
		*task = gemmTask{mode: gemmPackA, transA: transA, m: m, alpha: alpha, a: a, lda: lda, pb: pb, beta: beta, c: c, ldc: ldc, ep: ep, apre: apre, mpad: mpad}
		p.RunTask(mp, t, task)
		// Panel pairs (the AVX-512 kernels' 32 columns) in chunks claimed
		// dynamically.
		task.mode = gemmPanels
		pairs := (np + 1) / 2
		// Fine chunks balance load, but a chunk re-reads A (per K block, every M
		// block) for its own pairs: above one M block (gemmMC rows, whose packed
		// K block stays in L2) keep two chunks per thread.
		chunks := min(pairs, 16*t)
		if m > gemmMC {
			chunks = min(pairs, 2*t)
		}
		p.RunTask(pairs, chunks, task)
		*task = gemmTask{}
		gemmTasks.Put(task)
		*bufp = apre[:0]
		packBBufs.Put(bufp)
	} else {
		task := gemmTasks.Get()
		*task = gemmTask{mode: gemmRows, transA: transA, m: m, alpha: alpha, a: a, lda: lda, pb: pb, beta: beta, c: c, ldc: ldc, ep: ep}
		p.RunTask(mp, min(mp, 2*t), task)
		*task = gemmTask{}
		gemmTasks.Put(task)
	}
}

// gemmTask is one multi-threaded SgemmPacked call, split over row tiles or column panels.
type gemmTask struct {
	mode   int
	transA bool
	m      int
	alpha  float32
	a      []float32
	lda    int
	pb     *PackedB
	beta   float32
	c      []float32
	ldc    int
	ep     *Epilogue
	apre   []float32
	mpad   int
}

const (
	gemmPackA  = iota // pack A's row tiles [lo, hi) into apre
	gemmPanels        // compute column panels [lo, hi) from the packed A
	gemmRows          // compute row tiles [lo, hi)
)

var gemmTasks = freelist.List[gemmTask]{New: func() *gemmTask { return new(gemmTask) }}

// Run implements Task.
func (g *gemmTask) Run(lo, hi int) {
	pb := g.pb
	k := pb.K
	switch g.mode {
	case gemmPackA:
		for p0 := 0; p0 < k; p0 += pb.kc {
			kc := min(pb.kc, k-p0)
			i0, i1 := lo*gemmMR, min(hi*gemmMR, g.m)
			packA(g.transA, g.alpha, g.a, g.lda, i0, i1-i0, p0, kc, g.apre[p0*g.mpad+i0*kc:])
		}
	case gemmPanels: // [lo, hi) counts panel pairs
		sgemmBlockA(g.transA, g.m, g.alpha, g.a, g.lda, pb, g.beta, g.c, g.ldc, g.ep, 0, g.m, 2*lo, min(2*hi, pb.panels), g.apre, g.mpad)
	case gemmRows:
		sgemmBlock(g.transA, g.m, g.alpha, g.a, g.lda, pb, g.beta, g.c, g.ldc, g.ep, lo*gemmMR, min(hi*gemmMR, g.m), 0, pb.panels)
	}
}

// sgemmBlock computes rows [m0,m1) and column panels [jp0,jp1) of C.
func sgemmBlock(transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB,
	beta float32, c []float32, ldc int, ep *Epilogue, m0, m1, jp0, jp1 int) {
	sgemmBlockA(transA, m, alpha, a, lda, pb, beta, c, ldc, ep, m0, m1, jp0, jp1, nil, 0)
}

// sgemmBlockA is sgemmBlock with optionally pre-packed A (apre != nil): the
// block for K offset p0 and rows from i0 starts at apre[p0*mpad+i0*kc].
func sgemmBlockA(transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB,
	beta float32, c []float32, ldc int, ep *Epilogue, m0, m1, jp0, jp1 int, apre []float32, mpad int) {
	if m0 >= m1 || jp0 >= jp1 {
		return
	}
	n, k := pb.N, pb.K
	n0, n1 := jp0*gemmNR, min(jp1*gemmNR, n)
	if beta != 0 && beta != 1 {
		for i := m0; i < m1; i++ {
			row := c[i*ldc+n0 : i*ldc+n1]
			active.mulScalar(row, row, beta)
		}
	}
	kern := active.sgemmKernel
	kernW := active.sgemmKernelWide
	epOn := ep.active()
	abufp := packABufs.Get()
	abuf := (*abufp)[:gemmMC*gemmKCMax]
	tmp := (*abufp)[gemmMC*gemmKCMax:] // edge tiles (a stack array would escape into the kernel call)
	for p0 := 0; p0 < k; p0 += pb.kc {
		kc := min(pb.kc, k-p0)
		accumulate := p0 > 0 || beta != 0
		last := p0+kc >= k
		for i0 := m0; i0 < m1; i0 += gemmMC {
			mc := min(gemmMC, m1-i0)
			if apre != nil {
				abuf = apre[p0*mpad+i0*kc:]
			} else {
				packA(transA, alpha, a, lda, i0, mc, p0, kc, abuf)
			}
			for jp := jp0; jp < jp1; {
				j0 := jp * gemmNR
				if kernW != nil && jp+1 < jp1 && j0+2*gemmNR <= n {
					// rows x 32 tiles from two A micro-panels and two B panels, 12 rows at a
					// time, the leftover rows with the kernel of the next even row count.
					bp0, bp1 := pb.panel(p0, jp), pb.panel(p0, jp+1)
					// The next panel pair (contiguous after this one in the packed
					// layout) is prefetched over the first four row tiles.
					next := bp0
					if jp+3 < jp1 {
						next = pb.panelPair(p0, jp+2)
						// Fewer than four row tiles (small M, latency-bound requests):
						// the quarters of the next pair they cannot cover are prefetched
						// up front (4-9% on a b1 s16 bert-base GEMM stream at 1 thread).
						if tiles := (mc + 2*gemmMR - 1) / (2 * gemmMR); tiles < 4 && active.prefetch != nil {
							active.prefetch(next[tiles*kc*8 : 4*kc*8])
						}
					}
					for ir0, t := 0, 0; ir0 < mc; t++ {
						rows := min(2*gemmMR, mc-ir0)
						kr := (rows + 1) &^ 1
						ci := (i0+ir0)*ldc + j0
						a0 := abuf[ir0*kc : (ir0+gemmMR)*kc]
						a1 := a0
						if kr > gemmMR {
							a1 = abuf[(ir0+gemmMR)*kc : (ir0+2*gemmMR)*kc]
						}
						pf := bp0
						if t < 4 && len(next) >= (t+1)*kc*8 {
							pf = next[t*kc*8:]
						}
						if kr == rows {
							kernW(kr, kc, a0, a1, bp0, bp1, c[ci:ci+(rows-1)*ldc+2*gemmNR], ldc, accumulate, pf)
						} else {
							kernW(kr, kc, a0, a1, bp0, bp1, tmp, 2*gemmNR, false, pf)
							for i := 0; i < rows; i++ {
								crow := c[ci+i*ldc : ci+i*ldc+2*gemmNR]
								trow := tmp[i*2*gemmNR : (i+1)*2*gemmNR]
								if accumulate {
									for j := range crow {
										crow[j] += trow[j]
									}
								} else {
									copy(crow, trow)
								}
							}
						}
						if last && epOn {
							applyEpilogue(ep, c, ldc, n, i0+ir0, i0+ir0+rows, j0, j0+2*gemmNR)
						}
						ir0 += rows
					}
					jp += 2
					continue
				}
				bp := pb.panel(p0, jp)
				next := bp
				if jp+1 < jp1 {
					next = pb.panel(p0, jp+1)
				}
				sgemmPanelRows(kern, kc, abuf, bp, next, c, ldc, accumulate, last, epOn, ep, n, i0, 0, mc, j0, tmp)
				jp++
			}
		}
	}
	packABufs.Put(abufp)
}

// sgemmPanelRows computes row tiles [ir0, mc) of one B panel (columns j0..j0+16) of the block at
// row i0 with the MR x NR kernel; next is the following panel, prefetched meanwhile.
func sgemmPanelRows(kern func(k int, a, b, c []float32, ldc int, accumulate bool, pf []float32), kc int, abuf, bp, next []float32,
	c []float32, ldc int, accumulate, last, epOn bool, ep *Epilogue, n, i0, ir0, mc, j0 int, tmp []float32) {
	nr := min(gemmNR, n-j0)
	for ir := ir0; ir < mc; ir += gemmMR {
		mr := min(gemmMR, mc-ir)
		ap := abuf[ir*kc : (ir+gemmMR)*kc]
		ci := (i0+ir)*ldc + j0
		// Spread prefetching of the next B panel over the first four row tiles (kc*4 floats each).
		pf := bp
		if t := (ir - ir0) / gemmMR; t < 4 {
			pf = next[t*kc*4:]
		}
		if mr == gemmMR && nr == gemmNR {
			kern(kc, ap, bp, c[ci:ci+(gemmMR-1)*ldc+gemmNR], ldc, accumulate, pf)
		} else {
			kern(kc, ap, bp, tmp, gemmNR, false, pf)
			for i := 0; i < mr; i++ {
				crow := c[ci+i*ldc : ci+i*ldc+nr]
				trow := tmp[i*gemmNR : i*gemmNR+nr]
				if accumulate {
					for j := range crow {
						crow[j] += trow[j]
					}
				} else {
					copy(crow, trow)
				}
			}
		}
		if last && epOn {
			applyEpilogue(ep, c, ldc, n, i0+ir, i0+ir+mr, j0, j0+nr)
		}
	}
}

// packA packs alpha*op(A)[i0:i0+mc, p0:p0+kc] into MR-row panels, each kc x MR
// (row index fastest), zero padding the last panel.
func packA(transA bool, alpha float32, a []float32, lda, i0, mc, p0, kc int, buf []float32) {
	for ir := 0; ir < mc; ir += gemmMR {
		mr := min(gemmMR, mc-ir)
		dst := buf[ir*kc : ir*kc+kc*gemmMR]
		if transA {
			for q := 0; q < kc; q++ {
				src := a[(p0+q)*lda+i0+ir:]
				d := dst[q*gemmMR : q*gemmMR+gemmMR]
				for i := 0; i < mr; i++ {
					d[i] = alpha * src[i]
				}
				for i := mr; i < gemmMR; i++ {
					d[i] = 0
				}
			}
			continue
		}
		q0 := 0
		if mr == gemmMR && active.packA6 != nil && kc >= 8 {
			q0 = kc &^ 7
			active.packA6(dst, a[(i0+ir)*lda+p0:], lda, q0, alpha)
		}
		if mr == gemmMR {
			r0 := a[(i0+ir)*lda+p0:][:kc]
			r1 := a[(i0+ir+1)*lda+p0:][:kc]
			r2 := a[(i0+ir+2)*lda+p0:][:kc]
			r3 := a[(i0+ir+3)*lda+p0:][:kc]
			r4 := a[(i0+ir+4)*lda+p0:][:kc]
			r5 := a[(i0+ir+5)*lda+p0:][:kc]
			for q := q0; q < kc; q++ {
				d := dst[q*gemmMR : q*gemmMR+gemmMR : q*gemmMR+gemmMR]
				d[0] = alpha * r0[q]
				d[1] = alpha * r1[q]
				d[2] = alpha * r2[q]
				d[3] = alpha * r3[q]
				d[4] = alpha * r4[q]
				d[5] = alpha * r5[q]
			}
			continue
		}
		for q := 0; q < kc; q++ {
			d := dst[q*gemmMR : q*gemmMR+gemmMR]
			for i := 0; i < mr; i++ {
				d[i] = alpha * a[(i0+ir+i)*lda+p0+q]
			}
			for i := mr; i < gemmMR; i++ {
				d[i] = 0
			}
		}
	}
}

// applyEpilogue applies ep to C[r0:r1, c0:c1] of an m x n output.
func applyEpilogue(ep *Epilogue, c []float32, ldc, n, r0, r1, c0, c1 int) {
	ldr := ep.LdResidual
	if ldr == 0 {
		ldr = n
	}
	t := active
	if r1 > r0 && c1 > c0 && (t.epi != nil || t.epiTile != nil && c1-c0 == gemmNR) {
		var bias, res []float32
		if ep.Bias != nil {
			bias = ep.Bias[c0:c1]
		}
		if ep.Residual != nil {
			res = ep.Residual[r0*ldr+c0 : (r1-1)*ldr+c1]
		}
		cv := c[r0*ldc+c0 : (r1-1)*ldc+c1]
		if t.epi != nil {
			t.epi(cv, ldc, r1-r0, c1-c0, bias, ep.Scale, res, ldr, ep.Act)
		} else {
			t.epiTile(cv, ldc, r1-r0, bias, ep.Scale, res, ldr, ep.Act)
		}
		return
	}
	for i := r0; i < r1; i++ {
		row := c[i*ldc+c0 : i*ldc+c1]
		if ep.Bias != nil {
			t.add(row, row, ep.Bias[c0:c1])
		}
		if ep.Scale != 0 {
			t.mulScalar(row, row, ep.Scale)
		}
		switch ep.Act {
		case ActGELU:
			t.gelu(row, row)
		case ActGELUTanh:
			t.geluTanh(row, row)
		}
		if ep.Residual != nil {
			t.add(row, row, ep.Residual[i*ldr+c0:i*ldr+c1])
		}
	}
}
