package cpu

import "fmt"

// int8 GEMM micro-tile: 4 rows x 16 columns, K consumed 4 at a time.
const (
	i8MR = 4
	i8NR = 16
)

// i8KernelGeneric computes the 4 x 16 int32 tile
//
//	c[i*ldc+j] = sum_{q<k4} sum_{t<4} int32(a[q*16+i*4+t]) * int32(b[q*64+j*4+t])
//
// from packed panels (A: per 4-deep k group, 4 rows x 4 bytes; B: per k
// group, 16 columns x 4 bytes), overwriting c.
func i8KernelGeneric(k4 int, a []uint8, b []int8, c []int32, ldc int) {
	var acc [i8MR * i8NR]int32
	a = a[:k4*16]
	b = b[:k4*64]
	for q := 0; q < k4; q++ {
		aq := a[q*16 : q*16+16]
		bq := b[q*64 : q*64+64]
		for i := 0; i < i8MR; i++ {
			a0, a1, a2, a3 := int32(aq[i*4]), int32(aq[i*4+1]), int32(aq[i*4+2]), int32(aq[i*4+3])
			for j := 0; j < i8NR; j++ {
				acc[i*i8NR+j] += a0*int32(bq[j*4]) + a1*int32(bq[j*4+1]) + a2*int32(bq[j*4+2]) + a3*int32(bq[j*4+3])
			}
		}
	}
	for i := 0; i < i8MR; i++ {
		copy(c[i*ldc:i*ldc+i8NR], acc[i*i8NR:i*i8NR+i8NR])
	}
}

// GemmU8S8 computes the integer matrix product
//
//	for i < m, j < n: c[i*ldc+j] = sum_{p<k} int32(a[i*lda+p]) * int32(b[p*ldb+j])
//
// with unsigned 8-bit A, signed 8-bit B and int32 C (overwritten).
//
// AVX2 path: VPMADDUBSW multiplies u8 by s8 and adds adjacent pairs into
// int16 with saturation; VPMADDWD against ones then widens to int32. To make
// the saturation impossible, the AVX2 kernel is used only when every element
// of A is <= 127 (7-bit activations, the usual u7 quantisation trick): then
// |a0*b0 + a1*b1| <= 2*127*128 = 32512 < 32767. GemmU8S8 scans A (O(m*k),
// negligible next to the O(m*n*k) product) and uses the exact generic kernel
// otherwise, so results are always exact.
//
// NEON path (with the dot-product extension): SDOT on A with its top bit
// flipped (a - 128, signed) plus 128 times B's column sums; exact for all
// inputs, no scan.
func GemmU8S8(p *Pool, m, n, k int, a []uint8, lda int, b []int8, ldb int, c []int32, ldc int) {
	if m <= 0 || n <= 0 {
		return
	}
	if len(c) < (m-1)*ldc+n || (k > 0 && (len(a) < (m-1)*lda+k || len(b) < (k-1)*ldb+n)) {
		panic(fmt.Sprintf("cpu.GemmU8S8: slices too short for m=%d n=%d k=%d", m, n, k))
	}
	if k <= 0 {
		for i := 0; i < m; i++ {
			clear(c[i*ldc : i*ldc+n])
		}
		return
	}
	k4 := (k + 3) / 4
	kern := active.i8Kernel
	for i := 0; i < m && !active.i8Exact; i++ {
		for _, v := range a[i*lda : i*lda+k] {
			if v > 127 {
				kern = i8KernelGeneric
				break
			}
		}
	}
	np := (n + i8NR - 1) / i8NR
	bp := make([]int8, np*k4*64)
	for jp := 0; jp < np; jp++ {
		dst := bp[jp*k4*64:]
		for q := 0; q < k4; q++ {
			for j := 0; j < i8NR; j++ {
				for t := 0; t < 4; t++ {
					pp, jj := q*4+t, jp*i8NR+j
					var v int8
					if pp < k && jj < n {
						v = b[pp*ldb+jj]
					}
					dst[q*64+j*4+t] = v
				}
			}
		}
	}
	mp := (m + i8MR - 1) / i8MR
	p.Parallel(mp, func(lo, hi int) {
		ap := make([]uint8, k4*16)
		var tmp [i8MR * i8NR]int32
		for ip := lo; ip < hi; ip++ {
			i0 := ip * i8MR
			mr := min(i8MR, m-i0)
			for q := 0; q < k4; q++ {
				for i := 0; i < i8MR; i++ {
					for t := 0; t < 4; t++ {
						var v uint8
						if i < mr && q*4+t < k {
							v = a[(i0+i)*lda+q*4+t]
						}
						ap[q*16+i*4+t] = v
					}
				}
			}
			for jp := 0; jp < np; jp++ {
				j0 := jp * i8NR
				nr := min(i8NR, n-j0)
				if mr == i8MR && nr == i8NR {
					kern(k4, ap, bp[jp*k4*64:(jp+1)*k4*64], c[i0*ldc+j0:], ldc)
					continue
				}
				kern(k4, ap, bp[jp*k4*64:(jp+1)*k4*64], tmp[:], i8NR)
				for i := 0; i < mr; i++ {
					copy(c[(i0+i)*ldc+j0:(i0+i)*ldc+j0+nr], tmp[i*i8NR:i*i8NR+nr])
				}
			}
		}
	})
}
