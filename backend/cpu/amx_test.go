package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestSplitBF16(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 100000; i++ {
		x := float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(20)-10)))
		hi, lo := splitBF16(x)
		s := float64(math.Float32frombits(uint32(hi)<<16)) + float64(math.Float32frombits(uint32(lo)<<16))
		if d := math.Abs(s - float64(x)); d > math.Abs(float64(x))*math.Pow(2, -16) {
			t.Fatalf("split(%g) = %g (err %g)", x, s, d)
		}
	}
	for _, x := range []float32{0, float32(math.Inf(1)), float32(math.Inf(-1))} {
		hi, lo := splitBF16(x)
		if math.Float32frombits(uint32(hi)<<16) != x || lo != 0 {
			t.Errorf("split(%g) = %#x %#x", x, hi, lo)
		}
	}
	if hi, _ := splitBF16(float32(math.NaN())); math.Float32frombits(uint32(hi)<<16) == math.Float32frombits(uint32(hi)<<16) {
		t.Error("NaN lost")
	}
}

// TestSgemmBF16x3 checks the AMX path against a float64 reference on ragged
// shapes with epilogues, threaded and not: |err| <= 2^-14 * sum_k |a_ik b_kj|.
func TestSgemmBF16x3(t *testing.T) {
	if !AMXAvailable() {
		t.Skip("no AMX-BF16 on this machine")
	}
	r := rand.New(rand.NewPCG(7, 8))
	pool := NewPool(2)
	defer pool.Close()
	for _, s := range [][3]int{{1, 1, 1}, {16, 32, 32}, {17, 33, 31}, {5, 100, 70}, {128, 96, 768}, {40, 64, 1000}, {300, 160, 100}} {
		m, n, k := s[0], s[1], s[2]
		for _, ep := range []*Epilogue{nil, {Bias: randSlice(r, n, -1, 1), Act: ActGELU}} {
			a := randSlice(r, m*(k+3), -1, 1)
			w := randSlice(r, n*k, -1, 1)
			pb := PackB(nil, true, k, n, w, k)
			if !pb.EnableBF16x3() {
				t.Fatal("EnableBF16x3 failed with AMX available")
			}
			for _, p := range []*Pool{nil, pool} {
				ldc := n + 2
				c := make([]float32, m*ldc)
				for i := range c {
					c[i] = float32(math.NaN())
				}
				SgemmPacked(p, false, m, 0.5, a, k+3, pb, 0, c, ldc, ep)
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						var sum, mag float64
						for q := 0; q < k; q++ {
							v := 0.5 * float64(a[i*(k+3)+q]) * float64(w[j*k+q])
							sum += v
							mag += math.Abs(v)
						}
						want := sum
						if ep != nil {
							want = sum + float64(ep.Bias[j])
							want = 0.5 * want * (1 + math.Erf(want/math.Sqrt2))
						}
						tol := mag*math.Pow(2, -14) + 1e-6
						if got := float64(c[i*ldc+j]); !(math.Abs(got-want) <= tol) {
							t.Fatalf("%dx%dx%d ep=%v [%d,%d]: got %g want %g (tol %g)", m, n, k, ep != nil, i, j, got, want, tol)
						}
					}
					for j := n; j < ldc && i < m-1; j++ {
						if c[i*ldc+j] == c[i*ldc+j] {
							t.Fatalf("write into C padding at [%d,%d]", i, j)
						}
					}
				}
			}
		}
	}
}

func BenchmarkSgemmBF16x3(b *testing.B) {
	if !AMXAvailable() {
		b.Skip("no AMX-BF16")
	}
	for _, s := range benchShapes {
		m, n, k := s[0], s[1], s[2]
		a, w, c := randBench(m*k), randBench(n*k), make([]float32, m*n)
		pb := PackB(nil, true, k, n, w, k)
		pb.EnableBF16x3()
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

func TestSplitRowBF16(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{1, 15, 16, 17, 100} {
		x := randSlice(r, n, -3, 3)
		x[0] = float32(math.Inf(1))
		if n > 2 {
			x[1] = float32(math.NaN())
			x[2] = -1e-30
		}
		h, l := make([]uint16, n+1), make([]uint16, n+1)
		h[n], l[n] = 0xdead, 0xbeef
		splitRowBF16(h[:n], l[:n], x, 0.75)
		if h[n] != 0xdead || l[n] != 0xbeef {
			t.Fatalf("n=%d: wrote past the end", n)
		}
		for i, v := range x {
			wh, wl := splitBF16(0.75 * v)
			if h[i] != wh || l[i] != wl {
				t.Fatalf("n=%d x=%g: got %#x %#x want %#x %#x", n, v, h[i], l[i], wh, wl)
			}
		}
	}
}
