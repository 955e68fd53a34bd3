package cpu_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/backend/cpu"
)

// ulps returns |got - want| in units in the last place of float32(want)
// (want computed in float64); 0 when both are the same infinity or NaN.
func ulps(got float32, want float64) float64 {
	w := float32(want)
	if got == w || got != got && w != w {
		return 0
	}
	if got != got || w != w || math.IsInf(float64(got), 0) || math.IsInf(want, 0) {
		return math.Inf(1)
	}
	a := math.Abs(float64(w))
	u := float64(math.Nextafter32(float32(a), float32(math.Inf(1)))) - a
	return math.Abs(float64(got)-want) / u
}

var specials = []float32{0, float32(math.Copysign(0, -1)), 1, -1, 2, -2, 0.5, float32(math.Inf(1)),
	float32(math.Inf(-1)), float32(math.NaN()), 1e-40, -1e-40, math.MaxFloat32, -math.MaxFloat32, 1e-30, 88, -88, 100, -100}

// unaryInputs returns a sweep of lengths 0..~1000 worth of values in
// [lo, hi) followed by the special values.
func unaryInputs(r *rand.Rand, n int, lo, hi float32) []float32 {
	x := randF32(r, n, lo, hi, false)
	return append(x, specials...)
}

// TestUnaryMore checks Sigmoid, Sqrt, Neg, Abs, Log, Reciprocal, PowScalar
// and Clip on every path against float64 math: Sqrt, Neg, Abs, Reciprocal
// and PowScalar bit for bit (float64 result rounded once; PowScalar against
// math.Pow for e = 0, 1, 2, 3, 0.5, -1 and others), Log within 1 ulp,
// Sigmoid within 3 ulp where x >= -87 (absolute error < 2e-38 below), Clip
// against the naive clamp; special values included, lengths ragged, output
// slack NaN-poisoned, in place equal to out of place.
func TestUnaryMore(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	type unary struct {
		name   string
		f      func(dst, src []float32)
		ref    func(x float64) float64
		lo, hi float32
		maxUlp float64
		below  float32 // ulp bound applies from here; absolute 2e-38 below
	}
	sigmoid := func(x float64) float64 {
		if x >= 0 {
			return 1 / (1 + math.Exp(-x))
		}
		e := math.Exp(x)
		return e / (1 + e)
	}
	fns := []unary{
		{"Sigmoid", cpu.Sigmoid, sigmoid, -100, 30, 3, -87},
		{"Sqrt", cpu.Sqrt, math.Sqrt, 0, 1e6, 0, float32(math.Inf(-1))},
		{"Neg", cpu.Neg, func(x float64) float64 { return -x }, -10, 10, 0, float32(math.Inf(-1))},
		{"Abs", cpu.Abs, math.Abs, -10, 10, 0, float32(math.Inf(-1))},
		{"Log", cpu.Log, math.Log, 0, 1e4, 1, float32(math.Inf(-1))},
		{"Reciprocal", cpu.Reciprocal, func(x float64) float64 { return 1 / x }, -10, 10, 0, float32(math.Inf(-1))},
	}
	eachPath(t, func(t *testing.T) {
		for _, u := range fns {
			worst := 0.0
			for _, n := range []int{0, 1, 7, 8, 9, 31, 257, 1000} {
				x := unaryInputs(r, n, u.lo, u.hi)
				dst, check := guardF32(len(x))
				u.f(dst, x)
				check(t)
				for i, v := range x {
					want := u.ref(float64(v))
					if u.name == "Sigmoid" && v < u.below {
						require.True(t, math.Abs(float64(dst[i])-want) < 2e-38, "Sigmoid(%v) = %v", v, dst[i])
						continue
					}
					d := ulps(dst[i], want)
					if u.maxUlp == 0 {
						// Exact: the same bits as the once-rounded float64 result (any NaN).
						sameF32(t, []float32{float32(want)}, dst[i:i+1], "%s(%v)", u.name, v)
						continue
					}
					worst = max(worst, d)
					require.LessOrEqual(t, d, u.maxUlp, "%s(%v) = %v, want %v", u.name, v, dst[i], want)
				}
				in := append([]float32{}, x...)
				u.f(in, in)
				sameF32(t, dst, in, "%s in place", u.name)
			}
			t.Logf("%s: worst %.2f ulp", u.name, worst)
		}
		// PowScalar: bit for bit with math.Pow.
		for _, e := range []float32{0, 1, 2, 3, 0.5, -1, -0.5, 2.5, 1.7, -3, float32(math.Inf(1)), float32(math.NaN())} {
			for _, n := range []int{0, 5, 100} {
				x := append(unaryInputs(r, n, -4, 4), unaryInputs(r, n, 0, 1e12)...)
				dst, check := guardF32(len(x))
				cpu.PowScalar(dst, x, e)
				check(t)
				for i, v := range x {
					sameF32(t, []float32{float32(math.Pow(float64(v), float64(e)))}, dst[i:i+1], "Pow(%v, %v)", v, e)
				}
			}
		}
		// Clip.
		for _, b := range [][2]float32{{-1, 1}, {0, 6}, {2, -2}, {float32(math.Inf(-1)), 0}} {
			x := unaryInputs(r, 50, -5, 5)
			dst, check := guardF32(len(x))
			cpu.Clip(dst, x, b[0], b[1])
			check(t)
			for i, v := range x {
				w := v
				if v < b[0] {
					w = b[0]
				}
				if w > b[1] {
					w = b[1]
				}
				sameF32(t, []float32{w}, dst[i:i+1], "Clip(%v, %v)", v, b)
			}
		}
	})
}

// TestUnaryAllocs checks the unary kernels allocate nothing once warm.
func TestUnaryAllocs(t *testing.T) {
	x, y := make([]float32, 1000), make([]float32, 1000)
	n := testing.AllocsPerRun(10, func() {
		cpu.Sigmoid(y, x)
		cpu.PowScalar(y, x, 3)
		cpu.Log(y, x)
	})
	require.Zero(t, n)
}
