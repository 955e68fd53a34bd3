//go:build arm64

package cpu

// NEON coverage: the SGEMM micro-kernel (so Sgemm, SgemmPacked, SgemmBatched
// run on it); elementwise Add/Sub/Mul/Div (also RowBroadcast, the GEMM epilogue's
// bias/residual adds, Softmax masking, SkipLayerNorm) and AddScalar/MulScalar
// (softmax normalisation, GEMM beta); the Sum, Max and sum-of-squares
// reductions; exp, tanh, erf, exact and tanh-form GELU
// (also the GEMM epilogue's); Softmax's exponentials; LayerNorm's moments and
// affine pass; and, with the dot-product extension (SDOT), the int8 GEMM
// micro-kernel (exact for all u8 x s8). Everything else uses the generic
// kernels.

import (
	"math"

	"github.com/klauspost/cpuid/v2"
)

//go:noescape
func geluNEON(dst, src *float32, n int)

//go:noescape
func geluTanhNEON(dst, src *float32, n int)

//go:noescape
func expNEON(dst, src *float32, n int)

//go:noescape
func tanhNEON(dst, src *float32, n int)

//go:noescape
func erfNEON(dst, src *float32, n int)

//go:noescape
func momentsNEON(x *float32, n int, k float32) (s, s2 float32)

//go:noescape
func normAffineNEON(dst, x, gamma, beta *float32, n int, mean, rstd float32)

//go:noescape
func expSubNEON(dst, x *float32, n int, m float32) float32

//go:noescape
func i8KernelNEONDot(k4 int, a *uint8, b *int8, c *int32, ldc int)

//go:noescape
func sgemmKernel6x16NEON(k int, a, b, c *float32, ldc int, acc int)

//go:noescape
func addNEON(dst, a, b *float32, n int)

//go:noescape
func subNEON(dst, a, b *float32, n int)

//go:noescape
func mulNEON(dst, a, b *float32, n int)

//go:noescape
func divNEON(dst, a, b *float32, n int)

//go:noescape
func sumNEON(x *float32, n int) float32

//go:noescape
func maxNEON(x *float32, n int) float32

//go:noescape
func sumSqNEON(x *float32, n int, mean float32) float32

//go:noescape
func addScalarNEON(dst, a *float32, n int, s float32)

//go:noescape
func mulScalarNEON(dst, a *float32, n int, s float32)

func registerArch() {
	t := withGenericFallback(&kernelTable{
		name: PathNEON,
		sgemmKernel: func(k int, a, b, c []float32, ldc int, accumulate bool, _ []float32) {
			_ = a[k*gemmMR-1]
			_ = b[k*gemmNR-1]
			_ = c[(gemmMR-1)*ldc+gemmNR-1]
			acc := 0
			if accumulate {
				acc = 1
			}
			sgemmKernel6x16NEON(k, &a[0], &b[0], &c[0], ldc, acc)
		},
		add: binaryNEON(addNEON, addGeneric),
		sub: binaryNEON(subNEON, subGeneric),
		mul: binaryNEON(mulNEON, mulGeneric),
		div: binaryNEON(divNEON, divGeneric),
		sum: func(x []float32) float32 {
			m := len(x) &^ 7
			var s float32
			if m > 0 {
				s = sumNEON(&x[0], m)
			}
			return s + sumGeneric(x[m:])
		},
		max: func(x []float32) float32 {
			m := len(x) &^ 7
			if m == 0 {
				return maxGeneric(x)
			}
			r, t := maxNEON(&x[0], m), maxGeneric(x[m:])
			if t > r || t != t {
				r = t
			}
			return r
		},
		sumSq: func(x []float32, mean float32) float32 {
			m := len(x) &^ 7
			var s float32
			if m > 0 {
				s = sumSqNEON(&x[0], m, mean)
			}
			return s + sumSqGeneric(x[m:], mean)
		},
		addScalar: scalarNEON(addScalarNEON, addScalarGeneric),
		mulScalar: scalarNEON(mulScalarNEON, mulScalarGeneric),
	})
	t.expSub = func(dst, x []float32, mx float32) float32 {
		n := len(dst)
		x = x[:n]
		m := n &^ 3
		var s float32
		if m > 0 {
			s = expSubNEON(&dst[0], &x[0], m, mx)
		}
		if m < n { // the tail through the same kernel, padded with -Inf (exp = 0)
			tmp := [4]float32{float32(math.Inf(-1)), float32(math.Inf(-1)), float32(math.Inf(-1)), float32(math.Inf(-1))}
			copy(tmp[:], x[m:])
			s += expSubNEON(&tmp[0], &tmp[0], 4, mx)
			copy(dst[m:], tmp[:n-m])
		}
		return s
	}
	t.moments = func(x []float32, k float32) (float32, float32) {
		m := len(x) &^ 3
		var s, s2 float32
		if m > 0 {
			s, s2 = momentsNEON(&x[0], m, k)
		}
		ts, ts2 := momentsGeneric(x[m:], k)
		return s + ts, s2 + ts2
	}
	t.normAffine = func(dst, x, gamma, beta []float32, mean, rstd float32) {
		n := len(dst)
		x, gamma, beta = x[:n], gamma[:n], beta[:n]
		m := n &^ 3
		if m > 0 {
			normAffineNEON(&dst[0], &x[0], &gamma[0], &beta[0], m, mean, rstd)
		}
		normAffineGeneric(dst[m:], x[m:], gamma[m:], beta[m:], mean, rstd)
	}
	t.gelu = unaryNEON(geluNEON)
	t.geluTanh = unaryNEON(geluTanhNEON)
	t.exp = unaryNEON(expNEON)
	t.tanh = unaryNEON(tanhNEON)
	t.erf = unaryNEON(erfNEON)
	if cpuid.CPU.Supports(cpuid.ASIMDDP) {
		t.i8Kernel = func(k4 int, a []uint8, b []int8, c []int32, ldc int) {
			_ = a[k4*16-1]
			_ = b[k4*64-1]
			_ = c[(i8MR-1)*ldc+i8NR-1]
			i8KernelNEONDot(k4, &a[0], &b[0], &c[0], ldc)
		}
		t.i8Exact = true
	}
	register(t)
}

func binaryNEON(f func(dst, a, b *float32, n int), g func(dst, a, b []float32)) func(dst, a, b []float32) {
	return func(dst, a, b []float32) {
		n := len(dst)
		a, b = a[:n], b[:n]
		m := n &^ 3
		if m > 0 {
			f(&dst[0], &a[0], &b[0], m)
		}
		g(dst[m:], a[m:], b[m:])
	}
}

func scalarNEON(f func(dst, a *float32, n int, s float32), g func(dst, a []float32, s float32)) func(dst, a []float32, s float32) {
	return func(dst, a []float32, s float32) {
		n := len(dst)
		a = a[:n]
		m := n &^ 3
		if m > 0 {
			f(&dst[0], &a[0], m, s)
		}
		g(dst[m:], a[m:], s)
	}
}

// unaryNEON wraps a 4-lane kernel; the tail runs through the same kernel on a
// padded copy so every element gets identical treatment.
func unaryNEON(f func(dst, src *float32, n int)) func(dst, src []float32) {
	return func(dst, src []float32) {
		n := len(dst)
		src = src[:n]
		m := n &^ 3
		if m > 0 {
			f(&dst[0], &src[0], m)
		}
		if m < n {
			var tmp [4]float32
			copy(tmp[:], src[m:])
			f(&tmp[0], &tmp[0], 4)
			copy(dst[m:], tmp[:n-m])
		}
	}
}
