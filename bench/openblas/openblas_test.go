package openblas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/llmc/llmc/backend/cpu"
)

var shapes = [][3]int{{128, 768, 768}, {128, 3072, 768}, {128, 768, 3072}, {128, 2304, 768}, {1024, 1024, 1024}}

func randSlice(n int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

// TestAgree checks that both libraries compute the same product.
func TestAgree(t *testing.T) {
	m, n, k := 37, 70, 129
	a, b := randSlice(m*k, 1), randSlice(n*k, 2)
	c1, c2 := make([]float32, m*n), make([]float32, m*n)
	Sgemm(m, n, k, a, b, c1)
	cpu.SgemmPacked(nil, false, m, 1, a, k, cpu.PackB(nil, true, k, n, b, k), 0, c2, n, nil)
	for i := range c1 {
		if math.Abs(float64(c1[i]-c2[i])) > 1e-4 {
			t.Fatalf("element %d: openblas %v llmc %v", i, c1[i], c2[i])
		}
	}
}

// BenchmarkSgemm reports, per shape and thread count, best-of GFLOP/s of
// OpenBLAS and of llmc (weights pre-packed, as in a compiled model) measured
// alternately, and their ratio. Run: go test -bench . -benchtime 20x
func BenchmarkSgemm(b *testing.B) {
	if CoreName() == "Prescott" {
		// Debian's OpenBLAS 0.3.21 does not recognise recent Xeons (or a VM's masked
		// model) and falls back to SSE3 kernels, which would make any ratio meaningless.
		b.Skip("OpenBLAS picked its Prescott (SSE3) kernels; run with OPENBLAS_CORETYPE=SkylakeX (AVX-512) or Haswell (AVX2)")
	}
	b.Logf("OpenBLAS core: %s", CoreName())
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		a, w, c := randSlice(m*k, 3), randSlice(n*k, 4), make([]float32, m*n)
		pb := cpu.PackB(nil, true, k, n, w, k)
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%dx%d/t%d", m, n, k, threads), func(b *testing.B) {
				SetThreads(threads)
				var pool *cpu.Pool
				if threads > 1 {
					pool = cpu.NewPool(threads)
					defer pool.Close()
				}
				// Blocks of 4 calls per library, alternating: OpenBLAS's threads
				// spin between calls (run with OPENBLAS_THREAD_TIMEOUT=4, as make
				// bench-openblas does, or they hold the CPUs through llmc's turn).
				var bo, bl time.Duration = 1 << 62, 1 << 62
				for b.Loop() {
					for i := 0; i < 4; i++ {
						t0 := time.Now()
						Sgemm(m, n, k, a, w, c)
						bo = min(bo, time.Since(t0))
					}
					for i := 0; i < 4; i++ {
						t0 := time.Now()
						cpu.SgemmPacked(pool, false, m, 1, a, k, pb, 0, c, n, nil)
						bl = min(bl, time.Since(t0))
					}
				}
				f := 2 * float64(m*n*k) / 1e9
				b.ReportMetric(f/bo.Seconds(), "openblas-GFLOP/s")
				b.ReportMetric(f/bl.Seconds(), "llmc-GFLOP/s")
				b.ReportMetric(bo.Seconds()/bl.Seconds(), "llmc-speedup")
			})
		}
	}
}
