package cpu

import (
	"math"
	"sync"
)

// BF16x3: SGEMM on AMX tiles (Intel Advanced Matrix Extensions, BF16 dot
// products with float32 accumulation). Each float32 x is split into two
// bfloat16, hi = bf16(x) and lo = bf16(x - hi) (round to nearest even), which
// together carry 16 significant bits; A*B is computed as
// Ah*Bh + Al*Bh + Ah*Bl, dropping Al*Bl (relative weight 2^-16). The result
// differs from a float32 GEMM by about 1e-5 of the row norm product (fp32:
// ~1e-7), in exchange for several times the FMA peak. It is opt-in (see
// PackedB.EnableBF16x3) and used only where the CPU has AMX-BF16.

// amxTileConfig is the LDTILECFG block: palette 1; tmm0/1 (C halves), tmm4/5
// (A hi/lo) and tmm6/7 (B) all 16 rows x 64 bytes.
var amxTileConfig = func() [64]byte {
	var c [64]byte
	c[0] = 1
	for _, t := range []int{0, 1, 4, 5, 6, 7} {
		c[16+2*t] = 64
		c[48+t] = 16
	}
	return c
}()

// AMXAvailable reports whether BF16x3 GEMMs run on AMX: the CPU has AMX-BF16,
// Linux granted the tile state, and the avx512 kernel path is active (forcing
// LLMC_CPU=avx2 or generic turns AMX off as well).
func AMXAvailable() bool { return amxAvailable() && active.name == PathAVX512 }

// packedBF16 is B in the AMX kernel's layout: for each 32-column block, for
// each step of 32 along K, four 1 KiB VNNI tiles (Bh cols 0-15, Bh cols 16-31,
// Bl cols 0-15, Bl cols 16-31); tile row r holds K pair (2r, 2r+1) for 16
// columns: element (r, j, e) at r*32 + j*2 + e. Padding is zero.
type packedBF16 struct {
	ksteps, blocks int
	data           []uint16
}

// splitBF16 returns x as hi + lo bfloat16 (round to nearest even; NaN stays
// NaN, hi = x for infinities).
func splitBF16(x float32) (hi, lo uint16) {
	hi = roundBF16(x)
	if math.IsInf(float64(x), 0) || x != x {
		return hi, 0
	}
	return hi, roundBF16(x - math.Float32frombits(uint32(hi)<<16))
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

// EnableBF16x3 adds the AMX BF16x3 form of the packed weights (same size as
// the float32 panels, kept beside them): SgemmPacked with transA == false and
// beta == 0 then runs on AMX tiles. It returns false, changing nothing, when
// AMX-BF16 is not available.
func (pb *PackedB) EnableBF16x3() bool {
	if !amxAvailable() {
		return false
	}
	if pb.bf16 != nil {
		return true
	}
	ks, nb := (pb.K+31)/32, (pb.N+31)/32
	q := &packedBF16{ksteps: ks, blocks: nb, data: make([]uint16, nb*ks*2048)}
	for jb := 0; jb < nb; jb++ {
		for s := 0; s < ks; s++ {
			t := q.data[(jb*ks+s)*2048:]
			for kk := 0; kk < 32; kk++ {
				p := s*32 + kk
				if p >= pb.K {
					break
				}
				for j := 0; j < 32; j++ {
					col := jb*32 + j
					if col >= pb.N {
						break
					}
					hi, lo := splitBF16(pb.at(p, col))
					off := (j/16)*512 + (kk/2)*32 + (j%16)*2 + kk%2
					t[off] = hi
					t[1024+off] = lo
				}
			}
		}
	}
	pb.bf16 = q
	return true
}

// at returns op(B)[p][j] from the float32 panels.
func (pb *PackedB) at(p, j int) float32 {
	p0 := p / pb.kc * pb.kc
	return pb.panel(p0, j/gemmNR)[(p-p0)*gemmNR+j%gemmNR]
}

var amxABufs = sync.Pool{New: func() any { s := make([]uint16, 0); return &s }}

// sgemmAMX is SgemmPacked (transA false, beta 0) on the BF16x3 weights.
func sgemmAMX(p *Pool, m int, alpha float32, a []float32, lda int, pb *PackedB, c []float32, ldc int, ep *Epilogue) {
	q := pb.bf16
	ks := q.ksteps
	kp := ks * 32
	mb := (m + 15) / 16
	bufp := amxABufs.Get().(*[]uint16)
	if cap(*bufp) < 2*mb*16*kp {
		*bufp = make([]uint16, 2*mb*16*kp)
	}
	buf := (*bufp)[:2*mb*16*kp]
	t := amxTasks.Get().(*amxTask)
	*t = amxTask{m: m, alpha: alpha, a: a, lda: lda, pb: pb, c: c, ldc: ldc, ep: ep, ah: buf[:mb*16*kp], al: buf[mb*16*kp:], kp: kp}
	// Split A into hi/lo rows (zero padded to 16-row blocks and K steps),
	// then the 16x32 tiles, column blocks claimed by the threads.
	t.split = true
	p.RunTask(mb*16, min(mb*16/8+1, 4*p.Threads()), t)
	t.split = false
	p.RunTask(q.blocks, min(q.blocks, 4*p.Threads()), t)
	*t = amxTask{}
	amxTasks.Put(t)
	amxABufs.Put(bufp)
}

type amxTask struct {
	split  bool
	m      int
	alpha  float32
	a      []float32
	lda    int
	pb     *PackedB
	c      []float32
	ldc    int
	ep     *Epilogue
	ah, al []uint16
	kp     int
}

var amxTasks = sync.Pool{New: func() any { return new(amxTask) }}

// Run implements Task: rows [lo, hi) of the split, or column blocks [lo, hi).
func (t *amxTask) Run(lo, hi int) {
	pb, kp := t.pb, t.kp
	k, n := pb.K, pb.N
	if t.split {
		// Tile-major: row i, column k at ((i/16)*ksteps + k/32)*512 + (i%16)*32 + k%32, so
		// that every 16x32 tile the kernel loads is one contiguous KiB.
		ks := kp / 32
		for i := lo; i < hi; i++ {
			base := (i/16)*ks*512 + (i%16)*32
			for s := 0; s < ks; s++ {
				dh, dl := t.ah[base+s*512:base+s*512+32], t.al[base+s*512:base+s*512+32]
				w := 0
				if i < t.m {
					w = min(32, k-s*32)
					splitRowBF16(dh[:w], dl[:w], t.a[i*t.lda+s*32:i*t.lda+s*32+w], t.alpha)
				}
				clear(dh[w:])
				clear(dl[w:])
			}
		}
		return
	}
	q := pb.bf16
	var tmp [16 * 32]float32
	epOn := t.ep.active()
	amxBegin()
	defer amxEnd()
	mfull := t.m / 16 // row blocks without padding
	// Full tiles: row blocks in groups of amxMG (their A, 16*amxMG rows, stays in L2),
	// then each column block, K in chunks of amxKC steps: the chunk of the column
	// block's B (32 KiB) stays in L1 while the group's A chunks stream from L2.
	for g0 := 0; g0 < mfull; g0 += amxMG {
		g1 := min(g0+amxMG, mfull)
		for jb := lo; jb < hi; jb++ {
			c0, c1 := jb*32, min(jb*32+32, n)
			if c1-c0 < 32 {
				continue
			}
			bt := q.data[jb*q.ksteps*2048 : (jb+1)*q.ksteps*2048]
			for s0 := 0; s0 < q.ksteps; s0 += amxKC {
				ns := min(amxKC, q.ksteps-s0)
				for ib := g0; ib < g1; ib++ {
					r0 := ib * 16
					amxKernel(ns, t.ah[(ib*q.ksteps+s0)*512:], t.al[(ib*q.ksteps+s0)*512:], bt[s0*2048:], t.c[r0*t.ldc+c0:], t.ldc, s0 > 0)
				}
			}
			if epOn {
				applyEpilogue(t.ep, t.c, t.ldc, n, g0*16, g1*16, c0, c1)
			}
		}
	}
	// Edge tiles (ragged rows or columns): all of K into a scratch tile.
	for jb := lo; jb < hi; jb++ {
		bt := q.data[jb*q.ksteps*2048 : (jb+1)*q.ksteps*2048]
		c0, c1 := jb*32, min(jb*32+32, n)
		for ib := 0; ib*16 < t.m; ib++ {
			r0, r1 := ib*16, min(ib*16+16, t.m)
			if r1-r0 == 16 && c1-c0 == 32 {
				continue
			}
			amxKernel(q.ksteps, t.ah[ib*q.ksteps*512:], t.al[ib*q.ksteps*512:], bt, tmp[:], 32, false)
			for i := r0; i < r1; i++ {
				copy(t.c[i*t.ldc+c0:i*t.ldc+c1], tmp[(i-r0)*32:(i-r0)*32+c1-c0])
			}
			if epOn {
				applyEpilogue(t.ep, t.c, t.ldc, n, r0, r1, c0, c1)
			}
		}
	}
}

// amxMG is the row-block group of the AMX loop (128 rows).
const amxMG = 8

// amxKC is the K chunk of the AMX loop in steps of 32: 8 steps of a column
// block's B are 32 KiB.
const amxKC = 8
