//go:build amd64

package cpu

import "github.com/klauspost/cpuid/v2"

func registerArch() {
	avx2 := withGenericFallback(&kernelTable{
		name: PathAVX2,
		sgemmKernel: func(k int, a, b, c []float32, ldc int, accumulate bool, pf []float32) {
			_ = a[k*gemmMR-1]
			_ = b[k*gemmNR-1]
			_ = c[(gemmMR-1)*ldc+gemmNR-1]
			acc := 0
			if accumulate {
				acc = 1
			}
			if len(pf) < k*4 {
				pf = b
			}
			sgemmKernel6x16(k, &a[0], &b[0], &c[0], ldc, acc, &pf[0])
		},
		exp:      unaryAVX2(expAVX2, 0),
		tanh:     unaryAVX2(tanhAVX2, 0),
		erf:      unaryAVX2(erfAVX2, 0),
		gelu:     unaryAVX2(geluAVX2, 0),
		geluTanh: unaryAVX2(geluTanhAVX2, 0),
		add:      binaryAVX2(addAVX2, addGeneric),
		sub:      binaryAVX2(subAVX2, subGeneric),
		mul:      binaryAVX2(mulAVX2, mulGeneric),
		div:      binaryAVX2(divAVX2, divGeneric),
		addScalar: func(dst, a []float32, s float32) {
			a = a[:len(dst)]
			m := len(dst) &^ 7
			if m > 0 {
				addScalarAVX2(&dst[0], &a[0], m, s)
			}
			addScalarGeneric(dst[m:], a[m:], s)
		},
		mulScalar: func(dst, a []float32, s float32) {
			a = a[:len(dst)]
			m := len(dst) &^ 7
			if m > 0 {
				mulScalarAVX2(&dst[0], &a[0], m, s)
			}
			mulScalarGeneric(dst[m:], a[m:], s)
		},
		sum: func(x []float32) float32 {
			m := len(x) &^ 7
			var s float32
			if m > 0 {
				s = sumAVX2(&x[0], m)
			}
			return s + sumGeneric(x[m:])
		},
		max: func(x []float32) float32 {
			m := len(x) &^ 7
			r := maxGeneric(x[m:])
			if m > 0 {
				if v := maxAVX2(&x[0], m); v > r || v != v {
					r = v // NaN wins, as in maxGeneric
				}
			}
			return r
		},
		sumSq: func(x []float32, mean float32) float32 {
			m := len(x) &^ 7
			var s float32
			if m > 0 {
				s = sumSqAVX2(&x[0], m, mean)
			}
			return s + sumSqGeneric(x[m:], mean)
		},
		moments: func(x []float32, k float32) (float32, float32) {
			m := len(x) &^ 7
			var s, s2 float32
			if m > 0 {
				s, s2 = momentsAVX2(&x[0], m, k)
			}
			ts, ts2 := momentsGeneric(x[m:], k)
			return s + ts, s2 + ts2
		},
		expSub: func(dst, x []float32, mx float32) float32 {
			n := len(dst)
			x = x[:n]
			m := n &^ 7
			var s float32
			if m > 0 {
				s = expSubAVX2(&dst[0], &x[0], m, mx)
			}
			if m < n {
				var t [8]float32
				for i := range t {
					t[i] = float32(negInf)
				}
				copy(t[:], x[m:])
				s += expSubAVX2(&t[0], &t[0], 8, mx)
				copy(dst[m:], t[:n-m])
			}
			return s
		},
		normAffine: func(dst, x, gamma, beta []float32, mean, rstd float32) {
			n := len(dst)
			x, gamma, beta = x[:n], gamma[:n], beta[:n]
			m := n &^ 7
			if m > 0 {
				normAffineAVX2(&dst[0], &x[0], &gamma[0], &beta[0], m, mean, rstd)
			}
			normAffineGeneric(dst[m:], x[m:], gamma[m:], beta[m:], mean, rstd)
		},
		prefetch: func(x []float32) {
			if len(x) > 0 {
				prefetchRange(&x[0], len(x))
			}
		},
		packA6: func(dst, a []float32, lda, kc int, alpha float32) {
			_ = dst[kc*gemmMR-1]
			_ = a[5*lda+kc-1]
			packA6AVX2(&dst[0], &a[0], lda, kc, alpha)
		},
		packBT16: func(dst, b []float32, ldb, kc int) {
			_ = dst[kc*gemmNR-1]
			_ = b[(gemmNR-1)*ldb+kc-1]
			packBT16AVX2(&dst[0], &b[0], ldb, kc)
		},
		epiTile: func(c []float32, ldc, rows int, bias []float32, scale float32, res []float32, ldr int, act Activation) {
			if rows <= 0 {
				return
			}
			bp, rp, ldr, flags := epiArgs(c, ldc, rows, gemmNR, bias, scale, res, ldr)
			epilogueTileAVX2(&c[0], ldc, rows, bp, scale, rp, ldr, flags, int(act))
		},
		softmax: func(dst, x, mask []float32, m, n int) {
			if m <= 0 || n <= 0 || n%8 != 0 {
				panic("cpu: softmax kernel needs n a positive multiple of 8")
			}
			_, _ = dst[m*n-1], x[m*n-1]
			hasMask := 0
			mp := &x[0]
			if mask != nil {
				_ = mask[n-1]
				hasMask, mp = 1, &mask[0]
			}
			softmaxAVX2(&dst[0], &x[0], mp, m, n, hasMask)
		},
		layerNorm: func(dst, x, skip, bias, gamma, beta []float32, m, n int, eps float32) {
			if m <= 0 || n <= 0 || n%8 != 0 {
				panic("cpu: layerNorm kernel needs n a positive multiple of 8")
			}
			_, _ = dst[m*n-1], x[m*n-1]
			_, _ = gamma[n-1], beta[n-1]
			fused, sp, bp := 0, &x[0], &x[0]
			if skip != nil && bias != nil {
				_, _ = skip[m*n-1], bias[n-1]
				fused, sp, bp = 1, &skip[0], &bias[0]
			}
			layerNormAVX2(&dst[0], &x[0], sp, bp, &gamma[0], &beta[0], m, n, 1/float32(n), eps, fused)
		},
		add3: func(dst, a, b, c []float32) {
			if c == nil {
				binaryAVX2(addAVX2, addGeneric)(dst, a, b)
				return
			}
			n := len(dst)
			a, b, c = a[:n], b[:n], c[:n]
			m := n &^ 7
			if m > 0 {
				add3AVX2(&dst[0], &a[0], &b[0], &c[0], m)
			}
			add3Generic(dst[m:], a[m:], b[m:], c[m:])
		},
		i8Kernel: func(k4 int, a []uint8, b []int8, c []int32, ldc int) {
			_ = a[k4*16-1]
			_ = b[k4*64-1]
			_ = c[(i8MR-1)*ldc+i8NR-1]
			i8Kernel4x16(k4, &a[0], &b[0], &c[0], ldc)
		},
	})
	register(avx2)
	avx512 := *avx2
	avx512.name = PathAVX512
	avx512.sgemmKernelWide = func(rows, k int, a0, a1, b0, b1, c []float32, ldc int, accumulate bool, pf []float32) {
		_ = a0[k*gemmMR-1]
		if rows > gemmMR {
			_ = a1[k*gemmMR-1]
		} else {
			a1 = a0
		}
		_ = b0[k*gemmNR-1]
		_ = b1[k*gemmNR-1]
		_ = c[(rows-1)*ldc+2*gemmNR-1]
		if len(pf) < 8*k {
			pf = b0
		}
		acc := 0
		if accumulate {
			acc = 1
		}
		wideKernels[rows/2-1](k, &a0[0], &a1[0], &b0[0], &b1[0], &c[0], ldc, acc, &pf[0])
	}
	if cpuid.CPU.Supports(cpuid.AVX512VNNI) {
		// VPDPBUSD accumulates u8 x s8 products in int32: exact for all inputs, so GemmU8S8
		// needs no 7-bit scan of A
		avx512.i8Kernel = func(k4 int, a []uint8, b []int8, c []int32, ldc int) {
			_ = a[k4*16-1]
			_ = b[k4*64-1]
			_ = c[(i8MR-1)*ldc+i8NR-1]
			i8Kernel4x16VNNI(k4, &a[0], &b[0], &c[0], ldc)
		}
		avx512.i8Exact = true
	}
	avx512.gelu = unaryAVX512(geluAVX512)
	avx512.geluTanh = unaryAVX512(geluTanhAVX512)
	avx512.exp = unaryAVX512(expAVX512)
	avx512.epi = func(c []float32, ldc, rows, cols int, bias []float32, scale float32, res []float32, ldr int, act Activation) {
		if rows <= 0 || cols <= 0 {
			return
		}
		bp, rp, ldr, flags := epiArgs(c, ldc, rows, cols, bias, scale, res, ldr)
		epilogueAVX512(&c[0], ldc, rows, cols, bp, scale, rp, ldr, flags, int(act))
	}
	avx512.softmax = func(dst, x, mask []float32, m, n int) {
		if m <= 0 || n <= 0 {
			panic("cpu: softmax kernel needs m, n > 0")
		}
		_, _ = dst[m*n-1], x[m*n-1]
		hasMask := 0
		mp := &x[0]
		if mask != nil {
			_ = mask[n-1]
			hasMask, mp = 1, &mask[0]
		}
		softmaxAVX512(&dst[0], &x[0], mp, m, n, hasMask)
	}
	avx512.softmaxAnyN = true
	register(&avx512)
}

// unaryAVX2 wraps an 8-lane kernel; the tail is run through the same kernel
// on a padded copy so every element gets identical treatment.
func unaryAVX2(f func(dst, src *float32, n int), pad float32) func(dst, src []float32) {
	return func(dst, src []float32) {
		n := len(dst)
		src = src[:n]
		m := n &^ 7
		if m > 0 {
			f(&dst[0], &src[0], m)
		}
		if m < n {
			var t [8]float32
			for i := range t {
				t[i] = pad
			}
			copy(t[:], src[m:])
			f(&t[0], &t[0], 8)
			copy(dst[m:], t[:n-m])
		}
	}
}

// epiArgs checks the bounds of a rows x cols epilogue on c and returns the
// asm arguments: bias and residual pointers (c's when absent), the residual
// stride (0 when absent) and the flags (1 bias, 2 scale, 4 residual).
func epiArgs(c []float32, ldc, rows, cols int, bias []float32, scale float32, res []float32, ldr int) (bp, rp *float32, ldr2, flags int) {
	_ = c[(rows-1)*ldc+cols-1]
	bp, rp = &c[0], &c[0]
	if bias != nil {
		_ = bias[cols-1]
		flags |= 1
		bp = &bias[0]
	}
	if scale != 0 {
		flags |= 2
	}
	if res != nil {
		_ = res[(rows-1)*ldr+cols-1]
		flags |= 4
		rp = &res[0]
	} else {
		ldr = 0
	}
	return bp, rp, ldr, flags
}

// wideKernels are the AVX-512 rows x 32 micro-kernels for rows 2, 4, ..., 12.
var wideKernels = [...]func(k int, a0, a1, b0, b1, c *float32, ldc int, acc int, pf *float32){
	sgemmKernel2x32, sgemmKernel4x32, sgemmKernel6x32, sgemmKernel8x32, sgemmKernel10x32, sgemmKernel12x32,
}

// unaryAVX512 wraps a 16-lane kernel that masks its own tail.
func unaryAVX512(f func(dst, src *float32, n int)) func(dst, src []float32) {
	return func(dst, src []float32) {
		n := len(dst)
		if n == 0 {
			return
		}
		src = src[:n]
		f(&dst[0], &src[0], n)
	}
}

func binaryAVX2(f func(dst, a, b *float32, n int), g func(dst, a, b []float32)) func(dst, a, b []float32) {
	return func(dst, a, b []float32) {
		n := len(dst)
		a, b = a[:n], b[:n]
		m := n &^ 7
		if m > 0 {
			f(&dst[0], &a[0], &b[0], m)
		}
		g(dst[m:], a[m:], b[m:])
	}
}
