package cpu

import (
	"math"
	"sync/atomic"

	"github.com/llmc/llmc/internal/freelist"
)

// SGEMM on AMX tiles (Intel Advanced Matrix Extensions: BF16 dot products
// with float32 accumulation), in two precisions:
//
//   - BF16x3: each float32 x is split into two bfloat16, hi = bf16(x) and
//     lo = bf16(x - hi) (round to nearest even), which together carry 16
//     significant bits; A*B is computed as Ah*Bh + Al*Bh + Ah*Bl, dropping
//     Al*Bl (relative weight 2^-16). The result differs from a float32 GEMM
//     by about 1e-5 of the row norm product (float32: ~1e-7).
//   - BF16x6: three terms, hi + mid + lo, which carry all 24 significant bits
//     of a float32 (each difference is exact); the six products whose terms
//     weigh 2^-16 or more of the leading one are summed and the rest (2^-24
//     and less, float32's own unit roundoff) dropped, so the result is as
//     accurate as a float32 GEMM's (checked against float64 in the tests).
//
// Both run where the CPU has AMX-BF16 (see PackedB.EnableAMX).
//
// The kernels' shape follows measurements on this project's Sapphire Rapids
// VMs (one TDPBF16PS issues every ~7 ns, 16 cycles): twelve products into one
// accumulator tile in a row ran at 7.2 ns each; the same products rotating
// over two, four and six accumulators at 7.8, 9.1 and 17.4 ns; a loop of the
// textbook 2x2 blocking (four loads, four products on four accumulators) at
// 30 ns a product, as each load also waits for the products still reading
// the tile it replaces. Hence a 16x32 block of C as two tiles that each take
// all of a K step's products in a row, and operand orders that free early
// the tiles the next loads overwrite: the bare kernels run at 70-85% of the
// tile unit's rate at their best (BenchmarkAMXKernelOnly), against 23-38% for
// the first version, which alternated two accumulators.

// amxTileConfig is the LDTILECFG block: palette 1; all eight tiles 16 rows x
// 64 bytes (tmm0/1 the two halves of C, the others A and B; amx_amd64.s).
var amxTileConfig = func() [64]byte {
	var c [64]byte
	c[0] = 1
	for t := range 8 {
		c[16+2*t] = 64
		c[48+t] = 16
	}
	return c
}()

// AMXAvailable reports whether GEMMs can run on AMX: the CPU has AMX-BF16,
// Linux granted the tile state, and the avx512 kernel path is active (forcing
// LLMC_CPU=avx2 or generic turns AMX off as well).
func AMXAvailable() bool { return amxAvailable() && active.name == PathAVX512 }

// AMXSupports reports whether GEMMs can run on AMX at precision p: INT8x6
// needs AMX-INT8 as well (AMXAvailable).
func AMXSupports(p Precision) bool {
	return p.AMX() && AMXAvailable() && (p != INT8x6 || amxI8Available())
}

// packedBF16 is B in the AMX kernel's layout: for each 32-column block, for
// each step of 32 along K, 2*terms VNNI tiles of 1 KiB (term 0 cols 0-15,
// term 0 cols 16-31, term 1 cols 0-15, ...); tile row r holds K pair
// (2r, 2r+1) for 16 columns: element (r, j, e) at r*32 + j*2 + e. Padding
// is zero.
type packedBF16 struct {
	terms  int // 2: BF16x3, 3: BF16x6
	ksteps int
	data   []uint16
}

// step returns the B tiles of column block jb from K step s on.
func (q *packedBF16) step(jb, s int) []uint16 {
	n := q.terms * 1024
	return q.data[(jb*q.ksteps+s)*n : (jb+1)*q.ksteps*n]
}

// splitBF16Terms writes x as len(t) bfloat16 terms, each the rounding (to
// nearest even) of what the previous ones leave; NaN gives a quiet NaN and
// infinities themselves as the first term, the others zero.
func splitBF16Terms(x float32, t []uint16) {
	clear(t)
	t[0] = roundBF16(x)
	if math.IsInf(float64(x), 0) || x != x {
		return
	}
	for i := 1; i < len(t); i++ {
		x -= math.Float32frombits(uint32(t[i-1]) << 16)
		t[i] = roundBF16(x)
	}
}

func roundBF16(x float32) uint16 {
	b := math.Float32bits(x)
	if b&0x7f800000 == 0x7f800000 { // Inf or NaN
		if b&0x007fffff != 0 {
			return uint16(b>>16) | 0x40 // quiet NaN
		}
		return uint16(b >> 16)
	}
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}

// amxMinRows is the fewest rows of A a GEMM runs on AMX with: below it
// the GEMM streams its weights from memory faster from the float32 panels
// (4 bytes a weight, against 6 at BF16x6).
const amxMinRows = 64

// amxMinRowsI8 is amxMinRows at INT8x6, whose weights take 3 bytes each: on
// bert-base's GEMMs at 16 rows (batch 1 x sequence 16, BenchmarkAMXBertStream
// with LLMC_BENCH_M=16) it ran 27-31 ms against 38-40 on the float32 kernels
// at 1 thread and 15 against 23 at 2; at 4 and 8 rows (padded to 16) the two
// were within the noise of each other.
const amxMinRowsI8 = 16

// amxMinRows returns the fewest rows a GEMM on pb runs on AMX with.
func (pb *PackedB) amxMinRows() int {
	if pb.amx == int(INT8x6) {
		return amxMinRowsI8
	}
	return amxMinRows
}

// EnableAMX adds the AMX form of the packed weights at the given precision
// (BF16x3: the size of the float32 panels, BF16x6: 1.5 times it), kept
// beside them: SgemmPacked with transA == false, beta == 0 and at least
// amxMinRows rows then runs on AMX tiles (unless alpha*A holds an Inf or
// NaN: see sgemmAMX). It returns false, changing nothing, for FP32, when AMX-BF16 is
// not available or a weight is Inf or NaN (its lower bfloat16 terms would be
// 0, and Inf*0 makes NaNs a float32 GEMM does not). Asking again for the
// precision already built does nothing; for the other one, it replaces it.
func (pb *PackedB) EnableAMX(prec Precision) bool {
	if !prec.AMX() || !amxAvailable() {
		return false
	}
	if pb.amx == int(prec) {
		return true
	}
	if prec == INT8x6 {
		return amxI8Available() && pb.enableI8()
	}
	terms := int(prec)
	if terms != 2 && terms != 3 {
		panic("cpu: EnableAMX: unknown precision")
	}
	ks, nb := (pb.K+31)/32, (pb.N+31)/32
	step := terms * 1024
	q := &packedBF16{terms: terms, ksteps: ks}
	q.data = amxFormAlloc(q, nb*ks*step)
	for jb := 0; jb < nb; jb++ {
		if pb.amxConvert(terms, jb, 0, ks, q.data[jb*ks*step:(jb+1)*ks*step]) {
			return false // an Inf or NaN weight
		}
	}
	pb.amx, pb.bf16, pb.i8 = terms, q, nil
	return true
}

// AMX reports the AMX precision the weights are used at, and false when
// none.
func (pb *PackedB) AMX() (Precision, bool) {
	if pb.amx == 0 {
		return 0, false
	}
	return Precision(pb.amx), true
}

// amxZeroPanel stands in for a missing 16-column panel (N's last block).
var amxZeroPanel [32 * 16]float32

// amxConvert writes the AMX form of column block jb, K steps [s0, s0+ns),
// from the float32 panels into dst (ns*terms*1024 elements; the layout of
// packedBF16.step). It reports whether any weight is Inf or NaN.
func (pb *PackedB) amxConvert(terms, jb, s0, ns int, dst []uint16) (special bool) {
	for s := s0; s < s0+ns; s++ {
		d := dst[(s-s0)*terms*1024 : (s-s0+1)*terms*1024]
		end := min(s*32+32, pb.K)
		for p := s * 32; p < end; {
			p0 := p / pb.kc * pb.kc
			segEnd := min(p0+pb.kc, end)
			src0 := pb.panel(p0, 2*jb)[(p-p0)*gemmNR:]
			var src1 []float32
			if 2*jb+1 < pb.panels {
				src1 = pb.panel(p0, 2*jb+1)[(p-p0)*gemmNR:]
			}
			rows := segEnd - p
			q := (p - s*32) / 2
			special = amxPackPairs(terms, d[q*32:], src0, src1, rows/2) || special
			if rows%2 == 1 { // K odd: the last row pairs with a zero row
				var t0, t1 [32]float32
				copy(t0[:16], src0[(rows-1)*gemmNR:rows*gemmNR])
				var s1 []float32
				if src1 != nil {
					copy(t1[:16], src1[(rows-1)*gemmNR:rows*gemmNR])
					s1 = t1[:]
				}
				special = amxPackPairs(terms, d[(q+rows/2)*32:], t0[:], s1, 1) || special
			}
			p = segEnd
		}
		if pairs := (end - s*32 + 1) / 2; pairs < 16 {
			for t := range 2 * terms {
				clear(d[t*512+pairs*32 : (t+1)*512])
			}
		}
	}
	return special
}

// at returns op(B)[p][j] from the float32 panels.
func (pb *PackedB) at(p, j int) float32 {
	p0 := p / pb.kc * pb.kc
	return pb.panel(p0, j/gemmNR)[(p-p0)*gemmNR+j%gemmNR]
}

var amxABufs = freelist.List[[]uint16]{
	New:  func() *[]uint16 { s := make([]uint16, 0); return &s },
	Keep: func(s *[]uint16) bool { return 2*cap(*s) <= maxKeptScratch },
}

// sgemmAMX is SgemmPacked (transA false, beta 0) on the AMX form of the
// weights. It returns false, having written nothing to C, when alpha*A holds
// an Inf or NaN: such a value's lower bfloat16 terms are 0, and 0 times
// another Inf would add NaNs that a float32 GEMM does not make (Inf*x with
// x split as hi + 0 + 0 gives Inf*0), so the caller runs the float32 kernels.
func sgemmAMX(p *Pool, m int, alpha float32, a []float32, lda int, pb *PackedB, c []float32, ldc int, ep *Epilogue) bool {
	terms, ks := pb.amx, (pb.K+31)/32
	kp := ks * 32
	mb := (m + 15) / 16
	n := terms * mb * 16 * kp
	bufp := amxABufs.Get()
	if cap(*bufp) < n {
		*bufp = make([]uint16, n)
	}
	t := amxTasks.Get()
	*t = amxTask{m: m, alpha: alpha, a: a, lda: lda, pb: pb, c: c, ldc: ldc, ep: ep, as: (*bufp)[:n]}
	done := t.drive(p, t, mb*16, ks, amxKB)
	*t = amxTask{}
	amxTasks.Put(t)
	amxABufs.Put(bufp)
	return done
}

// drive runs an AMX GEMM's two phases with run (t itself, or the task that
// embeds it): the split of A's rows (zero padded to 16-row blocks and K
// steps), then, unless the split found an Inf or NaN (it reports false), the
// 16x32 tiles, column blocks claimed by the threads, over ks K steps. With
// several threads there is one job per K block of kb steps, so that each
// thread reads each K block of A once (from another core's L2 or the LLC) for
// all the column blocks it takes, instead of once per chunk (A of a K = 3072
// GEMM, 2.3 MiB of terms at 128 rows, does not stay in L2 between chunks).
func (t *amxTask) drive(p *Pool, run Task, rows, ks, kb int) bool {
	t.split = true
	p.RunTask(rows, min(rows/8+1, 4*p.Threads()), run)
	t.split = false
	if t.special.Load() {
		return false
	}
	slots := t.guided((t.pb.N+31)/32, p.Threads())
	if p.Threads() == 1 {
		kb = ks
	}
	for k0 := 0; k0 < ks; k0 += kb {
		t.kLo, t.kHi = k0, min(k0+kb, ks)
		p.RunTask(slots, slots, run)
	}
	return true
}

type amxTask struct {
	split bool
	m     int
	alpha float32
	a     []float32
	lda   int
	pb    *PackedB
	c     []float32
	ldc   int
	ep    *Epilogue
	as    []uint16 // A's terms, tile-major: ((row block*ksteps + step)*terms + term)*512
	// special is set by the split when alpha*A holds an Inf or NaN.
	special atomic.Bool
	// The column phase covers K steps [kLo, kHi) (whole K blocks); the edge
	// tiles run (over all of K) with the last.
	kLo, kHi int
	// Column phase: slot i covers column blocks [bounds[i], bounds[i+1]) (guided).
	bounds [amxMaxSlots + 1]int
}

// amxMaxSlots bounds the column phase's chunks.
const amxMaxSlots = 256

// guided splits nb column blocks into chunks for threads threads, claimed in
// order: each a 1/(2*threads) share of the blocks still left (and at least
// 1/64 of them), so the first are long (the kernel prefetches the next column
// block's weights within a chunk) and the last single blocks, which keep a
// thread from waiting long on another whose core runs slower. (On this
// project's shared VMs one vCPU at a time often runs the tiles several times
// slower than the other: with equal chunks of 3 blocks a thread could wait for
// up to three slow blocks.) It returns the number of chunks.
func (t *amxTask) guided(nb, threads int) int {
	n := 0
	t.bounds[0] = 0
	least := (nb + 63) / 64 // at most ~2*threads*(ln 64 + 1) chunks
	for lo := 0; lo < nb; n++ {
		size := min(max((nb-lo+2*threads-1)/(2*threads), least), nb-lo)
		if n == amxMaxSlots-1 || threads == 1 {
			size = nb - lo
		}
		lo += size
		t.bounds[n+1] = lo
	}
	return n
}

var amxTasks = freelist.List[amxTask]{New: func() *amxTask { return new(amxTask) }}

// Run implements Task: rows [lo, hi) of the split, or the column blocks of
// slots [lo, hi) (guided).
func (t *amxTask) Run(lo, hi int) {
	q := t.pb.bf16
	k, n := t.pb.K, t.pb.N
	terms, ks := t.pb.amx, (k+31)/32
	tile := terms * 512 // A elements per row block and step
	if t.split {
		// Row i, column k, term e at ((i/16)*ksteps + k/32)*tile + e*512 + (i%16)*32 + k%32,
		// so that every 16x32 tile the kernel loads is one contiguous KiB.
		full := k / 32 // whole steps
		for i := lo; i < hi; i++ {
			base := (i/16)*ks*tile + (i%16)*32
			s0 := 0
			if i < t.m {
				row := t.a[i*t.lda : i*t.lda+k]
				special := splitStepsAMX(terms, t.as[base:], row, full, tile, t.alpha)
				s0 = full
				if full < ks { // the ragged last step: alpha*x, zero padded, then split as is
					var last [32]float32
					for j, v := range row[full*32:] {
						last[j] = t.alpha * v
					}
					special = splitStepsAMX(terms, t.as[base+full*tile:], last[:], 1, tile, 1) || special
					s0 = ks
				}
				if special {
					t.special.Store(true)
				}
			}
			for s := s0; s < ks; s++ { // padding rows
				d := t.as[base+s*tile:]
				for e := range terms {
					clear(d[e*512 : e*512+32])
				}
			}
		}
		return
	}
	lo, hi = t.bounds[lo], t.bounds[hi]
	var tmp [16 * 32]float32
	// The partial sums of the row group's 16x32 blocks of C while K runs: C itself
	// is read and written once per K block, not once per K chunk, as its rows
	// (a model's activations, strided by a multiple of 1 KiB) would fall into a
	// few L1 sets and evict each other.
	var part [amxMG * 16 * 32]float32
	epOn := t.ep.active()
	amxBegin()
	defer amxEnd()
	mfull := t.m / 16 // row blocks without padding
	// Full tiles: row blocks in groups of amxMG, K in blocks of kb steps (the group's A
	// block, 16*amxMG rows x 32*kb columns, 384 or 576 KiB, stays in L2), then each
	// column block, K in chunks of kc steps: the chunk of the column block's B (32 or
	// 24 KiB) stays in L1 while the group's A chunks stream from L2. (Groups of 32 row
	// blocks with 8-step K blocks, to read B from memory fewer times at batch 8, measured
	// 1.7x slower at 1024 rows: the partial sums no longer fit in L1.)
	kc, kb := 8, amxKB
	if terms == 3 {
		kc = 4
	}
	for g0 := 0; g0 < mfull; g0 += amxMG {
		g1 := min(g0+amxMG, mfull)
		for k0 := t.kLo; k0 < t.kHi; k0 += kb {
			k1 := min(k0+kb, ks)
			for jb := lo; jb < hi; jb++ {
				c0, c1 := jb*32, min(jb*32+32, n)
				if c1-c0 < 32 {
					continue
				}
				for s0 := k0; s0 < k1; s0 += kc {
					ns := min(kc, k1-s0)
					bt := q.step(jb, s0)
					// The same chunk of the next column block (or of the next K block's
					// first), fetched into L2 a column block ahead, a share per kernel call.
					var pf []uint16
					if jb+1 < hi && (jb+2)*32 <= n {
						pf = q.step(jb+1, s0)[:ns*terms*1024]
					} else if s := k1 + s0 - k0; s < ks {
						pf = q.step(lo, s)[:min(ns, ks-s)*terms*1024]
					}
					pfn := (len(pf)/32 + (g1-g0)*ns - 1) / ((g1 - g0) * ns) // lines per kernel step
					for ib := g0; ib < g1; ib++ {
						cb := t.c[ib*16*t.ldc+c0:]
						pp := part[(ib-g0)*512 : (ib-g0+1)*512]
						cin, ldin := pp, 32
						if s0 == k0 {
							cin, ldin = nil, 0
							if k0 > 0 {
								cin, ldin = cb, t.ldc
							}
						}
						cout, ldout := pp, 32
						if s0+kc >= k1 {
							cout, ldout = cb, t.ldc
						}
						amxKernel(terms, ns, t.as[(ib*ks+s0)*tile:], bt, cin, ldin, cout, ldout, pf, pfn)
						pf = pf[min(len(pf), pfn*ns*32):]
					}
				}
				if epOn && k1 == ks {
					applyEpilogue(t.ep, t.c, t.ldc, n, g0*16, g1*16, c0, c1)
				}
			}
		}
	}
	if t.kHi < ks {
		return
	}
	// Edge tiles (ragged rows or columns): K in chunks into a scratch tile.
	for jb := lo; jb < hi; jb++ {
		c0, c1 := jb*32, min(jb*32+32, n)
		for ib := 0; ib*16 < t.m; ib++ {
			r0, r1 := ib*16, min(ib*16+16, t.m)
			if r1-r0 == 16 && c1-c0 == 32 {
				continue
			}
			for s0 := 0; s0 < ks; s0 += kc {
				ns := min(kc, ks-s0)
				bt := q.step(jb, s0)
				var cin []float32
				if s0 > 0 {
					cin = tmp[:]
				}
				amxKernel(terms, ns, t.as[(ib*ks+s0)*tile:], bt, cin, 32, tmp[:], 32, nil, 0)
			}
			for i := r0; i < r1; i++ {
				copy(t.c[i*t.ldc+c0:i*t.ldc+c1], tmp[(i-r0)*32:(i-r0)*32+c1-c0])
			}
			if epOn {
				applyEpilogue(t.ep, t.c, t.ldc, n, r0, r1, c0, c1)
			}
		}
	}
}

// amxMG is the row-block group of the AMX loop (128 rows), amxKB its K block
// in steps of 32.
const (
	amxMG = 8
	amxKB = 24
)
