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
		var p [2]uint16
		splitBF16Terms(x, p[:])
		hi, lo := p[0], p[1]
		s := float64(math.Float32frombits(uint32(hi)<<16)) + float64(math.Float32frombits(uint32(lo)<<16))
		if d := math.Abs(s - float64(x)); d > math.Abs(float64(x))*math.Pow(2, -16) {
			t.Fatalf("split(%g) = %g (err %g)", x, s, d)
		}
	}
	for _, x := range []float32{0, float32(math.Inf(1)), float32(math.Inf(-1))} {
		var p [2]uint16
		splitBF16Terms(x, p[:])
		hi, lo := p[0], p[1]
		if math.Float32frombits(uint32(hi)<<16) != x || lo != 0 {
			t.Errorf("split(%g) = %#x %#x", x, hi, lo)
		}
	}
	var pn [2]uint16
	if splitBF16Terms(float32(math.NaN()), pn[:]); math.Float32frombits(uint32(pn[0])<<16) == math.Float32frombits(uint32(pn[0])<<16) {
		t.Error("NaN lost")
	}
	// Three terms carry every bit of a float32 (normal range): the sum is exact.
	var p [3]uint16
	for i := 0; i < 100000; i++ {
		x := float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(40)-20)))
		splitBF16Terms(x, p[:])
		s := 0.0
		for _, v := range p {
			s += float64(math.Float32frombits(uint32(v) << 16))
		}
		if s != float64(x) {
			t.Fatalf("split3(%g) = %g", x, s)
		}
	}
}

// TestSgemmAMX checks the AMX paths against a float64 reference on ragged shapes with epilogues,
// threaded and not: |err| <= 2^-14 * sum_k |a_ik b_kj|
// for BF16x3, 2^-20 for BF16x6; and BF16x6's root-mean-square error is no
// more than 2 times that of the float32 kernels on the same problem
// (measured: 0.75x at K = 768, 1.5x at K = 3072), nor INT8x6's.
func TestSgemmAMX(t *testing.T) {
	if !AMXAvailable() {
		t.Skip("no AMX-BF16 on this machine")
	}
	r := rand.New(rand.NewPCG(7, 8))
	pool := NewPool(2)
	defer pool.Close()
	for _, prec := range []Precision{BF16x3, BF16x6, INT8x6} {
		bound := amxBound(prec)
		for _, s := range [][3]int{{1, 1, 1}, {16, 32, 32}, {49, 33, 31}, {50, 100, 70}, {128, 96, 768}, {65, 17, 1000}, {300, 160, 100}, {64, 64, 3072}, {48, 40, 7}, {64, 64, 1000}} {
			m, n, k := s[0], s[1], s[2]
			for _, ep := range []*Epilogue{nil, {Bias: randSlice(r, n, -1, 1), Act: ActGELU}} {
				a := randSlice(r, m*(k+3), -1, 1)
				w := randSlice(r, n*k, -1, 1)
				pb := PackB(nil, true, k, n, w, k)
				ref := make([]float32, m*n)
				SgemmPacked(nil, false, m, 0.5, a, k+3, pb, 0, ref, n, ep) // float32 kernels
				if !pb.EnableAMX(prec) {
					t.Fatal("EnableAMX failed with AMX available")
				}
				if got, ok := pb.AMX(); !ok || got != prec {
					t.Fatalf("AMX() = %v, %v", got, ok)
				}
				for _, p := range []*Pool{nil, pool} {
					ldc := n + 2
					c := make([]float32, m*ldc)
					for i := range c {
						c[i] = float32(math.NaN())
					}
					SgemmPacked(p, false, m, 0.5, a, k+3, pb, 0, c, ldc, ep)
					var sq, sqRef float64
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							var sum, mag, amax, bmax float64
							for q := 0; q < k; q++ {
								v := 0.5 * float64(a[i*(k+3)+q]) * float64(w[j*k+q])
								sum += v
								mag += math.Abs(v)
								amax = max(amax, math.Abs(0.5*float64(a[i*(k+3)+q])))
								bmax = max(bmax, math.Abs(float64(w[j*k+q])))
							}
							if prec == INT8x6 {
								mag = i8Mag(mag, k, amax, bmax)
							}
							want := sum
							if ep != nil {
								want = sum + float64(ep.Bias[j])
								want = 0.5 * want * (1 + math.Erf(want/math.Sqrt2))
							}
							tol := mag*bound + 1e-6
							got := float64(c[i*ldc+j])
							if !(math.Abs(got-want) <= tol) {
								t.Fatalf("%v %dx%dx%d ep=%v [%d,%d]: got %g want %g (tol %g)", prec, m, n, k, ep != nil, i, j, got, want, tol)
							}
							sq += (got - want) * (got - want)
							sqRef += (float64(ref[i*n+j]) - want) * (float64(ref[i*n+j]) - want)
						}
						for j := n; j < ldc && i < m-1; j++ {
							if c[i*ldc+j] == c[i*ldc+j] {
								t.Fatalf("write into C padding at [%d,%d]", i, j)
							}
						}
					}
					// (From K = 64: below, the float32 kernels' error is a few roundings, and INT8x6's
					// the fixed 2^-24 of a row's and a column's largest per product, 2.1 times it at K = 7.)
					if prec != BF16x3 && m*n >= 1000 && k >= 64 && math.Sqrt(sq) > 2*math.Sqrt(sqRef) {
						t.Errorf("%v %dx%dx%d ep=%v: rms error %.3g, float32 kernels %.3g", prec, m, n, k, ep != nil, math.Sqrt(sq/float64(m*n)), math.Sqrt(sqRef/float64(m*n)))
					}
				}
			}
		}
	}
}

// amxBound is the error bound of TestSgemmAMX at prec, relative to the sum of
// the products' magnitudes (INT8x6: to i8Mag).
func amxBound(prec Precision) float64 {
	switch prec {
	case BF16x3:
		return math.Pow(2, -14)
	case BF16x6:
		return math.Pow(2, -20)
	}
	return math.Pow(2, -20)
}

// i8Mag is what INT8x6's error bound scales with: the products' magnitudes
// (the final float32 roundings), and k times the row's largest |a| times the
// column's largest |b| (each value is kept to 2^-24 of its row's or column's
// largest, and the products of slices weighing less than 254^-2 are
// dropped), the latter at 2^-2 of the former's weight (2^-22 all told).
func i8Mag(mag float64, k int, amax, bmax float64) float64 {
	return mag + float64(k)*amax*bmax/4
}

func BenchmarkSgemmAMX(b *testing.B) {
	if !AMXAvailable() {
		b.Skip("no AMX-BF16")
	}
	for _, s := range benchShapes {
		m, n, k := s[0], s[1], s[2]
		a, w, c := randBench(m*k), randBench(n*k), make([]float32, m*n)
		for _, prec := range []Precision{BF16x3, BF16x6, INT8x6} {
			pb := PackB(nil, true, k, n, w, k)
			pb.EnableAMX(prec)
			for _, threads := range []int{1, 2} {
				b.Run(fmt.Sprintf("%v/%dx%dx%d/t%d", prec, m, n, k, threads), func(b *testing.B) {
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
}

// TestSplitStepsAMX checks the split of a row of A into AMX tile rows (the
// AVX-512 kernel on amd64) against splitBF16Terms, element by element, with
// special values, at the tile stride, writing nothing else.
func TestSplitStepsAMX(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, terms := range []int{2, 3} {
		for _, steps := range []int{1, 3, 24} {
			tile := terms * 512
			x := randSlice(r, steps*32, -4, 4)
			x[0], x[1], x[2], x[len(x)-1] = float32(math.Inf(-1)), -1e-30, 3e38, float32(math.NaN())
			got := make([]uint16, steps*tile+512)
			for i := range got {
				got[i] = 0xdead
			}
			if !splitStepsAMX(terms, got, x, steps, tile, 1.5) {
				t.Fatalf("terms=%d steps=%d: Inf/NaN in the row not reported", terms, steps)
			}
			// The flag: each special value alone (3e38*1.5 overflows to +Inf), and none.
			for _, at := range []int{0, 2, len(x) - 1, -1} {
				y := randSlice(r, steps*32, -4, 4)
				if at >= 0 {
					y[at] = x[at]
				}
				if got := splitStepsAMX(terms, make([]uint16, steps*tile), y, steps, tile, 1.5); got != (at >= 0) {
					t.Fatalf("terms=%d steps=%d: special value at %d reported %v", terms, steps, at, got)
				}
			}
			want := make([]uint16, terms)
			for i, v := range got {
				s, e, j := i/tile, i%tile/512, i%512
				if s >= steps || j >= 32 {
					if v != 0xdead {
						t.Fatalf("terms=%d steps=%d: wrote [%d]", terms, steps, i)
					}
					continue
				}
				splitBF16Terms(1.5*x[s*32+j], want)
				if v != want[e] {
					t.Fatalf("terms=%d steps=%d x=%g: step %d term %d = %#x want %#x", terms, steps, x[s*32+j], s, e, v, want[e])
				}
			}
		}
	}
}

// TestSgemmAMXRandomShapes runs both AMX precisions on random shapes (rows from
// amxMinRowsI8 up, any N and K, 1 and 2 threads) against float64, with the
// bounds of TestSgemmAMX: K blocks, column chunks and edges in every
// combination (a ragged K beyond one K block once sliced past the weights).
func TestSgemmAMXRandomShapes(t *testing.T) {
	if !AMXAvailable() {
		t.Skip("no AMX-BF16 on this machine")
	}
	r := rand.New(rand.NewPCG(21, 22))
	pool, pool3 := NewPool(2), NewPool(3) // 3: more threads than cores, chunks claimed unevenly
	defer pool.Close()
	defer pool3.Close()
	for it := 0; it < 24; it++ {
		m, n, k := amxMinRowsI8+r.IntN(250), 1+r.IntN(200), 1+r.IntN(1600)
		a := randSlice(r, m*k, -1, 1)
		w := randSlice(r, n*k, -1, 1)
		for _, prec := range []Precision{BF16x3, BF16x6, INT8x6} {
			bound := amxBound(prec)
			pb := PackB(nil, true, k, n, w, k)
			pb.EnableAMX(prec)
			c := make([]float32, m*n)
			p := []*Pool{nil, pool, pool3}[it%3]
			SgemmPacked(p, false, m, 1, a, k, pb, 0, c, n, nil)
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					var sum, mag, amax, bmax float64
					for q := 0; q < k; q++ {
						v := float64(a[i*k+q]) * float64(w[j*k+q])
						sum += v
						mag += math.Abs(v)
						amax = max(amax, math.Abs(float64(a[i*k+q])))
						bmax = max(bmax, math.Abs(float64(w[j*k+q])))
					}
					if prec == INT8x6 {
						mag = i8Mag(mag, k, amax, bmax)
					}
					if got := float64(c[i*n+j]); !(math.Abs(got-sum) <= mag*bound+1e-6) {
						t.Fatalf("%v %dx%dx%d [%d,%d]: got %g want %g", prec, m, n, k, i, j, got, sum)
					}
				}
			}
		}
	}
}

// TestAMXGuidedChunks checks the column phase's chunks: they tile [0, nb) in
// order, shrink (never grow), end in single blocks (up to 64 blocks),
// stay within amxMaxSlots, and are one chunk at 1 thread.
func TestAMXGuidedChunks(t *testing.T) {
	var task amxTask
	for _, threads := range []int{1, 2, 3, 8} {
		for _, nb := range []int{1, 2, 5, 24, 72, 96, 1000, 100000} {
			n := task.guided(nb, threads)
			b := task.bounds[:n+1]
			if n < 1 || n > amxMaxSlots || b[0] != 0 || b[n] != nb {
				t.Fatalf("nb %d threads %d: %d chunks, bounds %v", nb, threads, n, b)
			}
			if threads == 1 && n != 1 {
				t.Fatalf("nb %d: %d chunks at 1 thread", nb, n)
			}
			for i := 1; i <= n; i++ {
				if b[i] <= b[i-1] || i >= 2 && i < n && b[i]-b[i-1] > b[i-1]-b[max(i-2, 0)] {
					t.Fatalf("nb %d threads %d: chunk %d of bounds %v empty or growing", nb, threads, i-1, b)
				}
			}
			if threads > 1 && nb >= 4*threads && nb <= 64 && b[n]-b[n-1] != 1 {
				t.Fatalf("nb %d threads %d: last chunk %d blocks (bounds %v)", nb, threads, b[n]-b[n-1], b)
			}
		}
	}
}

// TestSgemmAMXNonFinite checks that a GEMM whose alpha*A or weights hold Inf
// or NaN gives exactly the float32 kernels' result (Inf where they make Inf,
// NaN where they make NaN), though AMX is enabled: the weights are small
// multiples of 1/8, exact in one bfloat16, so their lower terms are 0 and Inf
// times them would make NaNs on the tiles.
func TestSgemmAMXNonFinite(t *testing.T) {
	if !AMXAvailable() {
		t.Skip("no AMX-BF16 on this machine")
	}
	r := rand.New(rand.NewPCG(51, 52))
	m, n, k := 128, 80, 96
	w := make([]float32, n*k)
	for i := range w {
		w[i] = float32(r.IntN(33)-16) / 8
	}
	pool := NewPool(2)
	defer pool.Close()
	check := func(name string, a, w []float32, alpha float32, wantAMX bool) {
		t.Helper()
		ref := PackB(nil, true, k, n, w, k)
		pb := PackB(nil, true, k, n, w, k)
		for _, prec := range []Precision{BF16x3, BF16x6, INT8x6} {
			if got := pb.EnableAMX(prec); got != wantAMX {
				t.Fatalf("%s: EnableAMX(%v) = %v", name, prec, got)
			}
			for _, p := range []*Pool{nil, pool} {
				want := make([]float32, m*n)
				SgemmPacked(p, false, m, alpha, a, k, ref, 0, want, n, nil)
				got := make([]float32, m*n)
				SgemmPacked(p, false, m, alpha, a, k, pb, 0, got, n, nil)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
						t.Fatalf("%s %v threads %d: [%d,%d] = %g, float32 kernels %g", name, prec, p.Threads(), i/n, i%n, got[i], want[i])
					}
				}
			}
		}
	}
	finite := randSlice(r, m*k, -1, 1)
	a := append([]float32(nil), finite...)
	a[5*k+7] = float32(math.Inf(1))
	a[70*k+3] = float32(math.Inf(-1))
	check("Inf in A", a, w, 1, true)
	a = append([]float32(nil), finite...)
	a[100*k+50] = float32(math.NaN())
	check("NaN in A", a, w, 1, true)
	a = append([]float32(nil), finite...)
	a[3*k+1] = 3e38 // alpha*A overflows
	check("alpha*A overflows", a, w, 4, true)
	w2 := append([]float32(nil), w...)
	w2[7*k+9] = float32(math.Inf(1))
	check("Inf weight", finite, w2, 1, false)
	w2[7*k+9] = float32(math.NaN())
	check("NaN weight", finite, w2, 1, false)
}
