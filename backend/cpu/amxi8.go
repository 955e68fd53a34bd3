package cpu

import (
	"math"
	"unsafe"

	"github.com/llmc/llmc/internal/freelist"
)

// SGEMM on AMX-INT8 tiles at float32-class accuracy (INT8x6), after the Ozaki
// scheme: each row of A and each column of B is scaled by a power-free factor
// so that its largest magnitude is 127, and each scaled float32 x is split into
// three int8 slices, x = s0 + s1/254 + s2/254^2 + e, each slice the rounding of
// what the earlier ones leave (so all lie in [-127, 127] and |e| <= 1/(2*254^2),
// 2^-24 of the row's or column's largest value). The products of slices whose
// weights add up to 254^-2 or more are summed exactly in int32 (TDPBSSD:
// G0 = A0*B0, G1 = A0*B1 + A1*B0, G2 = A0*B2 + A1*B1 + A2*B0) and combined in
// float32 once, at the end: C = (G0 + (G1 + G2/254)/254) * sa[i] * sb[j].
//
// Against BF16x6 it does the same six products per K step, but an int8 product
// covers 64 values of K where a bfloat16 one covers 32 in the same time (~7.5 ns
// on this project's Sapphire Rapids VMs, measured for both), and the weights
// take 3 bytes each instead of 6, so both the tile work and the weight stream
// are halved. The error differs in kind: BF16x6 keeps 24 bits of every value,
// INT8x6 24 bits of each row's (column's) largest, so a product's error scales
// with max|a_i.| * max|b_.j| rather than |a_ik * b_kj|. On bert-base's weights
// and activations the two are alike (checked against float64 in the tests).

// packedI8 is B in the INT8x6 kernel's layout: for each 32-column block, for
// each step of 64 along K, six VNNI tiles of 1 KiB (cols 0-15: slices 0, 1, 2;
// cols 16-31: slices 0, 1, 2); tile row r holds K quad (4r..4r+3) for 16
// columns: element (r, j, e) at r*64 + j*4 + e. Padding is zero.
type packedI8 struct {
	ksteps int
	data   []int8
	scale  []float32 // per column (zero-padded to whole blocks): max|b_.j|/127
}

// step returns the B tiles of column block jb from K step s on.
func (q *packedI8) step(jb, s int) []int8 {
	return q.data[(jb*q.ksteps+s)*6144 : (jb+1)*q.ksteps*6144]
}

// i8TinyMax is the smallest largest-magnitude a row or column is scaled from:
// 127/x must stay finite in float32. Smaller (all but zero) rows and columns
// run on the float32 kernels.
const i8TinyMax = 1e-30

// enableI8 builds the INT8x6 form of the weights. It reports false, changing
// nothing, when a weight is Inf or NaN or a column's largest magnitude is
// below i8TinyMax (but not zero).
func (pb *PackedB) enableI8() bool {
	ks, nb := (pb.K+63)/64, (pb.N+31)/32
	q := &packedI8{ksteps: ks, scale: make([]float32, nb*32)}
	raw := amxFormAlloc(q, nb*ks*6144/2)
	q.data = unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(raw))), nb*ks*6144)
	col := make([]float32, pb.K)
	for j := 0; j < pb.N; j++ {
		for p0 := 0; p0 < pb.K; p0 += pb.kc { // the column from its panel, a K block at a time
			panel := pb.panel(p0, j/gemmNR)
			for p := p0; p < min(p0+pb.kc, pb.K); p++ {
				col[p] = panel[(p-p0)*gemmNR+j%gemmNR]
			}
		}
		var mx float32
		for _, c := range col {
			if v := abs32(c); v > mx || v != v {
				mx = v
			}
		}
		if mx > math.MaxFloat32 || mx != mx || (mx > 0 && mx < i8TinyMax) {
			return false // Inf or NaN, or too small to scale
		}
		var inv float64
		if mx > 0 {
			q.scale[j] = mx / 127
			inv = 1 / float64(q.scale[j])
		}
		jb, h, jj := j/32, (j%32)/16, j%16
		for p, v := range col {
			s, kq := p/64, p%64
			base := ((jb*ks+s)*6+h*3)*1024 + (kq/4)*64 + jj*4 + kq%4
			var sl [3]int8
			i8Slices(float64(v)*inv, &sl)
			for e, x := range sl {
				q.data[base+e*1024] = x
			}
		}
	}
	pb.amx, pb.bf16, pb.i8 = int(INT8x6), nil, q
	return true
}

// i8Slices writes x (|x| <= 127 + a rounding) as three int8 slices, x ~ s0 +
// s1/254 + s2/254^2, each rounded to nearest even.
func i8Slices(x float64, s *[3]int8) {
	for e := range s {
		r := math.RoundToEven(x)
		r = max(-127, min(127, r))
		s[e] = int8(r)
		x = (x - r) * 254
	}
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

var i8ABufs = freelist.List[[]int8]{
	New:  func() *[]int8 { s := make([]int8, 0); return &s },
	Keep: func(s *[]int8) bool { return cap(*s) <= maxKeptScratch },
}

var i8Scales = freelist.List[[]float32]{
	New:  func() *[]float32 { s := make([]float32, 0); return &s },
	Keep: func(s *[]float32) bool { return 4*cap(*s) <= maxKeptScratch },
}

// sgemmAMXI8 is sgemmAMX on the INT8x6 form. It returns false, having written
// nothing to C, when alpha*A holds an Inf or NaN or a row whose largest
// magnitude is below i8TinyMax (but not zero).
func sgemmAMXI8(p *Pool, m int, alpha float32, a []float32, lda int, pb *PackedB, c []float32, ldc int, ep *Epilogue) bool {
	ks := (pb.K + 63) / 64
	mb := (m + 15) / 16
	n := mb * ks * 3072
	bufp := i8ABufs.Get()
	if cap(*bufp) < n {
		*bufp = make([]int8, n)
	}
	sp := i8Scales.Get()
	if cap(*sp) < mb*16 {
		*sp = make([]float32, mb*16)
	}
	t := i8Tasks.Get()
	*t = amxI8Task{amxTask: amxTask{m: m, alpha: alpha, a: a, lda: lda, pb: pb, c: c, ldc: ldc, ep: ep}, as: (*bufp)[:n], sa: (*sp)[:mb*16]}
	done := t.drive(p, t, mb*16, ks, amxKB/2) // K steps of 64: the same K blocks
	*t = amxI8Task{}
	i8Tasks.Put(t)
	i8ABufs.Put(bufp)
	i8Scales.Put(sp)
	return done
}

// amxI8Task is amxTask for INT8x6 (its as, int8 slices, stands for amxTask.as,
// which stays nil).
type amxI8Task struct {
	amxTask
	as []int8    // A's slices, tile-major: ((row block*ksteps + step)*3 + slice)*1024
	sa []float32 // A's row scales (zero for padding rows)
}

var i8Tasks = freelist.List[amxI8Task]{New: func() *amxI8Task { return new(amxI8Task) }}

// Run implements Task: rows [lo, hi) of the split, or the column blocks of
// slots [lo, hi) (guided).
func (t *amxI8Task) Run(lo, hi int) {
	if t.split {
		t.splitRows(lo, hi)
		return
	}
	q := t.pb.i8
	k, n := t.pb.K, t.pb.N
	ks := (k + 63) / 64
	lo, hi = t.bounds[lo], t.bounds[hi]
	// The int32 slice sums of the row group's 16x32 blocks while K runs (6 KiB a
	// block, as the kernel stores them).
	var part [amxMG * 1536]int32
	epOn := t.ep.active()
	amxBegin()
	defer amxEnd()
	mfull := t.m / 16
	const kc = 4 // K steps of 64 per kernel call: the chunk of B (24 KiB) stays in L1
	for g0 := 0; g0 < mfull; g0 += amxMG {
		g1 := min(g0+amxMG, mfull)
		for k0 := t.kLo; k0 < t.kHi; k0 += amxKB / 2 {
			k1 := min(k0+amxKB/2, t.kHi)
			for jb := lo; jb < hi; jb++ {
				c0, c1 := jb*32, min(jb*32+32, n)
				if c1-c0 < 32 {
					continue
				}
				for s0 := k0; s0 < k1; s0 += kc {
					ns := min(kc, k1-s0)
					bt := q.step(jb, s0)
					var pf []int8
					if jb+1 < hi && (jb+2)*32 <= n {
						pf = q.step(jb+1, s0)[:ns*6144]
					} else if s := k1 + s0 - k0; s < ks {
						pf = q.step(lo, s)[:min(ns, ks-s)*6144]
					}
					pfn := (len(pf)/64 + (g1-g0)*ns - 1) / ((g1 - g0) * ns)
					for ib := g0; ib < g1; ib++ {
						pp := part[(ib-g0)*1536 : (ib-g0+1)*1536]
						cin := pp
						if s0 == k0 {
							cin = nil
						}
						amxKernelI8Call(ns, t.as[(ib*ks+s0)*3072:], bt, cin, pp, pf, pfn)
						pf = pf[min(len(pf), pfn*ns*64):]
					}
				}
				for ib := g0; ib < g1; ib++ {
					convI8(t.c[ib*16*t.ldc+c0:], t.ldc, part[(ib-g0)*1536:(ib-g0+1)*1536], t.sa[ib*16:ib*16+16], q.scale[c0:c0+32], 16, k0 > 0)
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
	// Edge tiles (ragged rows or columns): all of K, in chunks, into a scratch block.
	var tmp [16 * 32]float32
	for jb := lo; jb < hi; jb++ {
		c0, c1 := jb*32, min(jb*32+32, n)
		for ib := 0; ib*16 < t.m; ib++ {
			r0, r1 := ib*16, min(ib*16+16, t.m)
			if r1-r0 == 16 && c1-c0 == 32 {
				continue
			}
			pp := part[:1536]
			for s0 := 0; s0 < ks; s0 += kc {
				cin := pp
				if s0 == 0 {
					cin = nil
				}
				amxKernelI8Call(min(kc, ks-s0), t.as[(ib*ks+s0)*3072:], q.step(jb, s0), cin, pp, nil, 0)
			}
			convI8(tmp[:], 32, pp, t.sa[r0:r0+16], q.scale[c0:c0+32], r1-r0, false)
			for i := r0; i < r1; i++ {
				copy(t.c[i*t.ldc+c0:i*t.ldc+c1], tmp[(i-r0)*32:(i-r0)*32+c1-c0])
			}
			if epOn {
				applyEpilogue(t.ep, t.c, t.ldc, n, r0, r1, c0, c1)
			}
		}
	}
}

// splitRows writes rows [lo, hi) of alpha*A as int8 slices with their scales;
// a row with an Inf or NaN, or too small to scale, sets t.special.
func (t *amxI8Task) splitRows(lo, hi int) {
	k := t.pb.K
	ks := (k + 63) / 64
	full := k / 64
	for i := lo; i < hi; i++ {
		base := (i/16)*ks*3072 + (i%16)*64
		if i >= t.m { // padding rows
			t.sa[i] = 0
			for s := range ks {
				for e := range 3 {
					d := t.as[base+s*3072+e*1024:]
					clear(d[:64])
				}
			}
			continue
		}
		row := t.a[i*t.lda : i*t.lda+k]
		mx := math.Float32frombits(absMaxBits(row)) * abs32(t.alpha)
		if mx > math.MaxFloat32 || mx != mx || (mx > 0 && mx < i8TinyMax) {
			t.special.Store(true)
			return
		}
		var f float32
		t.sa[i] = mx / 127
		if mx > 0 {
			f = t.alpha / t.sa[i]
		}
		splitI8(t.as[base:], row, full, f)
		if full < ks { // the ragged last step, zero padded
			var last [64]float32
			copy(last[:], row[full*64:])
			splitI8(t.as[base+full*3072:], last[:], 1, f)
		}
	}
}
