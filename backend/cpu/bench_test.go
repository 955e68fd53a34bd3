package cpu

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

var benchShapes = [][3]int{
	{128, 768, 768}, {128, 3072, 768}, {128, 768, 3072}, {128, 2304, 768}, {1024, 1024, 1024},
}

func randBench(n int) []float32 {
	r := rand.New(rand.NewPCG(uint64(n), 1))
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

// BenchmarkSgemm: C = A * W^T with W pre-packed (weights), 1 and 2 threads.
func BenchmarkSgemm(b *testing.B) {
	for _, s := range benchShapes {
		m, n, k := s[0], s[1], s[2]
		a := randBench(m * k)
		w := randBench(n * k)
		c := make([]float32, m*n)
		pb := PackB(nil, true, k, n, w, k)
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%dx%d/t%d", m, n, k, threads), func(b *testing.B) {
				var pool *Pool
				if threads > 1 {
					pool = NewPool(threads)
					defer pool.Close()
				}
				for b.Loop() {
					SgemmPacked(pool, false, m, 1, a, k, pb, 0, c, n, nil)
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkSgemmEpilogue: FFN1 shape with bias+GELU fused, single thread.
func BenchmarkSgemmEpilogue(b *testing.B) {
	m, n, k := 128, 3072, 768
	a, w, c := randBench(m*k), randBench(n*k), make([]float32, m*n)
	pb := PackB(nil, true, k, n, w, k)
	ep := &Epilogue{Bias: randBench(n), Act: ActGELU}
	for b.Loop() {
		SgemmPacked(nil, false, m, 1, a, k, pb, 0, c, n, ep)
	}
	b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkAttention: 12 heads, seq 128, head dim 64, [1,128,768] layout.
func BenchmarkAttention(b *testing.B) {
	s, h, d := 128, 12, 64
	hd := h * d
	q, k, v := randBench(s*hd), randBench(s*hd), randBench(s*hd)
	scores := make([]float32, h*s*s)
	ctx := make([]float32, s*hd)
	flops := 2 * 2 * float64(h*s*s*d)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("QK/t%d", threads), func(b *testing.B) {
			pool := NewPool(threads)
			defer pool.Close()
			for b.Loop() {
				SgemmBatched(pool, 1, h, false, true, s, s, d, 0.125, q, hd, BatchStrides{s * hd, d},
					k, hd, BatchStrides{s * hd, d}, 0, scores, s, BatchStrides{h * s * s, s * s})
			}
			b.ReportMetric(flops/2*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			reportGBs(b, 4*(2*s*hd+h*s*s)) // read Q, K; write scores
		})
		b.Run(fmt.Sprintf("PV/t%d", threads), func(b *testing.B) {
			pool := NewPool(threads)
			defer pool.Close()
			for b.Loop() {
				SgemmBatched(pool, 1, h, false, false, s, d, s, 1, scores, s, BatchStrides{h * s * s, s * s},
					v, hd, BatchStrides{s * hd, d}, 0, ctx, hd, BatchStrides{s * hd, d})
			}
			b.ReportMetric(flops/2*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			reportGBs(b, 4*(h*s*s+2*s*hd)) // read P, V; write context
		})
		b.Run(fmt.Sprintf("Softmax/t%d", threads), func(b *testing.B) {
			pool := NewPool(threads)
			defer pool.Close()
			mask := make([]float32, s)
			for b.Loop() {
				Softmax(pool, scores, scores, h*s, s, mask)
			}
			reportGBs(b, 2*4*h*s*s)
		})
	}
}

func reportGBs(b *testing.B, bytes int) {
	b.ReportMetric(float64(bytes)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

// BenchmarkMemcpy is the bandwidth yardstick: copy() of the same working-set
// sizes as the normalisation benchmarks, and a DRAM-sized one.
func BenchmarkMemcpy(b *testing.B) {
	for _, n := range []int{128 * 768, 128 * 3072, 16 << 20} {
		b.Run(fmt.Sprintf("%dKiB", n*4/1024), func(b *testing.B) {
			src, dst := randBench(n), make([]float32, n)
			for b.Loop() {
				copy(dst, src)
			}
			reportGBs(b, 2*4*n)
		})
	}
}

func benchPaths(b *testing.B, fn func(b *testing.B)) {
	for _, p := range Paths() {
		b.Run(p, func(b *testing.B) {
			restore, _ := SetPath(p)
			defer restore()
			fn(b)
		})
	}
}

func BenchmarkSoftmax(b *testing.B) {
	m, n := 128, 768
	x, y := randBench(m*n), make([]float32, m*n)
	benchPaths(b, func(b *testing.B) {
		for b.Loop() {
			Softmax(nil, y, x, m, n, nil)
		}
		reportGBs(b, 2*4*m*n)
	})
}

func BenchmarkLayerNorm(b *testing.B) {
	m, n := 128, 768
	x, y := randBench(m*n), make([]float32, m*n)
	g, be := randBench(n), randBench(n)
	benchPaths(b, func(b *testing.B) {
		for b.Loop() {
			LayerNorm(nil, y, x, m, n, g, be, 1e-12)
		}
		reportGBs(b, 2*4*m*n)
	})
}

func BenchmarkSkipLayerNorm(b *testing.B) {
	m, n := 128, 768
	x, sk, y := randBench(m*n), randBench(m*n), make([]float32, m*n)
	g, be, bias := randBench(n), randBench(n), randBench(n)
	benchPaths(b, func(b *testing.B) {
		for b.Loop() {
			SkipLayerNorm(nil, y, x, sk, bias, m, n, g, be, 1e-12)
		}
		reportGBs(b, 3*4*m*n)
	})
}

func BenchmarkGelu(b *testing.B) {
	n := 128 * 3072
	x, y := randBench(n), make([]float32, n)
	benchPaths(b, func(b *testing.B) {
		for b.Loop() {
			Gelu(y, x)
		}
		reportGBs(b, 2*4*n)
	})
}

func BenchmarkGeluTanh(b *testing.B) {
	n := 128 * 3072
	x, y := randBench(n), make([]float32, n)
	benchPaths(b, func(b *testing.B) {
		for b.Loop() {
			GeluTanh(y, x)
		}
		reportGBs(b, 2*4*n)
	})
}

func BenchmarkAdd(b *testing.B) {
	n := 128 * 768
	x, z, y := randBench(n), randBench(n), make([]float32, n)
	benchPaths(b, func(b *testing.B) {
		for b.Loop() {
			Add(y, x, z)
		}
		reportGBs(b, 3*4*n)
	})
}
