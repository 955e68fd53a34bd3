package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

var testLens = []int{0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 100, 257, 1000}

// withBoth runs fn with the generic table and the active one, returning both
// outputs for comparison.
func genericAndActive(t *testing.T, fn func(tab *kernelTable)) {
	t.Helper()
	forEachPath(t, func(t *testing.T) { fn(active) })
}

func TestUnaryVsGeneric(t *testing.T) {
	type unary struct {
		name   string
		f      func(dst, src []float32)
		lo, hi float32
		tol    float64 // abs+rel tolerance vs the generic (float64 libm) version
	}
	fns := []unary{
		{"Exp", Exp, -90, 90, 4e-7},
		{"Tanh", Tanh, -10, 10, 4e-7},
		{"Erf", Erf, -5, 5, 4e-7},
		{"Gelu", Gelu, -8, 8, 1e-6},
		{"GeluTanh", GeluTanh, -8, 8, 1e-6},
	}
	r := rand.New(rand.NewPCG(11, 12))
	for _, u := range fns {
		t.Run(u.name, func(t *testing.T) {
			forEachPath(t, func(t *testing.T) {
				for _, n := range testLens {
					src := randSlice(r, n, u.lo, u.hi)
					dst, check := poisoned(n)
					u.f(dst, src)
					check(t)
					want := make([]float32, n)
					genericTable().exp(want, want) // no-op, keeps table use symmetric
					ref := map[string]func(d, s []float32){
						"Exp": expGeneric, "Tanh": tanhGeneric, "Erf": erfGeneric,
						"Gelu": geluGeneric, "GeluTanh": geluTanhGeneric,
					}[u.name]
					ref(want, src)
					requireClose(t, want, dst, u.tol, 1e-7, fmt.Sprintf("%s n=%d", u.name, n))
					// in place
					cp := make([]float32, n)
					copy(cp, src)
					u.f(cp, cp)
					require.Equal(t, dst, cp)
				}
			})
		})
	}
}

func TestBinaryAndScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	forEachPath(t, func(t *testing.T) {
		for _, n := range testLens {
			a := randSlice(r, n, -2, 2)
			b := randSlice(r, n, 0.5, 2)
			for name, f := range map[string]func(d, a, b []float32){"Add": Add, "Sub": Sub, "Mul": Mul, "Div": Div} {
				dst, check := poisoned(n)
				f(dst, a, b)
				check(t)
				for i := range dst {
					var w float32
					switch name {
					case "Add":
						w = a[i] + b[i]
					case "Sub":
						w = a[i] - b[i]
					case "Mul":
						w = a[i] * b[i]
					case "Div":
						w = a[i] / b[i]
					}
					require.Equal(t, w, dst[i], "%s n=%d i=%d", name, n, i)
				}
			}
			s := float32(1.7)
			for name, f := range map[string]func(d, a []float32, s float32){"AddScalar": AddScalar, "SubScalar": SubScalar, "MulScalar": MulScalar, "DivScalar": DivScalar} {
				dst, check := poisoned(n)
				f(dst, a, s)
				check(t)
				for i := range dst {
					w := map[string]float32{"AddScalar": a[i] + s, "SubScalar": a[i] - s, "MulScalar": a[i] * s, "DivScalar": a[i] / s}[name]
					require.Equal(t, w, dst[i], "%s n=%d i=%d", name, n, i)
				}
			}
		}
		// Row broadcast.
		m, n := 5, 19
		a := randSlice(r, m*n, -2, 2)
		row := randSlice(r, n, 0.5, 2)
		for _, op := range []BinaryOp{OpAdd, OpSub, OpMul, OpDiv} {
			dst, check := poisoned(m * n)
			RowBroadcast(op, dst, a, m, n, row)
			check(t)
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					x, y := a[i*n+j], row[j]
					w := [...]float32{x + y, x - y, x * y, x / y}[op]
					require.Equal(t, w, dst[i*n+j])
				}
			}
		}
	})
}

func TestReductions(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	forEachPath(t, func(t *testing.T) {
		for _, n := range testLens[1:] {
			x := randSlice(r, n, -3, 3)
			var s float64
			mx := float32(math.Inf(-1))
			for _, v := range x {
				s += float64(v)
				mx = max(mx, v)
			}
			require.InDelta(t, s, float64(Sum(x)), 1e-5*float64(n))
			require.InDelta(t, s/float64(n), float64(Mean(x)), 1e-5)
			require.Equal(t, mx, Max(x))
			var ss float64
			for _, v := range x {
				ss += (float64(v) - 0.25) * (float64(v) - 0.25)
			}
			require.InDelta(t, ss, float64(active.sumSq(x, 0.25)), 1e-5*ss+1e-5, "sumSq n=%d", n)
			// NaN anywhere (vector body or tail) makes the max NaN; all -Inf gives -Inf
			for _, at := range []int{0, n / 2, n - 1} {
				y := append([]float32(nil), x...)
				y[at] = float32(math.NaN())
				require.True(t, math.IsNaN(float64(Max(y))), "Max with NaN at %d of %d", at, n)
			}
			inf := make([]float32, n)
			for i := range inf {
				inf[i] = float32(math.Inf(-1))
			}
			require.Equal(t, float32(math.Inf(-1)), Max(inf))
		}
		m, n := 7, 45
		x := randSlice(r, m*n, -3, 3)
		sums, means, maxs := make([]float32, m), make([]float32, m), make([]float32, m)
		SumRows(sums, x, m, n)
		MeanRows(means, x, m, n)
		MaxRows(maxs, x, m, n)
		for i := 0; i < m; i++ {
			var s float64
			mx := float32(math.Inf(-1))
			for _, v := range x[i*n : i*n+n] {
				s += float64(v)
				mx = max(mx, v)
			}
			require.InDelta(t, s, float64(sums[i]), 1e-4)
			require.InDelta(t, s/float64(n), float64(means[i]), 1e-5)
			require.Equal(t, mx, maxs[i])
		}
	})
}

func refSoftmax(x, mask []float32, m, n int) []float32 {
	out := make([]float32, m*n)
	for i := 0; i < m; i++ {
		t := make([]float64, n)
		mx := math.Inf(-1)
		for j := range t {
			t[j] = float64(x[i*n+j])
			if mask != nil {
				t[j] += float64(mask[j])
			}
			mx = math.Max(mx, t[j])
		}
		if math.IsInf(mx, -1) {
			continue
		}
		var s float64
		for j := range t {
			t[j] = math.Exp(t[j] - mx)
			s += t[j]
		}
		for j := range t {
			out[i*n+j] = float32(t[j] / s)
		}
	}
	return out
}

func TestSoftmax(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	pool := NewPool(2)
	defer pool.Close()
	forEachPath(t, func(t *testing.T) {
		for _, sh := range [][2]int{{1, 1}, {3, 7}, {5, 33}, {2, 8}, {3, 16}, {4, 24}, {3, 40}, {64, 128}, {7, 1000}, {5, 768}} {
			m, n := sh[0], sh[1]
			x := randSlice(r, m*n, -10, 10)
			mask := randSlice(r, n, -5, 0)
			mask[0] = float32(math.Inf(-1))
			for _, mk := range [][]float32{nil, mask} {
				dst, check := poisoned(m * n)
				Softmax(pool, dst, x, m, n, mk)
				check(t)
				requireClose(t, refSoftmax(x, mk, m, n), dst, 1e-5, 1e-7, "softmax")
				if mk != nil {
					for i := 0; i < m; i++ {
						require.Equal(t, float32(0), dst[i*n], "masked (-Inf) entry must be exactly 0")
					}
				}
			}
		}
		// all -Inf rows
		for _, n := range []int{2, 8, 16} {
			x := make([]float32, 2*n)
			for i := range x {
				x[i] = float32(math.Inf(-1))
			}
			x[n] = 1 // second row is fine
			Softmax(nil, x, x, 2, n, nil)
			for i := 0; i < n; i++ {
				require.Equal(t, float32(0), x[i])
			}
			require.Equal(t, float32(1), x[n])
		}
	})
}

func TestLayerNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	pool := NewPool(2)
	defer pool.Close()
	forEachPath(t, func(t *testing.T) {
		for _, sh := range [][2]int{{1, 1}, {3, 7}, {5, 33}, {2, 8}, {4, 40}, {64, 768}, {3, 1001}} {
			m, n := sh[0], sh[1]
			x := randSlice(r, m*n, -3, 5)
			skip := randSlice(r, m*n, -1, 1)
			bias := randSlice(r, n, -1, 1)
			g := randSlice(r, n, 0.5, 1.5)
			b := randSlice(r, n, -1, 1)
			eps := float32(1e-5)
			for variant := 0; variant < 4; variant++ {
				var sk, bi []float32
				if variant&1 != 0 {
					sk = skip
				}
				if variant&2 != 0 {
					bi = bias
				}
				want := make([]float32, m*n)
				for i := 0; i < m; i++ {
					row := make([]float64, n)
					var mean float64
					for j := range row {
						row[j] = float64(x[i*n+j])
						if sk != nil {
							row[j] += float64(sk[i*n+j])
						}
						if bi != nil {
							row[j] += float64(bi[j])
						}
						mean += row[j]
					}
					mean /= float64(n)
					var v float64
					for _, e := range row {
						v += (e - mean) * (e - mean)
					}
					v /= float64(n)
					for j := range row {
						want[i*n+j] = float32((row[j]-mean)/math.Sqrt(v+float64(eps))*float64(g[j]) + float64(b[j]))
					}
				}
				dst, check := poisoned(m * n)
				if variant == 0 {
					LayerNorm(pool, dst, x, m, n, g, b, eps)
				} else {
					SkipLayerNorm(pool, dst, x, sk, bi, m, n, g, b, eps)
				}
				check(t)
				requireClose(t, want, dst, 2e-5, 2e-5, fmt.Sprintf("layernorm variant %d %v", variant, sh))
			}
		}
	})
}

func TestTranspose(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	b, s, h, d := 2, 5, 3, 4
	x := randSlice(r, b*s*h*d, -1, 1)
	y, check := poisoned(b * s * h * d)
	TransposeBSHD(y, x, b, s, h, d)
	check(t)
	for bi := 0; bi < b; bi++ {
		for si := 0; si < s; si++ {
			for hi := 0; hi < h; hi++ {
				for di := 0; di < d; di++ {
					require.Equal(t, x[((bi*s+si)*h+hi)*d+di], y[((bi*h+hi)*s+si)*d+di])
				}
			}
		}
	}
	z, check2 := poisoned(b * s * h * d)
	TransposeBHSD(z, y, b, s, h, d)
	check2(t)
	require.Equal(t, x, z)
}

// TestAccuracy measures the max error of the vector math of every path against
// float64 libm over a dense sweep and checks it against documented bounds.
func TestAccuracy(t *testing.T) {
	type fn struct {
		name   string
		f      func(dst, src []float32)
		ref    func(float64) float64
		lo, hi float64
		maxUlp float64
		// below this |ref|, compare absolutely (relative error of values near
		// 0 that come from cancellation is meaningless)
		absBelow float64
	}
	fns := []fn{
		{"exp", Exp, math.Exp, -86.9, 88.7, 3, 0},
		{"tanh", Tanh, math.Tanh, -10, 10, 6, 0},
		{"erf", Erf, math.Erf, -5, 5, 6, 0},
		{"gelu", Gelu, func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }, -10, 10, 10, 1e-3},
		{"geluTanh", GeluTanh, func(x float64) float64 {
			return 0.5 * x * (1 + math.Tanh(sqrt2OverPi*(x+0.044715*x*x*x)))
		}, -10, 10, 12, 1e-3},
	}
	const N = 1 << 18
	forEachPath(t, func(t *testing.T) {
		for _, f := range fns {
			src := make([]float32, N)
			for i := range src {
				src[i] = float32(f.lo + (f.hi-f.lo)*float64(i)/N)
			}
			dst := make([]float32, N)
			f.f(dst, src)
			worst, at, worstAbs := 0.0, float32(0), 0.0
			for i, x := range src {
				ref := f.ref(float64(x))
				if math.Abs(ref) < f.absBelow {
					worstAbs = math.Max(worstAbs, math.Abs(float64(dst[i])-ref))
					continue
				}
				if e := ulpDiff(dst[i], ref); e > worst {
					worst, at = e, x
				}
			}
			t.Logf("%-8s max error %.2f ulp (at x=%g); abs error %.2g where |f|<%g", f.name, worst, at, worstAbs, f.absBelow)
			require.LessOrEqual(t, worst, f.maxUlp, f.name)
			require.LessOrEqual(t, worstAbs, 1e-7, f.name)
		}
	})
}
