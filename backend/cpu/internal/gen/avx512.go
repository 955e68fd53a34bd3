package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// ---------------------------------------------------------------------------
// AVX-512 vector math: the same functions as the AVX2 bodies, 16 lanes wide,
// with constants as embedded broadcasts ({1to16} from the 4-byte tables),
// VRCP14PS plus one Newton step instead of VDIVPS, VSCALEFPS for the 2^n of
// exp (exact under- and overflow without exponent-field arithmetic) and
// opmasks for blends and ragged tails.

// zvec is a group of independent zmm values processed together (see vec).
type zvec []VecVirtual

func newZ(n int) zvec {
	v := make(zvec, n)
	for i := range v {
		v[i] = ZMM()
	}
	return v
}

// bcastZ fills a new zvec with the constant name.
func bcastZ(name string, n int) zvec {
	v := newZ(n)
	for i := range v {
		VBROADCASTSS(c(name), v[i])
	}
	return v
}

// hornerZ evaluates coefs[0]*z^(n-1) + ... + coefs[n-1] (highest first).
func hornerZ(z zvec, coefs ...string) zvec {
	p := bcastZ(coefs[0], len(z))
	for _, k := range coefs[1:] {
		for i := range z {
			VFMADD213PS_BCST(c(k), z[i], p[i]) // p = z*p + k
		}
	}
	return p
}

// expZ computes exp(x) for x in zmm registers: n = round(x*log2e) with the
// 1.5*2^23 shifter, r = x - n*ln2 (Cody-Waite), e^r = 1 + r + r^2*P(r) with
// Cephes' degree-5 P, then VSCALEFPS(e^r, n). x is clamped to [exp_lo, hi]
// (hi optional; NaN propagates; hi = 89 gives +Inf above e^89), and lanes
// with x < flush become exact zeros: the results below it, e^-87.3 at the
// least, are never subnormal (subnormal results and operands cost a
// microcode assist of ~100 cycles per vector on Intel cores). The inputs are
// left unchanged.
func expZ(x zvec, flush, hi string) zvec {
	t := newZ(len(x))
	lov := ZMM()
	VBROADCASTSS(c("exp_lo"), lov)
	for i := range x {
		VMAXPS(x[i], lov, t[i]) // max(lo, x): x if NaN
	}
	if hi != "" {
		hiv := ZMM()
		VBROADCASTSS(c(hi), hiv)
		for i := range x {
			VMINPS(t[i], hiv, t[i]) // min(hi, t): t if NaN
		}
	}
	keep := make([]Op, len(x))
	flv := ZMM()
	VBROADCASTSS(c(flush), flv)
	for i := range x {
		k := K()
		VCMPPS(U8(5), flv, x[i], k) // x >= flush or NaN (NLT_US)
		keep[i] = k
	}
	fx := bcastZ("log2e", len(x))
	for i := range x {
		VFMADD213PS_BCST(c("shifter"), t[i], fx[i]) // x*log2e + 1.5*2^23
	}
	nf := newZ(len(x))
	for i := range x {
		VSUBPS_BCST(c("shifter"), fx[i], nf[i]) // n as float
	}
	for i := range x {
		VFNMADD231PS_BCST(c("ln2hi"), nf[i], t[i])
	}
	for i := range x {
		VFNMADD231PS_BCST(c("ln2lo"), nf[i], t[i]) // t = x - n*ln2
	}
	p := hornerZ(t, "exp_p0", "exp_p1", "exp_p2", "exp_p3", "exp_p4", "exp_p5")
	for i := range x {
		VMULPS(t[i], t[i], fx[i]) // r^2
	}
	for i := range x {
		VFMADD213PS(t[i], fx[i], p[i]) // p = r2*p + r
	}
	for i := range x {
		VADDPS_BCST(c("one"), p[i], p[i])
		VSCALEFPS_Z(nf[i], p[i], keep[i], p[i]) // p * 2^n, or 0 below flush
	}
	return p
}

// recipZ returns 1/d (VRCP14PS, relative error < 2^-14, and one Newton step:
// < 2^-27 before rounding). d is overwritten.
func recipZ(d zvec) zvec {
	r := newZ(len(d))
	for i := range d {
		VRCP14PS(d[i], r[i])
	}
	for i := range d {
		VFMSUB213PS_BCST(c("one"), r[i], d[i]) // e = d*r - 1
	}
	for i := range d {
		VFNMADD231PS(r[i], d[i], r[i]) // r = r - r*e
	}
	return r
}

// geluZ computes 0.5*x*erfc(-x/sqrt2) like geluBody: with e = erfc(|x|/sqrt2)
// from the Numerical Recipes fit erfc(z) = t*exp(-z^2 + P(t)), t = 1/(1+z/2),
// gelu = x<0 ? 0.5*x*e : x - 0.5*x*e. The inputs are left unchanged.
//
// The computation runs on x clamped to +-1e30 (NaN kept), so that +-Inf give
// h = 0 instead of Inf*0: gelu(+Inf) = +Inf, gelu(-Inf) = -0. The exponent is
// flushed to zero below -80 (|gelu| < 1e-34 there) so that no product is
// subnormal.
func geluZ(x zvec) zvec {
	n := len(x)
	xc := clampZ(x, "gelu_big_neg", "gelu_big")
	ax := newZ(n)
	for i := range x {
		VANDPS_BCST(c("absmask"), xc[i], ax[i])
	}
	z := newZ(n)
	for i := range x {
		VMULPS_BCST(c("rsqrt2"), ax[i], z[i])
	}
	d := bcastZ("half", n)
	for i := range x {
		VFMADD213PS_BCST(c("one"), z[i], d[i]) // 1 + z/2
	}
	t := recipZ(d)
	names := make([]string, 10)
	for i := range names {
		names[i] = fmt.Sprintf("erfc_c%d", 9-i)
	}
	p := hornerZ(t, names...)
	for i := range x {
		VMULPS_BCST(c("half"), ax[i], z[i])
		VFNMADD231PS(ax[i], z[i], p[i]) // p -= x*x/2
	}
	e := expZ(p, "gelu_flush", "")
	for i := range x {
		VMULPS(t[i], e[i], e[i])
		VMULPS(xc[i], e[i], e[i])
		VMULPS_BCST(c("half"), e[i], e[i]) // h = 0.5*x*erfc(|x|/sqrt2)
	}
	r := newZ(n)
	for i := range x {
		VSUBPS(e[i], x[i], r[i]) // x - h
		k := K()
		VPMOVD2M(x[i], k)      // sign of x
		VMOVAPS(e[i], k, r[i]) // x < 0: h
	}
	return r
}

// geluTanhZ computes 0.5*x*(1+tanh(u)) as x/(1+exp(-2u)) (see geluTanhBody),
// on x clamped below at -20 (so gelu(-Inf) = -0) and exp(-2u) clamped at
// e^80 so that 1+exp(-2u) stays finite for the reciprocal and x/(1+e^80) is
// not subnormal (|gelu| < 1e-33 there).
func geluTanhZ(x zvec) zvec {
	n := len(x)
	xc := newZ(n)
	lo := ZMM()
	VBROADCASTSS(c("gelu_tanh_lo"), lo)
	for i := range x {
		VMAXPS(x[i], lo, xc[i]) // max(lo, x): x if NaN
	}
	u := bcastZ("gelu_c1m2", n)
	x2 := newZ(n)
	for i := range x {
		VMULPS(xc[i], xc[i], x2[i])
		VFMADD213PS_BCST(c("gelu_c0m2"), x2[i], u[i]) // -2*(c0 + c1*x^2)
		VMULPS(xc[i], u[i], u[i])                     // -2u
	}
	e := expZ(u, "exp_lo", "exp_hi_fin")
	for i := range x {
		VADDPS_BCST(c("one"), e[i], e[i])
	}
	r := recipZ(e)
	for i := range x {
		VMULPS(xc[i], r[i], r[i])
	}
	return r
}

// clampZ returns min(max(x, lo), hi) with the bounds in registers, NaN kept.
func clampZ(x zvec, lo, hi string) zvec {
	lov, hiv := ZMM(), ZMM()
	VBROADCASTSS(c(lo), lov)
	VBROADCASTSS(c(hi), hiv)
	t := newZ(len(x))
	for i := range x {
		VMINPS(x[i], hiv, t[i]) // min(hi, x): x if NaN
		VMAXPS(t[i], lov, t[i]) // max(lo, t): t if NaN
	}
	return t
}

// expPlainZ is exp over any finite or infinite input.
func expPlainZ(x zvec) zvec { return expZ(x, "exp_lo", "exp_hi") }

// tailMask sets k to the mask of the low n&15 lanes (0 when n is a multiple
// of 16: a store under it writes nothing).
func tailMask(n Register, k Op) {
	cnt, m := GP64(), GP64()
	MOVQ(n, cnt)
	ANDQ(U8(15), cnt)
	// m = (1 << cnt) - 1 without a CL shift: BZHI clears the bits from cnt up.
	MOVQ(U32(0xffff), m)
	BZHIQ(cnt, m, m)
	KMOVW(m.As32(), k)
}

// unary512 emits func name(dst, src *float32, n int) for any n >= 0: groups
// of 16*unroll floats, single vectors, then a masked tail vector.
func unary512(name string, unroll int, body func(zvec) zvec) {
	TEXT(name, NOSPLIT, "func(dst, src *float32, n int)")
	Pragma("noescape")
	Doc(name + " applies the vector function to n floats (AVX-512, masked tail).")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := Load(Param("n"), GP64())
	Label(name + "_loopU")
	CMPQ(n, U32(16*unroll))
	JL(LabelRef(name + "_loop1"))
	x := newZ(unroll)
	for i := range x {
		VMOVUPS(Mem{Base: src, Disp: 64 * i}, x[i])
	}
	y := body(x)
	for i := range y {
		VMOVUPS(y[i], Mem{Base: dst, Disp: 64 * i})
	}
	ADDQ(U32(64*unroll), src)
	ADDQ(U32(64*unroll), dst)
	SUBQ(U32(16*unroll), n)
	JMP(LabelRef(name + "_loopU"))
	Label(name + "_loop1")
	CMPQ(n, U8(16))
	JL(LabelRef(name + "_tail"))
	x1 := newZ(1)
	VMOVUPS(Mem{Base: src}, x1[0])
	y1 := body(x1)
	VMOVUPS(y1[0], Mem{Base: dst})
	ADDQ(U8(64), src)
	ADDQ(U8(64), dst)
	SUBQ(U8(16), n)
	JMP(LabelRef(name + "_loop1"))
	Label(name + "_tail")
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	k := K()
	tailMask(n, k)
	xt := newZ(1)
	VMOVUPS_Z(Mem{Base: src}, k, xt[0])
	yt := body(xt)
	VMOVUPS(yt[0], k, Mem{Base: dst})
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// epilogue512 emits the fused GEMM epilogue over a rows x cols block of C
// (any cols > 0): t = c (+ bias[j]) (* scale) -> act -> (+ res[i*ldr+j]).
// flags: 1 bias, 2 scale, 4 residual; act: 0 none, 1 GELU (erf), 2 GELU (tanh).
// Each row is done two vectors at a time, then one, then a masked tail.
func epilogue512() {
	TEXT("epilogueAVX512", NOSPLIT, "func(c *float32, ldc, rows, cols int, bias *float32, scale float32, res *float32, ldr, flags, act int)")
	Pragma("noescape")
	Doc("epilogueAVX512 applies the fused GEMM epilogue to rows x cols floats of c.")
	sx := loadF32("scale")
	sz := ZMM()
	VBROADCASTSS(sx, sz)
	rows := Load(Param("rows"), GP64())
	TESTQ(rows, rows)
	JZ(LabelRef("ep5_done"))
	cols := Load(Param("cols"), GP64())
	k := K()
	tailMask(cols, k)
	crow := Load(Param("c"), GP64())
	rrow := Load(Param("res"), GP64())

	// body processes u vectors at column byte offset off (a register), with
	// masked loads/stores when masked.
	body := func(u int, cp, bp, rp Register, masked bool, tag string) {
		v := newZ(u)
		for i := range v {
			if masked {
				VMOVUPS_Z(Mem{Base: cp, Disp: 64 * i}, k, v[i])
			} else {
				VMOVUPS(Mem{Base: cp, Disp: 64 * i}, v[i])
			}
		}
		flags := Load(Param("flags"), GP64())
		TESTQ(U32(1), flags)
		JZ(LabelRef(tag + "_nobias"))
		for i := range v {
			if masked {
				t := ZMM()
				VMOVUPS_Z(Mem{Base: bp, Disp: 64 * i}, k, t)
				VADDPS(t, v[i], v[i])
			} else {
				VADDPS(Mem{Base: bp, Disp: 64 * i}, v[i], v[i])
			}
		}
		Label(tag + "_nobias")
		TESTQ(U32(2), flags)
		JZ(LabelRef(tag + "_noscale"))
		for i := range v {
			VMULPS(sz, v[i], v[i])
		}
		Label(tag + "_noscale")
		act := Load(Param("act"), GP64())
		CMPQ(act, U8(1))
		JNE(LabelRef(tag + "_notgelu"))
		g := geluZ(v)
		for i := range v {
			VMOVAPS(g[i], v[i])
		}
		JMP(LabelRef(tag + "_actdone"))
		Label(tag + "_notgelu")
		CMPQ(act, U8(2))
		JNE(LabelRef(tag + "_actdone"))
		gt := geluTanhZ(v)
		for i := range v {
			VMOVAPS(gt[i], v[i])
		}
		Label(tag + "_actdone")
		TESTQ(U32(4), flags)
		JZ(LabelRef(tag + "_nores"))
		for i := range v {
			if masked {
				t := ZMM()
				VMOVUPS_Z(Mem{Base: rp, Disp: 64 * i}, k, t)
				VADDPS(t, v[i], v[i])
			} else {
				VADDPS(Mem{Base: rp, Disp: 64 * i}, v[i], v[i])
			}
		}
		Label(tag + "_nores")
		for i := range v {
			if masked {
				VMOVUPS(v[i], k, Mem{Base: cp, Disp: 64 * i})
			} else {
				VMOVUPS(v[i], Mem{Base: cp, Disp: 64 * i})
			}
		}
	}

	Label("ep5_row")
	cp, bp, rp, cnt := GP64(), GP64(), GP64(), GP64()
	MOVQ(crow, cp)
	MOVQ(rrow, rp)
	Load(Param("bias"), bp)
	Load(Param("cols"), cnt)
	Label("ep5_two")
	CMPQ(cnt, U8(32))
	JL(LabelRef("ep5_one"))
	body(2, cp, bp, rp, false, "ep5_b2")
	ADDQ(U8(128), cp)
	ADDQ(U8(128), bp)
	ADDQ(U8(128), rp)
	SUBQ(U8(32), cnt)
	JMP(LabelRef("ep5_two"))
	Label("ep5_one")
	CMPQ(cnt, U8(16))
	JL(LabelRef("ep5_tail"))
	body(1, cp, bp, rp, false, "ep5_b1")
	ADDQ(U8(64), cp)
	ADDQ(U8(64), bp)
	ADDQ(U8(64), rp)
	SUBQ(U8(16), cnt)
	Label("ep5_tail")
	TESTQ(cnt, cnt)
	JZ(LabelRef("ep5_next"))
	body(1, cp, bp, rp, true, "ep5_bt")
	Label("ep5_next")
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	ADDQ(ldc, crow)
	ldr := Load(Param("ldr"), GP64())
	SHLQ(U8(2), ldr)
	ADDQ(ldr, rrow)
	DECQ(rows)
	JNZ(LabelRef("ep5_row"))
	Label("ep5_done")
	VZEROUPPER()
	RET()
}

// softmax512 emits the row softmax over m rows of n floats (any n > 0), with
// an optional additive mask row: max pass (storing x+mask when masked), an
// exp-and-sum pass four vectors at a time, then the 1/sum scaling pass. A row
// whose maximum is -Inf (fully masked) becomes zeros.
func softmax512() {
	TEXT("softmaxAVX512", NOSPLIT, "func(dst, x, mask *float32, m, n int, hasMask int)")
	Pragma("noescape")
	Doc("softmaxAVX512 computes the softmax of m rows of n (> 0) floats,",
		"adding the mask row first if hasMask != 0.")
	dst := Load(Param("dst"), GP64())
	x := Load(Param("x"), GP64())
	m := Load(Param("m"), GP64())
	TESTQ(m, m)
	JZ(LabelRef("sm5_done"))
	nn := Load(Param("n"), GP64())
	k := K()
	tailMask(nn, k)
	ninf := ZMM()
	VBROADCASTSS(c("neginf"), ninf)

	Label("sm5_row")
	src, dp, cnt := GP64(), GP64(), GP64()
	MOVQ(x, src)
	MOVQ(dst, dp)
	Load(Param("n"), cnt)
	mx := newZ(2)
	for i := range mx {
		VMOVAPS(ninf, mx[i])
	}
	hasMask := Load(Param("hasMask"), GP64())
	TESTQ(hasMask, hasMask)
	JZ(LabelRef("sm5_max"))
	// Pass 1 with mask: dst = x + mask, running max.
	mk := Load(Param("mask"), GP64())
	Label("sm5_mmax")
	CMPQ(cnt, U8(16))
	JL(LabelRef("sm5_mtail"))
	v := ZMM()
	VMOVUPS(Mem{Base: src}, v)
	VADDPS(Mem{Base: mk}, v, v)
	VMOVUPS(v, Mem{Base: dp})
	VMAXPS(v, mx[0], mx[0])
	ADDQ(U8(64), src)
	ADDQ(U8(64), mk)
	ADDQ(U8(64), dp)
	SUBQ(U8(16), cnt)
	JMP(LabelRef("sm5_mmax"))
	Label("sm5_mtail")
	TESTQ(cnt, cnt)
	JZ(LabelRef("sm5_mdone"))
	vt, mt := ZMM(), ZMM()
	VMOVAPS(ninf, vt)
	VMOVUPS(Mem{Base: src}, k, vt)
	VMOVUPS_Z(Mem{Base: mk}, k, mt)
	VADDPS(mt, vt, vt)
	VMOVUPS(vt, k, Mem{Base: dp})
	VMAXPS(vt, mx[1], mx[1])
	Label("sm5_mdone")
	MOVQ(dst, src) // pass 2 reads the masked row from dst
	JMP(LabelRef("sm5_maxdone"))
	// Pass 1 without mask: running max, 2 vectors per step.
	Label("sm5_max")
	CMPQ(cnt, U8(32))
	JL(LabelRef("sm5_max1"))
	VMAXPS(Mem{Base: src}, mx[0], mx[0])
	VMAXPS(Mem{Base: src, Disp: 64}, mx[1], mx[1])
	ADDQ(U8(128), src)
	SUBQ(U8(32), cnt)
	JMP(LabelRef("sm5_max"))
	Label("sm5_max1")
	CMPQ(cnt, U8(16))
	JL(LabelRef("sm5_maxt"))
	VMAXPS(Mem{Base: src}, mx[0], mx[0])
	ADDQ(U8(64), src)
	SUBQ(U8(16), cnt)
	Label("sm5_maxt")
	TESTQ(cnt, cnt)
	JZ(LabelRef("sm5_max2"))
	vt2 := ZMM()
	VMOVAPS(ninf, vt2)
	VMOVUPS(Mem{Base: src}, k, vt2)
	VMAXPS(vt2, mx[1], mx[1])
	Label("sm5_max2")
	MOVQ(x, src)
	Label("sm5_maxdone")
	VMAXPS(mx[1], mx[0], mx[0])
	hmax := hreduceZ(mx[0], func(a, b, d Op) { VMAXPS(a, b, d) })
	mb := ZMM()
	VBROADCASTSS(hmax, mb)
	// All -Inf row: write zeros.
	VUCOMISS(c("neginf"), hmax)
	JP(LabelRef("sm5_exp")) // NaN: let it propagate
	JNE(LabelRef("sm5_exp"))
	MOVQ(dst, dp)
	Load(Param("n"), cnt)
	zr := ZMM()
	VXORPS(zr, zr, zr)
	Label("sm5_zero")
	CMPQ(cnt, U8(16))
	JL(LabelRef("sm5_zerot"))
	VMOVUPS(zr, Mem{Base: dp})
	ADDQ(U8(64), dp)
	SUBQ(U8(16), cnt)
	JMP(LabelRef("sm5_zero"))
	Label("sm5_zerot")
	VMOVUPS(zr, k, Mem{Base: dp}) // a zero mask (no tail) stores nothing
	JMP(LabelRef("sm5_next"))

	// Pass 2: dst = exp(src - max), sum.
	Label("sm5_exp")
	MOVQ(dst, dp)
	Load(Param("n"), cnt)
	const U = 4
	acc := newZ(U)
	for i := range acc {
		VXORPS(acc[i], acc[i], acc[i])
	}
	Label("sm5_expU")
	CMPQ(cnt, U8(16*U))
	JL(LabelRef("sm5_exp1"))
	vs := newZ(U)
	for i := range vs {
		VMOVUPS(Mem{Base: src, Disp: 64 * i}, vs[i])
		VSUBPS(mb, vs[i], vs[i])
	}
	e := expZ(vs, "exp_lo", "")
	for i := range e {
		VMOVUPS(e[i], Mem{Base: dp, Disp: 64 * i})
		VADDPS(e[i], acc[i], acc[i])
	}
	ADDQ(U32(64*U), src)
	ADDQ(U32(64*U), dp)
	SUBQ(U8(16*U), cnt)
	JMP(LabelRef("sm5_expU"))
	Label("sm5_exp1")
	CMPQ(cnt, U8(16))
	JL(LabelRef("sm5_expt"))
	v1 := ZMM()
	VMOVUPS(Mem{Base: src}, v1)
	VSUBPS(mb, v1, v1)
	e1 := expZ(zvec{v1}, "exp_lo", "")[0]
	VMOVUPS(e1, Mem{Base: dp})
	VADDPS(e1, acc[0], acc[0])
	ADDQ(U8(64), src)
	ADDQ(U8(64), dp)
	SUBQ(U8(16), cnt)
	JMP(LabelRef("sm5_exp1"))
	Label("sm5_expt")
	TESTQ(cnt, cnt)
	JZ(LabelRef("sm5_scale"))
	vt3 := ZMM()
	VMOVAPS(ninf, vt3)
	VMOVUPS(Mem{Base: src}, k, vt3)
	VSUBPS(mb, vt3, vt3)
	e3 := expZ(zvec{vt3}, "exp_lo", "")[0] // masked-off lanes: exp(-Inf) = 0
	VMOVUPS(e3, k, Mem{Base: dp})
	VADDPS(e3, acc[1], acc[1])
	// Pass 3: scale by 1/sum.
	Label("sm5_scale")
	VADDPS(acc[1], acc[0], acc[0])
	VADDPS(acc[3], acc[2], acc[2])
	VADDPS(acc[2], acc[0], acc[0])
	sum := hreduceZ(acc[0], func(a, b, d Op) { VADDPS(a, b, d) })
	inv := XMM()
	VMOVSS(c("one"), inv)
	VDIVSS(sum, inv, inv)
	ib := ZMM()
	VBROADCASTSS(inv, ib)
	MOVQ(dst, dp)
	Load(Param("n"), cnt)
	Label("sm5_mul")
	CMPQ(cnt, U8(16))
	JL(LabelRef("sm5_mult"))
	w := ZMM()
	VMULPS(Mem{Base: dp}, ib, w)
	VMOVUPS(w, Mem{Base: dp})
	ADDQ(U8(64), dp)
	SUBQ(U8(16), cnt)
	JMP(LabelRef("sm5_mul"))
	Label("sm5_mult")
	TESTQ(cnt, cnt)
	JZ(LabelRef("sm5_next"))
	wt := ZMM()
	VMOVUPS_Z(Mem{Base: dp}, k, wt)
	VMULPS(ib, wt, wt)
	VMOVUPS(wt, k, Mem{Base: dp})
	Label("sm5_next")
	rb := Load(Param("n"), GP64())
	SHLQ(U8(2), rb)
	ADDQ(rb, x)
	ADDQ(rb, dst)
	DECQ(m)
	JNZ(LabelRef("sm5_row"))
	Label("sm5_done")
	VZEROUPPER()
	RET()
}

// hreduceZ reduces the 16 lanes of z with op into the low lane of an xmm.
func hreduceZ(z VecVirtual, op func(a, b, d Op)) VecVirtual {
	y := YMM()
	VEXTRACTF32X8(U8(1), z, y)
	lo := z.AsY().(VecVirtual)
	op(y, lo, lo)
	h := XMM()
	VEXTRACTF128(U8(1), lo, h)
	l := lo.AsX().(VecVirtual)
	op(h, l, l)
	VMOVHLPS(l, l, h)
	op(h, l, l)
	VPSHUFD(U8(1), l, h)
	op(h, l, l)
	return l
}

func avx512Math() {
	unary512("geluAVX512", 4, geluZ)
	unary512("geluTanhAVX512", 4, geluTanhZ)
	unary512("expAVX512", 4, expPlainZ)
	epilogue512()
	softmax512()
	amxPackB(2)
	amxPackB(3)
	splitTiles(2)
	splitTiles(3)
	i8KernelVNNI()
	absMaxBits()
	splitI8()
	convI8()
}

// i8KernelVNNI emits the AVX-512 VNNI form of i8Kernel4x16: per group of 4 along K,
// VPDPBUSD adds the four u8 x s8 products of each column straight into int32 (no int16
// intermediate, so no saturation: exact for every u8 x s8 input). One zmm holds a row's 16
// column sums; a row's 4 A bytes are broadcast to all lanes.
func i8KernelVNNI() {
	TEXT("i8Kernel4x16VNNI", NOSPLIT, "func(k4 int, a *uint8, b *int8, c *int32, ldc int)")
	Pragma("noescape")
	Doc("i8Kernel4x16VNNI computes a 4x16 int32 tile from packed u8 (A) and s8 (B) panels,",
		"K consumed in groups of 4, with VPDPBUSD (AVX512-VNNI): exact for all inputs.")
	k := Load(Param("k4"), GP64())
	a := Load(Param("a"), GP64())
	b := Load(Param("b"), GP64())
	// two sets of row accumulators (even and odd K groups) hide VPDPBUSD's latency
	acc := [2][4]Register{{Z0, Z1, Z2, Z3}, {Z4, Z5, Z6, Z7}}
	for s := range acc {
		for i := range acc[s] {
			VPXORD(acc[s][i], acc[s][i], acc[s][i])
		}
	}
	Label("i8v_loop2")
	CMPQ(k, U8(2))
	JL(LabelRef("i8v_tail"))
	for s := 0; s < 2; s++ {
		VMOVDQU32(Mem{Base: b, Disp: 64 * s}, Z(8+s))
	}
	for s := 0; s < 2; s++ {
		for i := 0; i < 4; i++ {
			VPBROADCASTD(Mem{Base: a, Disp: 16*s + 4*i}, Z(10+4*s+i))
			VPDPBUSD(Z(8+s), Z(10+4*s+i), acc[s][i]) // acc += dot4(u8 a, s8 b) per lane
		}
	}
	ADDQ(U8(32), a)
	ADDQ(U8(128), b)
	SUBQ(U8(2), k)
	JMP(LabelRef("i8v_loop2"))
	Label("i8v_tail")
	TESTQ(k, k)
	JZ(LabelRef("i8v_store"))
	VMOVDQU32(Mem{Base: b}, Z8)
	for i := 0; i < 4; i++ {
		VPBROADCASTD(Mem{Base: a, Disp: 4 * i}, Z(10+i))
		VPDPBUSD(Z8, Z(10+i), acc[0][i])
	}
	Label("i8v_store")
	cp := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	for i := 0; i < 4; i++ {
		VPADDD(acc[1][i], acc[0][i], acc[0][i])
		VMOVDQU32(acc[0][i], Mem{Base: cp})
		if i < 3 {
			ADDQ(ldc, cp)
		}
	}
	VZEROUPPER()
	RET()
}

// bf16Terms emits the split of the 16 floats of x into n bfloat16 terms,
// returned as registers holding each term in the low 16 bits of its lanes
// (the high bits zero): term 0 = bf16(x), term i = bf16(what the earlier
// ones leave), rounded to nearest even; Inf/NaN lanes give zero later terms
// and NaN a quiet NaN first term. The mask register returned has the Inf/NaN
// lanes set.
func bf16Terms(x VecVirtual, n int) ([]VecVirtual, Register) {
	round := func(v VecVirtual) VecVirtual { // bits of v rounded to bf16, in the low 16 bits of each lane
		t := ZMM()
		VPSRLD(U8(16), v, t)
		VPANDD_BCST(c("i32_1"), t, t)
		VPADDD(v, t, t)
		VPADDD_BCST(c("i32_7fff"), t, t)
		VPSRLD(U8(16), t, t)
		return t
	}
	terms := []VecVirtual{round(x)}
	d := x
	for len(terms) < n {
		hf := ZMM()
		VPSLLD(U8(16), terms[len(terms)-1], hf)
		nd := ZMM()
		VSUBPS(hf, d, nd)
		d = nd
		terms = append(terms, round(d))
	}
	// Inf/NaN lanes: later terms 0; NaN lanes: hi = quiet NaN.
	e := ZMM()
	VPANDD_BCST(c("i32_expmask"), x, e)
	special := K()
	VPCMPEQD_BCST(c("i32_expmask"), e, special)
	zero := ZMM()
	VPXORD(zero, zero, zero)
	for _, t := range terms[1:] {
		VMOVDQA32(zero, special, t)
	}
	nan := K()
	VCMPPS(U8(3), x, x, nan) // unordered
	q := ZMM()
	VPSRLD(U8(16), x, q)
	VPORD_BCST(c("i32_40"), q, q)
	VMOVDQA32(q, nan, terms[0])
	return terms, special
}

// amxPackB emits func amxPackB<terms>AVX512(dst *uint16, src0, src1 *float32, pairs int) uint32:
// for K row pairs q < pairs of two 16-column float32 panels (rows of 16 floats;
// src0 columns 0-15, src1 columns 16-31), the bfloat16 terms of the pair in
// AMX VNNI order: term e, half h at dst + (2e+h)*1 KiB + q*64 bytes, lane j
// holding row 2q's term in its low and row 2q+1's in its high 16 bits. It
// returns nonzero when a value is Inf or NaN (EnableAMX then keeps the float32
// kernels for the weights).
func amxPackB(terms int) {
	name := fmt.Sprintf("amxPackB%dAVX512", terms)
	TEXT(name, NOSPLIT, "func(dst *uint16, src0, src1 *float32, pairs int) uint32")
	Pragma("noescape")
	Doc(name + " writes K row pairs of two float32 panels as AMX VNNI bfloat16 terms; nonzero if any is Inf or NaN.")
	dp := Load(Param("dst"), GP64())
	s0 := Load(Param("src0"), GP64())
	s1 := Load(Param("src1"), GP64())
	n := Load(Param("pairs"), GP64())
	acc := K()
	KXORW(acc, acc, acc)
	lbl := fmt.Sprintf("apb%d", terms)
	Label(lbl + "_loop")
	TESTQ(n, n)
	JZ(LabelRef(lbl + "_done"))
	for h, sp := range []Register{s0, s1} {
		a, b := ZMM(), ZMM()
		VMOVUPS(Mem{Base: sp}, a)
		VMOVUPS(Mem{Base: sp, Disp: 64}, b)
		ta, sa := bf16Terms(a, terms)
		KORW(sa, acc, acc)
		tb, sb := bf16Terms(b, terms)
		KORW(sb, acc, acc)
		for e := range terms {
			VPSLLD(U8(16), tb[e], tb[e])
			VPORD(ta[e], tb[e], tb[e])
			VMOVDQU32(tb[e], Mem{Base: dp, Disp: (2*e + h) * 1024})
		}
	}
	ADDQ(U8(128), s0)
	ADDQ(U8(128), s1)
	ADDQ(U8(64), dp)
	DECQ(n)
	JMP(LabelRef(lbl + "_loop"))
	Label(lbl + "_done")
	r := GP32()
	KMOVW(acc, r)
	Store(r, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// splitTiles emits func splitTiles<terms>AVX512(dst *uint16, x *float32, steps, stride int, alpha float32) uint32:
// for s < steps, the 32 floats x[32s:32s+32] times alpha as terms bfloat16 terms
// (bf16Terms), term e at dst + s*stride + e*1024 bytes: one row of an AMX A tile per
// step (tile-major A, see amxTask), in one call per row. It returns nonzero when a
// scaled value is Inf or NaN (the GEMM then runs on the float32 kernels instead).
func splitTiles(terms int) {
	name := fmt.Sprintf("splitTiles%dAVX512", terms)
	TEXT(name, NOSPLIT, "func(dst *uint16, x *float32, steps, stride int, alpha float32) uint32")
	Pragma("noescape")
	Doc(name + " writes 32-float steps of a row as bfloat16 terms of AMX A tiles; nonzero if any is Inf or NaN.")
	dp := Load(Param("dst"), GP64())
	xp := Load(Param("x"), GP64())
	n := Load(Param("steps"), GP64())
	st := Load(Param("stride"), GP64())
	ax := loadF32("alpha")
	al := ZMM()
	VBROADCASTSS(ax, al)
	acc := K()
	KXORW(acc, acc, acc)
	lbl := fmt.Sprintf("spt%d", terms)
	Label(lbl + "_loop")
	TESTQ(n, n)
	JZ(LabelRef(lbl + "_done"))
	for h := 0; h < 2; h++ {
		x := ZMM()
		VMOVUPS(Mem{Base: xp, Disp: 64 * h}, x)
		VMULPS(al, x, x)
		ts, special := bf16Terms(x, terms)
		KORW(special, acc, acc)
		for e, t := range ts {
			VPMOVDW(t, Mem{Base: dp, Disp: e*1024 + 32*h})
		}
	}
	ADDQ(U8(128), xp)
	ADDQ(st, dp)
	DECQ(n)
	JMP(LabelRef(lbl + "_loop"))
	Label(lbl + "_done")
	r := GP32()
	KMOVW(acc, r)
	Store(r, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// absMaxBits emits func absMaxBitsAVX512(x *float32, n int) uint32: the largest
// |x[i]|'s bits, as the integer maximum of the bits with the sign cleared (the
// same order as the values for non-negative floats, and NaN above +Inf), so a
// result of 0x7f800000 or more means an Inf or NaN.
func absMaxBits() {
	TEXT("absMaxBitsAVX512", NOSPLIT, "func(x *float32, n int) uint32")
	Pragma("noescape")
	Doc("absMaxBitsAVX512 returns the bits of max |x[i]| (a NaN, if any, above +Inf).")
	xp := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	m := [2]VecVirtual{ZMM(), ZMM()}
	for _, v := range m {
		VPXORD(v, v, v)
	}
	Label("amb_loop2")
	CMPQ(n, U8(32))
	JL(LabelRef("amb_loop1"))
	for i, v := range m {
		t := ZMM()
		VMOVDQU32(Mem{Base: xp, Disp: 64 * i}, t)
		VPANDD_BCST(c("i32_absmask"), t, t)
		VPMAXUD(t, v, v)
	}
	ADDQ(U8(128), xp)
	SUBQ(U8(32), n)
	JMP(LabelRef("amb_loop2"))
	Label("amb_loop1")
	CMPQ(n, U8(16))
	JL(LabelRef("amb_tail"))
	t := ZMM()
	VMOVDQU32(Mem{Base: xp}, t)
	VPANDD_BCST(c("i32_absmask"), t, t)
	VPMAXUD(t, m[0], m[0])
	ADDQ(U8(64), xp)
	SUBQ(U8(16), n)
	JMP(LabelRef("amb_loop1"))
	Label("amb_tail")
	k := K()
	tailMask(n, k)
	u := ZMM()
	VPXORD(u, u, u)
	VMOVDQU32_Z(Mem{Base: xp}, k, u)
	VPANDD_BCST(c("i32_absmask"), u, u)
	VPMAXUD(u, m[0], m[0])
	VPMAXUD(m[1], m[0], m[0])
	r := hreduceZ(m[0], func(a, b, d Op) { VPMAXUD(a, b, d) })
	g := GP32()
	VMOVD(r, g)
	Store(g, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// splitI8 emits func splitI8AVX512(dst *int8, x *float32, steps, stride int, f float32):
// for s < steps, the 64 floats x[64s:64s+64] times f (|x*f| <= 127) as three int8
// slices, x*f = s0 + s1/254 + s2/254^2 + e with |e| <= 1/(2*254^2): s0 = round(x*f),
// s1 = round((x*f - s0)*254), s2 = round((that - s1)*254), each rounded to nearest even
// and within [-127, 127]. Slice j goes to dst + s*stride + j*1024: one row of each of an
// AMX-INT8 step's three A tiles (tile-major A, see amxI8Task).
func splitI8() {
	TEXT("splitI8AVX512", NOSPLIT, "func(dst *int8, x *float32, steps, stride int, f float32)")
	Pragma("noescape")
	Doc("splitI8AVX512 writes 64-float steps of a row times f as three int8 slices of AMX-INT8 A tiles.")
	dp := Load(Param("dst"), GP64())
	xp := Load(Param("x"), GP64())
	n := Load(Param("steps"), GP64())
	st := Load(Param("stride"), GP64())
	fx := loadF32("f")
	f := ZMM()
	VBROADCASTSS(fx, f)
	Label("si8_loop")
	TESTQ(n, n)
	JZ(LabelRef("si8_done"))
	for q := 0; q < 4; q++ {
		x := ZMM()
		VMULPS(Mem{Base: xp, Disp: 64 * q}, f, x)
		for j := 0; j < 3; j++ {
			s := ZMM()
			VCVTPS2DQ(x, s) // round to nearest even (MXCSR default)
			VPMOVDB(s, Mem{Base: dp, Disp: j*1024 + 16*q})
			if j < 2 {
				sf := ZMM()
				VCVTDQ2PS(s, sf)
				VSUBPS(sf, x, x)              // exact: |x - s| <= 1/2 and s is x's rounding
				VMULPS_BCST(c("f_254"), x, x) // the next slice's units
			}
		}
	}
	ADDQ(U32(256), xp)
	ADDQ(st, dp)
	DECQ(n)
	JMP(LabelRef("si8_loop"))
	Label("si8_done")
	VZEROUPPER()
	RET()
}

// convI8 emits func convI8AVX512(c *float32, ldc int, part *int32, sa, sb *float32, rows int, add int):
// for rows r < rows of a 16x32 block, C[r][j] (+)= (G0 + (G1 + G2/254)/254) * sa[r] * sb[j],
// where Gg is the int32 sum of the slice products of weight 254^-g, held for column half h
// (16 columns) in the 16x16 tile at part + (3h+g)*1 KiB, row r at 64r bytes (the layout
// amxKernelI8 stores). With add != 0 the result is added to C's values.
func convI8() {
	TEXT("convI8AVX512", NOSPLIT, "func(c *float32, ldc int, part *int32, sa, sb *float32, rows int, add int)")
	Pragma("noescape")
	Doc("convI8AVX512 turns the int32 slice sums of a 16x32 AMX-INT8 block into float32 C rows.")
	cp := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	pp := Load(Param("part"), GP64())
	sa := Load(Param("sa"), GP64())
	sb := Load(Param("sb"), GP64())
	n := Load(Param("rows"), GP64())
	add := Load(Param("add"), GP64())
	b := [2]VecVirtual{ZMM(), ZMM()}
	VMOVUPS(Mem{Base: sb}, b[0])
	VMOVUPS(Mem{Base: sb, Disp: 64}, b[1])
	inv := ZMM()
	VBROADCASTSS(c("f_inv254"), inv)
	Label("ci8_loop")
	TESTQ(n, n)
	JZ(LabelRef("ci8_done"))
	w := ZMM()
	VBROADCASTSS(Mem{Base: sa}, w)
	for h := 0; h < 2; h++ {
		g := [3]VecVirtual{ZMM(), ZMM(), ZMM()}
		for j := range g {
			VCVTDQ2PS(Mem{Base: pp, Disp: (3*h + j) * 1024}, g[j])
		}
		VFMADD231PS(g[2], inv, g[1]) // G1 + G2/254
		VFMADD231PS(g[1], inv, g[0]) // G0 + (G1 + G2/254)/254
		s := ZMM()
		VMULPS(w, b[h], s)
		VMULPS(s, g[0], g[0])
		TESTQ(add, add)
		JZ(LabelRef(fmt.Sprintf("ci8_store%d", h)))
		VADDPS(Mem{Base: cp, Disp: 64 * h}, g[0], g[0])
		Label(fmt.Sprintf("ci8_store%d", h))
		VMOVUPS(g[0], Mem{Base: cp, Disp: 64 * h})
	}
	ADDQ(ldc, cp)
	ADDQ(U8(64), pp)
	ADDQ(U8(4), sa)
	DECQ(n)
	JMP(LabelRef("ci8_loop"))
	Label("ci8_done")
	VZEROUPPER()
	RET()
}
