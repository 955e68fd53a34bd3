// Command gen generates the AVX2+FMA kernels of package
// github.com/llmc/llmc/backend/cpu with avo. Run it through ../../gen.sh.
package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// ---------------------------------------------------------------------------
// Constants: each a 32-byte vector of 8 equal lanes in RODATA.

var consts = map[string]Mem{}

func defConst(name string, bits uint32) {
	m := GLOBL(name, RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(bits))
	}
	consts[name] = m
}

func defF(name string, v float64) { defConst(name, math.Float32bits(float32(v))) }

func c(name string) Mem {
	m, ok := consts[name]
	if !ok {
		panic("unknown constant " + name)
	}
	return m
}

func defineConsts() {
	defF("one", 1)
	defF("zero", 0)
	defConst("neginf", 0xff800000)
	defF("half", 0.5)
	defConst("absmask", 0x7fffffff)
	defConst("signmask", 0x80000000)
	defConst("i32_126", 126)
	defConst("i32_127", 127)
	defConst("i16_ones", 0x00010001)
	// exp (Cephes expf polynomial, Cody-Waite ln2 split)
	defF("exp_hi", 89.0)
	defF("exp_lo", -87.33654475)
	defF("exp_lo_np", -88.0)
	defF("log2e", 1.44269504088896341)
	defF("shifter", 12582912) // 1.5*2^23
	defF("ln2hi", 0.693359375)
	defF("ln2lo", -2.12194440e-4)
	defF("exp_p0", 1.9875691500e-4)
	defF("exp_p1", 1.3981999507e-3)
	defF("exp_p2", 8.3334519073e-3)
	defF("exp_p3", 4.1665795894e-2)
	defF("exp_p4", 1.6666665459e-1)
	defF("exp_p5", 5.0000001201e-1)
	// tanh: odd/even rational approximation (as in Eigen), clamped.
	defF("tanh_clamp", 7.90531110763549805)
	defF("tanh_tiny", 0.0004)
	for i, v := range []float64{4.89352455891786e-03, 6.37261928875436e-04, 1.48572235717979e-05,
		5.12229709037114e-08, -8.60467152213735e-11, 2.00018790482477e-13, -2.76076847742355e-16} {
		defF(fmt.Sprintf("tanh_a%d", 2*i+1), v)
	}
	for i, v := range []float64{4.89352518554385e-03, 2.26843463243900e-03, 1.18534705686654e-04,
		1.19825839466702e-06} {
		defF(fmt.Sprintf("tanh_b%d", 2*i), v)
	}
	// erf: odd/even rational approximation (as in Eigen), clamped to [-4, 4].
	defF("erf_clamp", 4.0)
	for i, v := range []float64{-1.60960333262415e-02, -2.95459980854025e-03, -7.34990630326855e-04,
		-5.69250639462346e-05, -2.10102402082508e-06, 2.77068142495902e-08, -2.72614225801306e-10} {
		defF(fmt.Sprintf("erf_a%d", 2*i+1), v)
	}
	for i, v := range []float64{-1.42647390514189e-02, -7.37332916720468e-03, -1.68282697438203e-03,
		-2.13374055278905e-04, -1.45660718464996e-05} {
		defF(fmt.Sprintf("erf_b%d", 2*i), v)
	}
	defF("rsqrt2", 0.70710678118654752440)
	defF("gelu_flush", -80.0)
	defConst("i32_1", 1)
	defConst("i32_7fff", 0x7fff)
	defConst("i32_expmask", 0x7f800000)
	defConst("i32_40", 0x40)
	defConst("i32_absmask", 0x7fffffff)
	defF("f_254", 254)
	defF("f_inv254", 1.0/254)
	defF("exp_hi_fin", 80.0)
	defF("gelu_big", 1e30)
	defF("gelu_big_neg", -1e30)
	defF("gelu_tanh_lo", -20)
	defF("gelu_c0m2", -2*0.7978845608028654)
	defF("gelu_c1m2", -2*0.7978845608028654*0.044715)
	for i, v := range []float64{-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
		0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277} {
		defF(fmt.Sprintf("erfc_c%d", i), v)
	}
}

// loadF32 loads a float32 argument with VMOVSS. (avo's Load emits the legacy
// SSE MOVSS, which is slow when the upper ymm halves are dirty, e.g. inside a
// loop.)
func loadF32(name string) VecVirtual {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	x := XMM()
	VMOVSS(b.Addr, x)
	return x
}

// ---------------------------------------------------------------------------
// Vector math bodies on virtual registers.

// vec is a group of independent ymm values processed together: every step
// of a body is emitted once per member, so the chains interleave in the
// instruction stream and the out-of-order core overlaps their latencies.
type vec []VecVirtual

func newVec(n int) vec {
	v := make(vec, n)
	for i := range v {
		v[i] = YMM()
	}
	return v
}

// load fills a new vec with the constant m.
func load(m Mem, n int) vec {
	v := newVec(n)
	for i := range v {
		VMOVUPS(m, v[i])
	}
	return v
}

// clamp returns min(max(x, lo), hi), propagating NaN from x.
func clamp(x vec, lo, hi Mem) vec {
	t := load(hi, len(x))
	for i := range x {
		VMINPS(x[i], t[i], t[i]) // t = min(hi, x): x if x is NaN
	}
	u := load(lo, len(x))
	for i := range x {
		VMAXPS(t[i], u[i], u[i]) // u = max(lo, t): t if t is NaN
	}
	return u
}

// horner evaluates coefs[0]*z^(n-1) + ... + coefs[n-1] (highest first).
func horner(z vec, coefs ...string) vec {
	p := load(c(coefs[0]), len(z))
	for _, k := range coefs[1:] {
		for i := range z {
			VFMADD213PS(c(k), z[i], p[i]) // p = z*p + k
		}
	}
	return p
}

// expBody: exp(x) = 2^n * e^r, n = round(x*log2e), r = x - n*ln2 (Cody-Waite
// split), e^r = 1 + r + r^2*P(r) with Cephes' degree-5 P. The rounding uses
// the 1.5*2^23 shifter, whose low mantissa bits then hold n directly.
func expBody(x vec) vec { return expBodyOpt(x, false) }

// expBodyOpt with nonPos set assumes x <= 0 (softmax after subtracting the row
// max): no upper clamp, and the scale is formed as 2^n directly (n >= -127;
// n = -127 gives exactly 0, so masked -Inf entries become exact zeros).
func expBodyOpt(x vec, nonPos bool) vec {
	var t vec
	if nonPos {
		t = load(c("exp_lo_np"), len(x))
		for i := range x {
			VMAXPS(x[i], t[i], t[i]) // max(lo, x): x if NaN
		}
	} else {
		t = clamp(x, c("exp_lo"), c("exp_hi"))
	}
	fx := load(c("log2e"), len(x))
	for i := range x {
		VFMADD213PS(c("shifter"), t[i], fx[i]) // x*log2e + 1.5*2^23: rounds to nearest
	}
	nf := newVec(len(x))
	for i := range x {
		VSUBPS(c("shifter"), fx[i], nf[i]) // n as float
	}
	for i := range x {
		VFNMADD231PS(c("ln2hi"), nf[i], t[i])
	}
	for i := range x {
		VFNMADD231PS(c("ln2lo"), nf[i], t[i]) // t = x - n*ln2
	}
	p := horner(t, "exp_p0", "exp_p1", "exp_p2", "exp_p3", "exp_p4", "exp_p5")
	for i := range x {
		VMULPS(t[i], t[i], nf[i]) // r^2
	}
	for i := range x {
		VFMADD213PS(t[i], nf[i], p[i]) // p = r2*p + r
	}
	bias := c("i32_126")
	if nonPos {
		bias = c("i32_127")
	}
	for i := range x {
		VADDPS(c("one"), p[i], p[i])
		VPADDD(bias, fx[i], fx[i])   // low bits of fx hold n
		VPSLLD(U8(23), fx[i], fx[i]) // 2^(n-1), or 2^n if nonPos
	}
	for i := range x {
		VMULPS(fx[i], p[i], p[i])
		if !nonPos {
			VADDPS(p[i], p[i], p[i]) // * 2
		}
	}
	return p
}

// rational computes x*P(x^2)/Q(x^2) on x clamped to +-clamp.
func rational(x vec, clampName string, a, b []string) vec {
	t := load(c(clampName), len(x))
	lo := newVec(len(x))
	for i := range x {
		VMINPS(x[i], t[i], t[i])
		VXORPS(lo[i], lo[i], lo[i])
		VSUBPS(c(clampName), lo[i], lo[i]) // -clamp
		VMAXPS(t[i], lo[i], lo[i])
	}
	xc := lo
	x2 := newVec(len(x))
	for i := range x {
		VMULPS(xc[i], xc[i], x2[i])
	}
	p := horner(x2, a...)
	for i := range x {
		VMULPS(xc[i], p[i], p[i])
	}
	q := horner(x2, b...)
	for i := range x {
		VDIVPS(q[i], p[i], p[i])
	}
	return p
}

func tanhBody(x vec) vec {
	r := rational(x, "tanh_clamp",
		[]string{"tanh_a13", "tanh_a11", "tanh_a9", "tanh_a7", "tanh_a5", "tanh_a3", "tanh_a1"},
		[]string{"tanh_b6", "tanh_b4", "tanh_b2", "tanh_b0"})
	ax := newVec(len(x))
	for i := range x {
		VANDPS(c("absmask"), x[i], ax[i])
		VCMPPS(U8(1), c("tanh_tiny"), ax[i], ax[i]) // |x| < tiny
		VBLENDVPS(ax[i], x[i], r[i], r[i])          // tiny ? x : r
	}
	return r
}

// erfcAbs returns (erfc(|x|*s), |x|*s) with the Numerical Recipes erfcc fit
// (fractional error < 1.2e-7): erfc(z) = t*exp(-z^2 + P(t)), t = 1/(1+z/2).
// s is 1, or 1/sqrt2 when half is true (then z^2 = x^2/2 is formed exactly
// inside an FMA from the unrounded |x|).
func erfcAbs(x vec, half bool) (vec, vec) {
	ax := newVec(len(x))
	for i := range x {
		VANDPS(c("absmask"), x[i], ax[i])
	}
	z := ax
	if half {
		z = newVec(len(x))
		for i := range x {
			VMULPS(c("rsqrt2"), ax[i], z[i])
		}
	}
	t := load(c("half"), len(x))
	one := load(c("one"), len(x))
	for i := range x {
		VFMADD213PS(c("one"), z[i], t[i]) // 1 + 0.5z
		VDIVPS(t[i], one[i], t[i])        // t = 1/(1+0.5z)
	}
	names := make([]string, 10)
	for i := range names {
		names[i] = fmt.Sprintf("erfc_c%d", 9-i)
	}
	p := horner(t, names...)
	for i := range x {
		if half {
			VMULPS(c("half"), ax[i], one[i])
			VFNMADD231PS(ax[i], one[i], p[i]) // p -= 0.5*x*x
		} else {
			VFNMADD231PS(z[i], z[i], p[i]) // p -= z*z
		}
	}
	e := expBody(p)
	for i := range x {
		VMULPS(t[i], e[i], e[i])
	}
	return e, z
}

// erfBody: rational x*P(x^2)/Q(x^2) (as in Eigen) for |x| < 1,
// sign(x)*(1-erfc(|x|)) above, where the rational fit loses a few ulp.
func erfBody(x vec) vec {
	r := rational(x, "erf_clamp",
		[]string{"erf_a13", "erf_a11", "erf_a9", "erf_a7", "erf_a5", "erf_a3", "erf_a1"},
		[]string{"erf_b8", "erf_b6", "erf_b4", "erf_b2", "erf_b0"})
	e, z := erfcAbs(x, false)
	big := load(c("one"), len(x))
	for i := range x {
		VSUBPS(e[i], big[i], big[i]) // 1 - erfc(|x|)
		VANDPS(c("signmask"), x[i], e[i])
		VORPS(e[i], big[i], big[i])
		VCMPPS(U8(13), c("one"), z[i], z[i]) // |x| >= 1 (GE_OS)
		VBLENDVPS(z[i], big[i], r[i], r[i])
	}
	return r
}

// geluBody computes 0.5*x*erfc(-x/sqrt2) without cancellation for x < 0:
// with e = erfc(|x|/sqrt2), gelu = x<0 ? 0.5*x*e : x - 0.5*x*e. It runs on x
// clamped to +-1e30 (NaN kept) so that gelu(+-Inf) = +Inf, -0.
func geluBody(x vec) vec {
	xc := clamp(x, c("gelu_big_neg"), c("gelu_big"))
	e, _ := erfcAbs(xc, true)
	r := newVec(len(x))
	for i := range x {
		VMULPS(xc[i], e[i], e[i])
		VMULPS(c("half"), e[i], e[i]) // h = 0.5*x*erfc(|x|/sqrt2)
		VSUBPS(e[i], x[i], r[i])      // x - h
		VBLENDVPS(x[i], e[i], r[i], r[i])
	}
	return r
}

// geluTanhBody computes 0.5*x*(1+tanh(u)) as x/(1+exp(-2u)), which has no
// cancellation for negative x. u = sqrt(2/pi)*(x+0.044715x^3), on x clamped
// below at -20 (NaN kept) so that gelu(-Inf) = -0.
func geluTanhBody(x vec) vec {
	lo := load(c("gelu_tanh_lo"), len(x))
	for i := range x {
		VMAXPS(x[i], lo[i], lo[i]) // max(lo, x): x if NaN
	}
	x = lo
	u := load(c("gelu_c1m2"), len(x))
	x2 := newVec(len(x))
	for i := range x {
		VMULPS(x[i], x[i], x2[i])
		VFMADD213PS(c("gelu_c0m2"), x2[i], u[i]) // -2*(c0 + c1*x^2)
		VMULPS(x[i], u[i], u[i])                 // -2u
	}
	e := expBody(u)
	r := newVec(len(x))
	for i := range x {
		VADDPS(c("one"), e[i], e[i])
		VDIVPS(e[i], x[i], r[i])
	}
	return r
}

// unary emits func name(dst, src *float32, n int), n a multiple of 8: a loop
// over groups of 8*unroll floats, then single vectors.
func unary(name string, unroll int, body func(vec) vec) {
	TEXT(name, NOSPLIT, "func(dst, src *float32, n int)")
	Pragma("noescape")
	Doc(name + " applies the vector function to n (a multiple of 8) floats.")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := Load(Param("n"), GP64())
	Label(name + "_loopU")
	CMPQ(n, U32(8*unroll))
	JL(LabelRef(name + "_loop1"))
	x := newVec(unroll)
	for i := range x {
		VMOVUPS(Mem{Base: src, Disp: 32 * i}, x[i])
	}
	y := body(x)
	for i := range y {
		VMOVUPS(y[i], Mem{Base: dst, Disp: 32 * i})
	}
	ADDQ(U32(32*unroll), src)
	ADDQ(U32(32*unroll), dst)
	SUBQ(U32(8*unroll), n)
	JMP(LabelRef(name + "_loopU"))
	Label(name + "_loop1")
	CMPQ(n, U8(8))
	JL(LabelRef(name + "_done"))
	x1 := newVec(1)
	VMOVUPS(Mem{Base: src}, x1[0])
	y1 := body(x1)
	VMOVUPS(y1[0], Mem{Base: dst})
	ADDQ(U8(32), src)
	ADDQ(U8(32), dst)
	SUBQ(U8(8), n)
	JMP(LabelRef(name + "_loop1"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// binary emits func name(dst, a, b *float32, n int), n a multiple of 8,
// unrolled by 4 vectors.
func binary(name string, op func(b Op, a, dst VecVirtual)) {
	TEXT(name, NOSPLIT, "func(dst, a, b *float32, n int)")
	Pragma("noescape")
	Doc(name + " is an elementwise binary op over n (a multiple of 8) floats.")
	dst := Load(Param("dst"), GP64())
	a := Load(Param("a"), GP64())
	b := Load(Param("b"), GP64())
	n := Load(Param("n"), GP64())
	Label(name + "_loop4")
	CMPQ(n, U8(32))
	JL(LabelRef(name + "_loop1"))
	var vs [4]VecVirtual
	for u := 0; u < 4; u++ {
		vs[u] = YMM()
		VMOVUPS(Mem{Base: a, Disp: 32 * u}, vs[u])
		op(Mem{Base: b, Disp: 32 * u}, vs[u], vs[u])
	}
	for u := 0; u < 4; u++ {
		VMOVUPS(vs[u], Mem{Base: dst, Disp: 32 * u})
	}
	ADDQ(U8(128), a)
	ADDQ(U8(128), b)
	ADDQ(U8(128), dst)
	SUBQ(U8(32), n)
	JMP(LabelRef(name + "_loop4"))
	Label(name + "_loop1")
	CMPQ(n, U8(8))
	JL(LabelRef(name + "_done"))
	v := YMM()
	VMOVUPS(Mem{Base: a}, v)
	op(Mem{Base: b}, v, v)
	VMOVUPS(v, Mem{Base: dst})
	ADDQ(U8(32), a)
	ADDQ(U8(32), b)
	ADDQ(U8(32), dst)
	SUBQ(U8(8), n)
	JMP(LabelRef(name + "_loop1"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

func scalarOp(name string, op func(s, a, dst VecVirtual)) {
	TEXT(name, NOSPLIT, "func(dst, a *float32, n int, s float32)")
	Pragma("noescape")
	Doc(name + " applies a scalar op to n (a multiple of 8) floats.")
	dst := Load(Param("dst"), GP64())
	a := Load(Param("a"), GP64())
	n := Load(Param("n"), GP64())
	sx := loadF32("s")
	s := YMM()
	VBROADCASTSS(sx, s)
	Label(name + "_loop4")
	CMPQ(n, U8(32))
	JL(LabelRef(name + "_loop1"))
	var vs [4]VecVirtual
	for u := 0; u < 4; u++ {
		vs[u] = YMM()
		VMOVUPS(Mem{Base: a, Disp: 32 * u}, vs[u])
		op(s, vs[u], vs[u])
	}
	for u := 0; u < 4; u++ {
		VMOVUPS(vs[u], Mem{Base: dst, Disp: 32 * u})
	}
	ADDQ(U8(128), a)
	ADDQ(U8(128), dst)
	SUBQ(U8(32), n)
	JMP(LabelRef(name + "_loop4"))
	Label(name + "_loop1")
	CMPQ(n, U8(8))
	JL(LabelRef(name + "_done"))
	v := YMM()
	VMOVUPS(Mem{Base: a}, v)
	op(s, v, v)
	VMOVUPS(v, Mem{Base: dst})
	ADDQ(U8(32), a)
	ADDQ(U8(32), dst)
	SUBQ(U8(8), n)
	JMP(LabelRef(name + "_loop1"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// hsum reduces the 8 lanes of y into the low lane of an xmm register.
func hsum(y VecVirtual, add func(a, b, dst Op)) VecVirtual {
	hi := XMM()
	VEXTRACTF128(U8(1), y, hi)
	lo := y.AsX()
	add(hi, lo, lo)
	t := XMM()
	VMOVHLPS(lo, lo, t)
	add(t, lo, lo)
	VPSHUFD(U8(1), lo, t)
	add(t, lo, lo)
	return lo.(VecVirtual)
}

// reduce emits a reduction func name(x *float32, n int, [extra]) float32 with 4
// accumulators. step(v, acc) folds vector v into acc; combine(a,b,dst).
// post (may be nil) adjusts the reduced value (lane 0 of r) before it is returned.
func reduce(name, sig string, init Mem, pre func(), load func(m Mem, acc VecVirtual), combine func(a, b, dst Op), post func(r VecVirtual)) {
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(name + " reduces n (a multiple of 8) floats.")
	x := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	if pre != nil {
		pre()
	}
	var acc [4]VecVirtual
	for u := range acc {
		acc[u] = YMM()
		VMOVUPS(init, acc[u])
	}
	Label(name + "_loop4")
	CMPQ(n, U8(32))
	JL(LabelRef(name + "_loop1"))
	for u := 0; u < 4; u++ {
		load(Mem{Base: x, Disp: 32 * u}, acc[u])
	}
	ADDQ(U8(128), x)
	SUBQ(U8(32), n)
	JMP(LabelRef(name + "_loop4"))
	Label(name + "_loop1")
	CMPQ(n, U8(8))
	JL(LabelRef(name + "_done"))
	load(Mem{Base: x}, acc[0])
	ADDQ(U8(32), x)
	SUBQ(U8(8), n)
	JMP(LabelRef(name + "_loop1"))
	Label(name + "_done")
	combine(acc[1], acc[0], acc[0])
	combine(acc[3], acc[2], acc[2])
	combine(acc[2], acc[0], acc[0])
	r := hsum(acc[0], combine)
	if post != nil {
		post(r)
	}
	VZEROUPPER()
	Store(r, ReturnIndex(0))
	RET()
}

func vaddps(a, b, dst Op) { VADDPS(a, b, dst) }
func vmaxps(a, b, dst Op) { VMAXPS(a, b, dst) }
func vorps(a, b, dst Op)  { VORPS(a, b, dst) }

// ---------------------------------------------------------------------------

func peakFMA() {
	TEXT("peakFMA", NOSPLIT, "func(n int)")
	Doc("peakFMA runs n iterations of 12 independent VFMADD231PS (192 FLOP each).")
	n := Load(Param("n"), GP64())
	for i := 0; i < 12; i++ {
		VXORPS(Y(i), Y(i), Y(i))
	}
	VXORPS(Y12, Y12, Y12)
	VXORPS(Y13, Y13, Y13)
	Label("peak_loop")
	for i := 0; i < 12; i++ {
		VFMADD231PS(Y12, Y13, Y(i))
	}
	DECQ(n)
	JNZ(LabelRef("peak_loop"))
	VZEROUPPER()
	RET()
}

// peakFMA512 is peakFMA with 24 independent zmm FMAs (768 FLOP per iteration): the AVX-512
// FP32 peak of one core.
// prefetchRange emits func prefetchRange(p *float32, n int): PREFETCHT0 of
// every cache line of the n floats at p (for B panels the GEMM needs next when
// too few row tiles are left to spread the prefetches over).
func prefetchRange() {
	TEXT("prefetchRange", NOSPLIT, "func(p *float32, n int)")
	Pragma("noescape")
	Doc("prefetchRange prefetches (PREFETCHT0) the cache lines of the n floats at p.")
	p := Load(Param("p"), GP64())
	n := Load(Param("n"), GP64())
	SHLQ(U8(2), n)
	ADDQ(p, n)
	Label("prefetch_loop")
	CMPQ(p, n)
	JAE(LabelRef("prefetch_done"))
	PREFETCHT0(Mem{Base: p})
	ADDQ(U8(64), p)
	JMP(LabelRef("prefetch_loop"))
	Label("prefetch_done")
	RET()
}

func peakFMA512() {
	TEXT("peakFMA512", NOSPLIT, "func(n int)")
	Doc("peakFMA512 runs n iterations of 24 independent 512-bit VFMADD231PS (768 FLOP each).")
	n := Load(Param("n"), GP64())
	for i := 0; i < 26; i++ {
		VXORPS(Z(i), Z(i), Z(i))
	}
	Label("peak512_loop")
	for i := 0; i < 24; i++ {
		VFMADD231PS(Z24, Z25, Z(i))
	}
	DECQ(n)
	JNZ(LabelRef("peak512_loop"))
	VZEROUPPER()
	RET()
}

// Y returns physical ymm register i.
func Y(i int) VecPhysical {
	return []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}[i]
}

// Z returns zmm register i.
func Z(i int) VecPhysical {
	return []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}[i]
}

func sgemmKernel() {
	TEXT("sgemmKernel6x16", NOSPLIT, "func(k int, a, b, c *float32, ldc int, acc int, pf *float32)")
	Pragma("noescape")
	Doc("sgemmKernel6x16 computes a 6x16 tile c (row stride ldc) from packed panels:",
		"c[i][j] (+)= sum_p a[p*6+i]*b[p*16+j]; accumulate into c if acc != 0.",
		"pf is streamed into L2 (one line per 4 k steps): the driver points it at the",
		"next B micro-panel so that it arrives from L3 while this one is in use.")
	k := Load(Param("k"), GP64())
	a := Load(Param("a"), GP64())
	b := Load(Param("b"), GP64())
	pf := Load(Param("pf"), GP64())
	for i := 0; i < 12; i++ {
		VXORPS(Y(i), Y(i), Y(i))
	}
	step := func(u int) {
		VMOVUPS(Mem{Base: b, Disp: 64 * u}, Y12)
		VMOVUPS(Mem{Base: b, Disp: 64*u + 32}, Y13)
		for i := 0; i < 6; i++ {
			br := Y14
			if i%2 == 1 {
				br = Y15
			}
			VBROADCASTSS(Mem{Base: a, Disp: 24*u + 4*i}, br)
			VFMADD231PS(Y12, br, Y(2*i))
			VFMADD231PS(Y13, br, Y(2*i+1))
		}
	}
	Label("k6x16_loop4")
	CMPQ(k, U8(4))
	JL(LabelRef("k6x16_loop1"))
	PREFETCHT0(Mem{Base: a, Disp: 384})
	step(0)
	step(1)
	PREFETCHT0(Mem{Base: b, Disp: 1024})
	PREFETCHT1(Mem{Base: pf})
	step(2)
	step(3)
	ADDQ(U8(96), a)
	ADDQ(U32(256), b)
	ADDQ(U8(64), pf)
	SUBQ(U8(4), k)
	JMP(LabelRef("k6x16_loop4"))
	Label("k6x16_loop1")
	TESTQ(k, k)
	JZ(LabelRef("k6x16_store"))
	step(0)
	ADDQ(U8(24), a)
	ADDQ(U8(64), b)
	DECQ(k)
	JMP(LabelRef("k6x16_loop1"))

	Label("k6x16_store")
	cp := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	flag := Load(Param("acc"), GP64())
	TESTQ(flag, flag)
	JZ(LabelRef("k6x16_overwrite"))
	for i := 0; i < 6; i++ {
		VADDPS(Mem{Base: cp}, Y(2*i), Y(2*i))
		VADDPS(Mem{Base: cp, Disp: 32}, Y(2*i+1), Y(2*i+1))
		VMOVUPS(Y(2*i), Mem{Base: cp})
		VMOVUPS(Y(2*i+1), Mem{Base: cp, Disp: 32})
		if i < 5 {
			ADDQ(ldc, cp)
		}
	}
	VZEROUPPER()
	RET()
	Label("k6x16_overwrite")
	for i := 0; i < 6; i++ {
		VMOVUPS(Y(2*i), Mem{Base: cp})
		VMOVUPS(Y(2*i+1), Mem{Base: cp, Disp: 32})
		if i < 5 {
			ADDQ(ldc, cp)
		}
	}
	VZEROUPPER()
	RET()
}

// sgemmKernel512 generates the AVX-512 micro-kernels: a rows x 32 tile (rows even, 2..12)
// from packed 6-row A micro-panels (a0 for rows 0-5, a1 for rows 6-11) and two 16-column B
// panels (the same packed layouts the 6x16 kernel reads), with 2*rows zmm accumulators.
func sgemmKernel512(rows int) {
	name := fmt.Sprintf("sgemmKernel%dx32", rows)
	TEXT(name, NOSPLIT, "func(k int, a0, a1, b0, b1, c *float32, ldc int, acc int, pf *float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes a %dx32 tile c (row stride ldc) with AVX-512:", name, rows),
		"c[i][j] (+)= sum_p A[i][p]*B[p][j], A rows from packed 6-row micro-panels (a0 for",
		"rows 0-5 and a1 for rows 6-11: a0[p*6+i]), columns 0-15 from the packed panel b0",
		"(b0[p*16+j]) and 16-31 from b1; accumulate into c if acc != 0. Two cache lines of pf",
		"are prefetched every 4 k steps: the driver points it at the next B panels.")
	k := Load(Param("k"), GP64())
	as := []Register{Load(Param("a0"), GP64())}
	if rows > 6 {
		as = append(as, Load(Param("a1"), GP64()))
	}
	b0 := Load(Param("b0"), GP64())
	b1 := Load(Param("b1"), GP64())
	pf := Load(Param("pf"), GP64())
	for i := 0; i < 2*rows; i++ {
		VXORPS(Z(i), Z(i), Z(i))
	}
	step := func(u int) {
		VMOVUPS(Mem{Base: b0, Disp: 64 * u}, Z24)
		VMOVUPS(Mem{Base: b1, Disp: 64 * u}, Z25)
		for i := 0; i < rows; i++ {
			br := Z26
			if i%2 == 1 {
				br = Z27
			}
			VBROADCASTSS(Mem{Base: as[i/6], Disp: 24*u + 4*(i%6)}, br)
			VFMADD231PS(Z24, br, Z(2*i))
			VFMADD231PS(Z25, br, Z(2*i+1))
		}
	}
	loop4, loop1, store, overwrite := name+"_loop4", name+"_loop1", name+"_store", name+"_overwrite"
	advance := func(steps int) {
		for _, a := range as {
			ADDQ(U32(24*steps), a)
		}
		ADDQ(U32(64*steps), b0)
		ADDQ(U32(64*steps), b1)
	}
	Label(loop4)
	CMPQ(k, U8(4))
	JL(LabelRef(loop1))
	for _, a := range as {
		PREFETCHT0(Mem{Base: a, Disp: 384})
	}
	step(0)
	step(1)
	PREFETCHT0(Mem{Base: b0, Disp: 1024})
	PREFETCHT0(Mem{Base: b1, Disp: 1024})
	step(2)
	PREFETCHT0(Mem{Base: pf})
	PREFETCHT0(Mem{Base: pf, Disp: 64})
	step(3)
	advance(4)
	ADDQ(U8(128), pf)
	SUBQ(U8(4), k)
	JMP(LabelRef(loop4))
	Label(loop1)
	TESTQ(k, k)
	JZ(LabelRef(store))
	step(0)
	advance(1)
	DECQ(k)
	JMP(LabelRef(loop1))

	Label(store)
	cp := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	flag := Load(Param("acc"), GP64())
	TESTQ(flag, flag)
	JZ(LabelRef(overwrite))
	for i := 0; i < rows; i++ {
		VADDPS(Mem{Base: cp}, Z(2*i), Z(2*i))
		VADDPS(Mem{Base: cp, Disp: 64}, Z(2*i+1), Z(2*i+1))
		VMOVUPS(Z(2*i), Mem{Base: cp})
		VMOVUPS(Z(2*i+1), Mem{Base: cp, Disp: 64})
		if i < rows-1 {
			ADDQ(ldc, cp)
		}
	}
	VZEROUPPER()
	RET()
	Label(overwrite)
	for i := 0; i < rows; i++ {
		VMOVUPS(Z(2*i), Mem{Base: cp})
		VMOVUPS(Z(2*i+1), Mem{Base: cp, Disp: 64})
		if i < rows-1 {
			ADDQ(ldc, cp)
		}
	}
	VZEROUPPER()
	RET()
}

func i8Kernel() {
	TEXT("i8Kernel4x16", NOSPLIT, "func(k4 int, a *uint8, b *int8, c *int32, ldc int)")
	Pragma("noescape")
	Doc("i8Kernel4x16 computes a 4x16 int32 tile from packed u8 (A) and s8 (B) panels,",
		"K consumed in groups of 4. A must be <= 127 so VPMADDUBSW cannot saturate.")
	k := Load(Param("k4"), GP64())
	a := Load(Param("a"), GP64())
	b := Load(Param("b"), GP64())
	for i := 0; i < 8; i++ {
		VPXOR(Y(i), Y(i), Y(i))
	}
	VMOVDQU(c("i16_ones"), Y8)
	TESTQ(k, k)
	JZ(LabelRef("i8_store"))
	Label("i8_loop")
	VMOVDQU(Mem{Base: b}, Y9)
	VMOVDQU(Mem{Base: b, Disp: 32}, Y10)
	for i := 0; i < 4; i++ {
		VPBROADCASTD(Mem{Base: a, Disp: 4 * i}, Y11)
		VPMADDUBSW(Y9, Y11, Y12)
		VPMADDUBSW(Y10, Y11, Y13)
		VPMADDWD(Y8, Y12, Y12)
		VPMADDWD(Y8, Y13, Y13)
		VPADDD(Y12, Y(2*i), Y(2*i))
		VPADDD(Y13, Y(2*i+1), Y(2*i+1))
	}
	ADDQ(U8(16), a)
	ADDQ(U8(64), b)
	DECQ(k)
	JNZ(LabelRef("i8_loop"))
	Label("i8_store")
	cp := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	for i := 0; i < 4; i++ {
		VMOVDQU(Y(2*i), Mem{Base: cp})
		VMOVDQU(Y(2*i+1), Mem{Base: cp, Disp: 32})
		if i < 3 {
			ADDQ(ldc, cp)
		}
	}
	VZEROUPPER()
	RET()
}

func main() {
	defineConsts()
	peakFMA()
	peakFMA512()
	prefetchRange()
	sgemmKernel()
	for rows := 12; rows >= 2; rows -= 2 {
		sgemmKernel512(rows)
	}
	i8Kernel()

	unary("expAVX2", 3, expBody)
	unary("tanhAVX2", 2, tanhBody)
	unary("erfAVX2", 2, erfBody)
	unary("geluAVX2", 2, geluBody)
	unary("geluTanhAVX2", 3, geluTanhBody)
	avx512Math()

	binary("addAVX2", func(b Op, a, d VecVirtual) { VADDPS(b, a, d) })
	binary("subAVX2", func(b Op, a, d VecVirtual) { VSUBPS(b, a, d) })
	binary("mulAVX2", func(b Op, a, d VecVirtual) { VMULPS(b, a, d) })
	binary("divAVX2", func(b Op, a, d VecVirtual) { VDIVPS(b, a, d) })
	scalarOp("addScalarAVX2", func(s, a, d VecVirtual) { VADDPS(s, a, d) })
	scalarOp("mulScalarAVX2", func(s, a, d VecVirtual) { VMULPS(s, a, d) })

	// add3: dst = a + b + c.
	{
		TEXT("add3AVX2", NOSPLIT, "func(dst, a, b, c *float32, n int)")
		Pragma("noescape")
		Pragma("noescape")
		Doc("add3AVX2 sets dst = a + b + c over n (a multiple of 8) floats.")
		dst := Load(Param("dst"), GP64())
		a := Load(Param("a"), GP64())
		b := Load(Param("b"), GP64())
		cc := Load(Param("c"), GP64())
		n := Load(Param("n"), GP64())
		SHRQ(U8(3), n)
		JZ(LabelRef("add3_done"))
		Label("add3_loop")
		v := YMM()
		VMOVUPS(Mem{Base: a}, v)
		VADDPS(Mem{Base: b}, v, v)
		VADDPS(Mem{Base: cc}, v, v)
		VMOVUPS(v, Mem{Base: dst})
		ADDQ(U8(32), a)
		ADDQ(U8(32), b)
		ADDQ(U8(32), cc)
		ADDQ(U8(32), dst)
		DECQ(n)
		JNZ(LabelRef("add3_loop"))
		Label("add3_done")
		VZEROUPPER()
		RET()
	}

	reduce("sumAVX2", "func(x *float32, n int) float32", c("zero"), nil,
		func(m Mem, acc VecVirtual) { VADDPS(m, acc, acc) }, vaddps, nil)
	{
		// VMAXPS returns its second source when either is NaN, so a NaN is lost
		// once a later number meets it: unordered lanes are OR-ed apart and an
		// all-ones (NaN) result lane is forced when any was seen.
		var nan VecVirtual
		reduce("maxAVX2", "func(x *float32, n int) float32", c("neginf"),
			func() {
				nan = YMM()
				VXORPS(nan, nan, nan)
			},
			func(m Mem, acc VecVirtual) {
				t, u := YMM(), YMM()
				VMOVUPS(m, t)
				VCMPPS(U8(3), t, t, u) // UNORD_Q: NaN lanes
				VORPS(u, nan, nan)
				VMAXPS(t, acc, acc)
			}, vmaxps,
			func(r VecVirtual) { VORPS(hsum(nan, vorps), r, r) })
	}
	{
		var mean VecVirtual
		reduce("sumSqAVX2", "func(x *float32, n int, mean float32) float32", c("zero"),
			func() {
				mx := loadF32("mean")
				mean = YMM()
				VBROADCASTSS(mx, mean)
			},
			func(m Mem, acc VecVirtual) {
				d := YMM()
				VMOVUPS(m, d)
				VSUBPS(mean, d, d)
				VFMADD231PS(d, d, acc)
			}, vaddps, nil)
	}

	// expSub: dst = exp(x - m), returns the sum; 3 vectors per iteration.
	{
		const U = 3
		TEXT("expSubAVX2", NOSPLIT, "func(dst, x *float32, n int, m float32) float32")
		Pragma("noescape")
		Doc("expSubAVX2 sets dst = exp(x - m) over n (a multiple of 8) floats and returns the sum.")
		dst := Load(Param("dst"), GP64())
		x := Load(Param("x"), GP64())
		n := Load(Param("n"), GP64())
		mx := loadF32("m")
		m := YMM()
		VBROADCASTSS(mx, m)
		acc := newVec(U)
		for i := range acc {
			VXORPS(acc[i], acc[i], acc[i])
		}
		Label("expsub_loopU")
		CMPQ(n, U8(8*U))
		JL(LabelRef("expsub_loop1"))
		v := newVec(U)
		for i := range v {
			VMOVUPS(Mem{Base: x, Disp: 32 * i}, v[i])
			VSUBPS(m, v[i], v[i])
		}
		e := expBodyOpt(v, true)
		for i := range e {
			VMOVUPS(e[i], Mem{Base: dst, Disp: 32 * i})
			VADDPS(e[i], acc[i], acc[i])
		}
		ADDQ(U8(32*U), x)
		ADDQ(U8(32*U), dst)
		SUBQ(U8(8*U), n)
		JMP(LabelRef("expsub_loopU"))
		Label("expsub_loop1")
		CMPQ(n, U8(8))
		JL(LabelRef("expsub_done"))
		v1 := YMM()
		VMOVUPS(Mem{Base: x}, v1)
		VSUBPS(m, v1, v1)
		e1 := expBodyOpt(vec{v1}, true)[0]
		VMOVUPS(e1, Mem{Base: dst})
		VADDPS(e1, acc[0], acc[0])
		ADDQ(U8(32), x)
		ADDQ(U8(32), dst)
		SUBQ(U8(8), n)
		JMP(LabelRef("expsub_loop1"))
		Label("expsub_done")
		VADDPS(acc[1], acc[0], acc[0])
		VADDPS(acc[2], acc[0], acc[0])
		r := hsum(acc[0], vaddps)
		VZEROUPPER()
		Store(r, ReturnIndex(0))
		RET()
	}

	// normAffine: dst = (x-mean)*rstd*gamma + beta, as fma(fma(x, rstd,
	// -mean*rstd), gamma, beta); 2 vectors per iteration.
	{
		TEXT("normAffineAVX2", NOSPLIT, "func(dst, x, gamma, beta *float32, n int, mean, rstd float32)")
		Pragma("noescape")
		Doc("normAffineAVX2 sets dst = (x-mean)*rstd*gamma + beta over n (a multiple of 8) floats.")
		dst := Load(Param("dst"), GP64())
		x := Load(Param("x"), GP64())
		g := Load(Param("gamma"), GP64())
		bt := Load(Param("beta"), GP64())
		n := Load(Param("n"), GP64())
		meanx := loadF32("mean")
		rstdx := loadF32("rstd")
		shift, rstd := YMM(), YMM()
		VBROADCASTSS(meanx, shift)
		VBROADCASTSS(rstdx, rstd)
		VMULPS(rstd, shift, shift)
		zero := YMM()
		VXORPS(zero, zero, zero)
		VSUBPS(shift, zero, shift) // -mean*rstd
		for _, u := range []int{2, 1} {
			lbl := fmt.Sprintf("norm_loop%d", u)
			next := "norm_done"
			if u == 2 {
				next = "norm_loop1"
			}
			Label(lbl)
			CMPQ(n, U8(8*u))
			JL(LabelRef(next))
			v := newVec(u)
			for i := range v {
				VMOVUPS(shift, v[i])
				VFMADD231PS(Mem{Base: x, Disp: 32 * i}, rstd, v[i]) // x*rstd - mean*rstd
				VMULPS(Mem{Base: g, Disp: 32 * i}, v[i], v[i])
				VADDPS(Mem{Base: bt, Disp: 32 * i}, v[i], v[i])
				VMOVUPS(v[i], Mem{Base: dst, Disp: 32 * i})
			}
			for _, r := range []Register{x, g, bt, dst} {
				ADDQ(U8(32*u), r)
			}
			SUBQ(U8(8*u), n)
			JMP(LabelRef(lbl))
		}
		Label("norm_done")
		VZEROUPPER()
		RET()
	}

	// moments: s = sum(x-k), s2 = sum((x-k)^2), 4x2 accumulators.
	{
		TEXT("momentsAVX2", NOSPLIT, "func(x *float32, n int, k float32) (s, s2 float32)")
		Pragma("noescape")
		Doc("momentsAVX2 returns sum(x-k) and sum((x-k)^2) over n (a multiple of 8) floats.")
		x := Load(Param("x"), GP64())
		n := Load(Param("n"), GP64())
		kx := loadF32("k")
		k := YMM()
		VBROADCASTSS(kx, k)
		s, s2 := newVec(4), newVec(4)
		for i := 0; i < 4; i++ {
			VXORPS(s[i], s[i], s[i])
			VXORPS(s2[i], s2[i], s2[i])
		}
		for _, u := range []int{4, 1} {
			lbl := fmt.Sprintf("mom_loop%d", u)
			next := "mom_done"
			if u == 4 {
				next = "mom_loop1"
			}
			Label(lbl)
			CMPQ(n, U8(8*u))
			JL(LabelRef(next))
			d := newVec(u)
			for i := range d {
				VMOVUPS(Mem{Base: x, Disp: 32 * i}, d[i])
				VSUBPS(k, d[i], d[i])
				VADDPS(d[i], s[i], s[i])
				VFMADD231PS(d[i], d[i], s2[i])
			}
			ADDQ(U8(32*u), x)
			SUBQ(U8(8*u), n)
			JMP(LabelRef(lbl))
		}
		Label("mom_done")
		VADDPS(s[1], s[0], s[0])
		VADDPS(s2[1], s2[0], s2[0])
		VADDPS(s[3], s[2], s[2])
		VADDPS(s2[3], s2[2], s2[2])
		VADDPS(s[2], s[0], s[0])
		VADDPS(s2[2], s2[0], s2[0])
		r := hsum(s[0], vaddps)
		r2 := hsum(s2[0], vaddps)
		VZEROUPPER()
		Store(r, ReturnIndex(0))
		Store(r2, ReturnIndex(1))
		RET()
	}

	packA6()
	packBT16()
	epilogueTile()
	softmax()
	layerNorm()

	Generate()
}

// momLoop emits the moments loop (4 vectors per step, then single vectors)
// over cnt floats: t = load(slot, disp); d = t - k; s += d; s2 += d*d. All
// ptrs advance by the bytes consumed.
func momLoop(prefix string, cnt Register, ptrs []Register, s, s2 vec, k VecVirtual, load func(disp int) VecVirtual) {
	for _, u := range []int{4, 1} {
		lbl := fmt.Sprintf("%s%d", prefix, u)
		next := prefix + "done"
		if u == 4 {
			next = prefix + "1"
		}
		Label(lbl)
		CMPQ(cnt, U8(8*u))
		JL(LabelRef(next))
		for i := 0; i < u; i++ {
			d := load(32 * i)
			VSUBPS(k, d, d)
			VADDPS(d, s[i], s[i])
			VFMADD231PS(d, d, s2[i])
		}
		for _, p := range ptrs {
			ADDQ(U8(32*u), p)
		}
		SUBQ(U8(8*u), cnt)
		JMP(LabelRef(lbl))
	}
	Label(prefix + "done")
}

// layerNorm emits a whole-matrix (Skip)LayerNorm that keeps each row in L1
// between its two passes and has no per-row call overhead. Pass 1 takes the
// moments shifted by the row's first element (one pass); with fused != 0 it
// forms t = (x + skip) + bias, stores t to dst and takes the moments of t.
// Pass 2 normalises x (or t) into dst.
func layerNorm() {
	TEXT("layerNormAVX2", NOSPLIT, "func(dst, x, skip, bias, gamma, beta *float32, m, n int, invN, eps float32, fused int)")
	Pragma("noescape")
	Doc("layerNormAVX2 normalises m rows of n (a multiple of 8, > 0) floats:",
		"dst = (t-mean)/sqrt(var+eps)*gamma + beta with t = x, or, if fused != 0,",
		"t = x + skip + bias (skip m x n, bias one row).")
	dst := Load(Param("dst"), GP64())
	x := Load(Param("x"), GP64())
	skip := Load(Param("skip"), GP64())
	m := Load(Param("m"), GP64())
	rowBytes := Load(Param("n"), GP64())
	SHLQ(U8(2), rowBytes)
	TESTQ(m, m)
	JZ(LabelRef("ln_done"))
	Label("ln_row")
	s, s2 := newVec(4), newVec(4)
	for i := 0; i < 4; i++ {
		VXORPS(s[i], s[i], s[i])
		VXORPS(s2[i], s2[i], s2[i])
	}
	k := YMM()
	src, cnt := GP64(), GP64()
	fused := Load(Param("fused"), GP64())
	TESTQ(fused, fused)
	JZ(LabelRef("ln_plain"))
	{
		xp, sp, dp := GP64(), GP64(), GP64()
		MOVQ(x, xp)
		MOVQ(skip, sp)
		MOVQ(dst, dp)
		bp := Load(Param("bias"), GP64())
		kx := XMM()
		VMOVSS(Mem{Base: xp}, kx)
		VADDSS(Mem{Base: sp}, kx, kx)
		VADDSS(Mem{Base: bp}, kx, kx)
		VBROADCASTSS(kx, k)
		Load(Param("n"), cnt)
		momLoop("ln_f", cnt, []Register{xp, sp, bp, dp}, s, s2, k, func(disp int) VecVirtual {
			t := YMM()
			VMOVUPS(Mem{Base: xp, Disp: disp}, t)
			VADDPS(Mem{Base: sp, Disp: disp}, t, t)
			VADDPS(Mem{Base: bp, Disp: disp}, t, t)
			VMOVUPS(t, Mem{Base: dp, Disp: disp})
			return t
		})
		MOVQ(dst, src)
		JMP(LabelRef("ln_stats"))
	}
	Label("ln_plain")
	{
		MOVQ(x, src)
		xp := GP64()
		MOVQ(x, xp)
		VBROADCASTSS(Mem{Base: xp}, k)
		Load(Param("n"), cnt)
		momLoop("ln_p", cnt, []Register{xp}, s, s2, k, func(disp int) VecVirtual {
			t := YMM()
			VMOVUPS(Mem{Base: xp, Disp: disp}, t)
			return t
		})
	}
	Label("ln_stats")
	VADDPS(s[1], s[0], s[0])
	VADDPS(s2[1], s2[0], s2[0])
	VADDPS(s[3], s[2], s[2])
	VADDPS(s2[3], s2[2], s2[2])
	VADDPS(s[2], s[0], s[0])
	VADDPS(s2[2], s2[0], s2[0])
	r := hsum(s[0], vaddps)   // sum(t-k)
	r2 := hsum(s2[0], vaddps) // sum((t-k)^2)
	// dm = r/n; mean = k + dm; var = max(r2/n - dm^2, 0); rstd = 1/sqrt(var+eps)
	invN := loadF32("invN")
	VMULSS(invN, r, r)
	VMULSS(invN, r2, r2)
	t := XMM()
	VMULSS(r, r, t)
	VSUBSS(t, r2, r2)
	VXORPS(t, t, t)
	VMAXSS(t, r2, r2)
	eps := loadF32("eps")
	VADDSS(eps, r2, r2)
	VSQRTSS(r2, r2, r2)
	VMOVSS(c("one"), t)
	VDIVSS(r2, t, t)      // rstd
	VADDSS(k.AsX(), r, r) // mean
	rstd, shift := YMM(), YMM()
	VBROADCASTSS(t, rstd)
	VMULSS(t, r, r)
	VBROADCASTSS(r, shift)
	zero := YMM()
	VXORPS(zero, zero, zero)
	VSUBPS(shift, zero, shift) // -mean*rstd
	// Pass 2: normalise (the row is in L1 now).
	g := Load(Param("gamma"), GP64())
	bt := Load(Param("beta"), GP64())
	dp := GP64()
	MOVQ(dst, dp)
	Load(Param("n"), cnt)
	for _, u := range []int{2, 1} {
		lbl := fmt.Sprintf("ln_norm%d", u)
		next := "ln_normdone"
		if u == 2 {
			next = "ln_norm1"
		}
		Label(lbl)
		CMPQ(cnt, U8(8*u))
		JL(LabelRef(next))
		v := newVec(u)
		for i := range v {
			VMOVUPS(shift, v[i])
			VFMADD231PS(Mem{Base: src, Disp: 32 * i}, rstd, v[i])
			VMULPS(Mem{Base: g, Disp: 32 * i}, v[i], v[i])
			VADDPS(Mem{Base: bt, Disp: 32 * i}, v[i], v[i])
			VMOVUPS(v[i], Mem{Base: dp, Disp: 32 * i})
		}
		for _, r := range []Register{src, g, bt, dp} {
			ADDQ(U8(32*u), r)
		}
		SUBQ(U8(8*u), cnt)
		JMP(LabelRef(lbl))
	}
	Label("ln_normdone")
	ADDQ(rowBytes, x)
	ADDQ(rowBytes, dst)
	ADDQ(rowBytes, skip)
	DECQ(m)
	JNZ(LabelRef("ln_row"))
	Label("ln_done")
	VZEROUPPER()
	RET()
}

// softmax emits a whole-matrix row softmax with optional additive mask row.
// Per row: pass 1 (max, and t = x + mask stored to dst), pass 2 (exp(t-max)
// stored to dst and summed, 3 vectors interleaved), pass 3 (scale by
// 1/sum); passes 2 and 3 hit the row in L1. A row whose max is -Inf is
// written as zeros.
func softmax() {
	TEXT("softmaxAVX2", NOSPLIT, "func(dst, x, mask *float32, m, n int, hasMask int)")
	Pragma("noescape")
	Doc("softmaxAVX2 computes the softmax of m rows of n (a multiple of 8, > 0) floats,",
		"adding the mask row first if hasMask != 0.")
	dst := Load(Param("dst"), GP64())
	x := Load(Param("x"), GP64())
	m := Load(Param("m"), GP64())
	n := Load(Param("n"), GP64())
	hasMask := Load(Param("hasMask"), GP64())
	rowBytes := GP64()
	MOVQ(n, rowBytes)
	SHLQ(U8(2), rowBytes)
	TESTQ(m, m)
	JZ(LabelRef("sm_done"))
	Label("sm_row")
	src, dp, cnt := GP64(), GP64(), GP64()
	MOVQ(x, src)
	MOVQ(dst, dp)
	MOVQ(n, cnt)
	mx := newVec(2)
	for i := range mx {
		VMOVUPS(c("neginf"), mx[i])
	}
	TESTQ(hasMask, hasMask)
	JZ(LabelRef("sm_max"))
	// Pass 1 with mask: dst = x + mask, running max.
	mk := Load(Param("mask"), GP64())
	Label("sm_mmax")
	v := YMM()
	VMOVUPS(Mem{Base: src}, v)
	VADDPS(Mem{Base: mk}, v, v)
	VMOVUPS(v, Mem{Base: dp})
	VMAXPS(v, mx[0], mx[0])
	ADDQ(U8(32), src)
	ADDQ(U8(32), mk)
	ADDQ(U8(32), dp)
	SUBQ(U8(8), cnt)
	JNZ(LabelRef("sm_mmax"))
	MOVQ(dst, src) // pass 2 reads the masked row from dst
	JMP(LabelRef("sm_maxdone"))
	// Pass 1 without mask: running max of x, 2 vectors per step.
	Label("sm_max")
	CMPQ(cnt, U8(16))
	JL(LabelRef("sm_max1"))
	VMAXPS(Mem{Base: src}, mx[0], mx[0])
	VMAXPS(Mem{Base: src, Disp: 32}, mx[1], mx[1])
	ADDQ(U8(64), src)
	SUBQ(U8(16), cnt)
	JMP(LabelRef("sm_max"))
	Label("sm_max1")
	TESTQ(cnt, cnt)
	JZ(LabelRef("sm_max2"))
	VMAXPS(Mem{Base: src}, mx[0], mx[0])
	Label("sm_max2")
	MOVQ(x, src)
	Label("sm_maxdone")
	VMAXPS(mx[1], mx[0], mx[0])
	hm := XMM()
	VEXTRACTF128(U8(1), mx[0], hm)
	lo := mx[0].AsX()
	VMAXPS(hm, lo, lo)
	VMOVHLPS(lo, lo, hm)
	VMAXPS(hm, lo, lo)
	VPSHUFD(U8(1), lo, hm)
	VMAXSS(hm, lo, lo)
	mb := YMM()
	VBROADCASTSS(lo, mb)
	// All -Inf row: write zeros.
	VUCOMISS(c("neginf"), lo)
	JP(LabelRef("sm_exp")) // NaN: let it propagate
	JNE(LabelRef("sm_exp"))
	MOVQ(dst, dp)
	MOVQ(n, cnt)
	z := YMM()
	VXORPS(z, z, z)
	Label("sm_zero")
	VMOVUPS(z, Mem{Base: dp})
	ADDQ(U8(32), dp)
	SUBQ(U8(8), cnt)
	JNZ(LabelRef("sm_zero"))
	JMP(LabelRef("sm_next"))
	// Pass 2: dst = exp(src - max), sum.
	Label("sm_exp")
	MOVQ(dst, dp)
	MOVQ(n, cnt)
	const U = 3
	acc := newVec(U)
	for i := range acc {
		VXORPS(acc[i], acc[i], acc[i])
	}
	Label("sm_expU")
	CMPQ(cnt, U8(8*U))
	JL(LabelRef("sm_exp1"))
	vs := newVec(U)
	for i := range vs {
		VMOVUPS(Mem{Base: src, Disp: 32 * i}, vs[i])
		VSUBPS(mb, vs[i], vs[i])
	}
	e := expBodyOpt(vs, true)
	for i := range e {
		VMOVUPS(e[i], Mem{Base: dp, Disp: 32 * i})
		VADDPS(e[i], acc[i], acc[i])
	}
	ADDQ(U8(32*U), src)
	ADDQ(U8(32*U), dp)
	SUBQ(U8(8*U), cnt)
	JMP(LabelRef("sm_expU"))
	Label("sm_exp1")
	TESTQ(cnt, cnt)
	JZ(LabelRef("sm_scale"))
	v1 := YMM()
	VMOVUPS(Mem{Base: src}, v1)
	VSUBPS(mb, v1, v1)
	e1 := expBodyOpt(vec{v1}, true)[0]
	VMOVUPS(e1, Mem{Base: dp})
	VADDPS(e1, acc[0], acc[0])
	ADDQ(U8(32), src)
	ADDQ(U8(32), dp)
	SUBQ(U8(8), cnt)
	JMP(LabelRef("sm_exp1"))
	// Pass 3: scale by 1/sum.
	Label("sm_scale")
	VADDPS(acc[1], acc[0], acc[0])
	VADDPS(acc[2], acc[0], acc[0])
	sum := hsum(acc[0], vaddps)
	inv := XMM()
	VMOVSS(c("one"), inv)
	VDIVSS(sum, inv, inv)
	ib := YMM()
	VBROADCASTSS(inv, ib)
	MOVQ(dst, dp)
	MOVQ(n, cnt)
	Label("sm_mul")
	w := YMM()
	VMULPS(Mem{Base: dp}, ib, w)
	VMOVUPS(w, Mem{Base: dp})
	ADDQ(U8(32), dp)
	SUBQ(U8(8), cnt)
	JNZ(LabelRef("sm_mul"))
	Label("sm_next")
	ADDQ(rowBytes, x)
	ADDQ(rowBytes, dst)
	DECQ(m)
	JNZ(LabelRef("sm_row"))
	Label("sm_done")
	VZEROUPPER()
	RET()
}

// packA6 emits the SGEMM A packer for a full 6-row panel:
// dst[q*6+i] = alpha*a[i*lda+q] for i < 6, q < kc (kc a multiple of 8).
// Each 6x8 block is transposed with an 8x8 unpack/shuffle/permute network
// (rows 6 and 7 zero).
func packA6() {
	TEXT("packA6AVX2", NOSPLIT, "func(dst, a *float32, lda, kc int, alpha float32)")
	Pragma("noescape")
	Doc("packA6AVX2 packs 6 rows of A (row stride lda) times alpha into K-major",
		"6-float groups: dst[q*6+i] = alpha*a[i*lda+q], q < kc (a multiple of 8).")
	dst := Load(Param("dst"), GP64())
	p0 := Load(Param("a"), GP64())
	lda := Load(Param("lda"), GP64())
	kc := Load(Param("kc"), GP64())
	ax := loadF32("alpha")
	alpha := YMM()
	VBROADCASTSS(ax, alpha)
	SHLQ(U8(2), lda)
	p3 := GP64()
	LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, p3) // 3*lda
	ADDQ(p0, p3)
	zero := YMM()
	VXORPS(zero, zero, zero)
	SHRQ(U8(3), kc)
	JZ(LabelRef("pa_done"))
	Label("pa_loop")
	r := newVec(6)
	VMULPS(Mem{Base: p0}, alpha, r[0])
	VMULPS(Mem{Base: p0, Index: lda, Scale: 1}, alpha, r[1])
	VMULPS(Mem{Base: p0, Index: lda, Scale: 2}, alpha, r[2])
	VMULPS(Mem{Base: p3}, alpha, r[3])
	VMULPS(Mem{Base: p3, Index: lda, Scale: 1}, alpha, r[4])
	VMULPS(Mem{Base: p3, Index: lda, Scale: 2}, alpha, r[5])
	t := newVec(6)
	VUNPCKLPS(r[1], r[0], t[0])
	VUNPCKHPS(r[1], r[0], t[1])
	VUNPCKLPS(r[3], r[2], t[2])
	VUNPCKHPS(r[3], r[2], t[3])
	VUNPCKLPS(r[5], r[4], t[4])
	VUNPCKHPS(r[5], r[4], t[5])
	sv := newVec(8)
	VSHUFPS(U8(0x44), t[2], t[0], sv[0])
	VSHUFPS(U8(0xEE), t[2], t[0], sv[1])
	VSHUFPS(U8(0x44), t[3], t[1], sv[2])
	VSHUFPS(U8(0xEE), t[3], t[1], sv[3])
	VSHUFPS(U8(0x44), zero, t[4], sv[4])
	VSHUFPS(U8(0xEE), zero, t[4], sv[5])
	VSHUFPS(U8(0x44), zero, t[5], sv[6])
	VSHUFPS(U8(0xEE), zero, t[5], sv[7])
	o := newVec(8)
	for q := 0; q < 4; q++ {
		VPERM2F128(U8(0x20), sv[q+4], sv[q], o[q])
	}
	for q := 0; q < 4; q++ {
		VPERM2F128(U8(0x31), sv[q+4], sv[q], o[q+4])
	}
	// Column q goes to dst[q*6 : q*6+6]; the 8-wide stores overlap the next
	// column's slot (rewritten next), the last one is stored exactly.
	for q := 0; q < 7; q++ {
		VMOVUPS(o[q], Mem{Base: dst, Disp: 24 * q})
	}
	VMOVUPS(o[7].AsX(), Mem{Base: dst, Disp: 24 * 7})
	hi := XMM()
	VEXTRACTF128(U8(1), o[7], hi)
	VMOVLPS(hi, Mem{Base: dst, Disp: 24*7 + 16})
	ADDQ(U8(32), p0)
	ADDQ(U8(32), p3)
	ADDQ(U8(192), dst)
	DECQ(kc)
	JNZ(LabelRef("pa_loop"))
	Label("pa_done")
	VZEROUPPER()
	RET()
}

// transpose8x8 transposes 8 rows of 8 floats (r[i] may be a zero register for
// missing rows) and returns the 8 columns.
func transpose8x8(r []VecVirtual) vec {
	t := newVec(8)
	for i := 0; i < 4; i++ {
		VUNPCKLPS(r[2*i+1], r[2*i], t[2*i])
		VUNPCKHPS(r[2*i+1], r[2*i], t[2*i+1])
	}
	sv := newVec(8)
	VSHUFPS(U8(0x44), t[2], t[0], sv[0])
	VSHUFPS(U8(0xEE), t[2], t[0], sv[1])
	VSHUFPS(U8(0x44), t[3], t[1], sv[2])
	VSHUFPS(U8(0xEE), t[3], t[1], sv[3])
	VSHUFPS(U8(0x44), t[6], t[4], sv[4])
	VSHUFPS(U8(0xEE), t[6], t[4], sv[5])
	VSHUFPS(U8(0x44), t[7], t[5], sv[6])
	VSHUFPS(U8(0xEE), t[7], t[5], sv[7])
	o := newVec(8)
	for q := 0; q < 4; q++ {
		VPERM2F128(U8(0x20), sv[q+4], sv[q], o[q])
	}
	for q := 0; q < 4; q++ {
		VPERM2F128(U8(0x31), sv[q+4], sv[q], o[q+4])
	}
	return o
}

// packBT16 emits the transposed-B packer for a full 16-column panel:
// dst[q*16+j] = b[j*ldb+q] for j < 16, q < kc (a multiple of 8), via two 8x8
// transposes per 8 values of q.
func packBT16() {
	TEXT("packBT16AVX2", NOSPLIT, "func(dst, b *float32, ldb, kc int)")
	Pragma("noescape")
	Doc("packBT16AVX2 packs 16 rows of B (row stride ldb) column-major into",
		"16-float groups: dst[q*16+j] = b[j*ldb+q], q < kc (a multiple of 8).")
	dst := Load(Param("dst"), GP64())
	bp := Load(Param("b"), GP64())
	ldb := Load(Param("ldb"), GP64())
	kc := Load(Param("kc"), GP64())
	SHLQ(U8(2), ldb)
	SHRQ(U8(3), kc)
	JZ(LabelRef("pbt_done"))
	Label("pbt_loop")
	for half := 0; half < 2; half++ {
		rp := GP64()
		MOVQ(bp, rp)
		if half == 1 {
			for i := 0; i < 8; i++ {
				ADDQ(ldb, rp)
			}
		}
		r := make([]VecVirtual, 8)
		for i := 0; i < 8; i++ {
			r[i] = YMM()
			VMOVUPS(Mem{Base: rp}, r[i])
			if i < 7 {
				ADDQ(ldb, rp)
			}
		}
		o := transpose8x8(r)
		for q := 0; q < 8; q++ {
			VMOVUPS(o[q], Mem{Base: dst, Disp: 64*q + 32*half})
		}
	}
	ADDQ(U8(32), bp)
	ADDQ(U32(512), dst)
	DECQ(kc)
	JNZ(LabelRef("pbt_loop"))
	Label("pbt_done")
	VZEROUPPER()
	RET()
}

// epilogueTile emits the fused GEMM epilogue for a tile of rows x 16:
// t = c (+ bias[j]) (* scale) -> act -> (+ res[i*ldr+j]), in one call.
// flags: 1 bias, 2 scale, 4 residual; act: 0 none, 1 GELU (erf), 2 GELU (tanh).
func epilogueTile() {
	TEXT("epilogueTileAVX2", NOSPLIT, "func(c *float32, ldc, rows int, bias *float32, scale float32, res *float32, ldr, flags, act int)")
	Pragma("noescape")
	Doc("epilogueTileAVX2 applies the fused epilogue to rows x 16 floats of c.")
	cp := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	rows := Load(Param("rows"), GP64())
	rp := Load(Param("res"), GP64())
	ldr := Load(Param("ldr"), GP64())
	SHLQ(U8(2), ldr)
	TESTQ(rows, rows)
	JZ(LabelRef("ep_done"))
	Label("ep_row")
	v := newVec(2)
	VMOVUPS(Mem{Base: cp}, v[0])
	VMOVUPS(Mem{Base: cp, Disp: 32}, v[1])
	flags := Load(Param("flags"), GP64())
	TESTQ(U32(1), flags)
	JZ(LabelRef("ep_nobias"))
	bp := Load(Param("bias"), GP64())
	VADDPS(Mem{Base: bp}, v[0], v[0])
	VADDPS(Mem{Base: bp, Disp: 32}, v[1], v[1])
	Label("ep_nobias")
	TESTQ(U32(2), flags)
	JZ(LabelRef("ep_noscale"))
	sx := loadF32("scale")
	sy := YMM()
	VBROADCASTSS(sx, sy)
	VMULPS(sy, v[0], v[0])
	VMULPS(sy, v[1], v[1])
	Label("ep_noscale")
	act := Load(Param("act"), GP64())
	CMPQ(act, U8(1))
	JNE(LabelRef("ep_notgelu"))
	g := geluBody(v)
	VMOVUPS(g[0], v[0])
	VMOVUPS(g[1], v[1])
	JMP(LabelRef("ep_actdone"))
	Label("ep_notgelu")
	CMPQ(act, U8(2))
	JNE(LabelRef("ep_actdone"))
	gt := geluTanhBody(v)
	VMOVUPS(gt[0], v[0])
	VMOVUPS(gt[1], v[1])
	Label("ep_actdone")
	TESTQ(U32(4), flags)
	JZ(LabelRef("ep_nores"))
	VADDPS(Mem{Base: rp}, v[0], v[0])
	VADDPS(Mem{Base: rp, Disp: 32}, v[1], v[1])
	Label("ep_nores")
	VMOVUPS(v[0], Mem{Base: cp})
	VMOVUPS(v[1], Mem{Base: cp, Disp: 32})
	ADDQ(ldc, cp)
	ADDQ(ldr, rp)
	DECQ(rows)
	JNZ(LabelRef("ep_row"))
	// Prefetch the residual rows of the next row tile (same columns), which
	// the macro-kernel computes next; prefetches never fault.
	fl := Load(Param("flags"), GP64())
	TESTQ(U32(4), fl)
	JZ(LabelRef("ep_done"))
	for i := 0; i < 6; i++ {
		PREFETCHT0(Mem{Base: rp})
		PREFETCHT0(Mem{Base: rp, Disp: 60})
		ADDQ(ldr, rp)
	}
	Label("ep_done")
	VZEROUPPER()
	RET()
}
