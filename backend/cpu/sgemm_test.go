package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// naiveGemm is the float64 reference C = alpha*op(A)*op(B) + beta*C + epilogue.
func naiveGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int, ep *Epilogue) []float32 {
	out := make([]float32, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			t := float64(alpha) * s
			if beta != 0 {
				t += float64(beta) * float64(c[i*ldc+j])
			}
			if ep != nil {
				if ep.Bias != nil {
					t += float64(ep.Bias[j])
				}
				if ep.Scale != 0 {
					t *= float64(ep.Scale)
				}
				switch ep.Act {
				case ActGELU:
					t = 0.5 * t * (1 + math.Erf(t/math.Sqrt2))
				case ActGELUTanh:
					t = 0.5 * t * (1 + math.Tanh(sqrt2OverPi*(t+0.044715*t*t*t)))
				}
				if ep.Residual != nil {
					ld := ep.LdResidual
					if ld == 0 {
						ld = n
					}
					t += float64(ep.Residual[i*ld+j])
				}
			}
			out[i*n+j] = float32(t)
		}
	}
	return out
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	ep             *Epilogue
	padA, padB     int // extra leading-dimension padding
	padC           int
}

func runGemmCase(t *testing.T, r *rand.Rand, gc gemmCase, pool *Pool, packed bool) {
	t.Helper()
	m, n, k := gc.m, gc.n, gc.k
	ar, ac := m, k
	if gc.transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if gc.transB {
		br, bc = n, k
	}
	lda, ldb, ldc := ac+gc.padA, bc+gc.padB, n+gc.padC
	a := randSlice(r, (ar-1)*lda+ac, -1, 1)
	b := randSlice(r, (br-1)*ldb+bc, -1, 1)
	c, check := poisoned((m-1)*ldc + n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			c[i*ldc+j] = r.Float32()*2 - 1
		}
	}
	want := naiveGemm(gc.transA, gc.transB, m, n, k, gc.alpha, a, lda, b, ldb, gc.beta, c, ldc, gc.ep)
	if gc.beta == 0 { // beta == 0 must not read C
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				c[i*ldc+j] = nan32
			}
		}
	}
	if packed {
		pb := PackB(pool, gc.transB, k, n, b, ldb)
		SgemmPacked(pool, gc.transA, m, gc.alpha, a, lda, pb, gc.beta, c, ldc, gc.ep)
	} else {
		Sgemm(pool, gc.transA, gc.transB, m, n, k, gc.alpha, a, lda, b, ldb, gc.beta, c, ldc, gc.ep)
	}
	check(t)
	got := make([]float32, m*n)
	for i := 0; i < m; i++ {
		copy(got[i*n:i*n+n], c[i*ldc:i*ldc+n])
		for j := n; j < ldc && i < m-1; j++ {
			require.True(t, isNaN(c[i*ldc+j]), "write into C row padding")
		}
	}
	tol := 2e-6 * float64(k+4)
	requireClose(t, want, got, tol, tol, fmt.Sprintf("%+v ep=%+v packed=%v", gc, epDesc(gc.ep), packed))
}

func TestSgemmRandom(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		pool := NewPool(3)
		defer pool.Close()
		dims := []int{1, 2, 3, 5, 6, 7, 13, 16, 17, 31, 33, 47, 64, 100}
		for it := 0; it < 150; it++ {
			gc := gemmCase{
				transA: r.IntN(2) == 0, transB: r.IntN(2) == 0,
				m: dims[r.IntN(len(dims))], n: dims[r.IntN(len(dims))], k: dims[r.IntN(len(dims))],
				alpha: []float32{1, 0.5, -2}[r.IntN(3)], beta: []float32{0, 1, 0.25}[r.IntN(3)],
				padA: r.IntN(3), padB: r.IntN(3), padC: r.IntN(3),
			}
			var p *Pool
			if it%3 == 0 {
				p = pool
			}
			runGemmCase(t, r, gc, p, it%2 == 0)
		}
		// Larger shapes crossing the K and M blocking, threaded.
		for _, s := range [][3]int{{200, 70, 800}, {7, 300, 1000}, {197, 33, 385}, {64, 257, 1}} {
			gc := gemmCase{m: s[0], n: s[1], k: s[2], alpha: 1, beta: 0.5, transB: true}
			runGemmCase(t, r, gc, pool, true)
			gc.transA, gc.transB, gc.beta = true, false, 0
			runGemmCase(t, r, gc, nil, false)
		}
	})
}

func TestSgemmEpilogue(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		pool := NewPool(2)
		defer pool.Close()
		for _, s := range [][3]int{{5, 19, 7}, {13, 50, 64}, {64, 96, 400}} {
			m, n := s[0], s[1]
			for _, act := range []Activation{ActNone, ActGELU, ActGELUTanh} {
				ep := &Epilogue{Bias: randSlice(r, n, -1, 1), Act: act, Scale: 0.7}
				if act != ActGELU {
					ep.Residual = randSlice(r, m*(n+3), -1, 1)
					ep.LdResidual = n + 3
				}
				gc := gemmCase{m: m, n: n, k: s[2], alpha: 1, beta: 0, transB: true, ep: ep, padC: 2}
				runGemmCase(t, r, gc, pool, true)
				gc.beta = 1
				runGemmCase(t, r, gc, nil, false)
			}
		}
	})
}

// TestGenericMatchesAccelerated compares the active fast path's SGEMM with the
// generic path bit-for-bit tolerance on a BERT-like shape.
func TestSgemmPathsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	m, n, k := 37, 101, 300
	a := randSlice(r, m*k, -1, 1)
	b := randSlice(r, k*n, -1, 1)
	outs := map[string][]float32{}
	for _, p := range Paths() {
		restore, err := SetPath(p)
		require.NoError(t, err)
		c := make([]float32, m*n)
		Sgemm(nil, false, false, m, n, k, 1, a, k, b, n, 0, c, n, &Epilogue{Act: ActGELU})
		outs[p] = c
		restore()
	}
	for p, c := range outs {
		requireClose(t, outs[PathGeneric], c, 1e-4, 1e-4, p)
	}
}

func TestSgemmBatchedAttention(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		pool := NewPool(2)
		defer pool.Close()
		bsz, s, h, d := 2, 19, 3, 8
		hd := h * d
		q := randSlice(r, bsz*s*hd, -1, 1)
		kk := randSlice(r, bsz*s*hd, -1, 1)
		v := randSlice(r, bsz*s*hd, -1, 1)
		scores, chk := poisoned(bsz * h * s * s)
		alpha := float32(1 / math.Sqrt(float64(d)))
		SgemmBatched(pool, bsz, h, false, true, s, s, d, alpha,
			q, hd, BatchStrides{s * hd, d}, kk, hd, BatchStrides{s * hd, d}, 0,
			scores, s, BatchStrides{h * s * s, s * s})
		chk(t)
		ctx, chk2 := poisoned(bsz * s * hd)
		SgemmBatched(pool, bsz, h, false, false, s, d, s, 1,
			scores, s, BatchStrides{h * s * s, s * s}, v, hd, BatchStrides{s * hd, d}, 0,
			ctx, hd, BatchStrides{s * hd, d})
		chk2(t)
		for bi := 0; bi < bsz; bi++ {
			for hi := 0; hi < h; hi++ {
				so := (bi*h + hi) * s * s
				wantS := naiveGemm(false, true, s, s, d, alpha, q[bi*s*hd+hi*d:], hd, kk[bi*s*hd+hi*d:], hd, 0, nil, 0, nil)
				requireClose(t, wantS, scores[so:so+s*s], 1e-5, 1e-5, "scores")
				wantC := naiveGemm(false, false, s, d, s, 1, scores[so:], s, v[bi*s*hd+hi*d:], hd, 0, nil, 0, nil)
				got := make([]float32, s*d)
				for i := 0; i < s; i++ {
					copy(got[i*d:i*d+d], ctx[bi*s*hd+i*hd+hi*d:])
				}
				requireClose(t, wantC, got, 1e-5, 1e-5, "ctx")
			}
		}
	})
}

func TestGemmU8S8(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 10))
		pool := NewPool(2)
		defer pool.Close()
		for it := 0; it < 40; it++ {
			m, n, k := 1+r.IntN(40), 1+r.IntN(70), 1+r.IntN(90)
			amax := 128
			if it%4 == 0 {
				amax = 256 // exercises the exact fallback
			}
			lda, ldb, ldc := k+r.IntN(3), n+r.IntN(3), n+r.IntN(3)
			a := make([]uint8, (m-1)*lda+k+1)[1:]
			b := make([]int8, (k-1)*ldb+n)
			for i := range a {
				a[i] = uint8(r.IntN(amax))
			}
			for i := range b {
				b[i] = int8(r.IntN(256) - 128)
			}
			cbuf := make([]int32, (m-1)*ldc+n+2)
			for i := range cbuf {
				cbuf[i] = -7
			}
			c := cbuf[1 : 1+(m-1)*ldc+n]
			var p *Pool
			if it%2 == 0 {
				p = pool
			}
			GemmU8S8(p, m, n, k, a, lda, b, ldb, c, ldc)
			require.Equal(t, int32(-7), cbuf[0])
			require.Equal(t, int32(-7), cbuf[len(cbuf)-1])
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					var s int32
					for p := 0; p < k; p++ {
						s += int32(a[i*lda+p]) * int32(b[p*ldb+j])
					}
					require.Equal(t, s, c[i*ldc+j], "m=%d n=%d k=%d (%d,%d)", m, n, k, i, j)
				}
				for j := n; j < ldc && i < m-1; j++ {
					require.Equal(t, int32(-7), c[i*ldc+j])
				}
			}
		}
		// Extremes: 255 x -128 and 0 x 127 over a long K (no saturation, no overflow).
		m, n, k := 5, 17, 1000
		for _, av := range []uint8{255, 0, 128} {
			for _, bv := range []int8{-128, 127} {
				a, b, c := make([]uint8, m*k), make([]int8, k*n), make([]int32, m*n)
				for i := range a {
					a[i] = av
				}
				for i := range b {
					b[i] = bv
				}
				GemmU8S8(pool, m, n, k, a, k, b, n, c, n)
				for i := range c {
					require.Equal(t, int32(av)*int32(bv)*int32(k), c[i], "a=%d b=%d", av, bv)
				}
			}
		}
	})
}

func TestPool(t *testing.T) {
	p := NewPool(4)
	defer p.Close()
	require.Equal(t, 4, p.Threads())
	for _, n := range []int{1, 3, 4, 1000} {
		hits := make([]int32, n)
		p.Parallel(n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				hits[i]++
			}
		})
		for i := range hits {
			require.Equal(t, int32(1), hits[i])
		}
	}
	var nilPool *Pool
	require.Equal(t, 1, nilPool.Threads())
	called := 0
	nilPool.Parallel(5, func(lo, hi int) { called += hi - lo })
	require.Equal(t, 5, called)
}

func TestSetPath(t *testing.T) {
	before := Path()
	_, err := SetPath("nonsense")
	require.Error(t, err)
	require.Equal(t, before, Path())
	restore, err := SetPath(PathGeneric)
	require.NoError(t, err)
	require.Equal(t, PathGeneric, Path())
	restore()
	require.Equal(t, before, Path())
}

// TestPackA compares the active path's A packing (asm on avx2) with the
// scalar packing and checks that nothing past the packed block is written.
func TestPackA(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	forEachPath(t, func(t *testing.T) {
		for _, kc := range []int{1, 7, 8, 9, 16, 23, 64, 384} {
			for _, mc := range []int{1, 5, 6, 7, 12, 13} {
				lda := kc + 3
				a := randSlice(r, (mc+1)*lda, -1, 1)
				got, check := poisoned(((mc + gemmMR - 1) / gemmMR) * gemmMR * kc)
				packA(false, 0.5, a, lda, 1, mc, 2, kc-2+2, got)
				check(t)
				for ip := 0; ip*gemmMR < mc; ip++ {
					for q := 0; q < kc; q++ {
						for i := 0; i < gemmMR; i++ {
							var want float32
							if ip*gemmMR+i < mc && 2+q < lda {
								want = 0.5 * a[(1+ip*gemmMR+i)*lda+2+q]
							}
							require.Equal(t, want, got[ip*gemmMR*kc+q*gemmMR+i], "kc=%d mc=%d", kc, mc)
						}
					}
				}
			}
		}
	})
}

// TestPackBTrans checks transposed-B packing (asm on avx2) against the
// definition, including partial panels and K tails.
func TestPackBTrans(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	forEachPath(t, func(t *testing.T) {
		for _, k := range []int{1, 8, 9, 16, 23, 400, 800} {
			for _, n := range []int{1, 15, 16, 17, 40} {
				ldb := k + 2
				b := randSlice(r, (n-1)*ldb+k, -1, 1)
				pb := PackB(nil, true, k, n, b, ldb)
				for p0 := 0; p0 < k; p0 += pb.kc {
					for jp := 0; jp < pb.panels; jp++ {
						pan := pb.panel(p0, jp)
						kc := len(pan) / gemmNR
						for q := 0; q < kc; q++ {
							for j := 0; j < gemmNR; j++ {
								var want float32
								if jp*gemmNR+j < n {
									want = b[(jp*gemmNR+j)*ldb+p0+q]
								}
								require.Equal(t, want, pan[q*gemmNR+j], "k=%d n=%d", k, n)
							}
						}
					}
				}
			}
		}
	})
}

func epDesc(ep *Epilogue) string {
	if ep == nil {
		return "none"
	}
	return fmt.Sprintf("{bias:%v scale:%v act:%v residual:%v ld:%d}", ep.Bias != nil, ep.Scale, ep.Act, ep.Residual != nil, ep.LdResidual)
}
